// Multipart uploads and dedupe against a real S3 engine: Ceph RADOS Gateway from scripts/rgw.sh.
// Skipped without VS3_S3_ENDPOINT; VS3_REQUIRE_RGW=1 makes that an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureBucket, s3OptionsFromEnv } from 'vs3/node';
import { createHandler, crc32c, crc32cToBase64, defineRoute, s3Storage } from 'vs3/server';
import { SECRET, post, randomFile, sha256hex } from './helpers.mjs';

const bucket = `vs3-mp-${Date.now().toString(36)}`;
const opts = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, bucket) : null;
if (!opts && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh (scripts/test.sh does)');
const skip = opts ? false : 'no S3 endpoint (run through scripts/test.sh)';

const PART = 5 * 1024 * 1024;
const storage = opts ? s3Storage(opts) : null;
const completed = [];
const handler = opts
  ? createHandler({
      secret: SECRET,
      storage,
      routes: {
        files: defineRoute({ maxFileSize: '1GB', onUploadComplete: (c) => (completed.push(c), { n: completed.length }) }),
        dd: defineRoute({ maxFileSize: '1GB', dedupe: true, onUploadComplete: (c) => ({ deduplicated: c.deduplicated ?? false }) }),
      },
    })
  : null;

async function api(p, body) {
  const res = await post(handler, `/api/vs3${p}`, body);
  const json = await res.json();
  assert.equal(res.status, 200, `${p}: ${JSON.stringify(json)}`);
  return json;
}

const crcOf = (bytes) => crc32cToBase64(crc32c(bytes));
const parts = (bytes) =>
  Array.from({ length: Math.ceil(bytes.length / PART) }, (_, i) => ({ partNumber: i + 1, bytes: bytes.subarray(i * PART, (i + 1) * PART) }));

async function createAndPut(f, route = 'files', name = 'big.bin') {
  const c = await api('/multipart/create', { route, file: { name, size: f.bytes.length, type: 'application/octet-stream' }, partSize: PART });
  const ps = parts(f.bytes);
  const { parts: signed } = await api('/multipart/sign', { token: c.token, parts: ps.map((p) => ({ partNumber: p.partNumber, crc32c: crcOf(p.bytes) })) });
  for (const [i, s] of signed.entries()) {
    const res = await fetch(s.url, { method: s.method, headers: s.headers, body: ps[i].bytes });
    assert.equal(res.status, 200, `part ${s.partNumber}: ${await res.clone().text()}`);
  }
  return c;
}

test('RGW: 3 parts of 5 MiB + tail, complete, bytes verified; complete twice is idempotent', { skip }, async () => {
  await ensureBucket(opts);
  const f = randomFile(3 * PART + 4321);
  const c = await createAndPut(f);
  assert.equal(c.partCount, 4);
  const listed = await storage.listParts(c.key, c.uploadId);
  assert.deepEqual(
    listed.map((p) => [p.partNumber, p.size]),
    [
      [1, PART],
      [2, PART],
      [3, PART],
      [4, 4321],
    ],
  );

  const done = await api('/multipart/complete', { token: c.token, sha256: f.sha256 });
  assert.equal(done.file.key, c.key);
  assert.equal(done.file.size, f.bytes.length);
  assert.equal(done.file.sha256, f.sha256);
  const dl = Buffer.from(await (await fetch(done.file.url)).arrayBuffer());
  assert.equal(dl.length, f.bytes.length);
  assert.equal(sha256hex(dl), f.sha256);
  assert.equal((await storage.head(c.key)).contentType, 'application/octet-stream');

  const again = await api('/multipart/complete', { token: c.token, sha256: f.sha256 });
  assert.equal(again.file.key, c.key);
  assert.deepEqual(again.result, { n: 1 }, 'the recorded answer: onUploadComplete ran once');
  assert.equal((await storage.listMultipartUploads(c.key)).length, 0);
});

test('RGW: a missing part is 409 upload_incomplete; the part URL is bound to its length', { skip }, async () => {
  await ensureBucket(opts);
  const f = randomFile(PART + 10);
  const c = await api('/multipart/create', { route: 'files', file: { name: 'x.bin', size: f.bytes.length }, partSize: PART });
  const ps = parts(f.bytes);
  const {
    parts: [s1],
  } = await api('/multipart/sign', { token: c.token, parts: [{ partNumber: 1, crc32c: crcOf(ps[0].bytes) }] });
  assert.equal((await fetch(s1.url, { method: 'PUT', headers: s1.headers, body: ps[0].bytes.subarray(1) })).status, 403, 'shorter body');
  assert.equal((await fetch(s1.url, { method: 'PUT', headers: s1.headers, body: ps[0].bytes })).status, 200);
  const res = await post(handler, '/api/vs3/multipart/complete', { token: c.token, sha256: f.sha256 });
  assert.equal(res.status, 409);
  const { error } = await res.json();
  assert.equal(error.code, 'upload_incomplete');
  assert.deepEqual(error.details, { missing: [2], wrongSize: [] });
  await api('/multipart/abort', { token: c.token });
});

test('RGW: abort leaves ListMultipartUploads empty; abort again is fine', { skip }, async () => {
  await ensureBucket(opts);
  const f = randomFile(PART + 1);
  const c = await createAndPut(f);
  assert.deepEqual(
    (await storage.listMultipartUploads(c.key)).map((u) => u.uploadId),
    [c.uploadId],
  );
  assert.deepEqual(await api('/multipart/abort', { token: c.token }), { aborted: true });
  assert.deepEqual(await storage.listMultipartUploads(c.key), []);
  assert.equal(await storage.listParts(c.key, c.uploadId), null);
  assert.deepEqual(await api('/multipart/abort', { token: c.token }), { aborted: true });
  const res = await post(handler, '/api/vs3/multipart/complete', { token: c.token, sha256: f.sha256 });
  assert.equal(res.status, 409);
  assert.equal((await res.json()).error.code, 'upload_not_found');
  assert.equal(await storage.head(c.key), null);
});

test('RGW: dedupe finds a completed upload by SHA-256 and aborts the new multipart upload', { skip }, async () => {
  await ensureBucket(opts);
  const f = randomFile(PART + 777);
  const first = await createAndPut(f, 'dd');
  assert.equal(first.dedupe, true);
  await api('/multipart/complete', { token: first.token, sha256: f.sha256 });

  const second = await api('/multipart/create', { route: 'dd', file: { name: 'copy.bin', size: f.bytes.length }, partSize: PART });
  assert.deepEqual(await api('/dedupe', { token: second.token, sha256: 'c'.repeat(64) }), { existing: null });
  const hit = await api('/dedupe', { token: second.token, sha256: f.sha256 });
  assert.equal(hit.existing.file.key, first.key);
  assert.equal(hit.existing.file.deduplicated, true);
  assert.deepEqual(hit.existing.result, { deduplicated: true });
  assert.deepEqual(await storage.listMultipartUploads(second.key), []);
  assert.equal(sha256hex(Buffer.from(await (await fetch(hit.existing.file.url)).arrayBuffer())), f.sha256);

  const pre = await api('/presign', { route: 'dd', file: { name: 'again.bin', size: f.bytes.length, sha256: f.sha256 } });
  assert.equal(pre.existing.file.key, first.key);
  // The marker is not listed with the uploads.
  assert.ok(!(await storage.list({ prefix: '' })).some((o) => o.key.startsWith('.vs3/')));
});
