// End to end for the drop-in <script> build (js/dist/script/vs3.js): a real Chromium opens the
// plain-HTML example (examples/plain-html: its server and its page, so the example is what is
// tested) and uploads through the upgraded <input type="file">, through <vs3-upload multiple>, and
// through an input added after load; posts the plain form (the server must receive only keys, each
// naming an object with the picked bytes); submits while an upload is pending (held, then sent);
// and picks a file over the route's maxFileSize (vs3:error, the submit is blocked).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { startExample } from '../examples/plain-html/server.mjs';
import { launchChromium } from './browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'js/dist/script');
const sha256hex = (b) => createHash('sha256').update(b).digest('hex');
// A PNG signature then random bytes: enough for the avatars route's magic-number check.
const png = (size) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(size - 8)]);

let browser;
let example;
let dir;
before(async () => {
  assert.ok(existsSync(path.join(dist, 'vs3.js')), 'js/dist/script/vs3.js is missing: run scripts/build.sh');
  dir = await mkdtemp(path.join(tmpdir(), 'vs3-script-'));
  example = await startExample({ port: 0, dataDir: dir });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await example?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The stored object's bytes, read back through the example's own store. */
async function storedBytes(key) {
  const got = await example.store.get(key);
  assert.ok(got, `no object stored under ${key}`);
  return Buffer.from(await new Response(got.body).arrayBuffer());
}

/** Opens the example page, recording vs3:* events (type, target, detail) and requests. */
async function openPage(t) {
  const page = await browser.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.addInitScript(() => {
    window.__events = [];
    for (const type of ['vs3:progress', 'vs3:complete', 'vs3:error'])
      document.addEventListener(type, (e) => {
        const d = e.detail;
        window.__events.push({
          type,
          target: e.target.id || e.target.localName,
          bubbles: e.bubbles,
          file: d.file?.name,
          key: d.key,
          sha256: d.sha256,
          keys: d.keys,
          code: d.code,
          message: d.message,
          progress: d.progress,
          loaded: d.loaded,
          total: d.total,
        });
      });
  });
  t.after(() => page.close());
  await page.goto(`${example.url}/`);
  await page.waitForFunction(() => window.vs3);
  return { page, errors, requests, events: (type) => page.evaluate((type) => window.__events.filter((e) => e.type === type), type) };
}

test('vs3.js stays within its size budget (gzip -9)', () => {
  const budget = JSON.parse(readFileSync(path.join(root, 'budgets.json'), 'utf8')).script;
  const gz = gzipSync(readFileSync(path.join(dist, 'vs3.js')), { level: 9 }).length;
  console.log(`vs3.js ${(gz / 1024).toFixed(1)} KiB gz (budget ${(budget / 1024).toFixed(1)} KiB)`);
  assert.ok(gz <= budget, `vs3.js is ${gz} bytes gzipped, over ${budget}`);
});

test('the upgraded <input type="file"> uploads through the worker; the key lands in a hidden input', async (t) => {
  const { page, errors, requests, events } = await openPage(t);
  const version = JSON.parse(readFileSync(path.join(root, 'js/package.json'), 'utf8')).version;
  assert.deepEqual(
    await page.evaluate(() => [window.vs3.version, typeof window.vs3.upgrade, typeof window.vs3.createUploadQueue, typeof window.vs3.createUploader]),
    [version, 'function', 'function', 'function'],
  );
  // Upgraded: the name moved off the file input (its bytes must not be posted), state idle.
  const avatar = page.locator('#avatar');
  assert.equal(await avatar.getAttribute('name'), null);
  assert.equal(await avatar.getAttribute('data-vs3-name'), 'avatar');
  assert.equal(await avatar.getAttribute('data-vs3-state'), 'idle');

  const bytes = png(300_000);
  await avatar.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: bytes });
  await page.locator('#avatar[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  const hidden = await page.locator('input[type=hidden][name=avatar]').evaluateAll((els) => els.map((e) => e.value));
  assert.equal(hidden.length, 1);
  const [complete] = await events('vs3:complete');
  assert.deepEqual(
    { target: complete.target, bubbles: complete.bubbles, file: complete.file, key: complete.key, sha256: complete.sha256, keys: complete.keys },
    { target: 'avatar', bubbles: true, file: 'me.png', key: hidden[0], sha256: sha256hex(bytes), keys: hidden },
  );
  const progress = await events('vs3:progress');
  assert.ok(progress.length >= 1, 'no vs3:progress event');
  assert.deepEqual([progress.at(-1).loaded, progress.at(-1).total, progress.at(-1).progress], [bytes.length, bytes.length, 1]);
  assert.equal(sha256hex(await storedBytes(hidden[0])), sha256hex(bytes));
  assert.equal(await page.locator('#avatar-status').textContent(), `Stored as ${hidden[0]}`);
  // Hashing ran in the worker next to vs3.js, with the wasm next to it.
  assert.ok(
    page.workers().some((w) => w.url().endsWith('/vs3/vs3-worker.js')),
    `workers: ${page
      .workers()
      .map((w) => w.url())
      .join(', ')}`,
  );
  assert.ok(requests.includes('/vs3/vs3core.wasm'), 'vs3core.wasm was not fetched from next to vs3.js');
  assert.deepEqual(errors, []);
});

test('<vs3-upload multiple> renders a real file input and leaves one hidden input per stored key', async (t) => {
  const { page, errors, events } = await openPage(t);
  const el = page.locator('vs3-upload');
  const input = el.locator('input[type=file]');
  assert.equal(await input.count(), 1);
  assert.equal(await input.getAttribute('multiple'), '');
  // Labelled by the <label> around the element.
  assert.match(await input.evaluate((i) => i.labels[0]?.textContent ?? ''), /Documents/);
  const files = [randomBytes(200_000), randomBytes(1)];
  await input.setInputFiles(files.map((buffer, n) => ({ name: `doc-${n}.bin`, mimeType: 'application/octet-stream', buffer })));
  await page.locator('vs3-upload[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  assert.equal(await input.getAttribute('data-vs3-state'), 'done');
  const keys = await el.locator('input[type=hidden][name=documents]').evaluateAll((els) => els.map((e) => e.value));
  assert.equal(keys.length, 2);
  const complete = await events('vs3:complete');
  assert.deepEqual(complete.map((e) => e.target).sort(), ['vs3-upload', 'vs3-upload']);
  for (const [n, buffer] of files.entries()) {
    const ev = complete.find((e) => e.file === `doc-${n}.bin`);
    assert.ok(ev && keys.includes(ev.key), `no vs3:complete for doc-${n}.bin`);
    assert.equal(sha256hex(await storedBytes(ev.key)), sha256hex(buffer));
  }
  assert.deepEqual(await page.evaluate(() => document.querySelector('vs3-upload').keys.length), 2);
  assert.match(await el.locator('[role=status]').textContent(), /^Uploaded doc-\d\.bin$/);
  // A form reset empties the file input: its keys go too.
  await page.evaluate(() => document.querySelector('form').reset());
  await page.locator('vs3-upload[data-vs3-state="idle"]').waitFor({ timeout: 5_000 });
  assert.equal(await el.locator('input[type=hidden]').count(), 0);
  assert.deepEqual(errors, []);
});

test('the plain form post carries only the stored keys, each naming an object with the picked bytes', async (t) => {
  const { page, errors } = await openPage(t);
  const avatar = png(5_000);
  // The PDF starts as one (the client refuses a declared PDF whose bytes are not one before sending).
  const docs = [Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(70_000)]), randomBytes(3_000)];
  await page.fill('#displayName', 'Ada');
  await page.setInputFiles('#avatar', { name: 'ada.png', mimeType: 'image/png', buffer: avatar });
  await page.setInputFiles('vs3-upload input[type=file]', [
    { name: 'cv.pdf', mimeType: 'application/pdf', buffer: docs[0] },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: docs[1] },
  ]);
  await page.locator('#avatar[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  await page.locator('vs3-upload[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  const before = example.posts.length;
  await Promise.all([page.waitForURL('**/profile'), page.click('button[type=submit]')]);
  assert.equal(example.posts.length, before + 1);
  const post = example.posts.at(-1);
  // Exactly these fields: no file field (a named file input would post its file name or bytes).
  assert.deepEqual(Object.keys(post.fields).sort(), ['avatar', 'displayName', 'documents']);
  assert.deepEqual(post.fields.displayName, ['Ada']);
  assert.equal(post.fields.avatar.length, 1);
  assert.equal(post.fields.documents.length, 2);
  const want = new Set([avatar, ...docs].map(sha256hex));
  const got = new Set();
  for (const f of post.files) {
    const b = await storedBytes(f.key);
    assert.equal(f.sha256, sha256hex(b));
    got.add(sha256hex(b));
  }
  assert.deepEqual(got, want);
  assert.equal(await page.locator('#saved li').count(), 3);
  assert.deepEqual(errors, []);
});

test('a submit while an upload is pending is held, then sent with the key once it is stored', async (t) => {
  const { page, errors } = await openPage(t);
  // Completion answers wait 1.5 s, so the submit surely happens mid-upload.
  await page.route('**/api/vs3/**complete', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  const big = randomBytes(10 * 1024 * 1024); // multipart (parts of 8 MiB)
  await page.fill('#displayName', 'Grace');
  await page.setInputFiles('vs3-upload input[type=file]', { name: 'big.bin', mimeType: 'application/octet-stream', buffer: big });
  await page.locator('vs3-upload[data-vs3-state="uploading"]').waitFor();
  const before = example.posts.length;
  const navigated = page.waitForURL('**/profile', { timeout: 60_000 });
  await page.click('button[type=submit]');
  assert.equal(await page.locator('form').getAttribute('aria-busy'), 'true');
  assert.equal(await page.locator('form').getAttribute('data-vs3-state'), 'uploading');
  assert.equal(example.posts.length, before, 'the form was posted before its upload finished');
  await navigated;
  assert.equal(example.posts.length, before + 1);
  const post = example.posts.at(-1);
  assert.deepEqual(post.fields.displayName, ['Grace']);
  assert.equal(post.fields.documents.length, 1);
  assert.equal(sha256hex(await storedBytes(post.fields.documents[0])), sha256hex(big));
  assert.deepEqual(errors, []);
});

test('a file over the route maxFileSize fires vs3:error, marks the input, and the form is not posted', async (t) => {
  const { page, errors, events } = await openPage(t);
  await page.fill('#displayName', 'Linus');
  await page.setInputFiles('#avatar', { name: 'huge.png', mimeType: 'image/png', buffer: png(2 * 1024 * 1024) });
  await page.locator('#avatar[data-vs3-state="error"]').waitFor({ timeout: 30_000 });
  const [err] = await events('vs3:error');
  assert.equal(err.code, 'file_too_large');
  assert.equal(err.target, 'avatar');
  assert.equal(err.bubbles, true);
  assert.equal(await page.locator('#avatar-status').textContent(), err.message);
  assert.equal(await page.locator('input[type=hidden][name=avatar]').count(), 0);
  assert.match(await page.locator('#avatar').evaluate((i) => i.validationMessage), /huge\.png/);
  const before = example.posts.length;
  await page.click('button[type=submit]');
  await page.waitForTimeout(500);
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(example.posts.length, before);
  // Not even a novalidate form (which ignores the input's validity) is posted with a failed upload.
  await page.evaluate(() => {
    document.querySelector('form').noValidate = true;
  });
  await page.click('button[type=submit]');
  await page.waitForTimeout(500);
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(example.posts.length, before);
  // A good file next: the error clears and the form goes through.
  const ok = png(2_000);
  await page.setInputFiles('#avatar', { name: 'ok.png', mimeType: 'image/png', buffer: ok });
  await page.locator('#avatar[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#avatar').evaluate((i) => i.validationMessage), '');
  await Promise.all([page.waitForURL('**/profile'), page.click('button[type=submit]')]);
  assert.equal(sha256hex(await storedBytes(example.posts.at(-1).fields.avatar[0])), sha256hex(ok));
  assert.deepEqual(errors, []);
});

test('an input added after load is upgraded (MutationObserver) and uploads', async (t) => {
  const { page, errors, events } = await openPage(t);
  await page.evaluate(() => {
    const i = document.createElement('input');
    i.type = 'file';
    i.id = 'late';
    i.name = 'late';
    i.dataset.vs3Route = 'documents';
    const plain = document.createElement('input');
    plain.type = 'file';
    plain.id = 'plain';
    plain.name = 'plain';
    document.querySelector('form').append(i, plain);
  });
  await page.locator('#late[data-vs3-state="idle"]').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#late').getAttribute('name'), null);
  // A file input that does not ask for vs3 (no data-vs3-route) is left alone.
  assert.deepEqual(await page.locator('#plain').evaluate((i) => [i.name, i.dataset.vs3State]), ['plain', undefined]);
  const bytes = randomBytes(12_345);
  await page.setInputFiles('#late', { name: 'late.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await page.locator('#late[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  const key = await page.locator('input[type=hidden][name=late]').inputValue();
  assert.equal(sha256hex(await storedBytes(key)), sha256hex(bytes));
  // Metadata that is not JSON fails the file (vs3:error) instead of leaving it uploading.
  await page.evaluate(() => {
    document.querySelector('#late').dataset.vs3Metadata = '{not json';
  });
  await page.setInputFiles('#late', { name: 'late2.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await page.locator('#late[data-vs3-state="error"]').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('input[type=hidden][name=late]').count(), 0);
  assert.equal((await events('vs3:error')).at(-1).file, 'late2.bin');
  assert.deepEqual(errors, []);
});

test('vs3.js from another origin (as from a CDN) finds its worker and wasm there and uploads', async (t) => {
  // The page is on 127.0.0.1, the script on localhost: another origin, so the worker starts from a
  // blob that imports the script's worker module (CORS), and the wasm is fetched from there too.
  const page = await browser.newPage();
  t.after(() => page.close());
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  const cdn = example.url.replace('127.0.0.1', 'localhost');
  // A page of the example's origin (its 404 answer: nothing of vs3 loaded), rewritten in place; a
  // page made up by route.fulfill would count as public and may not reach a loopback "CDN".
  await page.goto(`${example.url}/no-such-page`);
  await page.setContent(`<!doctype html><script src="${cdn}/vs3/vs3.js"></script><input type="file" id="f" name="f" data-vs3-route="documents">`);
  await page.locator('#f[data-vs3-state="idle"]').waitFor({ timeout: 5_000 });
  const bytes = randomBytes(50_000);
  await page.setInputFiles('#f', { name: 'cdn.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await page.locator('#f[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  const key = await page.locator('input[type=hidden][name=f]').inputValue();
  assert.equal(sha256hex(await storedBytes(key)), sha256hex(bytes));
  assert.ok(requests.includes(`${cdn}/vs3/vs3core.wasm`), `requests: ${requests.join(', ')}`);
  assert.ok(requests.includes(`${cdn}/vs3/vs3-worker.js`), `requests: ${requests.join(', ')}`);
  assert.deepEqual(errors, []);
});

test('data-vs3-base on the script tag says where the worker and wasm are', async (t) => {
  const page = await browser.newPage();
  t.after(() => page.close());
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const elsewhere = example.url.replace('127.0.0.1', 'localhost');
  await page.goto(`${example.url}/no-such-page`);
  await page.setContent(
    `<!doctype html><script src="/vs3/vs3.js" data-vs3-base="${elsewhere}/vs3/"></script><input type="file" id="f" name="f" data-vs3-route="documents">`,
  );
  await page.locator('#f[data-vs3-state="idle"]').waitFor({ timeout: 5_000 });
  await page.setInputFiles('#f', { name: 'base.bin', mimeType: 'application/octet-stream', buffer: randomBytes(1000) });
  await page.locator('#f[data-vs3-state="done"]').waitFor({ timeout: 30_000 });
  assert.ok(requests.includes(`${elsewhere}/vs3/vs3core.wasm`), `requests: ${requests.join(', ')}`);
  assert.ok(!requests.includes(`${example.url}/vs3/vs3core.wasm`), 'the wasm was fetched next to vs3.js, not from data-vs3-base');
});
