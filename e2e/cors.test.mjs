// End to end, cross-origin: a page on one origin uploads through a vs3 handler on another (local
// driver, so the part PUTs are cross-origin too). Allowed by `cors`: single PUT and multipart work
// in real Chromium (preflights to the JSON endpoints and to the PUT URLs with signed checksum
// headers). Another origin: refused by the browser, nothing stored.
import assert from 'node:assert/strict';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createHandler, defineRoute, localStorage, memoryStore } from 'vs3/server';
import { launchChromium } from './browser.mjs';
import { SECRET, serve } from '../tests/js/helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

/** The app's origin: a blank page and the vs3 browser files (and idb), nothing else. */
async function appServer() {
  const idb = path.dirname(fileURLToPath(import.meta.resolve('idb')));
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (p === '/') {
      return res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script type="importmap">{"imports":{"idb":"/idb/index.js"}}</script><p>app</p>');
    }
    const [dir, rel] = p.startsWith('/vs3/') ? [path.join(root, 'js/dist'), p.slice(5)] : p.startsWith('/idb/') ? [idb, p.slice(5)] : [null, null];
    const file = dir && path.resolve(dir, path.posix.normalize(rel));
    if (!file?.startsWith(dir) || !statSync(file, { throwIfNoEntry: false })?.isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

let browser, app, other, storage;
before(async () => {
  browser = await launchChromium();
  app = await appServer();
  other = await appServer(); // another origin (another port) with the same files
});
after(async () => {
  await browser?.close();
  await app?.close();
  await other?.close();
});

async function handlerFor(t, origins) {
  storage = localStorage({ store: memoryStore(), secret: SECRET });
  const srv = await serve(createHandler({ secret: SECRET, storage, cors: { origins }, routes: { files: defineRoute({ maxFileSize: '100MB' }) } }));
  t.after(() => srv.close());
  return srv.url;
}

/** Uploads `sizes` (bytes) from a page on `origin` to the handler at `api`; returns results or error codes. */
async function uploadFrom(t, origin, api, sizes) {
  const page = await browser.newPage();
  t.after(() => page.close());
  await page.goto(origin + '/');
  return page.evaluate(
    async ({ api, sizes }) => {
      const { createUploadQueue } = await import('/vs3/client/index.js');
      const q = createUploadQueue({ endpoint: api, persist: false, retry: { timeBudgetMs: 3000, baseDelayMs: 50, maxDelayMs: 200 } });
      return Promise.all(
        sizes.map((n, i) => {
          const bytes = new Uint8Array(n).map((_, k) => (k * 31 + i) & 255);
          return q.add(new File([bytes], `f${i}.bin`, { type: 'application/octet-stream' }), { route: 'files' }).promise.then(
            (r) => ({ key: r.key, sha256: r.sha256 }),
            (e) => ({ error: e.code }),
          );
        }),
      );
    },
    { api, sizes },
  );
}

test('an allowed origin uploads single-PUT and multipart files across origins', async (t) => {
  const api = (await handlerFor(t, [app.url])) + '/api/vs3';
  const res = await uploadFrom(t, app.url, api, [300_000, 12 * 1024 * 1024]);
  for (const r of res) assert.ok(r.key, JSON.stringify(r));
  const stored = await storage.head(res[1].key);
  assert.equal(stored.size, 12 * 1024 * 1024);
});

test('another origin is refused by the browser and stores nothing', async (t) => {
  const api = (await handlerFor(t, [app.url])) + '/api/vs3';
  const res = await uploadFrom(t, other.url, api, [300_000]);
  assert.ok(res[0].error, JSON.stringify(res));
  assert.deepEqual(await storage.list(), []);
});
