// Redis-backed stores for handlers running on several machines: rate limits (redisRateLimits, one
// token bucket per key shared by every machine, taken atomically in a Lua script) and completion
// records (redisCompletions: onUploadComplete once per upload across machines, with an exclusive
// claim). No Redis client is bundled: the stores take anything with sendCommand(args) (RedisCommands;
// adapters for node-redis, ioredis, Upstash below). Web platform only (WebCrypto for hashing, no
// Node APIs), so they run on Node and edge runtimes alike.
import { checkRateLimit, type RateLimitResult, type RateLimitRule, type RateLimitStore } from './ratelimit.js';
import { bytesToHex } from './util.js';

/**
 * The one thing the stores need from a Redis client: send a command (name and arguments, all
 * strings) and resolve with the reply (strings, numbers, arrays, null), rejecting on an error reply.
 *
 * - node-redis v4/v5 (`redis` on npm): the client itself, `createClient({ url })` after `connect()`.
 * - ioredis: `{ sendCommand: (a) => ioredis.call(a[0], ...a.slice(1)) }`.
 * - Upstash (REST, fits edge runtimes): the REST API takes the whole command as a JSON array:
 *   `{ sendCommand: async (a) => { const r = await (await fetch(UPSTASH_REDIS_REST_URL, { method: 'POST',
 *   headers: { authorization: `Bearer ${UPSTASH_REDIS_REST_TOKEN}` }, body: JSON.stringify(a) })).json();
 *   if (r.error) throw new Error(r.error); return r.result; } }` (not tested here; needs EVAL/EVALSHA,
 *   which Upstash documents).
 */
export interface RedisCommands {
  /** Sends one command, e.g. ['SET', key, value, 'PX', '1000'], and resolves with Redis's reply; rejects on an error reply. */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Structurally the handler's CompletionStore (handler.ts), with the optional claim/release present.
 * Redeclared here so that this file does not depend on the handler.
 */
export interface RedisCompletionStore {
  /** The recorded answer (parsed from JSON), or undefined when there is none. Throws if the record is not JSON. */
  get(id: string): Promise<unknown | undefined>;
  /** Records `answer` as JSON for `ttlMs` milliseconds (a positive finite number, else an Error is thrown). */
  set(id: string, answer: unknown, ttlMs: number): Promise<void>;
  /** Take the right to run the completion (true) or learn another machine holds it (false). */
  claim(id: string, ttlMs: number): Promise<boolean>;
  /** Give up a claim this store took (a no-op otherwise, or once the claim expired). */
  release(id: string): Promise<void>;
}

/**
 * SHA-256 hex of a string's UTF-16 code units: any text (NUL, lone surrogates, megabytes) becomes a
 * printable 64-character key part, and distinct strings stay distinct (UTF-8 encoding would map
 * every lone surrogate to U+FFFD).
 */
async function keyHash(text: string): Promise<string> {
  const bytes = new Uint8Array(text.length * 2); // UTF-16LE, whatever the platform's byte order
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    bytes[2 * i] = u & 0xff;
    bytes[2 * i + 1] = u >> 8;
  }
  return bytesToHex(await crypto.subtle.digest('SHA-256', bytes));
}

class Script {
  private sha?: Promise<string>;
  constructor(readonly source: string) {}

  /** EVALSHA, and EVAL when Redis does not know the script yet (NOSCRIPT: restarted, flushed, new). */
  async run(redis: RedisCommands, keys: string[], args: string[]): Promise<unknown> {
    this.sha ??= crypto.subtle.digest('SHA-1', new TextEncoder().encode(this.source)).then(bytesToHex);
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await redis.sendCommand(['EVALSHA', await this.sha, ...tail]);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!/NOSCRIPT/i.test(message)) throw e;
      return await redis.sendCommand(['EVAL', this.source, ...tail]);
    }
  }
}

// The token bucket of ratelimit.ts (gcraTake), in microseconds, on Redis's clock. KEYS[1] holds the
// bucket's theoretical arrival time; the key expires when it passes (the bucket is full again).
// Why Redis TIME and not the caller's nowMs: handlers on several machines share a bucket, and their
// clocks disagree; with each writing tat from its own clock, a machine running ahead would refill
// buckets early for everyone (and one behind would see them emptier). One clock, Redis's, keeps the
// arithmetic exact whatever the machines' skew. Writing after TIME needs effects replication: the
// default since Redis 5 (7 has nothing else); replicate_commands() turns it on for 3.2 and 4.
const TAKE = new Script(`
if redis.replicate_commands then redis.replicate_commands() end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = window / limit
local base = tonumber(redis.call('GET', KEYS[1]))
if base == nil or base < now then base = now end
local nxt = base + cost * interval
local allow_at = nxt - window
if now >= allow_at then
  redis.call('SET', KEYS[1], string.format('%.17g', nxt), 'PX', math.max(1, math.ceil((nxt - now) / 1000)))
  return {1, math.floor((window - (nxt - now)) / interval + 1e-9), 0}
end
return {0, math.max(0, math.floor((window - (base - now)) / interval + 1e-9)), math.ceil((allow_at - now) / 1000)}
`);

/**
 * Token buckets in Redis, shared by every handler machine using the same Redis and prefix: each
 * take is one atomic script run (no read-modify-write race between machines), on Redis's clock
 * (`nowMs` is ignored, see above). Keys: prefix + SHA-256 hex of the bucket name; a key expires
 * when its bucket is full again, so idle buckets take no memory. One round trip per take.
 */
export function redisRateLimits(redis: RedisCommands, { prefix = 'vs3:rl:' }: { prefix?: string } = {}): RateLimitStore {
  checkRedis(redis, prefix);
  return {
    async take(bucket: string, rule: RateLimitRule, _nowMs: number, cost?: number): Promise<RateLimitResult> {
      const c = checkRateLimit(rule, cost);
      if (typeof bucket !== 'string') throw new Error('vs3: rate limit bucket must be a string');
      const reply = await TAKE.run(redis, [prefix + (await keyHash(bucket))], [String(rule.limit), String(rule.windowSeconds * 1e6), String(c)]);
      if (!Array.isArray(reply) || reply.length !== 3) throw new Error(`vs3: unexpected Redis reply to the rate limit script: ${JSON.stringify(reply)}`);
      const [ok, remaining, retryAfterMs] = reply.map(Number) as [number, number, number];
      return { ok: ok === 1, remaining, retryAfterMs };
    },
  };
}

// Deletes the lock only if it still holds this claim's token: a claim that expired (the completion
// took longer than its TTL) and was taken by another machine is not released from under it.
const RELEASE = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * Completion records in Redis (the handler's `completions` option), shared by every handler
 * machine. Keys: prefix + SHA-256 hex of the id (the record) and prefix + "lock:" + the same (the
 * claim). Answers are stored as JSON with a PX TTL: they come back as JSON values (a Date as its
 * ISO string, undefined properties dropped; an undefined answer as null). claim() is SET NX PX with
 * a random token this store remembers; release() deletes the lock only if it still holds that token.
 */
export function redisCompletions(redis: RedisCommands, { prefix = 'vs3:done:' }: { prefix?: string } = {}): RedisCompletionStore {
  checkRedis(redis, prefix);
  // Claims this store holds: lock key -> token, until when. Bounded: expired ones are swept once
  // there are many (their release would be a no-op anyway).
  const claims = new Map<string, { token: string; until: number }>();
  const MAX_CLAIMS = 10_000;
  const px = (ttlMs: number) => {
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !Number.isFinite(ttlMs))
      throw new Error(`vs3: ttlMs must be a positive finite number (got ${String(ttlMs)})`);
    return String(Math.max(1, Math.ceil(ttlMs)));
  };
  const recordKey = async (id: string) => {
    if (typeof id !== 'string') throw new Error('vs3: completion id must be a string');
    return prefix + (await keyHash(id));
  };
  const lockKey = async (id: string) => {
    if (typeof id !== 'string') throw new Error('vs3: completion id must be a string');
    return prefix + 'lock:' + (await keyHash(id));
  };

  return {
    async get(id) {
      const key = await recordKey(id);
      const reply = await redis.sendCommand(['GET', key]);
      if (reply === null || reply === undefined) return undefined;
      const text = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? new TextDecoder().decode(reply) : undefined;
      if (text === undefined) throw new Error(`vs3: unexpected Redis reply to GET ${key}: ${typeof reply}`);
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`vs3: the completion record at ${key} is not JSON`);
      }
    },
    async set(id, answer, ttlMs) {
      const ttl = px(ttlMs);
      await redis.sendCommand(['SET', await recordKey(id), JSON.stringify(answer) ?? 'null', 'PX', ttl]);
    },
    async claim(id, ttlMs) {
      const ttl = px(ttlMs);
      const key = await lockKey(id);
      const token = crypto.randomUUID();
      const reply = await redis.sendCommand(['SET', key, token, 'NX', 'PX', ttl]);
      if (reply === null || reply === undefined) return false;
      if (reply !== 'OK') throw new Error(`vs3: unexpected Redis reply to SET NX: ${JSON.stringify(reply)}`);
      if (claims.size >= MAX_CLAIMS) {
        const now = Date.now();
        for (const [k, c] of claims) if (c.until <= now) claims.delete(k);
        for (const k of claims.keys()) {
          if (claims.size < MAX_CLAIMS) break;
          claims.delete(k); // the oldest: its lock still expires by its TTL
        }
      }
      claims.delete(key);
      claims.set(key, { token, until: Date.now() + Number(ttl) });
      return true;
    },
    async release(id) {
      const key = await lockKey(id);
      const held = claims.get(key);
      if (!held) return;
      claims.delete(key);
      await RELEASE.run(redis, [key], [held.token]);
    },
  };
}

function checkRedis(redis: RedisCommands, prefix: string) {
  if (!redis || typeof redis.sendCommand !== 'function') {
    throw new Error('vs3: a Redis store needs a client with sendCommand(args) (node-redis; see RedisCommands for ioredis and Upstash)');
  }
  if (typeof prefix !== 'string') throw new Error('vs3: Redis key prefix must be a string');
}
