// Headless Chromium runner (Debian's chromium via playwright-core): serves the built package, hash-wasm
// and the bench module from 127.0.0.1 (a secure context, so crypto.subtle exists) and measures in a
// module Web Worker.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../e2e/browser.mjs';
import { formatTable } from './sha256.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sizeMiB = Number(process.env.VS3_BENCH_MIB ?? 256);
const rounds = Number(process.env.VS3_BENCH_ROUNDS ?? 3);
const mounts = {
  '/vs3/': path.join(root, 'js/dist/'),
  '/hash-wasm/': path.join(root, 'node_modules/hash-wasm/dist/'),
  '/bench/': path.join(root, 'tests/bench/'),
};
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>vs3 bench</title>');
    return;
  }
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!url.pathname.startsWith(prefix)) continue;
    const file = path.join(dir, path.normalize(url.pathname.slice(prefix.length)));
    if (!file.startsWith(dir)) break;
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      break;
    }
    return;
  }
  if (!res.headersSent) res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  const out = await page.evaluate(
    ({ sizeMiB, rounds }) =>
      new Promise((resolve) => {
        const w = new Worker('/bench/worker.mjs', { type: 'module' });
        w.onmessage = (e) => resolve(e.data);
        w.onerror = (e) => resolve({ error: e.message || 'worker failed to load' });
        w.postMessage({ sizeMiB, rounds });
      }),
    { sizeMiB, rounds },
  );
  if (out.error) throw new Error(out.error);
  console.log(formatTable(`Chromium ${browser.version()} (headless, module Web Worker)`, out.results, sizeMiB));
  if (new Set(out.results.map((r) => r.digest)).size !== 1) process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
