// Issue 9, rate limiting and completion records in the handler: token buckets per route and endpoint
// keyed by IP or user, 429 rate_limited with Retry-After (which the client honours), and - with Redis
// (a real redis-server, scripts/redis.sh) - limits and "onUploadComplete once" shared by two handler
// instances, as when the handler runs on two machines.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import http from 'node:http';
import { createClient } from 'redis';
import { createUploader, fetchTransport } from 'vs3/client';
import { loadCoreNode } from 'vs3/node';
import { createHandler, defineRoute, localStorage, memoryStore, redisCompletions, redisRateLimits } from 'vs3/server';
import { SECRET, randomFile, sha256hex } from './helpers.mjs';

const redisUrl = process.env.VS3_REDIS_URL;
if (!redisUrl && process.env.VS3_REQUIRE_REDIS === '1') throw new Error('VS3_REDIS_URL is not set: start Redis with scripts/redis.sh (scripts/test.sh does)');
const noRedis = redisUrl ? false : 'no VS3_REDIS_URL (run through scripts/test.sh)';

const presignBody = (route = 'files', name = 'a.txt') => ({ route, file: { name, size: 3, type: 'text/plain' } });
const call = (handler, path, body, { ip = '10.0.0.1', headers = {} } = {}) =>
  handler(
    new Request(`http://vs3.test/api/vs3${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    { ip },
  );

function handlerWith(extra = {}, storage = localStorage({ store: memoryStore(), secret: SECRET })) {
  return createHandler({
    secret: SECRET,
    storage,
    routes: {
      files: defineRoute({ maxFileSize: '1MB', requireChecksum: false, authorize: (req) => ({ id: req.headers.get('x-user') ?? 'anon' }) }),
      other: defineRoute({ maxFileSize: '1MB', requireChecksum: false }),
      free: defineRoute({ maxFileSize: '1MB', requireChecksum: false, rateLimit: false }),
    },
    ...extra,
  });
}

test('2,000 presigns from one client in a burst: the bucket takes 5, the rest get 429 with Retry-After; other clients, routes and endpoints keep their own buckets', async () => {
  const handler = handlerWith({ rateLimit: { rules: { presign: { limit: 5, windowSeconds: 60 } } } });
  const statuses = {};
  let retryAfter;
  for (let i = 0; i < 2000; i++) {
    const res = await call(handler, '/presign', presignBody());
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status === 429) {
      retryAfter = res.headers.get('retry-after');
      assert.equal((await res.json()).error.code, 'rate_limited');
    }
  }
  assert.deepEqual(statuses, { 200: 5, 429: 1995 });
  assert.equal(retryAfter, '12', 'one token refills in 60/5 = 12 s');
  assert.equal((await call(handler, '/presign', presignBody(), { ip: '10.0.0.2' })).status, 200, 'another IP');
  assert.equal((await call(handler, '/presign', presignBody('other'))).status, 200, 'another route');
  assert.equal((await call(handler, '/presign', presignBody('free'))).status, 200, 'a route with rateLimit: false');
  // /complete is not named in the rules: not limited (its 403 is the forged token, not a 429).
  assert.equal((await call(handler, '/complete', { token: 'x.y' })).status, 403);
});

test("key 'user': one user's bucket follows them across IPs, another user has their own", async () => {
  const handler = handlerWith({ rateLimit: { key: 'user', rules: { limit: 3, windowSeconds: 60 } } });
  const as = (user, ip) => call(handler, '/presign', presignBody(), { ip, headers: { 'x-user': user } }).then((r) => r.status);
  assert.deepEqual([await as('ann', '1.1.1.1'), await as('ann', '2.2.2.2'), await as('ann', '3.3.3.3'), await as('ann', '4.4.4.4')], [200, 200, 200, 429]);
  assert.equal(await as('bob', '1.1.1.1'), 200);
});

test('the client waits out Retry-After and finishes every file', { timeout: 60_000 }, async (t) => {
  const handler = handlerWith({ rateLimit: { rules: { presign: { limit: 2, windowSeconds: 2 } } } });
  let limited = 0;
  const server = http.createServer(
    getRequestListener(async (req, env) => {
      const res = await handler(req, { ip: env.incoming.socket.remoteAddress });
      if (res.status === 429) limited++;
      return res;
    }),
  );
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  );
  const uploader = createUploader({
    endpoint: `http://127.0.0.1:${server.address().port}/api/vs3`,
    core: await loadCoreNode(),
    transport: fetchTransport(),
    retry: { seed: 5 },
  });
  const files = Array.from({ length: 6 }, (_, i) => randomFile(1000 + i, `f${i}.txt`, 'text/plain'));
  const started = Date.now();
  const results = await Promise.all(files.map((f) => uploader.upload(f.blob, { route: 'other' })));
  assert.deepEqual(
    results.map((r) => r.sha256),
    files.map((f) => f.sha256),
  );
  assert.ok(limited > 0, 'some presigns were refused');
  assert.ok(Date.now() - started >= 1500, 'and the client waited for the bucket to refill');
});

test('Redis: two handler instances share one bucket and one completion record', { skip: noRedis }, async (t) => {
  const a = createClient({ url: redisUrl });
  const b = createClient({ url: redisUrl });
  await a.connect();
  await b.connect();
  t.after(() => Promise.all([a.quit(), b.quit()]));
  const prefix = `vs3test:${randomBytes(4).toString('hex')}:`;
  const storage = localStorage({ store: memoryStore(), secret: SECRET });
  const hooks = [];
  const routes = {
    files: defineRoute({
      maxFileSize: '1MB',
      onUploadComplete: async ({ key }) => {
        hooks.push(key);
        await new Promise((r) => setTimeout(r, 50)); // slow enough that the two calls overlap
        return { row: hooks.length };
      },
    }),
  };
  const make = (redis) =>
    createHandler({
      secret: SECRET,
      storage,
      routes,
      rateLimit: { store: redisRateLimits(redis, { prefix: `${prefix}rl:` }), rules: { presign: { limit: 10, windowSeconds: 3600 } } },
      completions: redisCompletions(redis, { prefix: `${prefix}done:` }),
    });
  const one = make(a);
  const two = make(b);
  const bytes = randomBytes(100);
  const body = { route: 'files', file: { name: 'x.bin', size: 100, sha256: sha256hex(bytes) } };
  // 30 presigns split over both instances, concurrently: exactly 10 taken between them.
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => call(i % 2 ? one : two, '/presign', body)));
  assert.equal(answers.filter((r) => r.status === 200).length, 10);
  assert.equal(answers.filter((r) => r.status === 429).length, 20);
  const p = await answers.find((r) => r.status === 200).json();
  await one(new Request(p.upload.url, { method: 'PUT', headers: { ...p.upload.headers, 'content-length': '100' }, body: bytes }));
  // The same completion on both "machines" at once, then replays: the hook runs once; all get its answer.
  const done = await Promise.all([
    call(one, '/complete', { token: p.token }),
    call(two, '/complete', { token: p.token }),
    call(two, '/complete', { token: p.token }),
  ]);
  const bodies = await Promise.all(done.map((r) => r.json()));
  assert.deepEqual(
    done.map((r) => r.status),
    [200, 200, 200],
    JSON.stringify(bodies),
  );
  assert.deepEqual(hooks, [p.key]);
  assert.deepEqual(
    bodies.map((x) => x.result),
    [{ row: 1 }, { row: 1 }, { row: 1 }],
  );
  const later = await (await call(one, '/complete', { token: p.token })).json();
  assert.deepEqual(later.result, { row: 1 });
  assert.deepEqual(hooks, [p.key]);
});
