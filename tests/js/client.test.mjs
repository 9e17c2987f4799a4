// The client against a real HTTP server running the handler with the disk store.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createUploader, coreHasher, fetchTransport } from 'vs3/client';
import { fsStore, loadCoreNode } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import { SECRET, randomFile, serve, sha256hex, tempDir } from './helpers.mjs';

const core = await loadCoreNode();

async function setup(t, { transport, fetch: fetchImpl, retry, now } = {}) {
  const dir = await tempDir(t);
  const store = fsStore(dir);
  const completed = [];
  const handler = createHandler({
    secret: SECRET,
    now,
    storage: localStorage({ store, secret: SECRET }),
    routes: {
      files: defineRoute({ maxFileSize: '64MB', onUploadComplete: ({ key }) => (completed.push(key), { seen: key }) }),
      images: defineRoute({ maxFileSize: '1MB', allowedFileTypes: ['image/*'] }),
    },
  });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const delays = [];
  const uploader = createUploader({
    endpoint: `${srv.url}/api/vs3`,
    core,
    hasher: coreHasher(core),
    transport,
    fetch: fetchImpl,
    retry: { seed: 7, baseDelayMs: 5, maxDelayMs: 50, ...retry },
    sleep: async (ms) => void delays.push(ms),
  });
  return { dir, store, srv, uploader, delays, completed };
}

test('uploads a file: resolves after storage confirmed it, bytes and SHA-256 intact', async (t) => {
  const { dir, uploader, completed } = await setup(t);
  const f = randomFile(5 * 1024 * 1024 + 123, 'big one.bin');
  const phases = [];
  let lastHashed = 0;
  const res = await uploader.upload(f.blob, {
    route: 'files',
    onProgress: (p) => {
      if (phases.at(-1) !== p.phase) phases.push(p.phase);
      assert.ok(p.hashed >= lastHashed, 'hash progress never goes back');
      lastHashed = p.hashed;
      assert.equal(p.total, f.bytes.length);
    },
  });
  assert.deepEqual(phases, ['hashing', 'presigning', 'uploading', 'confirming', 'done']);
  assert.equal(res.sha256, f.sha256);
  assert.equal(res.size, f.bytes.length);
  assert.equal(res.name, 'big one.bin');
  assert.match(res.key, /^files\/[0-9a-f-]{36}\/big_one\.bin$/);
  assert.deepEqual(res.result, { seen: res.key });
  assert.deepEqual(completed, [res.key]);
  const onDisk = await readFile(path.join(dir, 'objects', res.key));
  assert.equal(sha256hex(onDisk), f.sha256);
  // The returned URL downloads the same bytes.
  const dl = Buffer.from(await (await fetch(res.url)).arrayBuffer());
  assert.ok(dl.equals(f.bytes));
});

test('server-side refusals surface as Vs3Error with the server code, no retries', async (t) => {
  const { uploader, delays } = await setup(t);
  await assert.rejects(uploader.upload(randomFile(10, 'x.txt', 'text/plain').blob, { route: 'images' }), { code: 'invalid_file_type', status: 415 });
  await assert.rejects(uploader.upload(randomFile(2_000_000, 'x.png', 'image/png').blob, { route: 'images' }), { code: 'file_too_large', status: 413 });
  await assert.rejects(uploader.upload(randomFile(10).blob, { route: 'nope' }), { code: 'unknown_route', status: 404 });
  assert.deepEqual(delays, []);
});

test('retries transient storage failures with the core policy, then succeeds', async (t) => {
  let calls = 0;
  const real = fetchTransport();
  const flaky = {
    async put(req) {
      calls++;
      if (calls === 1) return { status: 0, header: () => null, body: '' }; // connection dropped
      if (calls === 2) return { status: 503, header: (n) => (n === 'retry-after' ? '0' : null), body: '<Error><Code>SlowDown</Code></Error>' };
      return real.put(req);
    },
  };
  const { dir, uploader, delays } = await setup(t, { transport: flaky });
  const f = randomFile(300_000);
  const attempts = [];
  const res = await uploader.upload(f.blob, { route: 'files', onProgress: (p) => p.phase === 'uploading' && attempts.push(p.attempt) });
  assert.equal(calls, 3);
  assert.equal(delays.length, 2);
  assert.ok(delays[0] >= 0 && delays[0] < 5, `first backoff within base: ${delays[0]}`);
  assert.ok(delays[1] >= 0 && delays[1] < 10, `second backoff within 2x base: ${delays[1]}`);
  assert.ok(attempts.includes(3));
  assert.equal(sha256hex(await readFile(path.join(dir, 'objects', res.key))), f.sha256);
});

test('gives up after maxAttempts on persistent failure, and at once on a non-retryable status', async (t) => {
  let calls = 0;
  const down = { put: async () => (calls++, { status: 503, header: () => null, body: '' }) };
  const { uploader, delays } = await setup(t, { transport: down, retry: { maxAttempts: 4 } });
  await assert.rejects(uploader.upload(randomFile(1000).blob, { route: 'files' }), { code: 'upload_failed', status: 503 });
  assert.equal(calls, 4);
  assert.equal(delays.length, 3);

  let denied = 0;
  const forbidden = { put: async () => (denied++, { status: 403, header: () => null, body: '<Error><Code>AccessDenied</Code></Error>' }) };
  const s2 = await setup(t, { transport: forbidden });
  await assert.rejects(s2.uploader.upload(randomFile(1000).blob, { route: 'files' }), (e) => e.code === 'upload_failed' && e.status === 403 && /AccessDenied/.test(e.message));
  assert.equal(denied, 1);
});

test('retries the presign request when the server is briefly unreachable', async (t) => {
  let n = 0;
  const { uploader, delays } = await setup(t, {
    fetch: async (url, init) => (++n === 1 ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init)),
  });
  const res = await uploader.upload(randomFile(1000).blob, { route: 'files' });
  assert.ok(res.key);
  assert.equal(delays.length, 1);
});

test('abort: before start, during hashing and during upload; nothing is stored', async (t) => {
  const { store, uploader } = await setup(t);
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(uploader.upload(randomFile(1000).blob, { route: 'files', signal: pre.signal }), { code: 'aborted' });

  const during = new AbortController();
  await assert.rejects(
    uploader.upload(randomFile(12 * 1024 * 1024).blob, { route: 'files', signal: during.signal, onProgress: (p) => p.hashed > 0 && during.abort() }),
    { code: 'aborted' },
  );

  // A transport that hangs until aborted, like a slow network.
  const s2 = await setup(t, {
    transport: {
      put: (req) => new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { code: 'aborted' })))),
    },
  });
  const up = new AbortController();
  const p = s2.uploader.upload(randomFile(1000).blob, { route: 'files', signal: up.signal, onProgress: (pr) => pr.phase === 'uploading' && setTimeout(() => up.abort(), 10) });
  await assert.rejects(p, { code: 'aborted' });
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(await s2.store.list(), []);
});

test('a storage that stores other bytes than were hashed is caught at completion', async (t) => {
  // The transport swaps the body: the local driver refuses it (checksum signed into the URL).
  const real = fetchTransport();
  const evil = { put: (req) => real.put({ ...req, body: new Blob([new Uint8Array(req.body.size)]) }) };
  const { uploader, store } = await setup(t, { transport: evil });
  await assert.rejects(uploader.upload(randomFile(1000).blob, { route: 'files' }), (e) => e.code === 'upload_failed' && e.status === 400);
  assert.deepEqual(await store.list(), []);
});

test('an upload URL that expired before the PUT is presigned again (at most twice more)', async (t) => {
  // The server's clock jumps 2 h after each presign answer, so the URL just handed out is stale.
  let clock = Date.now();
  let presigns = 0;
  let jumps = 1;
  const fetchImpl = async (url, init) => {
    const res = await fetch(url, init);
    if (String(url).endsWith('/presign')) {
      presigns++;
      if (jumps-- > 0) clock += 2 * 3600_000;
    }
    return res;
  };
  const { store, uploader } = await setup(t, { fetch: fetchImpl, now: () => clock });
  const f = randomFile(200_000, 'late.bin');
  const phases = [];
  const res = await uploader.upload(f.blob, { route: 'files', onProgress: (p) => phases.push(p.phase) });
  assert.equal(presigns, 2);
  assert.equal(res.sha256, f.sha256);
  assert.equal((await store.head(res.key)).sha256, f.sha256);
  assert.deepEqual(phases.filter((p, i) => p !== phases[i - 1]), ['hashing', 'presigning', 'uploading', 'presigning', 'uploading', 'confirming', 'done']);

  // Every fresh URL stale too: three presigns, then the storage's 403 surfaces.
  presigns = 0;
  jumps = Infinity;
  await assert.rejects(uploader.upload(randomFile(1000).blob, { route: 'files' }), (e) => e.code === 'upload_failed' && e.status === 403);
  assert.equal(presigns, 3);
});
