// Rate limits and shared completion records (js/src/server/ratelimit.ts, redis.ts): token-bucket
// arithmetic on a fake clock, the in-process store's bound under a flood of keys, and the Redis
// stores against a real redis-server shared by two clients (two "machines"). The Redis tests need
// VS3_REDIS_URL (scripts/redis.sh start prints it; scripts/test.sh does this); without it they are
// skipped, unless VS3_REQUIRE_REDIS=1, which makes its absence an error.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createClient } from 'redis';
import { memoryRateLimits, redisCompletions, redisRateLimits } from 'vs3/server';

const T0 = 1_700_000_000_000; // a fake "now", in unix ms

async function takeN(store, bucket, rule, now, n, cost) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await store.take(bucket, rule, now, cost));
  return out;
}

test('memory: a burst of `limit` is taken, the next is refused until one token has refilled', async () => {
  const rl = memoryRateLimits();
  const rule = { limit: 10, windowSeconds: 10 }; // one token a second
  const burst = await takeN(rl, 'ip:1', rule, T0, 10);
  assert.deepEqual(
    burst.map((r) => r.ok),
    Array(10).fill(true),
  );
  assert.deepEqual(
    burst.map((r) => r.remaining),
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
  );
  assert.ok(burst.every((r) => r.retryAfterMs === 0));
  assert.deepEqual(await rl.take('ip:1', rule, T0, 1), { ok: false, remaining: 0, retryAfterMs: 1000 });
  // A refused take costs nothing: the wait shrinks with time, not with attempts.
  assert.deepEqual(await rl.take('ip:1', rule, T0 + 400), { ok: false, remaining: 0, retryAfterMs: 600 });
  assert.deepEqual(await rl.take('ip:1', rule, T0 + 999), { ok: false, remaining: 0, retryAfterMs: 1 });
  assert.deepEqual(await rl.take('ip:1', rule, T0 + 1000), { ok: true, remaining: 0, retryAfterMs: 0 });
  assert.deepEqual(await rl.take('ip:1', rule, T0 + 1000), { ok: false, remaining: 0, retryAfterMs: 1000 });
  // Other buckets are untouched.
  assert.equal((await rl.take('ip:2', rule, T0 + 1000)).remaining, 9);
});

test('memory: refill is continuous at limit/windowSeconds per second and capped at limit', async () => {
  const rl = memoryRateLimits();
  const rule = { limit: 10, windowSeconds: 10 };
  await takeN(rl, 'k', rule, T0, 10);
  // 3.5 s later: 3.5 tokens, so 3 takes, then half a second to wait.
  const after = await takeN(rl, 'k', rule, T0 + 3500, 4);
  assert.deepEqual(
    after.map((r) => [r.ok, r.remaining, r.retryAfterMs]),
    [
      [true, 2, 0],
      [true, 1, 0],
      [true, 0, 0],
      [false, 0, 500],
    ],
  );
  // An hour idle refills the bucket, not more: 10 takes, not 3,600.
  const later = await takeN(rl, 'k', rule, T0 + 3_600_000, 11);
  assert.equal(later.filter((r) => r.ok).length, 10);
  assert.deepEqual(later[10], { ok: false, remaining: 0, retryAfterMs: 1000 });
  // A clock stepping back refills nothing.
  assert.equal((await rl.take('k', rule, T0)).ok, false);
});

test('memory: rates that are not whole milliseconds (3 a second): waiting retryAfterMs is exactly enough', async () => {
  const rl = memoryRateLimits();
  const rule = { limit: 3, windowSeconds: 1 }; // one token every 333.33 ms
  const start = T0 + 7; // not aligned with anything
  await takeN(rl, 'k', rule, start, 3);
  let now = start;
  for (let i = 0; i < 150; i++) {
    const r = await rl.take('k', rule, now);
    assert.equal(r.ok, false);
    assert.ok(r.retryAfterMs === 333 || r.retryAfterMs === 334, `retryAfterMs ${r.retryAfterMs}`);
    assert.equal((await rl.take('k', rule, now + r.retryAfterMs - 1)).ok, false, 'a millisecond early is too early');
    now += r.retryAfterMs;
    assert.equal((await rl.take('k', rule, now)).ok, true, 'after retryAfterMs it is taken');
  }
  // 150 tokens refill in 50 s exactly (give or take the last millisecond's rounding).
  assert.ok(now - start >= 50_000 && now - start <= 50_001, `${now - start} ms`);
});

test('memory: cost > 1 takes that many tokens; a refused cost says when that many are there', async () => {
  const rl = memoryRateLimits();
  const rule = { limit: 10, windowSeconds: 100 }; // a token every 10 s
  assert.deepEqual(await rl.take('k', rule, T0, 4), { ok: true, remaining: 6, retryAfterMs: 0 });
  assert.deepEqual(await rl.take('k', rule, T0, 4), { ok: true, remaining: 2, retryAfterMs: 0 });
  assert.deepEqual(await rl.take('k', rule, T0, 4), { ok: false, remaining: 2, retryAfterMs: 20_000 });
  assert.deepEqual(await rl.take('k', rule, T0 + 19_999, 4), { ok: false, remaining: 3, retryAfterMs: 1 });
  assert.deepEqual(await rl.take('k', rule, T0 + 20_000, 4), { ok: true, remaining: 0, retryAfterMs: 0 });
  assert.deepEqual(await rl.take('k', rule, T0 + 20_000, 0.5), { ok: false, remaining: 0, retryAfterMs: 5000 });
  await assert.rejects(rl.take('k', rule, T0, 11), /more than the bucket holds/);
});

test('rules, costs and arguments are checked with a clear Error (memory and Redis stores)', async () => {
  const stores = [memoryRateLimits(), redisRateLimits({ sendCommand: async () => assert.fail('nothing may be sent') })];
  for (const rl of stores) {
    for (const rule of [
      { limit: 0, windowSeconds: 1 },
      { limit: -1, windowSeconds: 1 },
      { limit: NaN, windowSeconds: 1 },
      { limit: Infinity, windowSeconds: 1 },
      { limit: '10', windowSeconds: 1 },
    ]) {
      await assert.rejects(rl.take('k', rule, T0), /'limit' must be a positive finite number/);
    }
    for (const windowSeconds of [0, -5, NaN, Infinity, undefined]) {
      await assert.rejects(rl.take('k', { limit: 1, windowSeconds }, T0), /'windowSeconds' must be a positive finite number/);
    }
    await assert.rejects(rl.take('k', null, T0), /rule must be an object/);
    for (const cost of [0, -1, NaN, Infinity])
      await assert.rejects(rl.take('k', { limit: 5, windowSeconds: 1 }, T0, cost), /cost must be a positive finite number/);
    await assert.rejects(rl.take(42, { limit: 5, windowSeconds: 1 }, T0), /bucket must be a string/);
  }
  await assert.rejects(memoryRateLimits().take('k', { limit: 5, windowSeconds: 1 }, NaN), /nowMs must be a finite number/);
  assert.throws(() => memoryRateLimits({ maxBuckets: 0 }), /maxBuckets must be a positive integer/);
  assert.throws(() => redisRateLimits({}), /sendCommand/);
  assert.throws(() => redisCompletions(null), /sendCommand/);
});

test('memory: bounded under 200,000 distinct keys (default maxBuckets 100,000), and fast', async () => {
  const rl = memoryRateLimits();
  const rule = { limit: 5, windowSeconds: 60 };
  let max = 0;
  const started = performance.now();
  for (let i = 0; i < 200_000; i++) {
    const r = await rl.take(`flood:${i}`, rule, T0); // none of them full again: only LRU can shed
    assert.equal(r.remaining, 4);
    if (rl.size > max) max = rl.size;
  }
  const ms = performance.now() - started;
  assert.ok(max <= 100_000, `held ${max} buckets`);
  assert.ok(rl.size >= 90_000, `held only ${rl.size}: the newest keys must be kept`);
  // The newest keys kept their state; the oldest were forgotten (a fresh bucket).
  assert.equal((await rl.take('flood:199999', rule, T0)).remaining, 3);
  assert.equal((await rl.take('flood:0', rule, T0)).remaining, 4);
  // Amortised sweeps: well under 10 s for 200,000 takes even on a loaded 2-core machine (a full
  // sweep per take past the bound would be 200,000 x 100,000 steps).
  assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
});

test('memory: past the bound, buckets full again go first; a caller being refused keeps its empty bucket', async () => {
  const rl = memoryRateLimits({ maxBuckets: 1000 });
  const slow = { limit: 3, windowSeconds: 3600 };
  const fast = { limit: 10, windowSeconds: 1 }; // a flood key is full again 100 ms after its take
  await takeN(rl, 'victim', slow, T0, 3);
  for (let i = 0; i < 10_000; i++) await rl.take(`flood:${i}`, fast, T0 + i);
  assert.ok(rl.size <= 1000, `held ${rl.size}`);
  // LRU alone would have dropped 'victim' (the least recently used) and given it a full bucket.
  assert.equal((await rl.take('victim', slow, T0 + 10_000)).ok, false);

  // When nothing is full again, the least recently used go; a refused caller counts as used.
  const lru = memoryRateLimits({ maxBuckets: 100 });
  await takeN(lru, 'hammer', slow, T0, 3);
  for (let i = 0; i < 1000; i++) {
    await lru.take(`other:${i}`, slow, T0);
    if (i % 50 === 0) assert.equal((await lru.take('hammer', slow, T0)).ok, false);
  }
  assert.equal((await lru.take('hammer', slow, T0)).ok, false);
  assert.equal((await lru.take('other:0', slow, T0)).remaining, 2, 'other:0 was forgotten (fresh bucket)');
});

// ---- Redis ---------------------------------------------------------------------------------------

const REDIS_URL = process.env.VS3_REDIS_URL;
if (!REDIS_URL && process.env.VS3_REQUIRE_REDIS === '1') {
  throw new Error('VS3_REDIS_URL is not set but VS3_REQUIRE_REDIS=1: start Redis with scripts/redis.sh start (scripts/test.sh does)');
}
const skip = REDIS_URL ? false : 'VS3_REDIS_URL is not set: start Redis with `scripts/redis.sh start` and export what it prints';
const run = randomBytes(4).toString('hex');

/** A connected node-redis client, closed after the test: each one is another "machine". */
async function machine(t) {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => {}); // reported through the commands that fail
  await client.connect();
  t.after(() => client.close());
  return client;
}
const keyOf = (prefix, name) => prefix + createHash('sha256').update(Buffer.from(name, 'utf16le')).digest('hex');

test('redis: two machines share one bucket exactly (20 concurrent takes, limit 10 -> 10 taken)', { skip }, async (t) => {
  const [a, b] = [await machine(t), await machine(t)];
  const prefix = `vs3test:${run}:share:`;
  const stores = [redisRateLimits(a, { prefix }), redisRateLimits(b, { prefix })];
  const rule = { limit: 10, windowSeconds: 60 }; // a token every 6 s: nothing refills meanwhile
  for (const [n, limit] of [
    [20, 10],
    [300, 100],
  ]) {
    const r = { limit, windowSeconds: rule.windowSeconds * (limit / 10) };
    const results = await Promise.all(Array.from({ length: n }, (_, i) => stores[i % 2].take(`shared:${limit}`, r, Date.now())));
    const ok = results.filter((x) => x.ok);
    assert.equal(ok.length, limit, `${ok.length} of ${n} taken with limit ${limit}`);
    // Each take saw the one before it: the remaining counts are limit-1 .. 0, each exactly once.
    assert.deepEqual(
      ok.map((x) => x.remaining).sort((x, y) => x - y),
      Array.from({ length: limit }, (_, i) => i),
    );
    for (const x of results.filter((y) => !y.ok)) {
      assert.equal(x.remaining, 0);
      assert.ok(x.retryAfterMs > 0 && x.retryAfterMs <= 6000, `retryAfterMs ${x.retryAfterMs}`);
    }
  }
});

test('redis: control - the same harness catches a non-atomic read-modify-write (GET, then SET)', { skip }, async (t) => {
  // A deliberately racy store: proves the test above can fail.
  const [a, b] = [await machine(t), await machine(t)];
  const racy = (client) => ({
    async take(bucket, { limit, windowSeconds }) {
      const key = `vs3test:${run}:racy:${bucket}`;
      const used = Number(await client.sendCommand(['GET', key])) || 0;
      if (used >= limit) return { ok: false };
      await client.sendCommand(['SET', key, String(used + 1), 'PX', String(windowSeconds * 1000)]);
      return { ok: true };
    },
  });
  const stores = [racy(a), racy(b)];
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2].take('x', { limit: 10, windowSeconds: 60 })));
  assert.ok(results.filter((x) => x.ok).length > 10, 'the racy store should have let more than 10 through');
});

test('redis: retryAfterMs is right - refused until then, taken after; refill on Redis time', { skip }, async (t) => {
  const rl = redisRateLimits(await machine(t), { prefix: `vs3test:${run}:retry:` });
  const rule = { limit: 2, windowSeconds: 2 }; // a token a second
  assert.deepEqual(
    (await takeN(rl, 'k', rule, Date.now(), 2)).map((r) => [r.ok, r.remaining]),
    [
      [true, 1],
      [true, 0],
    ],
  );
  const refused = await rl.take('k', rule, Date.now());
  assert.equal(refused.ok, false);
  assert.ok(refused.retryAfterMs > 800 && refused.retryAfterMs <= 1000, `retryAfterMs ${refused.retryAfterMs}`);
  await sleep(refused.retryAfterMs - 400);
  const early = await rl.take('k', rule, Date.now());
  assert.equal(early.ok, false, 'taken 400 ms before retryAfterMs');
  assert.ok(early.retryAfterMs > 0 && early.retryAfterMs <= 400, `retryAfterMs ${early.retryAfterMs}`);
  await sleep(early.retryAfterMs + 5);
  assert.deepEqual(await rl.take('k', rule, Date.now()), { ok: true, remaining: 0, retryAfterMs: 0 });
  // cost > 1 on Redis: same arithmetic as in memory.
  const big = { limit: 10, windowSeconds: 100 };
  assert.deepEqual(await rl.take('c', big, 0, 4), { ok: true, remaining: 6, retryAfterMs: 0 });
  assert.deepEqual(await rl.take('c', big, 0, 4), { ok: true, remaining: 2, retryAfterMs: 0 });
  const r = await rl.take('c', big, 0, 4);
  assert.equal(r.ok, false);
  assert.equal(r.remaining, 2);
  assert.ok(r.retryAfterMs > 19_000 && r.retryAfterMs <= 20_000, `retryAfterMs ${r.retryAfterMs}`);
});

test("redis: machines' clocks do not matter (one an hour ahead, one an hour behind): Redis TIME is the clock", { skip }, async (t) => {
  const prefix = `vs3test:${run}:skew:`;
  const behind = redisRateLimits(await machine(t), { prefix });
  const ahead = redisRateLimits(await machine(t), { prefix });
  const rule = { limit: 5, windowSeconds: 60 };
  const first = await takeN(behind, 'k', rule, Date.now() - 3_600_000, 5);
  assert.ok(first.every((r) => r.ok));
  // With the callers' clocks, the machine an hour ahead would find the bucket refilled long ago.
  const second = await takeN(ahead, 'k', rule, Date.now() + 3_600_000, 5);
  assert.deepEqual(
    second.map((r) => r.ok),
    [false, false, false, false, false],
  );
});

test('redis: a bucket key expires when the bucket is full again; idle buckets vanish', { skip }, async (t) => {
  const client = await machine(t);
  const prefix = `vs3test:${run}:expire:`;
  const rl = redisRateLimits(client, { prefix });
  const rule = { limit: 5, windowSeconds: 2.5 }; // a token every 500 ms
  const key = keyOf(prefix, 'bucket \u0000 with any text');
  await rl.take('bucket \u0000 with any text', rule, Date.now());
  let pttl = await client.pTTL(key);
  assert.ok(pttl > 400 && pttl <= 500, `one token out: full again within 500 ms, PTTL ${pttl}`);
  await takeN(rl, 'bucket \u0000 with any text', rule, Date.now(), 4);
  pttl = await client.pTTL(key);
  assert.ok(pttl > 2000 && pttl <= 2500, `empty: full again within 2.5 s, PTTL ${pttl}`);
  assert.equal((await rl.take('bucket \u0000 with any text', rule, Date.now())).ok, false);
  await sleep(pttl + 20);
  assert.equal(await client.exists(key), 0);
  assert.equal((await rl.take('bucket \u0000 with any text', rule, Date.now())).remaining, 4, 'a full bucket again');
  // Keys are prefix + 64 hex digits, whatever the bucket name.
  const keys = await client.keys(`${prefix}*`);
  assert.deepEqual(keys, [key]);
});

test('redis: the script is loaded again after SCRIPT FLUSH (EVALSHA -> NOSCRIPT -> EVAL)', { skip }, async (t) => {
  const client = await machine(t);
  const rl = redisRateLimits(client, { prefix: `vs3test:${run}:flush:` });
  const rule = { limit: 3, windowSeconds: 60 };
  assert.equal((await rl.take('k', rule, 0)).remaining, 2);
  await client.sendCommand(['SCRIPT', 'FLUSH']);
  assert.equal((await rl.take('k', rule, 0)).remaining, 1);
  assert.equal((await rl.take('k', rule, 0)).remaining, 0);
});

test('redis completions: JSON round trip across machines; any id, hashed to a printable key', { skip }, async (t) => {
  const [a, b] = [await machine(t), await machine(t)];
  const prefix = `vs3test:${run}:done:`;
  const [ca, cb] = [redisCompletions(a, { prefix }), redisCompletions(b, { prefix })];
  const answer = { file: { key: 'u/a.txt', size: 3, sha256: 'ab'.repeat(32) }, result: { id: 7, tags: ['x', 'ü'], none: null }, at: new Date(0) };
  const ids = ['plain', 'nul\u0000inside', '\uD800', '\uFFFD', 'emoji 🎉', 'x'.repeat(100_000), ''];
  for (const [i, id] of ids.entries()) await ca.set(id, { ...answer, i }, 60_000);
  for (const [i, id] of ids.entries()) {
    assert.deepEqual(await cb.get(id), { ...answer, i, at: '1970-01-01T00:00:00.000Z' }, JSON.stringify(id.slice(0, 20)));
  }
  assert.equal(await cb.get('never set'), undefined);
  await ca.set('undefined answer', undefined, 60_000);
  assert.equal(await cb.get('undefined answer'), null, 'recorded (as null), not absent');
  const keys = await a.keys(`${prefix}*`);
  assert.equal(keys.length, ids.length + 1, 'distinct ids, distinct keys (a lone surrogate is not U+FFFD)');
  for (const k of keys) assert.match(k, new RegExp(`^${prefix}[0-9a-f]{64}$`));
  assert.ok(keys.includes(keyOf(prefix, 'nul\u0000inside')));
  await assert.rejects(ca.set('x', 1, 0), /ttlMs must be a positive finite number/);
  await assert.rejects(ca.get(5), /id must be a string/);
});

test('redis completions: the TTL is honoured', { skip }, async (t) => {
  const client = await machine(t);
  const prefix = `vs3test:${run}:ttl:`;
  const c = redisCompletions(client, { prefix });
  await c.set('short', { ok: true }, 1000);
  await c.set('long', { ok: true }, 60_000);
  const pttl = await client.pTTL(keyOf(prefix, 'short'));
  assert.ok(pttl > 800 && pttl <= 1000, `PTTL ${pttl}`);
  assert.deepEqual(await c.get('short'), { ok: true });
  await sleep(pttl + 30);
  assert.equal(await c.get('short'), undefined);
  assert.deepEqual(await c.get('long'), { ok: true });
});

test('redis completions: claim is exclusive across machines (100 concurrent -> one); release frees it', { skip }, async (t) => {
  const [a, b, c] = [await machine(t), await machine(t), await machine(t)];
  const prefix = `vs3test:${run}:claim:`;
  const stores = [redisCompletions(a, { prefix }), redisCompletions(b, { prefix }), redisCompletions(c, { prefix })];
  const claims = await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % 2].claim('upload-1', 60_000)));
  assert.equal(claims.filter(Boolean).length, 1, `${claims.filter(Boolean).length} claims won`);
  const winner = stores[claims.indexOf(true) % 2];
  const loser = stores[(claims.indexOf(true) + 1) % 2];
  // Only the holder's release frees it: another machine's release (it holds nothing) is a no-op.
  await loser.release('upload-1');
  assert.equal(await stores[2].claim('upload-1', 60_000), false);
  await winner.release('upload-1');
  assert.equal(await stores[2].claim('upload-1', 60_000), true, 'free after release');
  assert.equal(await winner.claim('upload-1', 60_000), false);
  await stores[2].release('upload-1');
  // Claims are per id.
  assert.deepEqual(await Promise.all([stores[0].claim('upload-2', 60_000), stores[1].claim('upload-3', 60_000)]), [true, true]);
});

test('redis completions: a claim expires with its TTL, and a late release does not free the next holder', { skip }, async (t) => {
  const [a, b, c] = [await machine(t), await machine(t), await machine(t)];
  const prefix = `vs3test:${run}:late:`;
  const [slow, next, third] = [redisCompletions(a, { prefix }), redisCompletions(b, { prefix }), redisCompletions(c, { prefix })];
  assert.equal(await slow.claim('u', 500), true);
  assert.equal(await next.claim('u', 60_000), false);
  await sleep(600); // the slow machine's completion outlived its claim
  assert.equal(await next.claim('u', 60_000), true);
  await slow.release('u'); // late: must not release next's claim
  assert.equal(await third.claim('u', 60_000), false);
  await next.release('u');
  assert.equal(await third.claim('u', 60_000), true);
});
