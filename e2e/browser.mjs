// Shared browser/demo helpers for the e2e suites: Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

/**
 * Writes `mib` MiB of random bytes to dir/name, every MiB different (its index and a random word in
 * its first bytes), as a user's file on disk is; returns { file, sha256, size }.
 */
export async function bigFile(dir, name, mib) {
  const file = path.join(dir, name);
  const fh = await open(file, 'w');
  const hash = createHash('sha256');
  const chunk = randomBytes(1024 * 1024);
  for (let i = 0; i < mib; i++) {
    chunk.writeUInt32LE(i, 0);
    chunk.writeUInt32LE(Math.random() * 2 ** 32, 4);
    hash.update(chunk);
    await fh.write(chunk);
  }
  await fh.close();
  return { file, sha256: hash.digest('hex'), size: mib * 1024 * 1024 };
}

/** Starts demo/server.mjs on a free port with the given env; resolves with { url, stop }. */
export function startDemo(env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'demo/server.mjs')], {
      env: { ...process.env, VS3_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 15_000);
    const onData = (d) => {
      out += d;
      const m = /vs3 demo: (http:\/\/\S+?)\/ /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          output: () => out,
          stop: () =>
            new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${out}`));
    });
  });
}
