// Integration against a real S3 engine: Ceph RADOS Gateway started by scripts/rgw.sh (scripts/test.sh does it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUploader, fetchTransport } from 'vs3/client';
import { ensureBucket, loadCoreNode, s3OptionsFromEnv } from 'vs3/node';
import { createHandler, defineRoute, s3Storage } from 'vs3/server';
import { SECRET, post, randomFile, serve, sha256hex } from './helpers.mjs';

const bucket = `vs3-it-${Date.now().toString(36)}`;
const opts = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, bucket) : null;
if (!opts && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh (scripts/test.sh does)');
const skip = opts ? false : 'no S3 endpoint (run through scripts/test.sh)';

const core = opts ? await loadCoreNode() : null;
const storage = opts ? s3Storage(opts) : null;
const routes = { files: defineRoute({ maxFileSize: '64MB' }), images: defineRoute({ maxFileSize: '1MB', allowedFileTypes: ['image/*'] }) };
const handlerAt = (now) => createHandler({ secret: SECRET, storage, routes, now });

async function presign(handler, f, name = 'data.bin', type = 'application/octet-stream') {
  const res = await post(handler, '/api/vs3/presign', { route: 'files', file: { name, size: f.bytes.length, type, sha256: f.sha256 } });
  assert.equal(res.status, 200);
  return res.json();
}

test('bucket setup is idempotent and sets CORS for the browser origin', { skip }, async () => {
  await ensureBucket(opts, { corsOrigins: ['http://127.0.0.1:5555'] });
  await ensureBucket(opts, { corsOrigins: ['http://127.0.0.1:5555'] });
  const pre = await fetch(storage.objectUrl('files/x'), {
    method: 'OPTIONS',
    headers: {
      origin: 'http://127.0.0.1:5555',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type,x-amz-meta-vs3-sha256',
    },
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'http://127.0.0.1:5555');
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /PUT/);
});

test('client -> handler -> RGW: upload, confirm, download, list', { skip }, async (t) => {
  await ensureBucket(opts);
  const srv = await serve(handlerAt());
  t.after(() => srv.close());
  const uploader = createUploader({ endpoint: `${srv.url}/api/vs3`, core, transport: fetchTransport(), retry: { seed: 1 } });
  const f = randomFile(7 * 1024 * 1024 + 11, 'photo set.tar');
  const res = await uploader.upload(f.blob, { route: 'files' });
  assert.equal(res.sha256, f.sha256);
  assert.equal(res.verified, true, 'RGW proves no checksum: the handler read the object back');

  const head = await storage.head(res.key);
  assert.equal(head.size, f.bytes.length);
  assert.equal(head.sha256, undefined, 'RGW reports no checksum it verified');
  assert.equal(head.claimedSha256, f.sha256);
  assert.equal(head.contentType, 'application/octet-stream');

  const dl = Buffer.from(await (await fetch(res.url)).arrayBuffer());
  assert.equal(sha256hex(dl), f.sha256);

  const listed = await storage.list({ prefix: 'files/' });
  assert.ok(listed.some((o) => o.key === res.key && o.claimedSha256 === f.sha256 && o.size === f.bytes.length));
});

test('RGW enforces what was signed: length, type, headers, signature, expiry', { skip }, async () => {
  await ensureBucket(opts);
  const handler = handlerAt();
  const f = randomFile(4096);
  const p = await presign(handler, f);
  const put = (url, body, headers) => fetch(url, { method: 'PUT', body, headers });

  assert.equal((await put(p.upload.url, f.bytes.subarray(1), p.upload.headers)).status, 403, 'shorter body');
  assert.equal((await put(p.upload.url, Buffer.concat([f.bytes, Buffer.from('x')]), p.upload.headers)).status, 403, 'longer body');
  assert.equal((await put(p.upload.url, f.bytes, { ...p.upload.headers, 'content-type': 'text/html' })).status, 403, 'other type');
  assert.equal((await put(p.upload.url, f.bytes, { ...p.upload.headers, 'x-amz-meta-vs3-sha256': '0'.repeat(64) })).status, 403, 'other checksum metadata');
  const { 'x-amz-meta-vs3-sha256': _, ...noMeta } = p.upload.headers;
  assert.equal((await put(p.upload.url, f.bytes, noMeta)).status, 403, 'signed header left out');
  const forged = new URL(p.upload.url);
  forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
  assert.equal((await put(forged, f.bytes, p.upload.headers)).status, 403, 'forged signature');
  assert.equal(await storage.head(p.key), null, 'nothing was stored');

  // Completing before anything was stored.
  const early = await post(handler, '/api/vs3/complete', { token: p.token });
  assert.equal(early.status, 409);
  assert.equal((await early.json()).error.code, 'upload_not_found');

  const ok = await put(p.upload.url, f.bytes, p.upload.headers);
  assert.equal(ok.status, 200, await ok.clone().text());
  const done = await post(handler, '/api/vs3/complete', { token: p.token });
  assert.equal(done.status, 200);

  // A URL signed 11 minutes ago with a 10-minute lifetime.
  const stale = await presign(
    handlerAt(() => Date.now() - 660_000),
    f,
  );
  assert.equal((await put(stale.upload.url, f.bytes, stale.upload.headers)).status, 403, 'expired URL');
  assert.equal(await storage.head(stale.key), null);
});

test('storage errors are 502 storage_error, not 500', { skip }, async () => {
  const wrong = s3Storage({ ...opts, secretAccessKey: 'wrong-secret-wrong-secret-wrong!' });
  const handler = createHandler({ secret: SECRET, storage: wrong, routes });
  const f = randomFile(10);
  const p = await presign(handler, f);
  const res = await post(handler, '/api/vs3/complete', { token: p.token });
  assert.equal(res.status, 502);
  assert.equal((await res.json()).error.code, 'storage_error');
});

test('client re-presigns when RGW refuses an expired URL (RGW says only AccessDenied)', { skip }, async (t) => {
  await ensureBucket(opts);
  let lag = 660_000; // the first URL is signed 11 minutes in the past with a 10-minute lifetime
  let presigns = 0;
  const srv = await serve(createHandler({ secret: SECRET, storage, routes, now: () => Date.now() - lag }));
  t.after(() => srv.close());
  const fetchImpl = async (url, init) => {
    const res = await fetch(url, init);
    if (String(url).endsWith('/presign')) presigns++, (lag = 0);
    return res;
  };
  const uploader = createUploader({ endpoint: `${srv.url}/api/vs3`, core, transport: fetchTransport(), fetch: fetchImpl, retry: { seed: 1 } });
  const f = randomFile(100_000, 'late.bin');
  const res = await uploader.upload(f.blob, { route: 'files' });
  assert.equal(presigns, 2);
  assert.equal((await storage.head(res.key)).claimedSha256, f.sha256);
});
