// Issue 9, errors and logging: no 5xx from client input, no internal messages to the client, every
// unexpected error and 5xx to onError with a request id, JSON-only POSTs, escaped messages; and the
// demo server's static files (a bad escape must not end the process, %2f must not open server code).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHandler, defineRoute, localStorage, memoryStore, Vs3Error } from 'vs3/server';
import * as v from 'valibot';
import { startDemo } from '../../e2e/browser.mjs';
import { SECRET, post } from './helpers.mjs';

const SHA = 'a'.repeat(64);

function setup(extra = {}) {
  const reports = [];
  const storage = localStorage({ store: memoryStore(), secret: SECRET });
  const handler = createHandler({
    secret: SECRET,
    storage: extra.storage ?? storage,
    onError: (error, request, info) => reports.push({ error, info, url: request.url }),
    routes: {
      files: defineRoute({ maxFileSize: '1MB', requireChecksum: false }),
      meta: defineRoute({
        maxFileSize: '1MB',
        requireChecksum: false,
        metadata: v.object({ folder: v.string() }),
        key: ({ metadata, safeName }) => `${metadata.folder}/${safeName}`,
      }),
      leaky: defineRoute({
        maxFileSize: '1MB',
        authorize: () => {
          throw new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432');
        },
      }),
      typo: defineRoute({ maxFileSize: '1MB', authorize: (req) => req.nope.user }), // a TypeError
      polite: defineRoute({
        maxFileSize: '1MB',
        authorize: () => {
          throw new Vs3Error('forbidden', 'sign in to upload', 403);
        },
      }),
    },
    ...extra,
  });
  return { handler, reports };
}

const body = async (res) => ({ status: res.status, headers: res.headers, ...(await res.json()) });
const presign = (handler, over = {}, headers) =>
  post(handler, '/api/vs3/presign', { route: 'files', file: { name: 'a.txt', size: 3, type: 'text/plain' }, ...over }, headers).then(body);

test('metadata nested 10,000 deep is a 400, not a stack overflow (500)', async () => {
  const { handler, reports } = setup();
  // Built as text: JSON.stringify itself would overflow the stack on such a value.
  const send = (metadataText) =>
    handler(
      new Request('http://vs3.test/api/vs3/presign', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"route":"meta","file":{"name":"a.txt","size":3},"metadata":' + metadataText + '}',
      }),
    ).then(body);
  const r = await send('{"a":'.repeat(10_000) + '{"folder":"x"}' + '}'.repeat(10_000));
  assert.equal(r.status, 400);
  assert.equal(r.error.code, 'invalid_metadata');
  assert.match(r.error.message, /nested deeper than 32/);
  const arrays = await send('['.repeat(10_000) + ']'.repeat(10_000));
  assert.equal(arrays.status, 400);
  assert.equal((await send('{"a":'.repeat(31) + '{"folder":"x"}' + '}'.repeat(31))).error.code, 'invalid_metadata'); // schema says no
  assert.deepEqual(reports, []);
});

test('a key() result that is not a usable key is a 400 invalid_key, not a 500', async () => {
  const { handler, reports } = setup();
  for (const folder of ['..', '', 'a\\b', '.vs3']) {
    const r = await presign(handler, { route: 'meta', metadata: { folder } });
    assert.equal(r.status, 400, `${folder}: ${r.status}`);
    assert.equal(r.error.code, 'invalid_key');
  }
  assert.equal((await presign(handler, { route: 'meta', metadata: { folder: 'ok' } })).status, 200);
  assert.deepEqual(reports, []);
});

test('authorize: internal messages never reach the client; unexpected errors reach onError with a request id', async () => {
  const { handler, reports } = setup();
  const leaky = await presign(handler, { route: 'leaky' }, { 'x-request-id': 'req-42' });
  assert.equal(leaky.status, 403);
  assert.equal(leaky.error.message, 'not allowed');
  assert.ok(!JSON.stringify(leaky).includes('hunter2'));
  assert.equal(leaky.headers.get('x-request-id'), 'req-42');
  const typo = await presign(handler, { route: 'typo' });
  assert.equal(typo.status, 403);
  assert.equal(reports.length, 2);
  assert.match(reports[0].error.message, /hunter2/); // the operator sees it
  assert.equal(reports[0].info.requestId, 'req-42');
  assert.ok(reports[1].error instanceof TypeError);
  assert.equal(reports[1].info.requestId, typo.headers.get('x-request-id'));
  // A Vs3Error thrown on purpose is the answer, as is, and no incident.
  const polite = await presign(handler, { route: 'polite' });
  assert.equal(polite.status, 403);
  assert.equal(polite.error.message, 'sign in to upload');
  assert.equal(reports.length, 2);
});

test('5xx from storage reach onError; unexpected errors are a 500 naming the request id', async () => {
  const base = localStorage({ store: memoryStore(), secret: SECRET });
  const down = {
    ...base,
    presignPut: async () => {
      throw new Vs3Error('storage_error', 'storage unreachable', 502);
    },
  };
  const { handler, reports } = setup({ storage: down });
  const r = await presign(handler, { file: { name: 'a.txt', size: 3, type: 'text/plain', sha256: SHA } });
  assert.equal(r.status, 502);
  assert.equal(reports.length, 1);
  assert.equal(reports[0].info.requestId, r.headers.get('x-request-id'));

  const broken = {
    ...base,
    presignPut: async () => {
      throw new RangeError('boom');
    },
  };
  const b = setup({ storage: broken });
  const r2 = await presign(b.handler, { file: { name: 'a.txt', size: 3, type: 'text/plain', sha256: SHA } });
  assert.equal(r2.status, 500);
  assert.equal(r2.error.code, 'internal_error');
  assert.ok(r2.error.message.includes(r2.headers.get('x-request-id')));
  assert.ok(!r2.error.message.includes('boom'));
  assert.equal(b.reports[0].error.message, 'boom');
});

test('POST bodies must be application/json: text/plain and forms (no preflight cross-site) get 415', async () => {
  const { handler } = setup();
  for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null]) {
    const res = await handler(
      new Request('http://vs3.test/api/vs3/complete', { method: 'POST', headers: type ? { 'content-type': type } : {}, body: JSON.stringify({ token: 'x' }) }),
    );
    if (type === null) res.headers.get('content-type'); // a string body defaults to text/plain
    assert.equal(res.status, 415, `${type}`);
    assert.equal((await res.json()).error.code, 'unsupported_media_type');
  }
  const ok = await presign(handler, {}, { 'content-type': 'application/json; charset=utf-8' });
  assert.equal(ok.status, 200);
  assert.equal((await presign(handler, {}, { 'content-type': 'application/vnd.api+json' })).status, 200);
});

test('request ids: a sane x-request-id is echoed, anything else replaced; every answer has one', async () => {
  const { handler } = setup();
  const get = (headers) => handler(new Request('http://vs3.test/api/vs3/routes', { headers }));
  assert.equal((await get({ 'x-request-id': 'abc-123.x:y@z' })).headers.get('x-request-id'), 'abc-123.x:y@z');
  for (const bad of ['has space', 'a'.repeat(200), '<script>', 'a\u00e9']) {
    const id = (await get({ 'x-request-id': bad })).headers.get('x-request-id');
    assert.notEqual(id, bad);
    assert.match(id, /^[0-9a-f-]{36}$/);
  }
  const nf = await handler(new Request('http://vs3.test/api/vs3/nope'));
  assert.equal(nf.status, 404);
  assert.match(nf.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
  assert.equal(nf.headers.get('x-content-type-options'), 'nosniff');
});

test('error messages carry no raw control, bidi or line-separator characters', async () => {
  const { handler } = setup();
  const r = await presign(handler, { route: 'files\u2028\u202e\u0007x' });
  assert.equal(r.error.code, 'unknown_route');
  assert.ok(!/[\u0000-\u001f\u2028\u202e]/.test(r.error.message), JSON.stringify(r.error.message));
  assert.match(r.error.message, /\\u2028/);
  // File names with invisible formatting are refused outright (U+202E reverses "gpj.exe").
  for (const name of ['invoice\u202egpj.exe', 'a\u2028b.txt', 'zero\u200bwidth.txt', 'bom\ufeff.txt']) {
    const f = await presign(handler, { file: { name, size: 3, type: 'text/plain' } });
    assert.equal(f.error?.code, 'invalid_file_name', name);
  }
});

test('demo server: a bad escape answers 404 and the process lives; %2f cannot reach server code', async () => {
  const demo = await startDemo({ VS3_DATA_DIR: '/tmp/vs3-demo-hardening', VS3_S3_ENDPOINT: '' });
  try {
    for (const p of ['/%', '/%zz', '/vs3/%E0%A4%A']) assert.equal((await fetch(demo.url + p)).status, 404, p);
    for (const p of ['/vs3/client%2f..%2fserver%2fhandler.js', '/vs3/client/..%2fserver/handler.js', '/vs3/client%2F..%2F..%2Fpackage.json']) {
      const res = await fetch(demo.url + p);
      assert.equal(res.status, 404, p);
    }
    assert.equal((await fetch(demo.url + '/vs3/client/queue.js')).status, 200);
    assert.equal((await fetch(demo.url + '/')).status, 200, 'still serving');
  } finally {
    await demo.stop();
  }
});

test('docs/errors.md lists every error code the code can produce, with its status', async () => {
  const { readFile, readdir } = await import('node:fs/promises');
  const path = await import('node:path');
  const root = path.resolve(import.meta.dirname, '../..');
  const doc = await readFile(path.join(root, 'docs/errors.md'), 'utf8');
  const catalog = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]]));
  const union = [...(await readFile(path.join(root, 'js/src/errors.ts'), 'utf8')).matchAll(/^\s+\| '([a-z_]+)'/gm)].map((m) => m[1]);
  assert.ok(union.length > 30);
  for (const code of union) assert.ok(catalog.has(code), `docs/errors.md lacks ${code}`);
  // Every code thrown with a status in the sources has that status in the table.
  const files = (await readdir(path.join(root, 'js/src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
  for (const f of files) {
    const src = await readFile(path.join(root, 'js/src', f), 'utf8');
    for (const m of src.matchAll(/new Vs3Error\(\s*'([a-z_]+)'(?:[^;]*?,\s*(\d{3})\s*[,)])?/g)) {
      assert.ok(catalog.has(m[1]), `${f}: ${m[1]} is not in docs/errors.md`);
      if (m[2])
        assert.ok(catalog.get(m[1]).includes(m[2]) || catalog.get(m[1]).includes('any'), `${f}: ${m[1]} with ${m[2]}, the table says ${catalog.get(m[1])}`);
    }
  }
});

test('CORS: preflights for allowed origins (exact and patterns), Vary: Origin, none for others', async () => {
  const cors = { origins: ['https://app.example', /^https:\/\/[a-z0-9]+\.preview\.example$/], credentials: true, maxAge: 300, headers: ['x-tenant'] };
  const { handler } = setup({ cors });
  const pre = (origin, path = '/api/vs3/presign') =>
    handler(
      new Request(`http://vs3.test${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      }),
    );
  for (const origin of ['https://app.example', 'https://pr7.preview.example']) {
    const r = await pre(origin);
    assert.equal(r.status, 204, origin);
    assert.equal(r.headers.get('access-control-allow-origin'), origin);
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(r.headers.get('access-control-allow-methods'), 'POST');
    assert.match(r.headers.get('access-control-allow-headers'), /content-type/);
    assert.match(r.headers.get('access-control-allow-headers'), /x-tenant/);
    assert.equal(r.headers.get('access-control-max-age'), '300');
    assert.match(r.headers.get('vary'), /Origin/);
  }
  const local = await pre('https://app.example', '/api/vs3/local/files/x/a.txt');
  assert.equal(local.status, 204);
  assert.match(local.headers.get('access-control-allow-methods'), /PUT/);
  for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'null']) {
    const r = await pre(origin);
    assert.equal(r.status, 403, origin);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  }
  // The actual request: the allowed origin is echoed (never "*" with credentials), others get nothing.
  const ok = await presign(handler, {}, { origin: 'https://app.example' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(ok.headers.get('access-control-expose-headers'), /x-request-id/);
  const evil = await presign(handler, {}, { origin: 'https://evil.example' });
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  assert.equal(evil.headers.get('vary'), 'Origin');
  // Without the option: same-origin only; a preflight is refused (it used to be a 405).
  const plain = setup().handler;
  const r = await plain(new Request('http://vs3.test/api/vs3/presign', { method: 'OPTIONS', headers: { origin: 'https://app.example' } }));
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  assert.throws(() => setup({ cors: { origins: '*', credentials: true } }), /credentials/);
  const star = setup({ cors: { origins: '*' } }).handler;
  assert.equal((await presign(star, {}, { origin: 'https://any.example' })).headers.get('access-control-allow-origin'), '*');
});

test('/complete runs onUploadComplete once per upload (replays and concurrent calls get the first answer) and re-runs authorize', async () => {
  const { createHash } = await import('node:crypto');
  let runs = 0;
  const storage = localStorage({ store: memoryStore(), secret: SECRET });
  const handler = createHandler({
    secret: SECRET,
    storage,
    routes: {
      files: defineRoute({ maxFileSize: '1MB', onUploadComplete: () => ({ run: ++runs }) }),
      guarded: defineRoute({ maxFileSize: '1MB', authorize: (req) => req.headers.get('x-user') === 'alice' }),
    },
  });
  const bytes = new TextEncoder().encode('hello');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  async function upload(route, headers = {}) {
    const p = await (
      await post(handler, '/api/vs3/presign', { route, file: { name: 'a.txt', size: bytes.length, type: 'text/plain', sha256 } }, headers)
    ).json();
    const put = await handler(
      new Request(p.upload.url, { method: 'PUT', headers: { ...p.upload.headers, 'content-length': String(bytes.length) }, body: bytes }),
    );
    assert.equal(put.status, 200);
    return p.token;
  }
  const token = await upload('files');
  const answers = await Promise.all(Array.from({ length: 10 }, () => post(handler, '/api/vs3/complete', { token }).then((r) => r.json())));
  for (let i = 0; i < 40; i++) answers.push(await (await post(handler, '/api/vs3/complete', { token })).json());
  assert.equal(runs, 1, 'the hook ran once');
  for (const a of answers) assert.deepEqual(a.result, { run: 1 });
  // Another upload is another completion.
  await post(handler, '/api/vs3/complete', { token: await upload('files') });
  assert.equal(runs, 2);

  const g = await upload('guarded', { 'x-user': 'alice' });
  const signedOut = await post(handler, '/api/vs3/complete', { token: g });
  assert.equal(signedOut.status, 403);
  assert.equal((await post(handler, '/api/vs3/complete', { token: g }, { 'x-user': 'alice' })).status, 200);
});

test('CORS: an origin RegExp with the g flag allows the same origin every time (lastIndex is reset)', async () => {
  const { handler } = setup({ cors: { origins: [/^https:\/\/app\.example$/g] } });
  for (let i = 0; i < 4; i++) {
    const res = await handler(new Request('http://vs3.test/api/vs3/routes', { headers: { origin: 'https://app.example' } }));
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example', `call ${i + 1}`);
  }
});
