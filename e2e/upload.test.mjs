// End to end: a real Chromium uploads through the demo page (worker hashing, presign, PUT, complete)
// to the local-disk driver and to Ceph RGW; the stored bytes' SHA-256 must equal the source's.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { s3OptionsFromEnv } from 'vs3/node';
import { s3Storage } from 'vs3/server';
import { bigFile, launchChromium, startDemo } from './browser.mjs';

const sha256hex = (b) => createHash('sha256').update(b).digest('hex');
let browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function openPage(url, t) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => page.close());
  await page.goto(url);
  return { page, errors };
}

/** Uploads through the file picker and waits for the page to report the outcome. */
async function pickAndWait(page, file) {
  await page.setInputFiles('#picker', file);
  const li = page.locator(`#uploads li[data-name="${file.name}"]`);
  await li.and(page.locator('.done, .error')).waitFor({ timeout: 60_000 });
  return li.evaluate((e) => ({ ...e.dataset, cls: e.className, text: e.textContent }));
}

/** Drops a file (built in the page from base64) onto the drop zone. */
async function dropAndWait(page, name, bytes) {
  await page.evaluate(
    ({ name, b64 }) => {
      const bin = atob(b64);
      const u8 = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([u8], name, { type: 'application/octet-stream' }));
      document.querySelector('#drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { name, b64: bytes.toString('base64') },
  );
  const li = page.locator(`#uploads li[data-name="${name}"]`);
  await li.and(page.locator('.done, .error')).waitFor({ timeout: 60_000 });
  return li.evaluate((e) => ({ ...e.dataset, cls: e.className }));
}

/**
 * Picks `file` (a path on disk, as a user's file is) and presses its row's Pause as soon as `fraction` of
 * its parts (at least one) are stored — not on progress, which also counts bytes on the wire that a
 * pause drops. Returns the row once the page shows it paused.
 */
async function pickAndPauseAt(page, file, fraction) {
  const name = path.basename(file);
  const paused = page.evaluate(
    ({ name, fraction }) =>
      new Promise((resolve) => {
        const off = window.vs3queue.subscribe(() => {
          const s = window.vs3queue.getSnapshot().files.find((f) => f.name === name);
          if (s && s.partCount > 1 && s.partsStored >= Math.max(1, s.partCount * fraction)) {
            off();
            document.querySelector(`#uploads li[data-name="${name}"] button.pause`).click();
            resolve();
          }
        });
      }),
    { name, fraction },
  );
  await page.setInputFiles('#picker', file);
  await paused;
  await page.waitForFunction((name) => document.querySelector(`#uploads li[data-name="${name}"]`)?.dataset.state === 'paused', name, { timeout: 10_000 });
  return page.locator(`#uploads li[data-name="${name}"]`);
}

function suite(label, makeEnv, readStored) {
  describe(`demo page -> ${label}`, () => {
    let demo, ctx;
    before(async () => {
      ctx = await makeEnv();
      demo = await startDemo(ctx.env);
    });
    after(async () => {
      await demo?.stop();
      await ctx?.cleanup?.();
    });

    test('picker upload of a multi-MiB file: stored bytes have the source SHA-256', async (t) => {
      const { page, errors } = await openPage(demo.url, t);
      // Under one part (8 MiB): a single PUT with its SHA-256 signed in, which S3 keeps as metadata, so
      // the stored-files list can show it. (A multipart object's SHA-256 is the client's word alone on
      // S3 and is not listed there; see docs/architecture.md.)
      const bytes = randomBytes(6 * 1024 * 1024 + 333);
      const expected = sha256hex(bytes);
      const r = await pickAndWait(page, { name: 'random-6MiB.bin', mimeType: 'application/octet-stream', buffer: bytes });
      assert.match(r.cls, /done/, `upload failed: ${r.text}`);
      assert.equal(r.sha256, expected, 'SHA-256 from the WASM worker');
      const stored = await readStored(ctx, r.key);
      assert.equal(stored.length, bytes.length);
      assert.equal(sha256hex(stored), expected, 'SHA-256 of the bytes in storage');
      // The hash ran in a Web Worker, not on the main thread.
      assert.ok(page.workers().length >= 1, 'a hash worker was started');
      // The stored-files list shows the object with its SHA-256.
      const row = page.locator(`#stored tr[data-key="${r.key}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-sha256'), expected);
      assert.deepEqual(errors, []);
    });

    test('drag & drop upload', async (t) => {
      const { page } = await openPage(demo.url, t);
      const bytes = randomBytes(300_000);
      const r = await dropAndWait(page, 'dropped.bin', bytes);
      assert.match(r.cls, /done/);
      assert.equal(sha256hex(await readStored(ctx, r.key)), sha256hex(bytes));
    });

    test('a 300 MiB multipart upload, paused half way and resumed: stored bytes equal the source', async (t) => {
      const { page, errors } = await openPage(demo.url, t);
      // Written to disk and picked by path, as a user's file is (and too big to pass as a buffer).
      const dir = await mkdtemp(path.join(tmpdir(), 'vs3-e2e-big-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const { file, sha256: expected } = await bigFile(dir, 'big-300MiB.bin', 300);
      const li = await pickAndPauseAt(page, file, 0.5);
      const at = await li.locator('progress').evaluate((e) => e.value);
      assert.ok(at >= 0.5 && at < 1, `paused at ${at}`);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await li.locator('progress').evaluate((e) => e.value), at, 'no progress while paused');
      await li.locator('button.pause').click(); // now labelled Resume
      await li.and(page.locator('.done, .error')).waitFor({ timeout: 180_000 });
      const r = await li.evaluate((e) => ({ ...e.dataset, cls: e.className, text: e.textContent }));
      assert.match(r.cls, /done/, `upload failed: ${r.text}`);
      assert.equal(r.sha256, expected, 'SHA-256 computed by the engine');
      const stored = await readStored(ctx, r.key);
      assert.equal(stored.length, 300 * 1024 * 1024);
      assert.equal(sha256hex(stored), expected, 'SHA-256 of the bytes in storage');
      assert.deepEqual(errors, []);
    });

    test('the browser goes offline mid-upload: the queue waits, then finishes when back online', async (t) => {
      const context = await browser.newContext();
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(demo.url);
      const bytes = randomBytes(40 * 1024 * 1024);
      const seen = page.evaluate(
        () =>
          new Promise((resolve) => {
            let wentOffline = false;
            window.vs3queue.subscribe(() => {
              const s = window.vs3queue.getSnapshot();
              if (!s.online) wentOffline = true;
              if (wentOffline && s.online) resolve(true);
            });
          }),
      );
      await page.setInputFiles('#picker', { name: 'offline.bin', mimeType: 'application/octet-stream', buffer: bytes });
      await page.waitForFunction(() => (window.vs3queue.getSnapshot().files[0]?.bytesUploaded ?? 0) > 0, null, { polling: 10 });
      await context.setOffline(true);
      await new Promise((r) => setTimeout(r, 2000));
      const during = await page.evaluate(() => window.vs3queue.getSnapshot());
      assert.equal(during.online, false);
      assert.equal(during.files[0].state !== 'failed', true, 'offline is not a failure');
      await context.setOffline(false);
      assert.equal(await seen, true);
      const li = page.locator('#uploads li[data-name="offline.bin"]');
      await li.and(page.locator('.done, .error')).waitFor({ timeout: 120_000 });
      const r = await li.evaluate((e) => ({ ...e.dataset, cls: e.className, text: e.textContent }));
      assert.match(r.cls, /done/, `upload failed: ${r.text}`);
      assert.equal(sha256hex(await readStored(ctx, r.key)), sha256hex(bytes));
    });

    test('a file changed on disk after it was picked fails with read_failed (no retries, nothing mixed)', async (t) => {
      const { page } = await openPage(demo.url, t);
      const dir = await mkdtemp(path.join(tmpdir(), 'vs3-e2e-changed-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'changing.bin');
      await writeFile(file, randomBytes(48 * 1024 * 1024));
      // Pause once the first part is stored, rewrite the file, resume: the parts still to send are
      // read again (the PUT body is a slice of the File), and the browser refuses to read a file that
      // changed since it was picked.
      const li = await pickAndPauseAt(page, file, 0);
      await new Promise((r) => setTimeout(r, 50)); // a different mtime
      await writeFile(file, randomBytes(48 * 1024 * 1024));
      const t0 = Date.now();
      await li.locator('button.pause').click(); // Resume
      await li.and(page.locator('.done, .error')).waitFor({ timeout: 60_000 });
      const r = await li.evaluate((e) => ({ ...e.dataset, cls: e.className, text: e.textContent }));
      assert.match(r.cls, /error/, `expected a failure: ${r.text}`);
      assert.match(r.error, /^(read_failed|file_changed)$/);
      assert.ok(Date.now() - t0 < 20_000, 'failed at once, not after the retry budget');
      const snap = await page.evaluate(() => window.vs3queue.getSnapshot().files.find((f) => f.name === 'changing.bin'));
      assert.equal(snap.state, 'failed');
    });

    test('a file the route refuses shows the server error code', async (t) => {
      const { page } = await openPage(demo.url, t);
      await page.selectOption('#route', 'images');
      const r = await pickAndWait(page, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
      assert.match(r.cls, /error/);
      assert.equal(r.error, 'invalid_file_type');
    });
  });
}

suite(
  'local disk driver',
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vs3-e2e-'));
    return { dir, env: { VS3_DATA_DIR: dir, VS3_S3_ENDPOINT: '' }, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
  (ctx, key) => readFile(path.join(ctx.dir, 'objects', key)),
);

const rgwSkip = process.env.VS3_S3_ENDPOINT ? false : 'no S3 endpoint (run through scripts/test.sh)';
if (rgwSkip && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set');
if (!rgwSkip) {
  suite(
    'Ceph RGW (S3)',
    async () => {
      const bucket = `vs3-e2e-${Date.now().toString(36)}`;
      return { storage: s3Storage(s3OptionsFromEnv(process.env, bucket)), env: { VS3_S3_BUCKET: bucket } };
    },
    async (ctx, key) => {
      const res = await ctx.storage.signedFetch(ctx.storage.objectUrl(key));
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    },
  );
}
