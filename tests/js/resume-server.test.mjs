// The server half of uploads that survive a reload: POST /multipart/resume (expired tokens within the
// resume window, re-authorization, parts from storage), ListParts / ListMultipartUploads paging, and
// cleanup() of abandoned uploads. Local driver always; Ceph RGW too when VS3_S3_ENDPOINT is set
// (scripts/rgw.sh, as scripts/test.sh does); VS3_REQUIRE_RGW=1 makes its absence an error.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { ensureBucket, s3OptionsFromEnv } from 'vs3/node';
import { cleanup, crc32c, crc32cToBase64, createHandler, defineRoute, localStorage, memoryStore, s3Storage } from 'vs3/server';
import { SECRET, randomFile, serve, sha256hex } from './helpers.mjs';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const bucket = `vs3-resume-${Date.now().toString(36)}`;
const rgwOpts = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, bucket) : null;
if (!rgwOpts && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh (scripts/test.sh does)');
let bucketReady;
const backends = [
  { name: 'local', skip: false, storage: () => localStorage({ store: memoryStore(), secret: SECRET }) },
  {
    name: 'RGW',
    skip: rgwOpts ? false : 'no S3 endpoint (run through scripts/test.sh)',
    // RGW checks the date signed into a part URL against its own clock: URLs must be signed at real time.
    realClockUrls: true,
    storage: (extra = {}) => s3Storage({ ...rgwOpts, ...extra }),
    ready: () => (bucketReady ??= ensureBucket(rgwOpts)),
  },
];

const routes = {
  files: defineRoute({ maxFileSize: '1GB' }),
  guarded: defineRoute({ maxFileSize: '1GB', authorize: (req) => req.headers.get('x-user') === 'alice' }),
  // Anyone signed in may upload; only the one who began an upload may resume it.
  owned: defineRoute({ maxFileSize: '1GB', authorize: (req) => req.headers.get('x-user') || false, owner: (user) => user }),
  cl: defineRoute({ maxFileSize: '1GB' }),
};

/** A handler over HTTP (local part URLs point at it) with a clock the test moves: `clock.offset` ms. */
async function setup(t, b, { storage = b.storage(), ...extra } = {}) {
  await b.ready?.();
  const clock = { offset: 0 };
  const handler = createHandler({ secret: SECRET, storage, routes, now: () => Date.now() + clock.offset, ...extra });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const api = async (p, body, headers = {}) => {
    const res = await fetch(`${srv.url}/api/vs3${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return { storage, clock, api, url: srv.url };
}

const ok = (r) => (assert.equal(r.status, 200, JSON.stringify(r.body)), r.body);
function err(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error?.code, code, JSON.stringify(r.body));
  return r.body.error;
}
const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url'));
/** A token signed as the handler signs them (tests of tokens it no longer makes, e.g. without iat). */
const signToken = (claims) => {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${createHmac('sha256', SECRET)
    .update('vs3-token.' + body)
    .digest('base64url')}`;
};

const crcOf = (bytes) => crc32cToBase64(crc32c(bytes));
const partsOf = (bytes) =>
  Array.from({ length: Math.ceil(bytes.length / PART) }, (_, i) => ({ partNumber: i + 1, bytes: bytes.subarray(i * PART, (i + 1) * PART) }));
const create = (api, f, { route = 'files', headers } = {}) =>
  api('/multipart/create', { route, file: { name: 'big.bin', size: f.bytes.length, type: 'application/octet-stream' }, partSize: PART }, headers);

/** Signs and PUTs these parts with this token; returns the ETag storage answered for each. */
async function putParts(api, token, parts) {
  const { parts: signed } = ok(await api('/multipart/sign', { token, parts: parts.map((p) => ({ partNumber: p.partNumber, crc32c: crcOf(p.bytes) })) }));
  const etags = [];
  for (const [i, s] of signed.entries()) {
    const res = await fetch(s.url, { method: s.method, headers: s.headers, body: parts[i].bytes });
    assert.equal(res.status, 200, `part ${s.partNumber}: ${await res.text()}`); // (the body read either way)
    etags.push(res.headers.get('etag'));
  }
  return etags;
}

async function completeAndCheck(api, token, f) {
  const done = ok(await api('/multipart/complete', { token, sha256: f.sha256 }));
  assert.equal(done.file.size, f.bytes.length);
  const dl = Buffer.from(await (await fetch(done.file.url)).arrayBuffer());
  assert.equal(sha256hex(dl), f.sha256, 'the stored object is the file');
  return done;
}

for (const b of backends) {
  test(`${b.name}: resume lists exactly the stored parts; its fresh token signs the rest and completes`, { skip: b.skip }, async (t) => {
    const { api } = await setup(t, b);
    const f = randomFile(2 * PART + 1000);
    const c = ok(await create(api, f));
    assert.equal(c.partCount, 3);
    assert.equal(typeof claimsOf(c.token).iat, 'number', 'tokens carry iat');
    const ps = partsOf(f.bytes);
    const etags = await putParts(api, c.token, [ps[0], ps[2]]);

    const before = Date.now();
    const r = ok(await api('/multipart/resume', { token: c.token }));
    assert.deepEqual(
      { ...r, token: undefined, expiresAt: undefined, parts: undefined },
      { key: c.key, uploadId: c.uploadId, partSize: PART, partCount: 3, dedupe: false, token: undefined, expiresAt: undefined, parts: undefined },
    );
    assert.deepEqual(
      r.parts.map((p) => [p.partNumber, p.size, p.etag]),
      [
        [1, PART, etags[0]],
        [3, 1000, etags[1]],
      ],
    );
    for (const p of r.parts) if (p.crc32c !== undefined) assert.equal(p.crc32c, crcOf(ps[p.partNumber - 1].bytes));
    assert.ok(r.expiresAt >= before + DAY && r.expiresAt <= Date.now() + DAY, 'expiresAt = now + multipartExpiresIn');
    assert.notEqual(r.token, c.token);
    const fresh = claimsOf(r.token);
    assert.deepEqual({ ...fresh, exp: 0, iat: 0 }, { ...claimsOf(c.token), exp: 0, iat: 0 }, 'same claims but exp and iat');
    assert.equal(fresh.exp, r.expiresAt);

    await putParts(api, r.token, [ps[1]]);
    const done = await completeAndCheck(api, r.token, f);
    assert.equal(done.file.key, c.key);
    // Completed: nothing to resume any more.
    err(await api('/multipart/resume', { token: r.token }), 404, 'upload_not_found');
  });

  test(`${b.name}: an expired token is refused everywhere but /multipart/resume, within the resume window`, { skip: b.skip }, async (t) => {
    const { api, clock } = await setup(t, b);
    const f = randomFile(2 * PART + 1000);
    const c = ok(await create(api, f));
    const ps = partsOf(f.bytes);
    await putParts(api, c.token, [ps[0]]);
    const single = ok(await api('/presign', { route: 'files', file: { name: 'a.bin', size: 3, sha256: 'a'.repeat(64) } }));

    clock.offset = 25 * HOUR; // the tab was closed yesterday
    const crc = crcOf(ps[1].bytes);
    err(await api('/multipart/sign', { token: c.token, parts: [{ partNumber: 2, crc32c: crc }] }), 403, 'token_expired');
    err(await api('/multipart/complete', { token: c.token, sha256: f.sha256 }), 403, 'token_expired');
    err(await api('/multipart/abort', { token: c.token }), 403, 'token_expired');
    err(await api('/complete', { token: single.token }), 403, 'token_expired');

    const r = ok(await api('/multipart/resume', { token: c.token }));
    assert.deepEqual(
      r.parts.map((p) => p.partNumber),
      [1],
    );
    assert.ok(r.expiresAt > Date.now() + clock.offset + DAY - 60_000);
    // Past the window: the old token is done for; so is a token signed before iat existed whose
    // exp says it was issued too long ago (issued = exp - multipartExpiresIn).
    clock.offset = 7 * DAY - 60_000;
    ok(await api('/multipart/resume', { token: c.token }));
    clock.offset = 7 * DAY + 60_000;
    const late = err(await api('/multipart/resume', { token: c.token }), 403, 'token_expired');
    assert.match(late.message, /resume window/);
    // The window counts from the create, not the last resume: the token renewed at +25 h is past it too.
    err(await api('/multipart/resume', { token: r.token }), 403, 'token_expired');
    assert.equal(claimsOf(r.token).iat, claimsOf(c.token).iat);
    clock.offset = 8 * DAY;
    err(await api('/multipart/resume', { token: c.token }), 403, 'token_expired');
    const { iat, ...legacy } = claimsOf(c.token);
    assert.equal(legacy.exp - iat, DAY);
    ok(await api('/multipart/resume', { token: signToken({ ...legacy, exp: Date.now() + clock.offset - 6 * DAY + 60_000 }) }));
    err(await api('/multipart/resume', { token: signToken({ ...legacy, exp: Date.now() + clock.offset - 6 * DAY - 60_000 }) }), 403, 'token_expired');

    // The fresh token from yesterday's resume signs and completes (on RGW at real time: see realClockUrls).
    clock.offset = b.realClockUrls ? 0 : 25 * HOUR;
    await putParts(api, r.token, ps.slice(1));
    await completeAndCheck(api, r.token, f);
  });

  test(`${b.name}: resume runs authorize again and checks the file against the route as it is now`, { skip: b.skip }, async (t) => {
    const { api, storage } = await setup(t, b);
    const f = randomFile(PART + 10);
    const alice = { 'x-user': 'alice' };
    err(await create(api, f, { route: 'guarded' }), 403, 'forbidden');
    const g = ok(await create(api, f, { route: 'guarded', headers: alice }));
    err(await api('/multipart/resume', { token: g.token }), 403, 'forbidden');
    err(await api('/multipart/resume', { token: g.token }, { 'x-user': 'mallory' }), 403, 'forbidden');
    assert.equal(ok(await api('/multipart/resume', { token: g.token }, alice)).uploadId, g.uploadId);

    // The same secret and storage, the routes changed since the upload began.
    const c = ok(await create(api, f));
    const again = async (t2, filesRoute) => {
      const h = await setup(t2, b, { storage, routes: filesRoute ? { ...routes, files: filesRoute } : { guarded: routes.guarded } });
      return h.api('/multipart/resume', { token: c.token });
    };
    err(await again(t, defineRoute({ maxFileSize: '5MB' })), 413, 'file_too_large');
    err(await again(t, defineRoute({ maxFileSize: '1GB', minFileSize: '10MB' })), 400, 'file_too_small');
    err(await again(t, defineRoute({ maxFileSize: '1GB', allowedFileTypes: ['image/*'] })), 415, 'invalid_file_type');
    err(await again(t, defineRoute({ maxFileSize: '1GB', allowedFileTypes: ['.iso'] })), 415, 'invalid_file_type');
    err(await again(t, defineRoute({ maxFileSize: '1GB', authorize: () => false })), 403, 'forbidden');
    err(await again(t, null), 404, 'unknown_route');
    ok(await again(t, defineRoute({ maxFileSize: '1GB', allowedFileTypes: ['application/octet-stream', '.bin'] })));
    for (const u of [g, c]) ok(await api('/multipart/abort', { token: u.token }));
  });

  test(`${b.name}: a route with owner() lets only the user who began an upload resume it`, { skip: b.skip }, async (t) => {
    // A shared browser: alice's upload state (with its token) is still there when bob signs in.
    const { api } = await setup(t, b);
    const f = randomFile(PART + 10);
    const c = ok(await create(api, f, { route: 'owned', headers: { 'x-user': 'alice' } }));
    assert.match(claimsOf(c.token).own, /^[\w-]+$/, 'the owner is signed in as an HMAC, not in clear');
    assert.ok(!JSON.stringify(claimsOf(c.token)).includes('alice'));
    const bob = err(await api('/multipart/resume', { token: c.token }, { 'x-user': 'bob' }), 403, 'forbidden');
    assert.match(bob.message, /someone else/);
    err(await api('/multipart/resume', { token: c.token }), 403, 'forbidden'); // signed out
    ok(await api('/multipart/resume', { token: c.token }, { 'x-user': 'alice' }));
    ok(await api('/multipart/abort', { token: c.token }));
  });

  test(`${b.name}: resume refuses aborted uploads, tampered and single-PUT tokens`, { skip: b.skip }, async (t) => {
    const { api, url } = await setup(t, b);
    const c = ok(await create(api, { bytes: { length: PART + 1 } }));
    const [body, sig] = c.token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claimsOf(c.token), size: 999 * MiB })).toString('base64url');
    err(await api('/multipart/resume', { token: `${forged}.${sig}` }), 403, 'invalid_token');
    err(await api('/multipart/resume', { token: `${body}.${sig.slice(1)}x` }), 403, 'invalid_token');
    err(await api('/multipart/resume', {}), 403, 'invalid_token');
    const single = ok(await api('/presign', { route: 'files', file: { name: 'a.bin', size: 3, sha256: 'a'.repeat(64) } }));
    err(await api('/multipart/resume', { token: single.token }), 400, 'invalid_token');
    assert.equal((await fetch(`${url}/api/vs3/multipart/resume`)).status, 405);

    ok(await api('/multipart/abort', { token: c.token }));
    const gone = err(await api('/multipart/resume', { token: c.token }), 404, 'upload_not_found');
    assert.match(gone.message, /start the upload again/);
  });

  test(`${b.name}: cleanup aborts only uploads older than the cut-off; dryRun aborts nothing`, { skip: b.skip }, async (t) => {
    const { api, storage } = await setup(t, b);
    const f = { bytes: { length: PART + 1 } };
    const old = ok(await create(api, f, { route: 'cl' }));
    await sleep(200);
    const cut = Date.now();
    await sleep(200);
    const young = ok(await create(api, f, { route: 'cl' }));
    const open = async () => (await storage.listMultipartUploads('cl/')).map((u) => u.uploadId).sort();
    assert.deepEqual(await open(), [old.uploadId, young.uploadId].sort());

    const dry = await cleanup(storage, { olderThan: 0, now: cut, prefix: 'cl/', dryRun: true });
    assert.deepEqual(
      dry.aborted.map((u) => u.uploadId),
      [old.uploadId],
    );
    assert.equal(dry.kept, 1);
    assert.deepEqual(await open(), [old.uploadId, young.uploadId].sort(), 'dryRun aborts nothing');

    // A cut-off one hour back: both are younger.
    assert.deepEqual(await cleanup(storage, { olderThan: HOUR, prefix: 'cl/' }), { aborted: [], kept: 2, failed: [] });
    const res = await cleanup(storage, { olderThan: 1000, now: cut + 1000, prefix: 'cl/' });
    assert.deepEqual(
      res.aborted.map((u) => [u.key, u.uploadId]),
      [[old.key, old.uploadId]],
    );
    assert.deepEqual([res.kept, res.failed], [1, []]);
    assert.deepEqual(await open(), [young.uploadId]);
    assert.equal(await storage.listParts(old.key, old.uploadId), null);
    assert.deepEqual(await storage.listParts(young.key, young.uploadId), []);
    err(await api('/multipart/resume', { token: old.token }), 404, 'upload_not_found');
    ok(await api('/multipart/resume', { token: young.token }));

    const rest = await cleanup(storage, { olderThan: 0, now: Date.now() + 1000, prefix: 'cl/' });
    assert.deepEqual(
      rest.aborted.map((u) => u.uploadId),
      [young.uploadId],
    );
    assert.deepEqual(await open(), []);
  });
}

test('local: cleanup keeps uploads of unknown age and goes on past a failing abort', async (t) => {
  const { api, storage } = await setup(t, backends[0]);
  const f = { bytes: { length: PART + 1 } };
  const a = ok(await create(api, f, { route: 'cl' }));
  const b = ok(await create(api, f, { route: 'cl' }));
  const flaky = {
    ...storage,
    listMultipartUploads: async (p) => [
      { key: 'cl/x', uploadId: 'no-date' },
      ...(await storage.listMultipartUploads(p)),
      { key: 'cl/y', uploadId: 'bad-date', initiated: 'soon' },
    ],
    abortMultipart: async (key, id) => {
      if (id === a.uploadId) throw new Error('storage hiccup');
      return storage.abortMultipart(key, id);
    },
  };
  const res = await cleanup(flaky, { olderThan: 0, now: Date.now() + 1000 });
  assert.deepEqual(
    res.aborted.map((u) => u.uploadId),
    [b.uploadId],
  );
  assert.equal(res.kept, 2);
  assert.deepEqual(
    res.failed.map((x) => [x.upload.uploadId, x.error.message]),
    [[a.uploadId, 'storage hiccup']],
  );
  assert.deepEqual(
    (await storage.listMultipartUploads()).map((u) => u.uploadId),
    [a.uploadId],
  );
  await assert.rejects(cleanup(storage, { olderThan: '7d' }), /olderThan/);
  await assert.rejects(cleanup(storage, { olderThan: -1 }), /olderThan/);
});

test('S3 driver: ListParts pages past 1,000 parts with part-number-marker, in order, no duplicates', async () => {
  const TOTAL = 2500;
  const asked = [];
  const fakeFetch = async (req) => {
    const u = new URL(req.url);
    const max = Number(u.searchParams.get('max-parts'));
    const marker = Number(u.searchParams.get('part-number-marker') ?? 0);
    asked.push([marker, max]);
    const last = Math.min(marker + max, TOTAL);
    const truncated = last < TOTAL;
    let xml = `<ListPartsResult><PartNumberMarker>${marker}</PartNumberMarker>${truncated ? `<NextPartNumberMarker>${last}</NextPartNumberMarker>` : ''}<IsTruncated>${truncated}</IsTruncated>`;
    for (let n = marker + 1; n <= last; n++) xml += `<Part><PartNumber>${n}</PartNumber><ETag>"e${n}"</ETag><Size>${PART}</Size></Part>`;
    return new Response(xml + '</ListPartsResult>', { status: 200 });
  };
  const storage = s3Storage({ endpoint: 'http://s3.test', bucket: 'b', accessKeyId: 'k', secretAccessKey: 's', fetch: fakeFetch });
  const parts = await storage.listParts('k', 'u');
  assert.deepEqual(asked, [
    [0, 1000],
    [1000, 1000],
    [2000, 1000],
  ]);
  assert.equal(parts.length, TOTAL);
  assert.ok(parts.every((p, i) => p.partNumber === i + 1 && p.etag === `"e${i + 1}"`));
  assert.throws(() => s3Storage({ endpoint: 'http://s3.test', bucket: 'b', accessKeyId: 'k', secretAccessKey: 's', listPageSize: 1001 }), /listPageSize/);
});

test('RGW: listPageSize 2 - ListParts and ListMultipartUploads collect every page; resume and cleanup see all', { skip: backends[1].skip }, async (t) => {
  const b = backends[1];
  const urls = [];
  const storage = b.storage({ listPageSize: 2, fetch: (req) => (urls.push(req.url), fetch(req)) });
  const { api } = await setup(t, b, { storage });
  const f = randomFile(4 * PART + 4321);
  const c = ok(await create(api, f));
  assert.equal(c.partCount, 5);
  const ps = partsOf(f.bytes);
  await putParts(api, c.token, ps);

  const count = (what) => urls.filter((u) => u.includes(what)).length;
  urls.length = 0;
  const listed = await storage.listParts(c.key, c.uploadId);
  assert.deepEqual(
    listed.map((p) => [p.partNumber, p.size]),
    [
      [1, PART],
      [2, PART],
      [3, PART],
      [4, PART],
      [5, 4321],
    ],
  );
  assert.equal(count('max-parts=2'), 3, 'three pages of at most 2');
  const r = ok(await api('/multipart/resume', { token: c.token }));
  assert.deepEqual(
    r.parts.map((p) => p.partNumber),
    [1, 2, 3, 4, 5],
  );
  assert.deepEqual(
    r.parts.map((p) => p.etag),
    listed.map((p) => p.etag),
  );
  await completeAndCheck(api, r.token, f);

  // Five uploads, three of them of one key, so a page boundary falls between uploads of the same key
  // (only upload-id-marker tells the next page where to go on).
  const keys = ['pg/a', 'pg/a', 'pg/b', 'pg/a', 'pg/c'];
  const made = [];
  for (const key of keys) made.push({ key, ...(await storage.createMultipart({ key, contentType: 'application/octet-stream' })) });
  urls.length = 0;
  const ups = await storage.listMultipartUploads('pg/');
  assert.equal(count('max-uploads=2'), 3);
  assert.deepEqual(
    ups.map((u) => u.key),
    ['pg/a', 'pg/a', 'pg/a', 'pg/b', 'pg/c'],
  );
  assert.deepEqual(ups.map((u) => u.uploadId).sort(), made.map((u) => u.uploadId).sort(), 'every upload once');
  const swept = await cleanup(storage, { olderThan: 0, now: Date.now() + 1000, prefix: 'pg/' });
  assert.equal(swept.aborted.length, 5);
  assert.deepEqual(await storage.listMultipartUploads('pg/'), []);
});
