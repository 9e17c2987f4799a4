// Issue 9, resource holding: a client that opens a large local-driver PUT and then sends nothing
// holds no temp file and no socket past the driver's idle limit; past the concurrency cap uploads are
// refused at once (503 too_busy, Retry-After) without reading a byte; links use publicUrl, not Host.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fsStore } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import { SECRET, post, serve, tempDir } from './helpers.mjs';

const GiB = 1024 ** 3;

/** Opens a PUT of `size` declared bytes, sends one byte, and resolves with the status (or 'closed'). */
function trickle(url, headers, size) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(size) } }, (res) => {
      res.resume();
      resolve({ status: res.status ?? res.statusCode, retryAfter: res.headers['retry-after'], req });
    });
    req.on('error', () => resolve({ status: 'closed', req }));
    req.write(Buffer.from([0x61]));
  });
}

test('local driver: 200 one-byte trickles of signed 1 GiB PUTs - 64 dropped after the idle limit, the rest refused at once; no temp files, no sockets left', {
  timeout: 30_000,
}, async (t) => {
  const dir = await tempDir(t);
  const storage = localStorage({ store: fsStore(dir), secret: SECRET, idleTimeout: 800, maxConcurrentUploads: 64 });
  const handler = createHandler({ secret: SECRET, storage, routes: { big: defineRoute({ maxFileSize: '2GiB', requireChecksum: false }) } });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const tokens = [];
  // Signed in-process (no client connections of our own to count), sent over the socket.
  for (let i = 0; i < 200; i++) {
    const p = await (await post(handler, '/api/vs3/presign', { route: 'big', file: { name: `f${i}.bin`, size: GiB } })).json();
    tokens.push({ ...p, upload: { ...p.upload, url: p.upload.url.replace('http://vs3.test', srv.url) } });
  }
  const started = Date.now();
  const results = [];
  // Opened one after the other so the first 64 hold the slots when the rest arrive.
  for (const p of tokens) {
    results.push(trickle(p.upload.url, p.upload.headers, GiB));
    await new Promise((r) => setTimeout(r, 2));
  }
  const done = await Promise.all(results);
  const elapsed = Date.now() - started;
  const by = {};
  for (const r of done) by[r.status] = (by[r.status] ?? 0) + 1;
  assert.equal(by[408], 64, JSON.stringify(by));
  assert.equal(by[503], 136, JSON.stringify(by));
  assert.ok(done.filter((r) => r.status === 503).every((r) => r.retryAfter === '1'));
  assert.ok(elapsed < 10_000, `all answered within the idle limit plus slack (${elapsed} ms)`);
  // The clients keep their sockets open: the server must close them itself.
  await new Promise((r) => setTimeout(r, 300));
  const tmp = await readdir(path.join(dir, 'tmp')).catch(() => []);
  assert.deepEqual(tmp, [], 'no temp files kept');
  assert.deepEqual(await readdir(path.join(dir, 'objects')).catch(() => []), [], 'nothing stored');
  const open = await new Promise((r) => srv.server.getConnections((_, n) => r(n)));
  assert.equal(open, 0, 'no sockets held');
  // And the slots are free again: a real upload goes through.
  const p = await (await post(handler, '/api/vs3/presign', { route: 'big', file: { name: 'ok.bin', size: 3 } })).json();
  const ok = await handler(new Request(p.upload.url, { method: 'PUT', headers: { ...p.upload.headers, 'content-length': '3' }, body: 'abc' }));
  assert.equal(ok.status, 200);
});

test('publicUrl decides the origin of local-driver links, whatever the Host header says', async (t) => {
  const storage = localStorage({ store: fsStore(await tempDir(t)), secret: SECRET });
  const routes = { f: defineRoute({ maxFileSize: 100, requireChecksum: false }) };
  const body = { route: 'f', file: { name: 'a.txt', size: 3 } };
  const pinned = createHandler({ secret: SECRET, storage, routes, publicUrl: 'https://uploads.example.com/ignored/path' });
  const forged = await (
    await pinned(
      new Request('http://evil.example/api/vs3/presign', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    )
  ).json();
  assert.ok(forged.upload.url.startsWith('https://uploads.example.com/api/vs3/local/'), forged.upload.url);
  const loose = createHandler({ secret: SECRET, storage, routes });
  const fromHost = await (
    await loose(
      new Request('http://evil.example/api/vs3/presign', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    )
  ).json();
  assert.ok(fromHost.upload.url.startsWith('http://evil.example/'), 'without publicUrl: the request URL (documented)');
  assert.throws(() => createHandler({ secret: SECRET, storage, routes, publicUrl: 'javascript:alert(1)' }), /publicUrl/);
});
