// @vs3/react in real Chromium: a test app (e2e/react-app.jsx, bundled here with esbuild, React in
// development mode so StrictMode double-mounts) uploads through a real handler (local driver on disk).
// One file, many files with monotone progress, errors, cancel, unmount mid-upload, StrictMode, and the
// render count of a 100 MiB upload held to one per animation frame.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { fsStore, nodeListener } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import { launchChromium } from './browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'react-e2e-secret-0123456789abcdef012345';
const MiB = 1024 * 1024;

/** The bytes e2e/react-app.jsx's makeFile builds, hashed. */
function expectedSha(size, seed = 0) {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 7 + seed) % 251;
  return createHash('sha256').update(buf).digest('hex');
}

let browser;
let srv;
let dir;
let store;
let storage;
const counts = {};
let hold = null;
let release = () => {};

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vs3-react-'));
  await build({
    entryPoints: [path.join(root, 'e2e/react-app.jsx')],
    bundle: true,
    format: 'esm',
    jsx: 'automatic',
    outfile: path.join(dir, 'app.js'),
    external: ['vs3/client', 'idb'],
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'error',
  });
  store = fsStore(path.join(dir, 'data'));
  storage = localStorage({ store, secret: SECRET });
  const handler = createHandler({
    secret: SECRET,
    storage,
    routes: {
      files: defineRoute({ maxFileSize: '1GiB' }),
      small: defineRoute({ maxFileSize: 1000 }),
    },
  });
  const counting = async (req, info) => {
    const p = req.method === 'PUT' ? 'PUT' : new URL(req.url).pathname.replace('/api/vs3', '');
    counts[p] = (counts[p] ?? 0) + 1;
    if (req.method === 'PUT' && hold) await hold;
    return handler(req, info);
  };
  const api = nodeListener(counting);
  const idbDir = path.dirname(fileURLToPath(import.meta.resolve('idb')));
  const files = { '/app.js': path.join(dir, 'app.js') };
  const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };
  const page = `<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">{ "imports": { "vs3/client": "/vs3/client/index.js", "idb": "/vendor/idb/index.js" } }</script>
<script type="module" src="/app.js"></script></head><body></body></html>`;
  srv = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname.startsWith('/api/vs3')) return api(req, res);
    if (pathname === '/favicon.ico') return res.writeHead(204).end();
    if (pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    let file = files[pathname];
    if (!file && pathname.startsWith('/vs3/') && !pathname.includes('..')) file = path.join(root, 'js/dist', pathname.slice(5));
    if (!file && pathname.startsWith('/vendor/idb/') && !pathname.includes('..')) file = path.join(idbDir, pathname.slice(12));
    if (!file || !statSync(file, { throwIfNoEntry: false })?.isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  srv?.closeAllConnections?.();
  await new Promise((r) => srv?.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function openApp(t) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  if (process.env.DEBUG_PAGE) page.on('console', (m) => console.log('page:', m.text()));
  if (process.env.DEBUG_PAGE) page.on('pageerror', (e) => console.log('pageerror:', e.message));
  t.after(() => page.close());
  await page.goto(`http://127.0.0.1:${srv.address().port}/`);
  await page.waitForFunction(() => window.__t?.ready);
  return { page, errors };
}

/** Holds every PUT at the server until the test ends or calls release(); returns the PUT count so far. */
function holdPuts(t) {
  hold = new Promise((r) => (release = r));
  t.after(() => ((hold = null), release()));
  return counts.PUT ?? 0;
}

const renders = (page) => page.evaluate(() => window.__t.renders);
const snapshotCounts = () => ({ ...counts });
async function until(fn, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('one file through <UploadButton>: picked, uploaded, data-state done, bytes stored', async (t) => {
  const { page, errors } = await openApp(t);
  await page.evaluate(() => window.__t.mount('button'));
  const root = page.locator('[data-vs3="upload-button"]');
  assert.equal(await root.getAttribute('data-state'), 'idle');
  const size = 300_000;
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 7) % 251;
  await root.locator('input[type=file]').setInputFiles({ name: 'avatar.bin', mimeType: 'application/octet-stream', buffer: buf });
  await page.locator('[data-vs3="upload-button"][data-state="done"]').waitFor({ timeout: 20_000 });
  assert.match(await root.locator('[role=status]').textContent(), /Uploaded avatar\.bin/);
  const [key] = await page.evaluate(() => window.__t.results);
  assert.equal((await store.head(key)).sha256, expectedSha(size));
  assert.deepEqual(errors, []);
});

test('many files through useUpload: all stored; progress never goes backwards, per file and overall', async (t) => {
  const { page, errors } = await openApp(t);
  await page.evaluate(() => window.__t.mount('hook'));
  const sizes = { 'a.bin': 12 * MiB, 'b.bin': 3 * MiB, 'c.bin': 500_000, 'd.bin': 7 * MiB };
  const keys = await page.evaluate((sizes) => window.__t.api.upload(Object.entries(sizes).map(([n, s], i) => window.__t.makeFile(n, s, i))), sizes);
  assert.equal(keys.length, 4, JSON.stringify(keys));
  for (const [i, [, size]] of Object.entries(sizes).entries()) assert.equal((await store.head(keys[i])).sha256, expectedSha(size, i));
  const rs = (await renders(page)).filter((r) => r.files.length);
  assert.ok(rs.length >= 3, `only ${rs.length} renders with files`);
  for (let i = 1; i < rs.length; i++) {
    assert.ok(rs[i].progress >= rs[i - 1].progress, `overall progress went back: ${rs[i - 1].progress} -> ${rs[i].progress}`);
    for (const f of rs[i].files) {
      const before = rs[i - 1].files.find((g) => g.name === f.name);
      if (before) assert.ok(f.up >= before.up, `${f.name} went back: ${before.up} -> ${f.up}`);
    }
  }
  const last = rs.at(-1);
  assert.equal(last.progress, 1);
  assert.equal(last.uploading, false);
  assert.deepEqual(
    last.files.map((f) => f.state),
    ['done', 'done', 'done', 'done'],
  );
  assert.ok(
    rs.some((r) => r.progress > 0 && r.progress < 1),
    'progress was shown between 0 and 1',
  );
  assert.deepEqual(errors, []);
});

test('errors: a refusal by the server lands in error; the route rules refuse a file before anything is sent', async (t) => {
  const { page } = await openApp(t);
  await page.evaluate(() => window.__t.mount('hook', { route: 'small' }));
  const out = await page.evaluate(() => window.__t.api.upload([window.__t.makeFile('big.bin', 5000)]));
  assert.deepEqual(out, { error: 'file_too_large' });
  await until(async () => (await renders(page)).at(-1).error === 'file_too_large');
  const last = (await renders(page)).at(-1);
  assert.equal(last.files[0].state, 'failed');
  assert.equal(last.uploading, false);
  assert.deepEqual(await page.evaluate(() => window.__t.errors), ['file_too_large']);

  // The drop zone reads the route's rules (GET /routes) and refuses the file itself.
  await page.evaluate(() => window.__t.mount('dropzone', { route: 'small' }));
  const zone = page.locator('[data-vs3="upload-dropzone"]');
  await zone.locator('[data-vs3="hint"]').filter({ hasText: 'up to 1 KB' }).waitFor();
  const before = snapshotCounts();
  await zone.locator('input[type=file]').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(5000) });
  await page.locator('[data-vs3="upload-dropzone"][data-state="error"]').waitFor();
  assert.match(await zone.locator('[role=status]').textContent(), /big\.bin is larger than 1 KB/);
  assert.deepEqual(snapshotCounts(), before, 'nothing was sent for the refused file');

  // The next pick that works shows done: the earlier refusal is not the zone's state any more.
  await zone.locator('input[type=file]').setInputFiles({ name: 'fits.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(500, 7) });
  await page.locator('[data-vs3="upload-dropzone"][data-state="done"]').waitFor();
  assert.match(await zone.locator('[role=status]').textContent(), /Uploaded fits\.bin/);

  // And after a failure on the server's side (the hook's route refuses), a good file clears it too.
  await page.evaluate(() => window.__t.mount('hook', { route: 'small' }));
  assert.deepEqual(await page.evaluate(() => window.__t.api.upload([window.__t.makeFile('big.bin', 5000)])), { error: 'file_too_large' });
  await page.evaluate(() => window.__t.api.clear());
  assert.deepEqual(await page.evaluate(() => window.__t.api.upload([window.__t.makeFile('ok.bin', 800)])).then((k) => k.length), 1);
  await until(async () => (await renders(page)).at(-1).files.length === 1);
  const cleared = (await renders(page)).at(-1);
  assert.equal(cleared.error, undefined);
  assert.deepEqual(
    cleared.files.map((f) => f.state),
    ['done'],
  );
});

test('upload() after the component unmounted is refused (aborted) and makes no queue, no request', async (t) => {
  const { page } = await openApp(t);
  await page.evaluate(() => window.__t.mount('hook'));
  await page.evaluate(() => {
    window.__stale = window.__t.api;
    window.__t.unmount();
  });
  await new Promise((r) => setTimeout(r, 100));
  const before = snapshotCounts();
  assert.deepEqual(await page.evaluate(() => window.__stale.upload([window.__t.makeFile('late.bin', 1000)])), { error: 'aborted' });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(snapshotCounts(), before);
});

test('cancel mid-upload: the multipart upload is aborted on storage, nothing is stored, no error shown', async (t) => {
  const { page } = await openApp(t);
  await page.evaluate(() => window.__t.mount('hook'));
  const objects = (await store.list()).length;
  const puts = holdPuts(t);
  const done = page.evaluate(() => window.__t.api.upload([window.__t.makeFile('cancel.bin', 30 * 1024 * 1024)]));
  await until(() => (counts.PUT ?? 0) > puts);
  await page.evaluate(() => window.__t.api.cancel());
  assert.deepEqual(await done, { error: 'aborted' });
  (hold = null), release();
  await until(async () => (await storage.listMultipartUploads()).length === 0);
  assert.equal((await store.list()).length, objects);
  await until(async () => (await renders(page)).at(-1).files[0]?.state === 'cancelled');
  assert.equal((await renders(page)).at(-1).error, undefined, 'a cancel is not an error');
});

test('unmount mid-upload: the upload is cancelled and aborted on storage', async (t) => {
  const { page } = await openApp(t);
  await page.evaluate(() => window.__t.mount('hook'));
  const objects = (await store.list()).length;
  const puts = holdPuts(t);
  const aborts = counts['/multipart/abort'] ?? 0;
  const done = page.evaluate(() => window.__t.api.upload([window.__t.makeFile('unmount.bin', 30 * 1024 * 1024)]));
  await until(() => (counts.PUT ?? 0) > puts);
  await until(async () => (await storage.listMultipartUploads()).length === 1);
  await page.evaluate(() => window.__t.unmount());
  assert.deepEqual(await done, { error: 'aborted' });
  (hold = null), release();
  await until(() => (counts['/multipart/abort'] ?? 0) > aborts);
  await until(async () => (await storage.listMultipartUploads()).length === 0);
  assert.equal((await store.list()).length, objects);
});

test('StrictMode: a component that uploads on mount starts one upload, which completes', async (t) => {
  const { page, errors } = await openApp(t);
  const before = snapshotCounts();
  await page.evaluate(() => window.__t.mount('mount-upload', { strict: true, size: 2_000_000 }));
  const keys = await until(() => page.evaluate(() => (window.__t.results.length ? window.__t.results : null)));
  await new Promise((r) => setTimeout(r, 300)); // a second upload, if one had started, would show by now
  assert.equal(keys.length, 1);
  assert.equal((counts['/presign'] ?? 0) - (before['/presign'] ?? 0), 1, `one presign: ${JSON.stringify(before)} -> ${JSON.stringify(counts)}`);
  assert.equal((counts.PUT ?? 0) - (before.PUT ?? 0), 1, 'one PUT');
  assert.equal((await store.head(keys[0])).sha256, expectedSha(2_000_000, 3));
  assert.deepEqual(errors, []);
});

test('render count: a 100 MiB upload renders the hook at most once per animation frame', async (t) => {
  const { page } = await openApp(t);
  await page.evaluate(() => window.__t.mount('hook'));
  const r = await page.evaluate(async () => {
    const f = window.__t.makeFile('big.bin', 100 * 1024 * 1024, 9);
    const n0 = window.__t.renders.length;
    const f0 = window.__t.frames;
    const t0 = performance.now();
    const keys = await window.__t.api.upload([f]);
    return { keys, renders: window.__t.renders.length - n0, frames: window.__t.frames - f0, ms: performance.now() - t0 };
  });
  assert.equal(r.keys.length, 1, JSON.stringify(r));
  console.log(`# react: 100 MiB in ${Math.round(r.ms)} ms, ${r.renders} renders over ${r.frames} frames`);
  // One render per frame at most (+2: the click's own render and the final one outside a frame).
  assert.ok(r.renders <= r.frames + 2, `${r.renders} renders in ${r.frames} frames`);
  assert.ok(r.renders < (r.ms / 1000) * 25 + 10, `${r.renders} renders in ${Math.round(r.ms)} ms`);
  assert.equal((await store.head(r.keys[0])).sha256, expectedSha(100 * MiB, 9));
});

test('<UploadDropzone>: keyboard (Enter opens the picker), drag and drop (data-state dragging), and paste each upload', async (t) => {
  const { page, errors } = await openApp(t);
  await page.evaluate(() => window.__t.mount('dropzone'));
  const zone = page.locator('[data-vs3="upload-dropzone"]');
  const doneRow = (name) => zone.locator(`li[data-name="${name}"][data-state="done"]`).waitFor({ timeout: 20_000 });

  // Listening first: Playwright turns file-chooser interception on asynchronously.
  const chosen = page.waitForEvent('filechooser');
  await zone.locator('[data-vs3="hint"]').waitFor();
  await zone.locator('button[data-vs3="choose"]').focus();
  await page.keyboard.press('Enter');
  const chooser = await chosen;
  assert.ok(chooser.isMultiple(), 'the drop zone takes several files');
  await chooser.setFiles({ name: 'keyboard.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(70_000, 1) });
  await doneRow('keyboard.bin');

  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(window.__t.makeFile('dropped.bin', 90_000, 5));
    window.__dt = dt;
    document.querySelector('[data-vs3="upload-dropzone"]').dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.locator('[data-vs3="upload-dropzone"][data-state="dragging"]').waitFor({ timeout: 5000 });
  await page.evaluate(() =>
    document.querySelector('[data-vs3="upload-dropzone"]').dispatchEvent(new DragEvent('drop', { dataTransfer: window.__dt, bubbles: true, cancelable: true })),
  );
  await doneRow('dropped.bin');

  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(window.__t.makeFile('pasted.bin', 40_000, 6));
    document.querySelector('[data-vs3="upload-dropzone"]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await doneRow('pasted.bin');

  const keys = await page.evaluate(() => window.__t.results);
  assert.equal(keys.length, 3);
  assert.equal((await store.head(keys[1])).sha256, expectedSha(90_000, 5));
  assert.equal((await store.head(keys[2])).sha256, expectedSha(40_000, 6));
  assert.equal(await zone.getAttribute('data-state'), 'done');
  assert.deepEqual(errors, []);
});

test('keepUploadsOnUnmount: the upload goes on to the end after the component is gone', async (t) => {
  const { page } = await openApp(t);
  await page.evaluate(() => window.__t.mount('hook', { keep: true }));
  const puts = holdPuts(t);
  const done = page.evaluate(() => window.__t.api.upload([window.__t.makeFile('kept.bin', 12 * 1024 * 1024, 4)]));
  await until(() => (counts.PUT ?? 0) > puts);
  await page.evaluate(() => window.__t.unmount());
  await new Promise((r) => setTimeout(r, 200));
  (hold = null), release();
  const keys = await done;
  assert.equal(keys.length, 1, JSON.stringify(keys));
  assert.equal((await store.head(keys[0])).sha256, expectedSha(12 * MiB, 4));
});

test('useUploadQueue under a Vs3Provider: files added, paused and resumed through the shared queue', async (t) => {
  const { page, errors } = await openApp(t);
  await page.evaluate(() => window.__t.mount('queue'));
  const puts = holdPuts(t);
  const done = page.evaluate(() => window.__t.api.add([window.__t.makeFile('q1.bin', 11 * 1024 * 1024, 1), window.__t.makeFile('q2.bin', 300_000, 2)]));
  await until(() => (counts.PUT ?? 0) > puts);
  await page.evaluate(() => window.__t.api.pauseAll());
  await until(async () => (await renders(page)).at(-1).states.join() === 'paused,paused');
  (hold = null), release();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await renders(page)).at(-1).pending, 2, 'nothing finishes while paused');
  await page.evaluate(() => window.__t.api.resumeAll());
  const keys = await done;
  assert.equal(keys.length, 2);
  assert.equal((await store.head(keys[0])).sha256, expectedSha(11 * MiB, 1));
  const last = (await renders(page)).at(-1);
  assert.deepEqual(last.states, ['done', 'done']);
  assert.equal(last.pending, 0);
  // The paused single PUT reached storage anyway (the server had its body); sent again on resume, it
  // got 412 from the create-only URL, which the client takes as "stored". Chromium logs the 412.
  assert.deepEqual(
    errors.filter((e) => !/status of 412/.test(e)),
    [],
  );
});
