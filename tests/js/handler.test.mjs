// The Fetch-API presign handler: every bad request gets a 4xx with a stable code, never a 500.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v from 'valibot';
import { z } from 'zod';
import { createHandler, defineRoute, localStorage, memoryStore, s3Storage, sanitizeFileName } from 'vs3/server';
import { SECRET, post, sha256hex } from './helpers.mjs';

const bytes = new TextEncoder().encode('hello vs3');
const SHA = sha256hex(bytes);

function setup({ now = () => Date.now(), onComplete, ...extra } = {}) {
  const store = memoryStore();
  const completed = [];
  const handler = createHandler({
    secret: SECRET,
    storage: localStorage({ store, secret: SECRET }),
    now,
    routes: {
      files: defineRoute({ maxFileSize: '1MB', onUploadComplete: (c) => (completed.push(c), onComplete?.(c) ?? { ok: true }) }),
      images: defineRoute({ maxFileSize: 1000, allowedFileTypes: ['image/*', '.png', '.jpg'] }),
      pdf: defineRoute({ maxFileSize: 1000, allowedFileTypes: ['application/pdf'] }),
      tagged: defineRoute({ maxFileSize: 1000, metadata: z.object({ album: z.string().min(1), n: z.number().int().optional() }) }),
      vtagged: defineRoute({ maxFileSize: 1000, metadata: v.object({ album: v.pipe(v.string(), v.minLength(1)) }) }),
      nochecksum: defineRoute({ maxFileSize: 1000, requireChecksum: false }),
      private: defineRoute({ maxFileSize: 1000, authorize: (req) => req.headers.get('authorization') === 'Bearer ok' }),
      custom: defineRoute({ maxFileSize: 1000, key: ({ id, safeName }) => `custom/${id}-${safeName}` }),
    },
    ...extra,
  });
  return { handler, store, completed };
}

const file = (over = {}) => ({ name: 'hello.txt', size: bytes.length, type: 'text/plain', sha256: SHA, ...over });

async function expectError(resPromise, status, code) {
  const res = await resPromise;
  const body = await res.json();
  assert.equal(res.status, status, `status for ${code}: ${JSON.stringify(body)}`);
  assert.equal(body.error?.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
  return body;
}

async function presign(handler, route = 'files', f = file(), metadata) {
  const res = await post(handler, '/api/vs3/presign', { route, file: f, metadata });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

const put = (handler, upload, body = bytes, headers = {}) =>
  handler(new Request(upload.url, { method: 'PUT', headers: { ...upload.headers, 'content-length': String(body.length), ...headers }, body }));

test('happy path: presign -> PUT to the signed local URL -> complete -> download', async () => {
  const { handler, store, completed } = setup();
  const p = await presign(handler);
  assert.match(p.key, /^files\/[0-9a-f-]{36}\/hello\.txt$/);
  assert.equal(p.upload.method, 'PUT');
  assert.equal(p.upload.headers['content-type'], 'text/plain');
  assert.ok(p.upload.expiresAt > Date.now());
  const r = await put(handler, p.upload);
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal((await store.head(p.key)).sha256, SHA);

  const done = await post(handler, '/api/vs3/complete', { token: p.token });
  const body = await done.json();
  assert.equal(done.status, 200, JSON.stringify(body));
  assert.deepEqual(
    { ...body.file, url: undefined },
    { key: p.key, name: 'hello.txt', size: bytes.length, type: 'text/plain', sha256: SHA, url: undefined, verified: true },
  );
  assert.deepEqual(body.result, { ok: true });
  assert.equal(completed.length, 1);
  assert.equal(completed[0].key, p.key);

  const dl = await handler(new Request(body.file.url));
  assert.equal(dl.status, 200);
  assert.equal(dl.headers.get('content-type'), 'text/plain');
  assert.deepEqual(new Uint8Array(await dl.arrayBuffer()), bytes);
});

test('malformed and misshapen requests are 400s', async () => {
  const { handler } = setup();
  await expectError(post(handler, '/api/vs3/presign', '{"route":'), 400, 'invalid_json');
  await expectError(post(handler, '/api/vs3/presign', ''), 400, 'invalid_json');
  await expectError(post(handler, '/api/vs3/presign', '[1,2]'), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', 'null'), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 400, 'invalid_json');
  await expectError(post(handler, '/api/vs3/presign', { route: 42, file: file() }), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files' }), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: [] }), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ size: -1 }) }), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ size: 1.5 }) }), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ size: '9' }) }), 400, 'invalid_request');
  await expectError(post(handler, '/api/vs3/presign', 'x'.repeat(70_000)), 413, 'request_too_large');
  await expectError(post(handler, '/api/vs3/complete', '{'), 400, 'invalid_json');
});

test('unknown route, unknown path, wrong method', async () => {
  const { handler } = setup();
  await expectError(post(handler, '/api/vs3/presign', { route: 'nope', file: file() }), 404, 'unknown_route');
  await expectError(post(handler, '/api/vs3/elsewhere', {}), 404, 'not_found');
  await expectError(handler(new Request('http://vs3.test/other')), 404, 'not_found');
  const res = await handler(new Request('http://vs3.test/api/vs3/presign'));
  assert.equal(res.headers.get('allow'), 'POST');
  await expectError(Promise.resolve(res), 405, 'method_not_allowed');
  await expectError(handler(new Request('http://vs3.test/api/vs3/routes', { method: 'DELETE' })), 405, 'method_not_allowed');
});

test('size limits', async () => {
  const { handler } = setup();
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ size: 1_000_001 }) }), 413, 'file_too_large');
  await expectError(
    post(handler, '/api/vs3/presign', { route: 'images', file: file({ name: 'a.png', type: 'image/png', size: 1001 }) }),
    413,
    'file_too_large',
  );
  await presign(handler, 'files', file({ size: 1_000_000 }));
  await presign(handler, 'files', file({ size: 0, sha256: sha256hex(new Uint8Array()) }));
});

test('type rules: MIME patterns and extensions', async () => {
  const { handler } = setup();
  await presign(handler, 'images', file({ name: 'cat.png', type: 'image/png', size: 10 }));
  await presign(handler, 'images', file({ name: 'cat.JPG', type: 'IMAGE/JPEG', size: 10 }));
  await expectError(
    post(handler, '/api/vs3/presign', { route: 'images', file: file({ name: 'cat.png', type: 'text/html', size: 10 }) }),
    415,
    'invalid_file_type',
  );
  await expectError(
    post(handler, '/api/vs3/presign', { route: 'images', file: file({ name: 'cat.gif', type: 'image/gif', size: 10 }) }),
    415,
    'invalid_file_type',
  );
  await expectError(post(handler, '/api/vs3/presign', { route: 'images', file: file({ name: 'cat', type: 'image/png', size: 10 }) }), 415, 'invalid_file_type');
  await expectError(
    post(handler, '/api/vs3/presign', { route: 'pdf', file: file({ name: 'x.pdf', type: 'application/pdf; x=1', size: 10 }) }),
    415,
    'invalid_file_type',
  );
  await expectError(
    post(handler, '/api/vs3/presign', { route: 'pdf', file: file({ name: 'x.pdf', type: 'text/plain\r\nx-evil: 1', size: 10 }) }),
    415,
    'invalid_file_type',
  );
  await expectError(post(handler, '/api/vs3/presign', { route: 'pdf', file: file({ name: 'x.pdf', type: 7, size: 10 }) }), 415, 'invalid_file_type');
  // Empty type: derived from the extension.
  const p = await presign(handler, 'pdf', file({ name: 'doc.pdf', type: '', size: 10 }));
  assert.equal(p.upload.headers['content-type'], 'application/pdf');
});

test('file names: traversal, separators and control characters are refused; keys are sanitized', async () => {
  const { handler } = setup();
  for (const name of [
    '../etc/passwd',
    '..',
    '.',
    'a/b.txt',
    'a\\b.txt',
    '..\\..\\win.ini',
    'x\u0000.txt',
    'line\nbreak.txt',
    '',
    '   ',
    'a'.repeat(256),
    42,
    null,
  ]) {
    await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ name }) }), 400, 'invalid_file_name');
  }
  const p = await presign(handler, 'files', file({ name: 'Résumé final (v2) <script>.txt' }));
  assert.match(p.key, /^files\/[0-9a-f-]{36}\/Resume_final_v2_script\.txt$/);
  assert.equal(sanitizeFileName('..hidden'), 'hidden');
  assert.equal(sanitizeFileName('日本語.png'), 'file.png');
  const c = await presign(handler, 'custom', file());
  assert.match(c.key, /^custom\/[0-9a-f-]{36}-hello\.txt$/);
});

test('checksums: required, 64 hex digits, optional per route', async () => {
  const { handler } = setup();
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ sha256: undefined }) }), 400, 'invalid_checksum');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ sha256: 'abc' }) }), 400, 'invalid_checksum');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file({ sha256: 'g'.repeat(64) }) }), 400, 'invalid_checksum');
  await presign(handler, 'nochecksum', file({ sha256: undefined }));
});

test('metadata: Standard Schema (zod and valibot), none where no schema', async () => {
  const { handler, completed } = setup();
  const p = await presign(handler, 'tagged', file(), { album: 'summer', n: 3 });
  await put(handler, p.upload);
  const done = await post(handler, '/api/vs3/complete', { token: p.token });
  assert.equal(done.status, 200);
  await presign(handler, 'vtagged', file(), { album: 'x' });
  const bad = await expectError(post(handler, '/api/vs3/presign', { route: 'tagged', file: file(), metadata: { album: '', n: 1.5 } }), 400, 'invalid_metadata');
  assert.ok(bad.error.details.issues.length >= 2);
  assert.deepEqual(bad.error.details.issues.map((i) => i.path?.[0]).sort(), ['album', 'n']);
  await expectError(post(handler, '/api/vs3/presign', { route: 'vtagged', file: file(), metadata: { album: 3 } }), 400, 'invalid_metadata');
  await expectError(post(handler, '/api/vs3/presign', { route: 'tagged', file: file() }), 400, 'invalid_metadata');
  await expectError(post(handler, '/api/vs3/presign', { route: 'tagged', file: file(), metadata: { album: 'x'.repeat(5000) } }), 400, 'invalid_metadata');
  await expectError(post(handler, '/api/vs3/presign', { route: 'files', file: file(), metadata: { a: 1 } }), 400, 'invalid_metadata');
  assert.equal(completed.length, 0); // onUploadComplete of 'files' never ran for 'tagged'
});

test('authorize: refused without credentials, allowed with', async () => {
  const { handler } = setup();
  await expectError(post(handler, '/api/vs3/presign', { route: 'private', file: file() }), 403, 'forbidden');
  const ok = await post(handler, '/api/vs3/presign', { route: 'private', file: file() }, { authorization: 'Bearer ok' });
  assert.equal(ok.status, 200);
});

test('local upload URLs: tampered, expired, wrong length/type/checksum are refused and store nothing', async () => {
  let clock = Date.now();
  const { handler, store } = setup({ now: () => clock });
  const p = await presign(handler);
  const tamper = (fn) => {
    const u = new URL(p.upload.url);
    fn(u);
    return { ...p.upload, url: u.toString() };
  };
  await expectError(
    put(
      handler,
      tamper((u) => u.searchParams.set('size', '10')),
    ),
    403,
    'invalid_signature',
  );
  await expectError(
    put(
      handler,
      tamper((u) => u.searchParams.set('type', 'text/html')),
    ),
    403,
    'invalid_signature',
  );
  await expectError(
    put(
      handler,
      tamper((u) => u.searchParams.set('exp', String(clock + 1e9))),
    ),
    403,
    'invalid_signature',
  );
  await expectError(
    put(
      handler,
      tamper((u) => u.searchParams.set('sig', 'A'.repeat(43))),
    ),
    403,
    'invalid_signature',
  );
  await expectError(
    put(
      handler,
      tamper((u) => u.searchParams.delete('sig')),
    ),
    403,
    'invalid_signature',
  );
  await expectError(
    put(
      handler,
      tamper((u) => (u.pathname = u.pathname.replace('hello.txt', 'other.txt'))),
    ),
    403,
    'invalid_signature',
  );
  // '..' segments are normalized away by URL parsing; encoded separators must not smuggle them into a key.
  await expectError(
    put(
      handler,
      tamper((u) => (u.pathname = u.pathname.replace('hello.txt', '..%2F..%2F..%2Fetc%2Fpasswd'))),
    ),
    404,
    'not_found',
  );
  await expectError(put(handler, p.upload, bytes, { 'content-type': 'text/html' }), 400, 'content_type_mismatch');
  await expectError(put(handler, p.upload, new TextEncoder().encode('hello vs4')), 400, 'checksum_mismatch');
  await expectError(put(handler, p.upload, new TextEncoder().encode('hello vs3!')), 400, 'content_length_mismatch');
  // A body longer than its declared length is cut off by the runtime; a lying Content-Length is caught by the store.
  await expectError(
    handler(
      new Request(p.upload.url, {
        method: 'PUT',
        headers: { ...p.upload.headers, 'content-length': String(bytes.length) },
        body: new TextEncoder().encode('hello vs3 and more'),
      }),
    ),
    400,
    'content_length_mismatch',
  );
  await expectError(
    handler(
      new Request(p.upload.url, {
        method: 'PUT',
        headers: p.upload.headers,
        body: new ReadableStream({
          start(c) {
            c.enqueue(bytes);
            c.close();
          },
        }),
        duplex: 'half',
      }),
    ),
    411,
    'missing_content_length',
  );
  assert.deepEqual(await store.list(), []);
  await expectError(handler(new Request(p.upload.url, { method: 'DELETE' })), 405, 'method_not_allowed');
  clock += 601_000;
  await expectError(put(handler, p.upload), 403, 'url_expired');
  assert.deepEqual(await store.list(), []);
});

test('complete: tampered or expired token, nothing uploaded, mismatching object', async () => {
  let clock = Date.now();
  const { handler, store, completed } = setup({ now: () => clock });
  const p = await presign(handler);
  await expectError(post(handler, '/api/vs3/complete', {}), 403, 'invalid_token');
  await expectError(post(handler, '/api/vs3/complete', { token: 'abc' }), 403, 'invalid_token');
  const [body, sig] = p.token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url')), size: 1 })).toString('base64url');
  await expectError(post(handler, '/api/vs3/complete', { token: `${forged}.${sig}` }), 403, 'invalid_token');
  await expectError(post(handler, '/api/vs3/complete', { token: p.token }), 409, 'upload_not_found');
  // An object under the key that is not what was signed (written behind the handler's back).
  await store.put(p.key, new Blob(['other bytes']).stream(), { size: 11, contentType: 'text/plain' });
  await expectError(post(handler, '/api/vs3/complete', { token: p.token }), 409, 'upload_mismatch');
  clock += 600_000 + 3_600_000 + 1;
  await expectError(post(handler, '/api/vs3/complete', { token: p.token }), 403, 'token_expired');
  assert.equal(completed.length, 0);
});

test('downloads need a valid signature', async () => {
  const { handler } = setup();
  const p = await presign(handler);
  await put(handler, p.upload);
  const url = (await (await post(handler, '/api/vs3/complete', { token: p.token })).json()).file.url;
  const u = new URL(url);
  u.searchParams.set('sig', 'x');
  await expectError(handler(new Request(u)), 403, 'invalid_signature');
  const head = await handler(new Request(url, { method: 'HEAD' }));
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(bytes.length));
});

test('GET /routes publishes the rules clients may pre-check', async () => {
  const { handler } = setup();
  const res = await handler(new Request('http://vs3.test/api/vs3/routes'));
  const { routes } = await res.json();
  assert.deepEqual(routes.images, { maxFileSize: 1000, minFileSize: 0, allowedFileTypes: ['image/*', '.png', '.jpg'], requireChecksum: true, metadata: false });
  assert.equal(routes.files.maxFileSize, 1_000_000);
});

test('route configuration errors are caught at creation, not per request', () => {
  const storage = localStorage({ store: memoryStore(), secret: SECRET });
  assert.throws(() => createHandler({ secret: 'short', storage, routes: {} }), /secret/);
  assert.throws(() => createHandler({ secret: SECRET, storage, routes: { 'a b': { maxFileSize: 1 } } }), /route name/);
  assert.throws(() => createHandler({ secret: SECRET, storage, routes: { a: { maxFileSize: 'lots' } } }), /invalid size/);
  assert.throws(() => createHandler({ secret: SECRET, storage, routes: { a: { maxFileSize: 1, allowedFileTypes: ['png'] } } }), /allowedFileTypes/);
});

test('S3 driver signs Content-Length, Content-Type and the checksum into the URL', async () => {
  const storage = s3Storage({ endpoint: 'http://127.0.0.1:9', bucket: 'b', accessKeyId: 'AK', secretAccessKey: 'SK' });
  const handler = createHandler({ secret: SECRET, storage, routes: { files: { maxFileSize: 1000 } } });
  const p = await presign(handler);
  const u = new URL(p.upload.url);
  assert.equal(u.origin + u.pathname.replace(/[^/]+\/hello\.txt$/, ''), 'http://127.0.0.1:9/b/files/');
  // if-none-match: * makes the URL create-only: it cannot replace the object once stored;
  // x-amz-meta-vs3-upload records which upload stored it (completion deletes only its own).
  assert.equal(
    u.searchParams.get('X-Amz-SignedHeaders'),
    'content-length;content-type;host;if-none-match;x-amz-checksum-sha256;x-amz-meta-vs3-sha256;x-amz-meta-vs3-upload',
  );
  assert.match(p.upload.headers['x-amz-meta-vs3-upload'], /^[A-Za-z0-9_-]{22}$/);
  assert.equal(p.upload.headers['if-none-match'], '*');
  assert.equal(u.searchParams.get('X-Amz-Expires'), '600');
  assert.equal(p.upload.headers['x-amz-checksum-sha256'], Buffer.from(SHA, 'hex').toString('base64'));
  assert.equal(p.upload.headers['x-amz-meta-vs3-sha256'], SHA);
  // Storage unreachable at completion: a 502 with a stable code, not a 500.
  await expectError(post(handler, '/api/vs3/complete', { token: p.token }), 502, 'storage_error');
});

test("presigned URLs are aws4fetch's exactly: the node:crypto fast path signs what WebCrypto would (300 random uploads and parts)", async () => {
  const { AwsV4Signer } = await import('aws4fetch');
  let seed = 7;
  const rnd = (n) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const names = ['a.bin', 'photo 1.jpg', 'ünïcødé ✓.txt', "it's (x)*!.png", 'a+b=c&d.csv', '%41.bin'];
  for (let i = 0; i < 300; i++) {
    const region = ['us-east-1', 'eu-west-3', 'auto'][rnd(3)];
    const accessKeyId = `AK${rnd(1000)}`;
    const secretAccessKey = `SK/${rnd(1e6)}+x`;
    const sessionToken = rnd(2) ? undefined : `tok${rnd(99)}`;
    const s3 = s3Storage({
      endpoint: ['https://s3.example.com', 'http://127.0.0.1:7480/prefix'][rnd(2)],
      bucket: `b${rnd(5)}`,
      region,
      accessKeyId,
      secretAccessKey,
      sessionToken,
    });
    const now = Date.UTC(2026, rnd(12), 1 + rnd(28), rnd(24), rnd(60), rnd(60));
    const key = `files/${rnd(1e9)}/${names[rnd(names.length)]}`;
    const size = rnd(5e9);
    const signed = rnd(2)
      ? await s3.presignPut(
          {
            key,
            size,
            contentType: ['image/png', 'text/plain; charset=utf-8'][rnd(2)],
            sha256: rnd(2) ? sha256hex(String(i)) : undefined,
            expiresIn: 1 + rnd(3600),
            uploadTag: `t${i}`,
          },
          { baseUrl: 'http://x', now },
        )
      : await s3.presignPart(
          { key, uploadId: `up/${rnd(1e6)}~id`, partNumber: 1 + rnd(10000), size, crc32c: 'AAAAAA==', expiresIn: 1 + rnd(3600) },
          { baseUrl: 'http://x', now },
        );
    const url = new URL(signed.url);
    // The same request through aws4fetch alone (WebCrypto): the URL without what signing adds.
    const bare = new URL(signed.url);
    for (const p of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'])
      bare.searchParams.delete(p);
    const reference = await new AwsV4Signer({
      url: bare.toString(),
      method: 'PUT',
      headers: { ...signed.headers, 'content-length': String(size) },
      accessKeyId,
      secretAccessKey,
      sessionToken,
      service: 's3',
      region,
      signQuery: true,
      allHeaders: true,
      datetime: url.searchParams.get('X-Amz-Date'),
    }).sign();
    assert.equal(url.searchParams.get('X-Amz-Signature'), reference.url.searchParams.get('X-Amz-Signature'), `case ${i}: ${signed.url}`);
    assert.match(url.searchParams.get('X-Amz-Signature'), /^[0-9a-f]{64}$/);
  }
});

test("local driver list(): the handler's own .vs3/ objects do not eat into the limit", async () => {
  const store = memoryStore();
  const storage = localStorage({ store, secret: SECRET });
  for (let i = 0; i < 5; i++) await storage.putObject(`.vs3/dedupe/files/${i}.json`, new TextEncoder().encode('{}'), 'application/json');
  for (let i = 0; i < 3; i++) await storage.putObject(`files/${i}.bin`, new Uint8Array([i]), 'application/octet-stream');
  const listed = await storage.list({ limit: 3 });
  assert.deepEqual(listed.map((o) => o.key).sort(), ['files/0.bin', 'files/1.bin', 'files/2.bin']);
  assert.equal((await storage.list({ prefix: '.vs3/', limit: 2 })).length, 2, 'asked for by prefix: listed');
});
