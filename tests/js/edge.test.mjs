// The presign handler on an edge runtime: real workerd (npm `workerd`, driven by Miniflare).
// Bundled with esbuild for platform "neutral": importing any Node built-in fails the build.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { ensureBucket, s3OptionsFromEnv } from 'vs3/node';
import { SECRET, bundleWorker, s3Bindings } from './helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sha256hex = (b) => createHash('sha256').update(b).digest('hex');
const ORIGIN = 'http://edge.test';

async function bundle() {
  return bundleWorker(path.join(root, 'tests/edge/worker.mjs'));
}

let script;
before(async () => {
  script = await bundle();
});

function worker(bindings) {
  return new Miniflare({ modules: true, script, compatibilityDate: '2025-09-01', bindings: { SECRET, ...bindings } });
}

const post = (mf, p, body) =>
  mf.dispatchFetch(`${ORIGIN}/api/vs3${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('the handler bundle has no Node built-ins (esbuild, platform neutral)', async () => {
  assert.ok(script.length > 1000);
  assert.doesNotMatch(script, /from\s*["']node:|require\(["'](node:)?(fs|crypto|path|buffer|stream)["']\)/);
});

test('workerd: presign -> PUT -> complete -> download through the local driver', async (t) => {
  const mf = worker({ DRIVER: 'local' });
  t.after(() => mf.dispose());
  const bytes = randomBytes(300_000);
  const sha256 = sha256hex(bytes);
  const pres = await post(mf, '/presign', { route: 'files', file: { name: 'Rapport été 2026 (final).csv', size: bytes.length, type: 'text/csv', sha256 } });
  assert.equal(pres.status, 200);
  const p = await pres.json();
  assert.match(p.key, /^files\/[0-9a-f-]{36}\/[A-Za-z0-9._-]+\.csv$/);
  assert.ok(p.upload.url.startsWith(`${ORIGIN}/api/vs3/local/`));

  const put = await mf.dispatchFetch(p.upload.url, { method: 'PUT', headers: { ...p.upload.headers, 'content-length': String(bytes.length) }, body: bytes });
  assert.equal(put.status, 200, await put.clone().text());

  const done = await post(mf, '/complete', { token: p.token });
  assert.equal(done.status, 200);
  const { file } = await done.json();
  assert.equal(file.sha256, sha256);
  const dl = await mf.dispatchFetch(file.url);
  assert.equal(dl.status, 200);
  assert.equal(sha256hex(Buffer.from(await dl.arrayBuffer())), sha256);
});

test('workerd: bad input gets 4xx with stable codes, never 500', async (t) => {
  const mf = worker({ DRIVER: 'local' });
  t.after(() => mf.dispose());
  const cases = [
    ['/presign', '{not json', 400, 'invalid_json'],
    ['/presign', { route: 'nope', file: { name: 'a.bin', size: 1, type: 'application/octet-stream', sha256: 'a'.repeat(64) } }, 404, 'unknown_route'],
    ['/presign', { route: 'files', file: { name: 'a.bin', size: 3_000_000, type: 'application/octet-stream', sha256: 'a'.repeat(64) } }, 413, 'file_too_large'],
    ['/presign', { route: 'images', file: { name: 'a.exe', size: 10, type: 'application/x-msdownload', sha256: 'a'.repeat(64) } }, 415, 'invalid_file_type'],
    ['/presign', { route: 'files', file: { name: '..', size: 10, type: 'text/plain', sha256: 'a'.repeat(64) } }, 400, 'invalid_file_name'],
    ['/complete', { token: 'eyJ2IjoxfQ.AAAA' }, 403, 'invalid_token'],
  ];
  for (const [p, body, status, code] of cases) {
    const res = await post(mf, p, body);
    const j = await res.json();
    assert.equal(res.status, status, `${p} ${JSON.stringify(body)} -> ${JSON.stringify(j)}`);
    assert.equal(j.error.code, code);
  }
  // Tampered upload URL: the signature no longer matches.
  const pres = await (await post(mf, '/presign', { route: 'files', file: { name: 'a.txt', size: 5, type: 'text/plain', sha256: sha256hex('hello') } })).json();
  const tampered = pres.upload.url.replace('size=5', 'size=6');
  const put = await mf.dispatchFetch(tampered, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hello!' });
  assert.equal(put.status, 403);
  assert.equal((await put.json()).error.code, 'invalid_signature');
});

const s3 = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, `vs3-edge-${Date.now().toString(36)}`) : null;
if (!s3 && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh');

test('workerd signs for real S3 (Ceph RGW): presign in workerd, PUT to RGW, complete checks RGW from workerd', {
  skip: s3 ? false : 'no S3 endpoint',
}, async (t) => {
  await ensureBucket(s3);
  const mf = worker({ DRIVER: 's3', ...s3Bindings(s3) });
  t.after(() => mf.dispose());
  const bytes = randomBytes(1_000_003);
  const sha256 = sha256hex(bytes);
  const p = await (
    await post(mf, '/presign', { route: 'files', file: { name: 'edge.bin', size: bytes.length, type: 'application/octet-stream', sha256 } })
  ).json();
  assert.ok(p.upload.url.startsWith(`${s3.endpoint}/${s3.bucket}/files/`), p.upload.url);

  // Before the PUT, completion must refuse: nothing is stored yet.
  const early = await post(mf, '/complete', { token: p.token });
  assert.equal(early.status, 409);
  assert.equal((await early.json()).error.code, 'upload_not_found');

  const put = await fetch(p.upload.url, { method: 'PUT', headers: p.upload.headers, body: bytes });
  assert.equal(put.status, 200, await put.text());
  const done = await post(mf, '/complete', { token: p.token });
  assert.equal(done.status, 200);
  const { file } = await done.json();
  assert.equal(file.sha256, sha256);
  // RGW ignores checksums: workerd read the object back and hashed it (crypto.DigestStream).
  assert.equal(file.verified, true);
  const dl = Buffer.from(await (await fetch(file.url)).arrayBuffer());
  assert.equal(sha256hex(dl), sha256);
  // Served as a download named after the file, never inline (response-content-disposition).
  const got = await fetch(file.url);
  await got.body.cancel();
  assert.match(got.headers.get('content-disposition') ?? '', /^attachment; filename="edge\.bin"/);

  // The upload URL is create-only: re-PUTting other bytes after completion cannot replace the object.
  const again = await fetch(p.upload.url, { method: 'PUT', headers: p.upload.headers, body: randomBytes(bytes.length) });
  assert.equal(again.status, 412);
  assert.equal(sha256hex(Buffer.from(await (await fetch(file.url)).arrayBuffer())), sha256);
});
