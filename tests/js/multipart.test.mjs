// Multipart uploads and dedupe through the handler with the local driver (memoryStore and fsStore),
// over real HTTP: create -> sign -> PUT parts -> complete, and every way that can go wrong.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fsStore } from 'vs3/node';
import { createHandler, crc32c, crc32cFromBase64, crc32cToBase64, defineRoute, localStorage, memoryStore } from 'vs3/server';
import { SECRET, randomFile, serve, sha256hex, tempDir } from './helpers.mjs';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

async function setup(t, { kind = 'memory', ...extra } = {}) {
  const dir = kind === 'fs' ? await tempDir(t) : null;
  const store = kind === 'fs' ? fsStore(dir) : memoryStore();
  const storage = localStorage({ store, secret: SECRET });
  const completed = [];
  const onUploadComplete = (c) => (completed.push(c), { n: completed.length, deduplicated: c.deduplicated ?? false });
  const handler = createHandler({
    secret: SECRET,
    storage,
    routes: {
      files: defineRoute({ maxFileSize: '100GB', onUploadComplete }),
      dd: defineRoute({ maxFileSize: '100GB', dedupe: true, onUploadComplete }),
      small: defineRoute({ maxFileSize: '1MB' }),
    },
    ...extra,
  });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const api = async (p, body) => {
    const res = await fetch(`${srv.url}/api/vs3${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  return { dir, store, storage, completed, api, url: srv.url };
}

const ok = (r) => (assert.equal(r.status, 200, JSON.stringify(r.body)), r.body);
function err(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error?.code, code, JSON.stringify(r.body));
  return r.body.error;
}

const crcOf = (bytes) => crc32cToBase64(crc32c(bytes));
const slices = (bytes, partSize) => {
  const out = [];
  for (let off = 0, n = 1; off < bytes.length; off += partSize, n++) out.push({ partNumber: n, bytes: bytes.subarray(off, off + partSize) });
  return out;
};
const create = (api, f, over = {}) =>
  api('/multipart/create', { route: 'files', file: { name: 'big.bin', size: f.bytes.length, type: 'application/octet-stream' }, partSize: PART, ...over });
const sign = async (api, token, parts) =>
  ok(await api('/multipart/sign', { token, parts: parts.map((p) => ({ partNumber: p.partNumber, crc32c: crcOf(p.bytes) })) })).parts;
const putPart = (signed, body) => fetch(signed.url, { method: signed.method, headers: signed.headers, body });

/** create -> sign -> PUT every part; returns the create answer (not completed). */
async function uploadParts(api, f, over = {}) {
  const c = ok(await create(api, f, over));
  const parts = slices(f.bytes, c.partSize);
  const signed = await sign(api, c.token, parts);
  for (const [i, s] of signed.entries()) {
    const res = await putPart(s, parts[i].bytes);
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(res.headers.get('etag'));
  }
  return c;
}

const file = (n = 3) => randomFile(n * PART + 12_345, 'big.bin');

test('crc32c: known vectors (RFC 3720) and the base64 form', () => {
  const enc = new TextEncoder();
  assert.equal(crc32c(enc.encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(enc.encode('56789'), crc32c(enc.encode('1234'))), 0xe3069283, 'incremental');
  assert.equal(crc32c(new Uint8Array()), 0);
  assert.equal(crc32cToBase64(0xe3069283), '4waSgw==');
  assert.equal(crc32cFromBase64('4waSgw=='), 0xe3069283);
  for (const bad of ['4waSgw=', '4waSgx==', '4waSgw==x', '', 42, null, '!!!!!!==']) assert.equal(crc32cFromBase64(bad), null, String(bad));
});

for (const kind of ['memory', 'fs']) {
  test(`${kind}: 3 parts of 5 MiB + tail, complete, download equals; complete twice is idempotent`, async (t) => {
    const { api, completed, storage, dir } = await setup(t, { kind });
    const f = file(3);
    const c = await uploadParts(api, f);
    assert.equal(c.partCount, 4);
    assert.equal(c.partSize, PART);
    assert.equal(c.dedupe, false);
    assert.match(c.key, /^files\/[0-9a-f-]{36}\/big\.bin$/);
    assert.deepEqual(
      (await storage.listMultipartUploads()).map((u) => u.uploadId),
      [c.uploadId],
    );
    assert.equal(await storage.head(c.key), null, 'parts are not an object');

    // A whole-file hash the parts do not add up to: refused, parts kept, so the right one still completes.
    err(await api('/multipart/complete', { token: c.token, sha256: 'e'.repeat(64) }), 409, 'upload_mismatch');
    assert.equal(await storage.head(c.key), null);
    const done = ok(await api('/multipart/complete', { token: c.token, sha256: f.sha256 }));
    assert.deepEqual(
      { ...done.file, url: undefined },
      { key: c.key, name: 'big.bin', size: f.bytes.length, type: 'application/octet-stream', sha256: f.sha256, url: undefined, verified: true },
    );
    assert.deepEqual(done.result, { n: 1, deduplicated: false });
    const dl = await fetch(done.file.url);
    assert.equal(dl.status, 200);
    assert.equal(sha256hex(Buffer.from(await dl.arrayBuffer())), f.sha256);
    assert.equal((await storage.head(c.key)).sha256, f.sha256);
    assert.deepEqual(await storage.listMultipartUploads(), []);
    if (dir) assert.deepEqual(await readdir(path.join(dir, 'uploads')), [], 'parts deleted from disk');

    // The first answer was "lost": the same answer again, and onUploadComplete does not run twice.
    const again = ok(await api('/multipart/complete', { token: c.token, sha256: f.sha256 }));
    assert.equal(again.file.key, c.key);
    assert.deepEqual(again.result, { n: 1, deduplicated: false });
    assert.equal(completed.length, 1);
    // ... but not for another hash.
    err(await api('/multipart/complete', { token: c.token, sha256: '0'.repeat(64) }), 409, 'upload_mismatch');
  });

  test(`${kind}: part URLs refuse other bytes, other lengths, tampering; nothing is kept`, async (t) => {
    const { api, storage } = await setup(t, { kind });
    const f = file(1);
    const c = ok(await create(api, f));
    const parts = slices(f.bytes, PART);
    const [s1, s2] = await sign(api, c.token, parts);
    const other = Buffer.from(parts[0].bytes);
    other[100] ^= 1;
    const e1 = await putPart(s1, other);
    assert.equal(e1.status, 400);
    assert.equal((await e1.json()).error.code, 'checksum_mismatch');
    const e2 = await putPart(s1, parts[0].bytes.subarray(1));
    assert.equal(e2.status, 400);
    assert.equal((await e2.json()).error.code, 'content_length_mismatch');
    const e3 = await putPart(s2, parts[0].bytes.subarray(0, parts[1].bytes.length)); // right length, wrong bytes
    assert.equal((await e3.json()).error.code, 'checksum_mismatch');
    for (const [k, v] of [
      ['size', '5'],
      ['partNumber', '2'],
      ['crc32c', crcOf(other)],
      ['uploadId', crypto.randomUUID()],
    ]) {
      const u = new URL(s1.url);
      u.searchParams.set(k, v);
      const r = await putPart({ ...s1, url: u.toString() }, k === 'size' ? parts[0].bytes.subarray(0, 5) : parts[0].bytes);
      assert.equal(r.status, 403, k);
      assert.equal((await r.json()).error.code, 'invalid_signature');
    }
    assert.deepEqual(await storage.listParts(c.key, c.uploadId), []);
    const incomplete = err(await api('/multipart/complete', { token: c.token, sha256: f.sha256 }), 409, 'upload_incomplete');
    assert.deepEqual(incomplete.details, { missing: [1, 2], wrongSize: [] });
  });
}

test('sign: part numbers, checksums and batch size are checked; sizes come from the server', async (t) => {
  const { api } = await setup(t);
  const f = { bytes: { length: 3 * PART + 1 } };
  const c = ok(await create(api, f));
  assert.equal(c.partCount, 4);
  const crc = crcOf(new Uint8Array([1]));
  for (const partNumber of [0, 5, -1, 1.5, '1', null]) {
    err(await api('/multipart/sign', { token: c.token, parts: [{ partNumber, crc32c: crc }] }), 400, 'invalid_request');
  }
  for (const crc32c of ['abc', 'AAAAAAAA', '4waSgw=', 12, undefined]) {
    err(await api('/multipart/sign', { token: c.token, parts: [{ partNumber: 1, crc32c }] }), 400, 'invalid_checksum');
  }
  err(await api('/multipart/sign', { token: c.token, parts: [] }), 400, 'invalid_request');
  err(await api('/multipart/sign', { token: c.token, parts: 'x' }), 400, 'invalid_request');
  err(
    await api('/multipart/sign', {
      token: c.token,
      parts: [
        { partNumber: 1, crc32c: crc },
        { partNumber: 1, crc32c: crc },
      ],
    }),
    400,
    'invalid_request',
  );
  err(await api('/multipart/sign', { token: c.token, parts: Array.from({ length: 101 }, () => ({ partNumber: 1, crc32c: crc })) }), 400, 'invalid_request');
  const signed = ok(
    await api('/multipart/sign', {
      token: c.token,
      parts: [
        { partNumber: 4, crc32c: crc },
        { partNumber: 1, crc32c: crc },
      ],
    }),
  ).parts;
  assert.deepEqual(
    signed.map((p) => [p.partNumber, p.method, new URL(p.url).searchParams.get('size')]),
    [
      [4, 'PUT', '1'],
      [1, 'PUT', String(PART)],
    ],
  );
  assert.ok(signed[0].expiresAt > Date.now() + 590_000);
});

test('create: sizes, part sizes, > 5 GiB allowed here but not on /presign', async (t) => {
  const { api } = await setup(t);
  const create = (size, partSize, route = 'files') => api('/multipart/create', { route, file: { name: 'x.bin', size, type: '' }, partSize });
  const big = ok(await create(6 * 1024 ** 3, 64 * MiB));
  assert.equal(big.partCount, 96);
  err(await api('/presign', { route: 'files', file: { name: 'x.bin', size: 6 * 1024 ** 3, sha256: 'a'.repeat(64) } }), 413, 'file_too_large');
  err(await create(PART, PART), 400, 'invalid_request'); // fits in one part: /presign
  err(await create(20 * MiB, PART - 1), 400, 'invalid_request');
  err(await create(20 * MiB, 5 * 1024 ** 3 + 1), 400, 'invalid_request');
  err(await create(20 * MiB, '5242880'), 400, 'invalid_request');
  err(await create(20 * MiB), 400, 'invalid_request');
  err(await create(10_001 * PART, PART), 400, 'invalid_request'); // too many parts
  err(await create(2 * MiB + 1, PART, 'small'), 413, 'file_too_large');
  err(await create(-1, PART), 400, 'invalid_request');
  err(await api('/multipart/create', { route: 'files', file: { name: '../x', size: 20 * MiB }, partSize: PART }), 400, 'invalid_file_name');
  err(await api('/multipart/create', { route: 'nope', file: { name: 'x', size: 20 * MiB }, partSize: PART }), 404, 'unknown_route');
  err(await api('/multipart/create', { route: 'files', file: { name: 'x', size: 20 * MiB, sha256: 'xyz' }, partSize: PART }), 400, 'invalid_checksum');
  const limitless = createHandler({
    secret: SECRET,
    storage: localStorage({ store: memoryStore(), secret: SECRET }),
    routes: { r: { maxFileSize: '100TiB' } },
  });
  const r = await limitless(
    new Request('http://vs3.test/api/vs3/multipart/create', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'r', file: { name: 'x', size: 5 * 1024 ** 3 * 10_000 + 1 }, partSize: 5 * 1024 ** 3 }),
    }),
  );
  assert.equal(r.status, 413);
});

test('tokens: single tokens are refused by multipart endpoints and the other way round', async (t) => {
  const { api } = await setup(t);
  const single = ok(await api('/presign', { route: 'files', file: { name: 'a.bin', size: 3, sha256: 'a'.repeat(64) } }));
  const mp = ok(await create(api, { bytes: { length: 2 * PART } }));
  const crc = crcOf(new Uint8Array([1]));
  err(await api('/multipart/sign', { token: single.token, parts: [{ partNumber: 1, crc32c: crc }] }), 400, 'invalid_token');
  err(await api('/multipart/complete', { token: single.token, sha256: 'a'.repeat(64) }), 400, 'invalid_token');
  err(await api('/multipart/abort', { token: single.token }), 400, 'invalid_token');
  err(await api('/complete', { token: mp.token }), 400, 'invalid_token');
  err(await api('/multipart/sign', { token: 'x.y', parts: [{ partNumber: 1, crc32c: crc }] }), 403, 'invalid_token');
  err(await api('/multipart/complete', { token: mp.token, sha256: 'nothex' }), 400, 'invalid_checksum');
  // Claims cannot be edited: a larger part size would sign larger parts.
  const [body, sig] = mp.token.split('.');
  const claims = JSON.parse(Buffer.from(body, 'base64url'));
  const forged = Buffer.from(JSON.stringify({ ...claims, mp: { ...claims.mp, partSize: 2 * PART } })).toString('base64url');
  err(await api('/multipart/sign', { token: `${forged}.${sig}`, parts: [{ partNumber: 1, crc32c: crc }] }), 403, 'invalid_token');
});

for (const kind of ['memory', 'fs']) {
  test(`${kind}: abort removes the upload and its parts; abort is idempotent; nothing completes after`, async (t) => {
    const { api, storage, dir } = await setup(t, { kind });
    const f = file(1);
    const c = ok(await create(api, f));
    const parts = slices(f.bytes, PART);
    const signed = await sign(api, c.token, parts);
    assert.equal((await putPart(signed[0], parts[0].bytes)).status, 200);
    assert.equal((await storage.listParts(c.key, c.uploadId)).length, 1);
    assert.deepEqual(ok(await api('/multipart/abort', { token: c.token })), { aborted: true });
    assert.deepEqual(await storage.listMultipartUploads(), []);
    assert.equal(await storage.listParts(c.key, c.uploadId), null);
    if (dir) assert.deepEqual(await readdir(path.join(dir, 'uploads')), []);
    assert.deepEqual(ok(await api('/multipart/abort', { token: c.token })), { aborted: true });
    const late = await putPart(signed[1], parts[1].bytes);
    assert.equal(late.status, 404);
    assert.equal((await late.json()).error.code, 'upload_not_found');
    err(await api('/multipart/complete', { token: c.token, sha256: f.sha256 }), 409, 'upload_not_found');
    assert.equal(await storage.head(c.key), null);
    assert.deepEqual(await storage.list(), []);
  });
}

test('dedupe: a completed upload is found by SHA-256, by /dedupe (multipart aborted) and by /presign', async (t) => {
  const { api, storage, completed } = await setup(t, { kind: 'fs' });
  const f = file(1);
  const first = await uploadParts(api, f, { route: 'dd' });
  assert.equal(first.dedupe, true);
  const done = ok(await api('/multipart/complete', { token: first.token, sha256: f.sha256 }));
  assert.equal(done.file.deduplicated, undefined);
  // The marker is the handler's own object: not listed, and not what routes write to.
  assert.deepEqual(
    (await storage.list()).map((o) => o.key),
    [first.key],
  );
  const marker = JSON.parse(new TextDecoder().decode(await storage.getObject(`.vs3/dedupe/dd/${f.sha256}.json`)));
  // uid: the upload whose object was verified (a lookup takes the key only while it holds that one).
  assert.match(marker.uid, /^[\w-]{22}$/);
  assert.deepEqual(marker, { key: first.key, name: 'big.bin', size: f.bytes.length, type: 'application/octet-stream', sha256: f.sha256, uid: marker.uid });

  const second = ok(await create(api, f, { route: 'dd', file: { name: 'copy.bin', size: f.bytes.length } }));
  assert.notEqual(second.key, first.key);
  assert.deepEqual(ok(await api('/dedupe', { token: second.token, sha256: 'b'.repeat(64) })), { existing: null });
  assert.equal((await storage.listMultipartUploads()).length, 1);
  const hit = ok(await api('/dedupe', { token: second.token, sha256: f.sha256 }));
  assert.equal(hit.existing.file.key, first.key);
  assert.equal(hit.existing.file.name, 'copy.bin');
  assert.equal(hit.existing.file.deduplicated, true);
  assert.equal(hit.existing.file.sha256, f.sha256);
  assert.deepEqual(hit.existing.result, { n: 2, deduplicated: true });
  assert.equal(completed.at(-1).deduplicated, true);
  assert.equal(completed.at(-1).key, first.key);
  assert.deepEqual(await storage.listMultipartUploads(), [], 'the second upload was aborted');
  assert.equal(sha256hex(Buffer.from(await (await fetch(hit.existing.file.url)).arrayBuffer())), f.sha256);

  const pre = ok(await api('/presign', { route: 'dd', file: { name: 'again.bin', size: f.bytes.length, sha256: f.sha256 } }));
  assert.equal(pre.token, undefined);
  assert.equal(pre.existing.file.key, first.key);
  assert.equal(pre.existing.file.deduplicated, true);
  // Same hash, other size: no match (and a stale marker pointing at a missing object is a miss too).
  const other = ok(await api('/presign', { route: 'dd', file: { name: 'x.bin', size: 10, sha256: f.sha256 } }));
  assert.ok(other.upload);
  assert.equal(other.dedupe, true);
  // Routes without dedupe neither look up nor accept /dedupe.
  const plain = ok(await api('/presign', { route: 'files', file: { name: 'x.bin', size: f.bytes.length, sha256: f.sha256 } }));
  assert.ok(plain.upload);
  assert.equal(plain.dedupe, false);
  err(await api('/dedupe', { token: plain.token, sha256: f.sha256 }), 400, 'invalid_request');
});

test('dedupe: single /complete writes the marker; a findExisting hook replaces the index; GET /routes', async (t) => {
  const seen = [];
  const store = memoryStore();
  const storage = localStorage({ store, secret: SECRET });
  const handler = createHandler({
    secret: SECRET,
    storage,
    routes: {
      dd: defineRoute({ maxFileSize: '1MB', dedupe: true }),
      hooked: defineRoute({ maxFileSize: '1MB', dedupe: { findExisting: async (sha, ctx) => (seen.push([sha, ctx.route, ctx.size]), { key: 'dd/known' }) } }),
      plain: defineRoute({ maxFileSize: '1MB' }),
    },
  });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const api = async (p, body) => {
    const res = await fetch(`${srv.url}/api/vs3${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const bytes = new TextEncoder().encode('dedupe me');
  const sha = sha256hex(bytes);
  const p = ok(await api('/presign', { route: 'dd', file: { name: 'a.txt', size: bytes.length, sha256: sha } }));
  assert.equal((await fetch(p.upload.url, { method: 'PUT', headers: p.upload.headers, body: bytes })).status, 200);
  ok(await api('/complete', { token: p.token }));
  const again = ok(await api('/presign', { route: 'dd', file: { name: 'b.txt', size: bytes.length, sha256: sha } }));
  assert.equal(again.existing.file.key, p.key);

  // Hook: asked with the hash; its key is HEADed before use (missing -> upload as usual).
  const miss = ok(await api('/presign', { route: 'hooked', file: { name: 'c.txt', size: bytes.length, sha256: sha } }));
  assert.ok(miss.upload);
  await store.put('dd/known', new Blob([bytes]).stream(), { size: bytes.length, contentType: 'text/plain' });
  const hit = ok(await api('/presign', { route: 'hooked', file: { name: 'c.txt', size: bytes.length, sha256: sha } }));
  assert.equal(hit.existing.file.key, 'dd/known');
  assert.deepEqual(seen.at(-1), [sha, 'hooked', bytes.length]);

  const { routes } = await (await fetch(`${srv.url}/api/vs3/routes`)).json();
  assert.equal(routes.dd.dedupe, true);
  assert.equal(routes.hooked.dedupe, true);
  assert.equal(routes.plain.dedupe, undefined);
  assert.throws(() => createHandler({ secret: SECRET, storage, routes: { x: { maxFileSize: 1, dedupe: {} } } }), /dedupe/);
});
