// Issue 9, "verified or not confirmed" and content checks, on the local driver and on Ceph RGW (which
// ignores x-amz-checksum-*): bytes changed in transit are refused and deleted, never confirmed; a
// completed object cannot be replaced through its upload URL; spoofed types (ELF, HTML, SVG declared
// image/png) are refused by their magic bytes; a scan hook can refuse; downloads are attachments.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createUploader, fetchTransport } from 'vs3/client';
import { ensureBucket, fsStore, loadCoreNode, s3OptionsFromEnv } from 'vs3/node';
import { createHandler, crc32c, crc32cToBase64, defineRoute, localStorage, s3Storage, Vs3Error } from 'vs3/server';
import * as v from 'valibot';
import { SECRET, post, randomFile, serve, sha256hex, tempDir } from './helpers.mjs';

const bucket = `vs3-verify-${Date.now().toString(36)}`;
const s3opts = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, bucket) : null;
if (!s3opts && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh (scripts/test.sh does)');
if (s3opts) await ensureBucket(s3opts);

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(200)]);
const ELF = Buffer.concat([Buffer.from('7f454c46020101', 'hex'), randomBytes(200)]);
const HTML = Buffer.from('<!DOCTYPE html><html><body><script>fetch("/steal?c="+document.cookie)</script></body></html>');
const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>');

const PART = 5 * 1024 * 1024;

/**
 * A multipart upload of `bytes` in 5 MiB parts: create, sign, PUT each part (`alter(i, chunk)` may
 * change what is sent). Returns the create answer and each part PUT's status.
 */
async function multipart(api, put, { route = 'files', name = 'big.bin', metadata, type = 'application/octet-stream' }, bytes, alter = (_i, b) => b) {
  const c = await api('/multipart/create', { route, ...(metadata ? { metadata } : {}), file: { name, size: bytes.length, type }, partSize: PART });
  const chunks = [];
  for (let o = 0; o < bytes.length; o += PART) chunks.push(bytes.subarray(o, o + PART));
  const signed = await api('/multipart/sign', { token: c.token, parts: chunks.map((b, i) => ({ partNumber: i + 1, crc32c: crc32cToBase64(crc32c(b)) })) });
  const sent = [];
  for (const [i, part] of signed.parts.entries()) sent.push((await put(part, alter(i, chunks[i]))).status);
  return { c, sent };
}

/** Stores and completes `bytes` as n.bin on the keyed route (key `${folder}/n.bin`); the presign answer. */
async function storeKeyed(s, folder, bytes) {
  const p = await s.api('/presign', {
    route: 'keyed',
    metadata: { folder },
    file: { name: 'n.bin', size: bytes.length, type: 'application/octet-stream', sha256: sha256hex(bytes) },
  });
  assert.equal((await s.put(p.upload, bytes)).status, 200);
  assert.equal((await s.api('/complete', { token: p.token })).status, 200);
  return p;
}

function flipBit(bytes, seed) {
  const out = Buffer.from(bytes);
  const i = (seed * 2654435761) % out.length;
  out[i] ^= 1 << (seed % 8);
  return out;
}

/** A handler on one driver, the hooks' calls recorded. */
async function setup(t, driver, routeExtra = {}) {
  const hooks = [];
  const scans = [];
  let storage;
  if (driver === 'local') storage = localStorage({ store: fsStore(await tempDir(t)), secret: SECRET });
  else storage = s3Storage(s3opts);
  const onUploadComplete = ({ key, verified }) => (hooks.push({ key, verified }), { ok: true });
  const handler = createHandler({
    secret: SECRET,
    storage,
    onError: () => {},
    routes: {
      files: defineRoute({ maxFileSize: '64MB', onUploadComplete, ...routeExtra }),
      images: defineRoute({ maxFileSize: '8MB', allowedFileTypes: ['image/*'], onUploadComplete, inlineImages: true }),
      mimeOnly: defineRoute({ maxFileSize: '8MB', allowedFileTypes: ['image/png', 'image/jpeg'], onUploadComplete }),
      svg: defineRoute({ maxFileSize: '8MB', allowedFileTypes: ['image/png', 'image/svg+xml'], onUploadComplete }),
      text: defineRoute({ maxFileSize: '8MB', allowedFileTypes: ['text/plain', '.txt'], onUploadComplete }),
      scanned: defineRoute({
        maxFileSize: '8MB',
        onUploadComplete,
        scan: async ({ key, read }) => {
          const bytes = Buffer.from(await new Response(await read()).arrayBuffer());
          scans.push(key);
          // EICAR's opening, as a virus scanner would spot it.
          return !bytes.includes('X5O!P%@AP');
        },
      }),
      small: defineRoute({ maxFileSize: '8MB', readBack: 1000, dedupe: true, onUploadComplete }),
      // An app whose key() can give two uploads the same key.
      keyed: defineRoute({
        maxFileSize: '64MB',
        metadata: v.object({ folder: v.string() }),
        key: ({ metadata, safeName }) => `${metadata.folder}/${safeName}`,
        onUploadComplete,
      }),
    },
  });
  const put = (upload, body) => {
    const init = { method: 'PUT', headers: { ...upload.headers, 'content-length': String(body.length) }, body };
    return upload.url.startsWith('http://vs3.test/') ? handler(new Request(upload.url, init)) : fetch(upload.url, init);
  };
  const api = async (p, body) => {
    const res = await post(handler, `/api/vs3${p}`, body);
    return { status: res.status, ...(await res.json()) };
  };
  const presign = (route, name, type, bytes) => api('/presign', { route, file: { name, type, size: bytes.length, sha256: sha256hex(bytes) } });
  return { handler, storage, hooks, scans, put, api, presign };
}

const drivers = [
  ['local', false],
  ['rgw', s3opts ? false : 'no S3 endpoint (run through scripts/test.sh)'],
];

for (const [driver, skip] of drivers) {
  test(`${driver}: one bit flipped in transit is never confirmed - 409 upload_mismatch, object deleted, hook not run`, { skip }, async (t) => {
    const s = await setup(t, driver);
    let refusedAtPut = 0;
    for (let i = 1; i <= 10; i++) {
      const bytes = randomBytes(20_000 + i * 997);
      const p = await s.presign('files', `f${i}.bin`, 'application/octet-stream', bytes);
      const put = await s.put(p.upload, flipBit(bytes, i));
      if (put.status !== 200) {
        // The local driver hashes while it writes: the PUT itself is refused and nothing is kept.
        assert.equal(driver, 'local', `RGW ignores checksums and takes the bytes: ${put.status}`);
        assert.equal(put.status, 400);
        refusedAtPut++;
      }
      const done = await s.api('/complete', { token: p.token });
      assert.equal(done.status, 409, JSON.stringify(done));
      assert.equal(done.error.code, put.status === 200 ? 'upload_mismatch' : 'upload_not_found');
      assert.equal(await s.storage.head(p.key), null, 'the corrupted object is gone');
    }
    if (driver === 'local') assert.equal(refusedAtPut, 10);
    assert.deepEqual(s.hooks, [], 'onUploadComplete never ran for corrupted bytes');

    // And the bytes as sent: verified.
    const bytes = randomBytes(54_321);
    const p = await s.presign('files', 'ok.bin', 'application/octet-stream', bytes);
    assert.equal((await s.put(p.upload, bytes)).status, 200);
    const done = await s.api('/complete', { token: p.token });
    assert.equal(done.status, 200);
    assert.equal(done.file.verified, true);
    assert.deepEqual(s.hooks, [{ key: p.key, verified: true }]);
  });

  test(`${driver}: a completed object cannot be replaced through its upload URL`, { skip }, async (t) => {
    const s = await setup(t, driver);
    const bytes = randomBytes(10_000);
    const p = await s.presign('files', 'a.bin', 'application/octet-stream', bytes);
    assert.equal((await s.put(p.upload, bytes)).status, 200);
    assert.equal((await s.api('/complete', { token: p.token })).status, 200);
    // Same URL, other bytes (same length, the signed one), and the same bytes again: both refused.
    for (const body of [randomBytes(10_000), bytes]) {
      const again = await s.put(p.upload, body);
      assert.equal(again.status, 412, `re-PUT: ${again.status} ${await again.text()}`);
    }
    const read = Buffer.from(await new Response(await s.storage.read(p.key)).arrayBuffer());
    assert.equal(sha256hex(read), sha256hex(bytes));
  });

  test(`${driver}: multipart with a corrupted part is refused at completion and deleted`, { skip }, async (t) => {
    const s = await setup(t, driver);
    const bytes = randomBytes(PART + 12_345);
    const { c, sent } = await multipart(s.api, s.put, {}, bytes, (i, b) => (i === 1 ? flipBit(b, 7) : b));
    if (driver === 'local') {
      assert.deepEqual(sent, [200, 400], 'the local driver checks each part against its signed CRC32C');
      return;
    }
    assert.deepEqual(sent, [200, 200], 'RGW ignores x-amz-checksum-crc32c');
    const done = await s.api('/multipart/complete', { token: c.token, sha256: sha256hex(bytes) });
    assert.equal(done.status, 409, JSON.stringify(done));
    assert.equal(done.error.code, 'upload_mismatch');
    assert.equal(await s.storage.head(c.key), null, 'assembled, read back, found wrong, deleted');
    assert.deepEqual(s.hooks, []);
  });

  test(`${driver}: spoofed content (ELF, HTML, SVG as image/png) refused by magic bytes, 415, deleted`, { skip }, async (t) => {
    const s = await setup(t, driver);
    for (const [what, bytes] of [
      ['ELF', ELF],
      ['HTML', HTML],
      ['SVG', SVG],
      ['random', randomBytes(300)],
    ]) {
      for (const route of ['images', 'mimeOnly']) {
        const p = await s.presign(route, 'photo.png', 'image/png', bytes);
        assert.equal(p.status, 200, JSON.stringify(p));
        assert.equal((await s.put(p.upload, bytes)).status, 200);
        const done = await s.api('/complete', { token: p.token });
        assert.equal(done.status, 415, `${what} on ${route}: ${JSON.stringify(done)}`);
        assert.equal(done.error.code, 'content_mismatch');
        assert.equal(await s.storage.head(p.key), null);
      }
    }
    // HTML declared text/plain on a text route: refused too.
    const txt = await s.presign('text', 'notes.txt', 'text/plain', HTML);
    assert.equal((await s.put(txt.upload, HTML)).status, 200);
    assert.equal((await s.api('/complete', { token: txt.token })).error.code, 'content_mismatch');
    assert.deepEqual(s.hooks, []);
    // A real PNG passes, and its download URL shows it inline (the route asks); plain text passes.
    const p = await s.presign('images', 'photo.png', 'image/png', PNG);
    assert.equal((await s.put(p.upload, PNG)).status, 200);
    const done = await s.api('/complete', { token: p.token });
    assert.equal(done.status, 200, JSON.stringify(done));
    const words = Buffer.from('just some words\n');
    const t2 = await s.presign('text', 'notes.txt', 'text/plain', words);
    assert.equal((await s.put(t2.upload, words)).status, 200);
    assert.equal((await s.api('/complete', { token: t2.token })).status, 200);
  });

  test(`${driver}: the scan hook refuses before onUploadComplete (422 content_rejected, deleted)`, { skip }, async (t) => {
    const s = await setup(t, driver);
    const eicar = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');
    const p = await s.presign('scanned', 'eicar.com', 'application/octet-stream', eicar);
    assert.equal((await s.put(p.upload, eicar)).status, 200);
    const done = await s.api('/complete', { token: p.token });
    assert.equal(done.status, 422);
    assert.equal(done.error.code, 'content_rejected');
    assert.equal(await s.storage.head(p.key), null);
    const clean = randomBytes(5000);
    const q = await s.presign('scanned', 'clean.bin', 'application/octet-stream', clean);
    assert.equal((await s.put(q.upload, clean)).status, 200);
    assert.equal((await s.api('/complete', { token: q.token })).status, 200);
    assert.deepEqual(s.scans, [p.key, q.key]);
    assert.deepEqual(
      s.hooks.map((h) => h.key),
      [q.key],
    );
  });

  test(`${driver}: the client retries a PUT whose answer was lost: 412 (create-only URL) counts as stored, completion verifies`, { skip }, async (t) => {
    const s = await setup(t, driver);
    const srv = await serve(s.handler);
    t.after(() => srv.close());
    const inner = fetchTransport();
    let dropped = 0;
    const statuses = [];
    const transport = {
      async put(req) {
        const res = await inner.put(req);
        statuses.push(res.status);
        if (dropped++ === 0) return { status: 0, header: () => null, body: '' }; // stored, but the answer "never arrived"
        return res;
      },
    };
    const uploader = createUploader({ endpoint: `${srv.url}/api/vs3`, core: await loadCoreNode(), transport, retry: { seed: 3, baseDelayMs: 1 } });
    const f = randomFile(100_000, 'lost.bin');
    const res = await uploader.upload(f.blob, { route: 'files' });
    assert.deepEqual(statuses, [200, 412]);
    assert.equal(res.sha256, f.sha256);
    assert.equal(res.verified, true);
  });
}

for (const [driver, skip] of drivers) {
  test(`${driver}: completion never deletes an object it did not store - another upload's under the same key, or a completed multipart replayed with another SHA-256`, {
    skip,
  }, async (t) => {
    const s = await setup(t, driver);
    const folder = `shared-${Date.now()}`;
    const alice = randomBytes(4000);
    const pa = await storeKeyed(s, folder, alice);
    // Bob gets the same key (same size and type, other content). His PUT cannot replace Alice's
    // object, and his completion is refused without touching it.
    const bob = randomBytes(4000);
    const pb = await s.api('/presign', {
      route: 'keyed',
      metadata: { folder },
      file: { name: 'n.bin', size: bob.length, type: 'application/octet-stream', sha256: sha256hex(bob) },
    });
    assert.equal(pb.key, pa.key);
    assert.equal((await s.put(pb.upload, bob)).status, 412);
    const done = await s.api('/complete', { token: pb.token });
    assert.equal(done.status, 409);
    assert.equal(done.error.code, 'upload_mismatch');
    const kept = Buffer.from(await new Response(await s.storage.read(pa.key)).arrayBuffer());
    assert.equal(sha256hex(kept), sha256hex(alice), "Alice's object is intact");

    // A completed multipart upload, replayed with another SHA-256: refused, the object stays, the
    // right replay still answers.
    const big = randomBytes(PART + 999);
    const { c, sent } = await multipart(s.api, s.put, {}, big);
    assert.deepEqual(sent, [200, 200]);
    assert.equal((await s.api('/multipart/complete', { token: c.token, sha256: sha256hex(big) })).status, 200);
    const replay = await s.api('/multipart/complete', { token: c.token, sha256: 'e'.repeat(64) });
    assert.equal(replay.status, 409);
    assert.ok(await s.storage.head(c.key), 'the completed object is still there');
    const again = await s.api('/multipart/complete', { token: c.token, sha256: sha256hex(big) });
    assert.equal(again.status, 200);
    assert.equal(sha256hex(Buffer.from(await new Response(await s.storage.read(c.key)).arrayBuffer())), sha256hex(big));
  });
}

test('local: download URLs are attachments named after the file; raster images inline only where the route says', async (t) => {
  const s = await setup(t, 'local');
  const cases = [
    [
      'files',
      'report "final".bin',
      'application/octet-stream',
      randomBytes(100),
      /^attachment; filename="report _final_\.bin"; filename\*=UTF-8''report%20%22final%22\.bin$/,
    ],
    ['images', 'photo.png', 'image/png', PNG, /^inline$/],
    ['mimeOnly', 'photo.png', 'image/png', PNG, /^attachment; filename="photo\.png"/],
  ];
  for (const [route, name, type, bytes, want] of cases) {
    const p = await s.presign(route, name, type, bytes);
    assert.equal((await s.put(p.upload, bytes)).status, 200);
    const done = await s.api('/complete', { token: p.token });
    const dl = await s.handler(new Request(done.file.url));
    assert.equal(dl.status, 200);
    assert.match(dl.headers.get('content-disposition'), want);
    assert.equal(dl.headers.get('x-content-type-options'), 'nosniff');
    // The disposition is signed: changing it breaks the URL.
    const forged = new URL(done.file.url);
    forged.searchParams.set('d', 'inline');
    if (forged.href !== done.file.url) assert.equal((await s.handler(new Request(forged))).status, 403);
  }
});

test('types: image/* never takes SVG or HTML; a name and a type that disagree are refused on every route', async (t) => {
  const s = await setup(t, 'local');
  const refuse = async (route, name, type) => {
    const r = await s.presign(route, name, type, Buffer.from('x'));
    assert.equal(r.status, 415, `${route} ${name} ${type}: ${r.status}`);
    assert.equal(r.error.code, 'invalid_file_type');
  };
  await refuse('images', 'a.svg', 'image/svg+xml');
  await refuse('images', 'a.svg', '');
  await refuse('mimeOnly', 'evil.html', 'image/png');
  await refuse('files', 'evil.html', 'image/png');
  await refuse('files', 'photo.png', 'text/html');
  await refuse('files', 'photo.jpg', 'image/png');
  // Listed explicitly, SVG is taken (and its bytes are SVG).
  const svg = await s.presign('svg', 'logo.svg', 'image/svg+xml', SVG);
  assert.equal(svg.status, 200);
  assert.equal((await s.put(svg.upload, SVG)).status, 200);
  assert.equal((await s.api('/complete', { token: svg.token })).status, 200);
  // Generic binaries go with any name; unknown extensions take any type the route allows.
  assert.equal((await s.presign('files', 'evil.html', 'application/octet-stream', Buffer.from('x'))).status, 200);
  assert.equal((await s.presign('files', 'data.xyz', 'application/x-custom', Buffer.from('x'))).status, 200);
});

test('rgw: objects over the route readBack size complete unverified, and the dedupe index does not take their hash', { skip: drivers[1][1] }, async (t) => {
  const s = await setup(t, 'rgw');
  const bytes = randomBytes(5000);
  const p = await s.presign('small', 'big.bin', 'application/octet-stream', bytes);
  assert.equal((await s.put(p.upload, bytes)).status, 200);
  const done = await s.api('/complete', { token: p.token });
  assert.equal(done.status, 200);
  assert.equal(done.file.verified, false);
  // A second upload of the same content is not told "stored already" on the strength of a hash nobody proved.
  const again = await s.presign('small', 'big.bin', 'application/octet-stream', bytes);
  assert.equal(again.existing, undefined);
  assert.ok(again.upload);
});

test('scan hook errors other than a Vs3Error are 500s reported to onError, and the object stays for the retry', async (t) => {
  const reports = [];
  const storage = localStorage({ store: fsStore(await tempDir(t)), secret: SECRET });
  let fail = true;
  const handler = createHandler({
    secret: SECRET,
    storage,
    onError: (e) => reports.push(e),
    routes: {
      f: defineRoute({
        maxFileSize: 1000,
        scan: () => {
          if (fail) throw new Error('clamd: connection refused');
        },
      }),
    },
  });
  const bytes = randomBytes(100);
  const p = await (await post(handler, '/api/vs3/presign', { route: 'f', file: { name: 'a.bin', size: 100, sha256: sha256hex(bytes) } })).json();
  await handler(new Request(p.upload.url, { method: 'PUT', headers: { ...p.upload.headers, 'content-length': '100' }, body: bytes }));
  const first = await post(handler, '/api/vs3/complete', { token: p.token });
  assert.equal(first.status, 500);
  assert.doesNotMatch(await first.text(), /clamd/);
  assert.equal(reports.length, 1);
  assert.ok(await storage.head(p.key), 'kept for the retry');
  fail = false;
  assert.equal((await post(handler, '/api/vs3/complete', { token: p.token })).status, 200);
  // A Vs3Error thrown by scan is a refusal with the scanner's message.
  const h2 = createHandler({
    secret: SECRET,
    storage,
    routes: {
      f: defineRoute({
        maxFileSize: 1000,
        scan: () => {
          throw new Vs3Error('forbidden', 'infected: Eicar-Test-Signature');
        },
      }),
    },
  });
  const q = await (await post(h2, '/api/vs3/presign', { route: 'f', file: { name: 'b.bin', size: 100, sha256: sha256hex(bytes) } })).json();
  await h2(new Request(q.upload.url, { method: 'PUT', headers: { ...q.upload.headers, 'content-length': '100' }, body: bytes }));
  const r = await (await post(h2, '/api/vs3/complete', { token: q.token })).json();
  assert.equal(r.error.code, 'content_rejected');
  assert.match(r.error.message, /Eicar/);
});

// Found in review: multipart and concurrency paths.
for (const [driver, skip] of drivers) {
  test(`${driver}: a multipart upload never assembles over another upload's object under the same key`, { skip }, async (t) => {
    const s = await setup(t, driver);
    const folder = `mp-shared-${Date.now()}`;
    const alice = randomBytes(3000);
    const pa = await storeKeyed(s, folder, alice);
    const bob = randomBytes(PART + 10);
    const { c, sent } = await multipart(s.api, s.put, { route: 'keyed', name: 'n.bin', metadata: { folder } }, bob);
    assert.equal(c.key, pa.key);
    assert.deepEqual(sent, [200, 200]);
    for (const sha of [sha256hex(bob), 'e'.repeat(64)]) {
      const done = await s.api('/multipart/complete', { token: c.token, sha256: sha });
      assert.equal(done.status, 409, JSON.stringify(done));
      assert.equal(done.error.code, 'upload_mismatch');
    }
    const kept = Buffer.from(await new Response(await s.storage.read(pa.key)).arrayBuffer());
    assert.equal(sha256hex(kept), sha256hex(alice), "Alice's object is intact");
  });
}

test('local: concurrent multipart completes with the right and a wrong SHA-256 - one 200, one 409, the object stays', async (t) => {
  const s = await setup(t, 'local');
  const big = randomBytes(PART + 77);
  const { c, sent } = await multipart(s.api, s.put, {}, big);
  assert.deepEqual(sent, [200, 200]);
  const [right, wrong] = await Promise.all([
    s.api('/multipart/complete', { token: c.token, sha256: sha256hex(big) }),
    s.api('/multipart/complete', { token: c.token, sha256: 'e'.repeat(64) }),
  ]);
  assert.equal(right.status, 200, JSON.stringify(right));
  assert.equal(wrong.status, 409, JSON.stringify(wrong));
  assert.ok(await s.storage.head(c.key), 'the confirmed object was not deleted by the wrong call');
  assert.deepEqual(
    s.hooks.map((h) => h.key),
    [c.key],
  );
});

test('local: a multipart completion that failed (scanner down) and is retried can still refuse and delete the object', async (t) => {
  const storage = localStorage({ store: fsStore(await tempDir(t)), secret: SECRET });
  let mode = 'down';
  const handler = createHandler({
    secret: SECRET,
    storage,
    onError: () => {},
    routes: {
      f: defineRoute({
        maxFileSize: '64MB',
        scan: () => {
          if (mode === 'down') throw new Error('clamd down');
          return false;
        },
      }),
    },
  });
  const api = async (p, body) => {
    const r = await post(handler, `/api/vs3${p}`, body);
    return { status: r.status, ...(await r.json()) };
  };
  const big = randomBytes(PART + 5);
  const put = (part, body) => handler(new Request(part.url, { method: 'PUT', headers: { ...part.headers, 'content-length': String(body.length) }, body }));
  const { c } = await multipart(api, put, { route: 'f', name: 'x.bin' }, big);
  assert.equal((await api('/multipart/complete', { token: c.token, sha256: sha256hex(big) })).status, 500);
  assert.ok(await storage.head(c.key), 'kept for the retry');
  mode = 'infected';
  const again = await api('/multipart/complete', { token: c.token, sha256: sha256hex(big) });
  assert.equal(again.error.code, 'content_rejected');
  assert.equal(await storage.head(c.key), null, 'refused on the retry: deleted');
});

test('local: one signed URL PUT by two connections at once - the second is refused (503) while the first is read', async (t) => {
  const s = await setup(t, 'local');
  const bytes = randomBytes(200_000);
  const p = await s.api('/presign', {
    route: 'files',
    file: { name: 'a.bin', size: bytes.length, type: 'application/octet-stream', sha256: sha256hex(bytes) },
  });
  let release;
  const slow = new ReadableStream({
    async pull(c) {
      c.enqueue(bytes.subarray(0, 1000));
      await new Promise((r) => (release = r));
      c.enqueue(bytes.subarray(1000));
      c.close();
    },
  });
  const first = s.handler(
    new Request(p.upload.url, { method: 'PUT', headers: { ...p.upload.headers, 'content-length': String(bytes.length) }, body: slow, duplex: 'half' }),
  );
  await new Promise((r) => setTimeout(r, 50));
  const second = await s.put(p.upload, bytes);
  assert.equal(second.status, 503);
  assert.equal((await second.json()).error.code, 'too_busy');
  release();
  assert.equal((await first).status, 200);
});

test('markup: XML types are never under a wildcard; routes without type rules store pages as plain bytes; XHTML-namespaced and commented SVG are sniffed', async (t) => {
  const s = await setup(t, 'local');
  const r = await s.presign('images', 'a.img', 'image/x+xml', Buffer.from('x'));
  assert.equal(r.status, 415);
  const html = await s.presign('files', 'page.html', 'text/html', HTML);
  assert.equal(html.status, 200);
  assert.equal(html.upload.headers['content-type'], 'application/octet-stream', 'an unrestricted route stores HTML as bytes');
  for (const body of [
    '<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:script>alert(1)</h:script></h:html>',
    '<!-- hi --><svg onload="alert(1)"/>',
    '<!DOCTYPE svg><svg/>',
    '<feed><entry/></feed>',
  ]) {
    const bytes = Buffer.from(body);
    const p = await s.presign('text', 'notes.txt', 'text/plain', bytes);
    assert.equal((await s.put(p.upload, bytes)).status, 200);
    assert.equal((await s.api('/complete', { token: p.token })).error?.code, 'content_mismatch', body);
  }
  const ok = Buffer.from('<3 and 1 < 2\n');
  const q = await s.presign('text', 'notes.txt', 'text/plain', ok);
  assert.equal((await s.put(q.upload, ok)).status, 200);
  assert.equal((await s.api('/complete', { token: q.token })).status, 200);
});

test('route object options computed from the request: a function that throws, or a tag storage cannot take, is a 400', async (t) => {
  const storage = localStorage({ store: fsStore(await tempDir(t)), secret: SECRET });
  const handler = createHandler({
    secret: SECRET,
    storage,
    routes: {
      r: defineRoute({
        maxFileSize: 100,
        requireChecksum: false,
        metadata: v.object({ p: v.optional(v.string()) }),
        object: { tags: ({ metadata }) => ({ project: metadata.p.toUpperCase() }) },
      }),
    },
  });
  const presign = (metadata) =>
    post(handler, '/api/vs3/presign', { route: 'r', metadata, file: { name: 'a.bin', size: 3 } }).then(async (r) => ({
      status: r.status,
      ...(await r.json()),
    }));
  assert.equal((await presign({})).error.code, 'invalid_metadata');
  assert.equal((await presign({ p: 'a<b' })).error.code, 'invalid_metadata');
  assert.equal((await presign({ p: 'apollo' })).status, 200);
});
