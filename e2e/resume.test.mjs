// End to end, issue 7: uploads that survive a reload or a killed browser. A real Chromium uploads
// through the demo page; storage sits behind a byte-counting TCP proxy, so "sent again" is what
// storage (RGW, or the demo's local driver) really received. Local disk driver and Ceph RGW.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { fsStore, s3OptionsFromEnv } from 'vs3/node';
import { localStorage, s3Storage } from 'vs3/server';
import { CHROMIUM_ARGS, bigFile, launchChromium, startDemo } from './browser.mjs';

const sha256hex = (b) => createHash('sha256').update(b).digest('hex');
let browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** A TCP proxy to `target` (http://host:port) counting the bytes clients send through it. */
async function countingProxy(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  const proxy = { sent: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    client.on('data', (d) => (proxy.sent += d.length));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () =>
    new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(r);
    });
  return proxy;
}

/**
 * Picks `file` and resolves once `fraction` of its parts are stored (then the caller interrupts);
 * reload: the page reloads itself at that moment (no round trip to the test in between).
 */
async function pickUntil(page, file, fraction, { reload = false } = {}) {
  const name = path.basename(file);
  const reached = page.evaluate(
    ({ name, fraction, reload }) =>
      new Promise((resolve) => {
        const off = window.vs3queue.subscribe(() => {
          const s = window.vs3queue.getSnapshot().files.find((f) => f.name === name);
          if (s && s.partCount > 1 && s.partsStored >= s.partCount * fraction) {
            off();
            resolve(s.partsStored / s.partCount);
            if (reload) setTimeout(() => location.reload(), 0);
          }
        });
      }),
    { name, fraction, reload },
  );
  await page.setInputFiles('#picker', file);
  return reached;
}

/**
 * A fast real link (50 MB/s up, 400 Mbit/s) instead of loopback's 100+ MB/s: with both cores busy
 * (the full test run) loopback parts complete faster than IndexedDB commits their records, and a
 * small upload may even complete before the test's interruption lands.
 */
async function throttle(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 50e6 });
}

/** A page on the demo in a fresh browser context (closed after the test), throttled unless told. */
async function demoPage(t, url, { throttled = true } = {}) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  if (throttled) await throttle(page);
  await page.goto(url);
  return page;
}

async function rowOutcome(page, name, timeout = 180_000) {
  const li = page.locator(`#uploads li[data-name="${name}"]`);
  await li.and(page.locator('.done, .error')).waitFor({ timeout });
  return li.evaluate((e) => ({ ...e.dataset, cls: e.className, text: e.textContent }));
}

async function interruptedRow(page, name) {
  const li = page.locator(`#interrupted li[data-name="${name}"]`);
  await li.waitFor({ timeout: 10_000 });
  return li.evaluate((e) => ({ ...e.dataset }));
}

function suite(label, makeEnv) {
  describe(`resume through the demo -> ${label}`, () => {
    let demo, ctx, dir;
    before(async () => {
      ctx = await makeEnv();
      demo = await startDemo(ctx.env);
      // Local driver: the page, API and PUTs all go to the demo; count in front of it.
      if (!ctx.proxy) ctx.proxy = await countingProxy(demo.url);
      dir = await mkdtemp(path.join(tmpdir(), 'vs3-e2e-resume-'));
    });
    after(async () => {
      await demo?.stop();
      await ctx?.proxy?.close();
      await ctx?.cleanup?.();
      if (dir) await rm(dir, { recursive: true, force: true });
    });
    const pageUrl = () => (ctx.env.VS3_S3_ENDPOINT === '' ? ctx.proxy.url : demo.url);

    test('reload at about 50 %, pick the same file: at most 60 % is sent again, the object is the source', async (t) => {
      // Throttled: unthrottled loopback with both cores busy lost up to 4 parts' records (60 % sent again).
      const page = await demoPage(t, pageUrl());
      const src = await bigFile(dir, 'video-200MiB.bin', 200);
      const at = await pickUntil(page, src.file, 0.5, { reload: true });
      await page.waitForURL(pageUrl() + '/'); // the reloaded page
      await page.waitForLoadState('load');
      const row = await interruptedRow(page, 'video-200MiB.bin');
      assert.ok(Number(row.stored) > 0, `recorded ${row.stored} bytes stored (stopped at ${at})`);
      const before = ctx.proxy.sent;
      await page.setInputFiles('#picker', src.file);
      const r = await rowOutcome(page, 'video-200MiB.bin');
      assert.match(r.cls, /done/, `upload failed: ${r.text}`);
      assert.equal(r.resumed, 'true');
      assert.equal(r.sha256, src.sha256);
      const fraction = (ctx.proxy.sent - before) / src.size;
      console.log(
        `# reload test (${label}): stopped at ${(at * 100).toFixed(0)} % of parts stored; sent again ${(fraction * 100).toFixed(1)} % of the file (${ctx.proxy.sent - before} bytes, requests included); reused ${r.reused} bytes`,
      );
      assert.ok(fraction <= 0.6, `sent again ${(fraction * 100).toFixed(1)} %`);
      assert.equal(sha256hex(await ctx.read(r.key)), src.sha256, 'stored bytes');
      await page.waitForFunction(() => document.querySelector('#interrupted-section').hidden, null, { timeout: 10_000 });
    });

    test('another file with the same name and size is refused and touches nothing; the right file then resumes', async (t) => {
      const page = await demoPage(t, pageUrl());
      const src = await bigFile(dir, 'scan.bin', 48);
      await pickUntil(page, src.file, 0.3, { reload: true });
      await page.waitForLoadState('load');
      const row = await interruptedRow(page, 'scan.bin');
      const rec = await page.evaluate(async (id) => (await window.vs3queue.restore()).find((u) => u.id === id), row.id);
      const partsBefore = await ctx.storage.listParts(rec.key, row.id);
      assert.ok(partsBefore.length >= 1);

      const otherDir = await mkdtemp(path.join(dir, 'other-'));
      const other = await bigFile(otherDir, 'scan.bin', 48);
      await page.setInputFiles('#picker', other.file);
      const refused = await rowOutcome(page, 'scan.bin', 30_000);
      assert.match(refused.cls, /error/);
      assert.equal(refused.error, 'file_mismatch');
      assert.deepEqual(await ctx.storage.listParts(rec.key, row.id), partsBefore, 'stored parts untouched');
      await interruptedRow(page, 'scan.bin'); // still listed, waiting for the right file

      await page.evaluate(() => document.querySelector('#uploads').replaceChildren());
      await page.setInputFiles('#picker', src.file);
      const r = await rowOutcome(page, 'scan.bin');
      assert.match(r.cls, /done/, r.text);
      assert.equal(r.key, rec.key);
      assert.equal(sha256hex(await ctx.read(r.key)), src.sha256);
    });

    test('a stored FileSystemFileHandle is reused after a reload: resume() needs no picking', async (t) => {
      const page = await demoPage(t, pageUrl());
      // A handle from the origin-private file system (what showOpenFilePicker gives, without a dialog).
      const info = await page.evaluate(async () => {
        const root = await navigator.storage.getDirectory();
        const h = await root.getFileHandle('opfs-80MiB.bin', { create: true });
        const w = await h.createWritable();
        const chunk = new Uint8Array(1024 * 1024);
        for (let i = 0; i < 80; i++) {
          crypto.getRandomValues(chunk.subarray(0, 65536));
          chunk[0] = i;
          await w.write(chunk);
        }
        await w.close();
        const file = await h.getFile();
        const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('');
        const q = window.vs3queue;
        q.add(file, { route: 'files', handle: h }).promise.catch(() => {});
        await new Promise((resolve) => {
          const off = q.subscribe(() => {
            const s = q.getSnapshot().files.find((f) => f.name === 'opfs-80MiB.bin');
            if (s && s.partsStored >= 2) off(), resolve(), setTimeout(() => location.reload(), 0);
          });
        });
        return { sha, size: file.size };
      });
      await page.waitForLoadState('load');
      await page.waitForFunction(() => window.vs3queue);
      const result = await page.evaluate(async () => {
        const list = await window.vs3queue.restore();
        const u = list.find((x) => x.name === 'opfs-80MiB.bin');
        if (!u) return { error: 'not listed' };
        if (!(u.handle instanceof FileSystemFileHandle)) return { error: 'no handle kept' };
        const h = window.vs3queue.resume(u.id); // opens the file through its handle
        const r = await h.promise;
        return { key: r.key, sha256: r.sha256, resumed: h.snapshot().resumed };
      });
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.resumed, true);
      assert.equal(result.sha256, info.sha);
      assert.equal(sha256hex(await ctx.read(result.key)), info.sha);
    });

    test('two tabs: an upload in progress in one is neither listed nor resumed by the other', async (t) => {
      const context = await browser.newContext();
      t.after(() => context.close());
      const [a, b] = [await context.newPage(), await context.newPage()];
      await throttle(a);
      await a.goto(pageUrl());
      await b.goto(pageUrl());
      const src = await bigFile(dir, 'shared.bin', 100);
      await pickUntil(a, src.file, 0.2);
      await a.evaluate(() => window.vs3queue.pauseAll()); // hold it mid-way: parts stored, record written
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(await b.evaluate(async () => (await window.vs3queue.restore()).map((u) => u.name)), [], 'tab A holds it');
      await b.setInputFiles('#picker', src.file);
      const rb = await rowOutcome(b, 'shared.bin');
      assert.match(rb.cls, /done/, rb.text);
      assert.equal(rb.resumed, 'false', 'tab B made its own upload');
      await a.evaluate(() => window.vs3queue.resumeAll());
      const ra = await rowOutcome(a, 'shared.bin');
      assert.match(ra.cls, /done/, ra.text);
      // (The demo's route deduplicates: A, finishing second, may be answered with B's object.)
      assert.equal(sha256hex(await ctx.read(ra.key)), src.sha256);
      assert.equal(sha256hex(await ctx.read(rb.key)), src.sha256);
    });

    test('the browser process killed mid-upload: a new one on the same profile resumes and finishes', async (t) => {
      const profile = await mkdtemp(path.join(tmpdir(), 'vs3-e2e-profile-'));
      t.after(() => rm(profile, { recursive: true, force: true }));
      const launch = () =>
        chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
      const src = await bigFile(dir, 'crash.bin', 200);

      const first = await launch();
      const page1 = first.pages()[0] ?? (await first.newPage());
      await page1.goto(pageUrl());
      await pickUntil(page1, src.file, 0.5);
      await new Promise((r) => setTimeout(r, 400)); // a batch of resume state written (250 ms apart)
      const state = await page1.evaluate(() => window.vs3queue.getSnapshot().files[0].state);
      assert.notEqual(state, 'done', 'finished before the kill: nothing to resume (the test needs a slower upload)');
      // SIGKILL the browser's main process: no unload handlers, no flush, like a crash or power loss.
      const pid = execFileSync('pgrep', ['-o', '-f', `user-data-dir=${profile}`])
        .toString()
        .trim();
      process.kill(Number(pid), 'SIGKILL');
      await first.close().catch(() => {});

      const second = await launch();
      t.after(() => second.close());
      const page2 = second.pages()[0] ?? (await second.newPage());
      await page2.goto(pageUrl());
      const row = await interruptedRow(page2, 'crash.bin');
      assert.ok(Number(row.stored) > 0, 'parts recorded before the kill');
      const before = ctx.proxy.sent;
      await page2.setInputFiles('#picker', src.file);
      const r = await rowOutcome(page2, 'crash.bin');
      assert.match(r.cls, /done/, r.text);
      assert.equal(r.resumed, 'true');
      const fraction = (ctx.proxy.sent - before) / src.size;
      console.log(`# kill test (${label}): sent again ${(fraction * 100).toFixed(1)} % after the restart`);
      assert.ok(fraction <= 0.7, `sent again ${(fraction * 100).toFixed(1)} %`);
      assert.equal(sha256hex(await ctx.read(r.key)), src.sha256);
    });
  });
}

suite('local disk driver', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vs3-e2e-resume-data-'));
  const storage = localStorage({ store: fsStore(dir), secret: 'unused-for-listing-0123456789abcdef' });
  return {
    storage,
    env: { VS3_DATA_DIR: dir, VS3_S3_ENDPOINT: '' },
    read: (key) => readFile(path.join(dir, 'objects', key)),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

if (process.env.VS3_S3_ENDPOINT) {
  suite('Ceph RGW (S3)', async () => {
    const bucket = `vs3-e2e-resume-${Date.now().toString(36)}`;
    const proxy = await countingProxy(process.env.VS3_S3_ENDPOINT);
    const storage = s3Storage(s3OptionsFromEnv(process.env, bucket));
    return {
      storage,
      proxy,
      // The demo (and the browser's PUTs) reach RGW through the proxy.
      env: { VS3_S3_BUCKET: bucket, VS3_S3_ENDPOINT: proxy.url },
      read: async (key) => Buffer.from(await (await storage.signedFetch(storage.objectUrl(key))).arrayBuffer()),
    };
  });
}
