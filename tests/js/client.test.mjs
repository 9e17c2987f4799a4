// The client (C++ engine in WASM + queue host) against a real HTTP server running the handler with
// the local driver on disk: single PUTs, multipart, queue limits, faults, pause/resume/cancel, dedupe.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createUploader, fetchTransport } from 'vs3/client';
import { fsStore, loadCoreNode } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import { SECRET, randomFile, serve, sha256hex, tempDir } from './helpers.mjs';

const core = await loadCoreNode();
const MiB = 1024 * 1024;

async function setup(t, { transport, fetch: fetchImpl, retry, now, queue = {} } = {}) {
  const dir = await tempDir(t);
  const store = fsStore(dir);
  const completed = [];
  const storage = localStorage({ store, secret: SECRET });
  const handler = createHandler({
    secret: SECRET,
    now,
    storage,
    routes: {
      files: defineRoute({ maxFileSize: '8GiB', onUploadComplete: ({ key }) => (completed.push(key), { seen: key }) }),
      images: defineRoute({ maxFileSize: '1MB', allowedFileTypes: ['image/*'] }),
      dedupe: defineRoute({ maxFileSize: '1GiB', dedupe: true }),
    },
  });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const calls = [];
  const counting = async (url, init) => {
    calls.push(new URL(url).pathname.replace('/api/vs3', ''));
    return (fetchImpl ?? fetch)(url, init);
  };
  const uploader = createUploader({
    endpoint: `${srv.url}/api/vs3`,
    core,
    transport,
    fetch: counting,
    retry: { seed: 7, baseDelayMs: 5, maxDelayMs: 50, ...retry },
    ...queue,
  });
  t.after(() => uploader.dispose());
  return { dir, store, storage, srv, uploader, calls, completed };
}

const onDisk = async (dir, key) => sha256hex(await readFile(path.join(dir, 'objects', key)));

/** A transport that counts PUTs and can misbehave, by attempt number. */
function scripted(script = () => null) {
  const real = fetchTransport();
  const t = {
    puts: 0,
    inFlight: 0,
    maxInFlight: 0,
    async put(req) {
      const n = ++t.puts;
      t.inFlight++;
      t.maxInFlight = Math.max(t.maxInFlight, t.inFlight);
      try {
        const override = await script(n, req);
        return override ?? (await real.put(req));
      } finally {
        t.inFlight--;
      }
    },
  };
  return t;
}

test('a small file is one PUT: resolves after the server confirmed it, bytes and SHA-256 intact', async (t) => {
  const transport = scripted();
  const { dir, uploader, completed, calls } = await setup(t, { transport });
  const f = randomFile(300_123, 'small one.bin');
  const phases = [];
  const res = await uploader.upload(f.blob, { route: 'files', onProgress: (p) => phases.at(-1) !== p.phase && phases.push(p.phase) });
  assert.equal(res.sha256, f.sha256);
  assert.equal(res.size, f.bytes.length);
  assert.equal(res.name, 'small one.bin');
  assert.match(res.key, /^files\/[0-9a-f-]{36}\/small_one\.bin$/);
  assert.deepEqual(res.result, { seen: res.key });
  assert.deepEqual(completed, [res.key]);
  assert.equal(transport.puts, 1);
  assert.deepEqual(calls, ['/presign', '/complete']);
  assert.equal(phases.at(-1), 'done');
  assert.equal(await onDisk(dir, res.key), f.sha256);
  const dl = Buffer.from(await (await fetch(res.url)).arrayBuffer());
  assert.ok(dl.equals(f.bytes));
});

test('multipart: three files at once share the limits; every byte lands; memory stays bounded', async (t) => {
  const transport = scripted();
  const partSize = 5 * MiB;
  const { dir, uploader, calls } = await setup(t, { transport, queue: { partSize, maxInFlight: 3, hashAhead: 2 } });
  const files = [randomFile(23 * MiB + 7, 'a.bin'), randomFile(11 * MiB, 'b.bin'), randomFile(5 * MiB + 1, 'c.bin')];
  let maxHeld = 0;
  const off = uploader.queue.subscribe(() => (maxHeld = Math.max(maxHeld, uploader.queue.counters().bytesHeld)));
  const results = await Promise.all(files.map((f) => uploader.upload(f.blob, { route: 'files' })));
  off();
  for (const [i, r] of results.entries()) {
    assert.equal(r.sha256, files[i].sha256);
    assert.equal(await onDisk(dir, r.key), files[i].sha256, `${r.name} stored intact`);
  }
  const parts = [5, 3, 2];
  assert.equal(
    transport.puts,
    parts.reduce((a, b) => a + b),
  );
  assert.ok(transport.maxInFlight <= 3, `PUTs in flight ${transport.maxInFlight} <= 3`);
  assert.ok(maxHeld <= partSize * (3 + 2), `bytes held ${maxHeld} <= part size x (in flight + ahead)`);
  assert.equal(calls.filter((c) => c === '/multipart/create').length, 3);
  assert.equal(calls.filter((c) => c === '/multipart/complete').length, 3);
  assert.ok(calls.filter((c) => c === '/multipart/sign').length <= 10 / 1 + 3);
});

test('the queue API: snapshots are immutable and shared, progress/speed/eta, events, per-file pause and resume', async (t) => {
  const gate = null;
  const transport = scripted(async () => {
    if (gate) await gate.promise;
    return null;
  });
  const { dir, uploader } = await setup(t, { transport, queue: { partSize: 5 * MiB, maxInFlight: 2 } });
  const q = uploader.queue;
  const f = randomFile(30 * MiB, 'paused.bin');
  const states = [];
  q.on('state', (s) => states.push(s.state));
  const h = q.add(f.blob, { route: 'files' });
  // Let two parts go, then pause: nothing more may be sent until resume.
  await new Promise((r) => {
    const off = q.subscribe(() => {
      const s = q.getSnapshot().files[0];
      if (s && s.partsStored >= 2) off(), r();
    });
  });
  h.pause();
  await new Promise((r) => setTimeout(r, 20));
  const snap = q.getSnapshot();
  assert.equal(snap, q.getSnapshot(), 'same snapshot object while nothing changes');
  assert.ok(Object.isFrozen(snap) && Object.isFrozen(snap.files[0]));
  assert.equal(snap.files[0].state, 'paused');
  const putsAtPause = transport.puts;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(transport.puts, putsAtPause, 'no PUT while paused');
  assert.equal(q.counters().partsHeld, 0, 'a paused file holds no bytes');
  h.resume();
  const res = await h.promise;
  assert.equal(await onDisk(dir, res.key), f.sha256);
  const last = q.getSnapshot().files[0];
  assert.equal(last.state, 'done');
  assert.equal(last.progress, 1);
  assert.ok(states.includes('paused') && states.at(-1) === 'done', states.join(','));
  assert.ok(typeof last.speed === 'number' && last.eta === 0);
});

test('server-side refusals surface as Vs3Error with the server code, no retries', async (t) => {
  const { uploader, calls } = await setup(t);
  await assert.rejects(uploader.upload(randomFile(10, 'x.txt', 'text/plain').blob, { route: 'images' }), { code: 'invalid_file_type', status: 415 });
  // (PNG-signed bytes: the client sniffs a declared image/png before asking the server anything.)
  const png = (size, name) =>
    new File([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomFile(size - 8).bytes], name, { type: 'image/png' });
  await assert.rejects(uploader.upload(png(2_000_000, 'x.png'), { route: 'images' }), { code: 'file_too_large', status: 413 });
  await assert.rejects(uploader.upload(randomFile(10).blob, { route: 'nope' }), { code: 'unknown_route', status: 404 });
  await assert.rejects(uploader.upload(png(12 * MiB, 'big.png'), { route: 'images' }), { code: 'file_too_large' });
  assert.deepEqual(calls, ['/presign', '/presign', '/presign', '/multipart/create']);
});

test('transient storage failures are retried per part with the core policy, then succeed', async (t) => {
  const transport = scripted((n) => {
    if (n === 1) return { status: 0, header: () => null, body: '' }; // connection dropped
    if (n === 2) return { status: 503, header: (h) => (h === 'retry-after' ? '0' : null), body: '<Error><Code>SlowDown</Code></Error>' };
    if (n === 4) return { status: 500, header: () => null, body: '<Error><Code>InternalError</Code></Error>' };
    return null;
  });
  const { dir, uploader } = await setup(t, { transport, queue: { partSize: 5 * MiB, maxInFlight: 1 } });
  const f = randomFile(12 * MiB);
  const res = await uploader.upload(f.blob, { route: 'files' });
  assert.equal(transport.puts, 3 + 3); // 3 parts, 3 failed attempts
  assert.equal(await onDisk(dir, res.key), f.sha256);
});

test('gives up within the time budget on persistent failure, and at once on a non-retryable status', async (t) => {
  const down = scripted(() => ({ status: 503, header: () => null, body: '' }));
  const { uploader } = await setup(t, { transport: down, retry: { timeBudgetMs: 300 } });
  const t0 = Date.now();
  await assert.rejects(uploader.upload(randomFile(1000).blob, { route: 'files' }), (e) => e.code === 'retry_exhausted' && e.status === 503);
  assert.ok(Date.now() - t0 < 2000);
  assert.ok(down.puts >= 2);

  const forbidden = scripted(() => ({ status: 403, header: () => null, body: '<Error><Code>AccessDenied</Code></Error>' }));
  const s2 = await setup(t, { transport: forbidden });
  await assert.rejects(
    s2.uploader.upload(randomFile(1000).blob, { route: 'files' }),
    (e) => e.code === 'upload_failed' && e.status === 403 && /AccessDenied/.test(e.message),
  );
  assert.equal(forbidden.puts, 1);
});

test('a request that stalls is aborted after the stall timeout and retried', async (t) => {
  const transport = scripted((n, req) =>
    n === 2 ? new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(new Error('aborted')))) : null,
  );
  const { dir, uploader } = await setup(t, { transport, queue: { partSize: 5 * MiB, maxInFlight: 1, stallTimeoutMs: 300 } });
  const f = randomFile(11 * MiB);
  const res = await uploader.upload(f.blob, { route: 'files' });
  assert.equal(transport.puts, 4);
  assert.equal(await onDisk(dir, res.key), f.sha256);
});

test('the handler briefly unreachable, and a 2xx whose body is cut off: both retried', async (t) => {
  let n = 0;
  let cut = 0;
  const fetchImpl = async (url, init) => {
    if (++n === 1) throw new TypeError('fetch failed');
    const res = await fetch(url, init);
    if (String(url).endsWith('/multipart/complete') && cut++ === 0) {
      // The server completed the upload, but its answer arrives truncated.
      const text = await res.text();
      return new Response(text.slice(0, 10), { status: 200, headers: res.headers });
    }
    return res;
  };
  const { dir, uploader, completed } = await setup(t, { fetch: fetchImpl, queue: { partSize: 5 * MiB } });
  const f = randomFile(6 * MiB);
  const res = await uploader.upload(f.blob, { route: 'files' });
  assert.equal(await onDisk(dir, res.key), f.sha256);
  assert.equal(cut, 2);
  assert.deepEqual([...new Set(completed)], [res.key]);
});

test('cancel: before start, while reading, mid-transfer (the multipart upload is aborted on storage)', async (t) => {
  const { store, storage, uploader } = await setup(t, { queue: { partSize: 5 * MiB, maxInFlight: 1 } });
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(uploader.upload(randomFile(1000).blob, { route: 'files', signal: pre.signal }), { code: 'aborted' });

  const mid = new AbortController();
  const p = uploader.upload(randomFile(40 * MiB).blob, {
    route: 'files',
    signal: mid.signal,
    onProgress: (pr) => pr.uploaded > 6 * MiB && mid.abort(),
  });
  await assert.rejects(p, { code: 'aborted' });
  assert.deepEqual(await storage.listMultipartUploads(), []);
  assert.deepEqual(await store.list(), []);
});

test('a handle controlled before the queue accepted its file acts on that file only', { timeout: 20_000 }, async (t) => {
  // add() returns at once; the core loads and the file is accepted later. Before the fix, cancel()
  // in between reached the engine with id 0 ("every file"): it cancelled the others and not this one.
  const { uploader, store } = await setup(t);
  const q = uploader.queue;
  const keep = q.add(randomFile(50_000, 'keep.bin').blob, { route: 'files' });
  const drop = q.add(randomFile(50_000, 'drop.bin').blob, { route: 'files' });
  const later = q.add(randomFile(50_000, 'later.bin').blob, { route: 'files' });
  drop.cancel();
  later.pause();
  await assert.rejects(drop.promise, { code: 'aborted' });
  const kept = await keep.promise;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(later.snapshot()?.state, 'paused');
  later.resume();
  const resumed = await later.promise;
  assert.deepEqual((await store.list()).map((o) => o.key).sort(), [kept.key, resumed.key].sort());
});

test('bytes swapped on the way are refused by the part URL (CRC32C signed in); nothing is stored', async (t) => {
  const real = fetchTransport();
  const evil = { put: (req) => real.put({ ...req, body: new Uint8Array(req.body.byteLength) }) };
  const { uploader, store, storage } = await setup(t, { transport: evil, queue: { partSize: 5 * MiB } });
  await assert.rejects(uploader.upload(randomFile(1000).blob, { route: 'files' }), (e) => e.code === 'upload_failed' && e.status === 400);
  await assert.rejects(uploader.upload(randomFile(6 * MiB).blob, { route: 'files' }), (e) => e.code === 'upload_failed' && e.status === 400);
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(await storage.listMultipartUploads(), []);
});

test('an upload URL that expired before the PUT is presigned again', async (t) => {
  // The server's clock jumps 2 h after the first presign answer, so that URL is stale on arrival.
  let clock = Date.now();
  let presigns = 0;
  const fetchImpl = async (url, init) => {
    const res = await fetch(url, init);
    if (String(url).endsWith('/presign') && presigns++ === 0) clock += 2 * 3600_000;
    return res;
  };
  const { store, uploader } = await setup(t, { fetch: fetchImpl, now: () => clock });
  const f = randomFile(200_000, 'late.bin');
  const res = await uploader.upload(f.blob, { route: 'files' });
  assert.equal(presigns, 2);
  assert.equal((await store.head(res.key)).sha256, f.sha256);
});

test('dedupe: stored content is not sent again; identical files in one queue upload once', async (t) => {
  const transport = scripted();
  const { uploader, calls } = await setup(t, { transport, queue: { partSize: 5 * MiB } });
  const small = randomFile(100_000, 'one.bin');
  const first = await uploader.upload(small.blob, { route: 'dedupe' });
  const puts = transport.puts;
  const again = await uploader.upload(new File([small.bytes], 'two.bin'), { route: 'dedupe' });
  assert.equal(transport.puts, puts, 'no PUT for stored content');
  assert.equal(again.deduplicated, true);
  assert.equal(again.key, first.key);

  // Two identical multipart files dropped together: one is stored, the other resolves to it.
  calls.length = 0;
  const big = randomFile(26 * MiB, 'twin.bin');
  const before = transport.puts;
  const [a, b] = await Promise.all([uploader.upload(big.blob, { route: 'dedupe' }), uploader.upload(new File([big.bytes], 'twin2.bin'), { route: 'dedupe' })]);
  assert.equal(a.key, b.key);
  assert.equal([a, b].filter((r) => r.deduplicated).length, 1);
  assert.ok(transport.puts - before < 12, `fewer PUTs than two full uploads: ${transport.puts - before}`);
  assert.equal(calls.filter((c) => c === '/multipart/complete').length, 1);

  // A multipart file stored before: the probe (size + first part's CRC32C) finds a candidate before any
  // part is sent, the engine hashes the rest without sending, and the SHA-256 confirms: no PUT at all.
  const puts2 = transport.puts;
  const third = await uploader.upload(new File([big.bytes], 'three.bin'), { route: 'dedupe' });
  assert.equal(transport.puts, puts2, 'no part sent for stored content');
  assert.equal(third.deduplicated, true);
  assert.equal(third.key, a.key);

  // Same size and first part, different bytes after it: a false candidate, sent in full after all.
  const lookalike = Buffer.from(big.bytes);
  lookalike[lookalike.length - 1] ^= 1;
  const fourth = await uploader.upload(new File([lookalike], 'four.bin'), { route: 'dedupe' });
  assert.equal(fourth.deduplicated, undefined);
  assert.notEqual(fourth.key, a.key);
  assert.equal(transport.puts, puts2 + 6);
});

test('Node: a file on disk through createNodeUploader (fileSource, node:http transport with progress)', async (t) => {
  const { createNodeUploader, fileSource } = await import('vs3/node');
  const { writeFile } = await import('node:fs/promises');
  const { dir, srv } = await setup(t);
  const f = randomFile(13 * MiB + 5);
  const file = path.join(dir, 'on disk.bin');
  await writeFile(file, f.bytes);
  const up = createNodeUploader({ endpoint: `${srv.url}/api/vs3`, partSize: 5 * MiB });
  t.after(() => up.dispose());
  const src = await fileSource(file);
  t.after(() => src.close());
  let inFlightSeen = 0;
  const res = await up.upload(src, { route: 'files', onProgress: (p) => (inFlightSeen = Math.max(inFlightSeen, p.uploaded)) });
  assert.equal(res.name, 'on disk.bin');
  assert.equal(res.sha256, f.sha256);
  assert.equal(await onDisk(dir, res.key), f.sha256);
  assert.ok(inFlightSeen > 0);
});

test('Node: parts are re-read from the file while sending; a file written to mid-upload fails with file_changed, at once', async (t) => {
  const { createNodeUploader, fileSource } = await import('vs3/node');
  const { writeFile, appendFile } = await import('node:fs/promises');
  const { dir, srv } = await setup(t);
  const file = path.join(dir, 'growing.log');
  await writeFile(file, randomFile(40 * MiB).bytes);
  const up = createNodeUploader({ endpoint: `${srv.url}/api/vs3`, partSize: 5 * MiB });
  t.after(() => up.dispose());
  const src = await fileSource(file);
  t.after(() => src.close());
  let touched = null;
  const t0 = Date.now();
  const err = await up
    .upload(src, {
      route: 'files',
      onProgress: (p) => {
        if (!touched && p.uploaded > 0) touched = appendFile(file, 'one more line\n');
      },
    })
    .then(
      () => null,
      (e) => e,
    );
  await touched;
  assert.ok(err, 'the upload must not succeed with a file that changed');
  assert.equal(err.code, 'file_changed', err.message);
  assert.ok(Date.now() - t0 < 15_000, 'failed without spending the retry budget');
  // Nothing was assembled, and the multipart upload was aborted.
  const { readdir } = await import('node:fs/promises');
  assert.deepEqual(await readdir(path.join(dir, 'objects')).catch(() => []), []);
  assert.deepEqual(await readdir(path.join(dir, 'uploads')).catch(() => []), []);
});

test('nodeTransport: bytes and range bodies arrive whole; progress rises to the body size (not the answer size)', async (t) => {
  const { nodeTransport } = await import('vs3/node');
  const http = await import('node:http');
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push(Buffer.concat(chunks));
      res.end('stored');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address().port}/part`;
  const f = randomFile(MiB + 5);
  const bodies = {
    bytes: f.bytes,
    range: { size: f.bytes.length, readInto: async (o, target) => target.set(f.bytes.subarray(o, o + target.length)) },
  };
  const transport = nodeTransport();
  for (const [kind, body] of Object.entries(bodies)) {
    const seen = [];
    const res = await transport.put({ url, headers: {}, body, onProgress: (n) => seen.push(n) });
    assert.equal(res.status, 200, kind);
    assert.equal(res.body, 'stored', kind);
    assert.equal(sha256hex(got.at(-1)), f.sha256, kind);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      `${kind}: progress never goes back`,
    );
    assert.equal(seen.at(-1), f.bytes.length, `${kind}: last progress is the body size`);
  }
});
