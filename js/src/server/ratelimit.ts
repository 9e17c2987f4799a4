// Rate limiting: the token-bucket contract (RateLimitRule, RateLimitResult, RateLimitStore), rule and
// cost validation, the bucket arithmetic shared with the Redis store's Lua script, and the bounded
// in-process store (memoryRateLimits). The Redis-backed store is in redis.ts; the handler decides
// which requests take from which bucket. Web platform only (no Node APIs).
//
// The arithmetic is a token bucket kept as one number per bucket, its "theoretical arrival time"
// (GCRA): a bucket of `limit` tokens refilled continuously at limit / windowSeconds tokens per
// second is full when tat <= now, and holds limit - (tat - now) / interval tokens otherwise
// (interval = the time one token takes to refill). Taking `cost` tokens moves tat by cost * interval.
// It is exactly the token bucket, with no refill loop and no separate "last refill" time, and a
// bucket whose tat has passed is full: it can be forgotten (Redis: the key expires at tat).

/** A token bucket: `limit` requests, refilled evenly over `windowSeconds`. */
export interface RateLimitRule {
  /** tokens (requests) the bucket holds */
  limit: number;
  /** seconds to refill the whole bucket */
  windowSeconds: number;
}

/** The answer to one {@link RateLimitStore.take}. */
export interface RateLimitResult {
  /** true: the tokens were taken (the request may go ahead); false: refused, nothing taken. */
  ok: boolean;
  /** tokens left after this request (whole tokens, rounded down) */
  remaining: number;
  /**
   * ms until one token is available (0 when ok). For a refused request with cost > 1: ms until
   * `cost` tokens are, so that the same request made after waiting this long is taken.
   */
  retryAfterMs: number;
}

/** Where token buckets live: memoryRateLimits() (one process) or redisRateLimits() (shared); or your own. */
export interface RateLimitStore {
  /**
   * Takes `cost` tokens (default 1) from `bucket` under `rule`, or none when there are not that
   * many. `nowMs` is the caller's clock in unix ms (stores with a clock of their own may ignore it:
   * the Redis store uses Redis TIME). Throws an Error on an invalid rule or cost (a programming
   * error, not a client's): limit and windowSeconds positive finite numbers, 0 < cost <= limit.
   * One bucket should be used with one rule; a bucket taken under another rule keeps its state.
   */
  take(bucket: string, rule: RateLimitRule, nowMs: number, cost?: number): Promise<RateLimitResult>;
}

/** Throws a clear Error unless rule and cost are usable. Returns the cost (default 1). */
export function checkRateLimit(rule: RateLimitRule, cost: number | undefined): number {
  if (!rule || typeof rule !== 'object') throw new Error('vs3: rate limit rule must be an object { limit, windowSeconds }');
  const { limit, windowSeconds } = rule;
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) {
    throw new Error(`vs3: rate limit 'limit' must be a positive finite number (got ${String(limit)})`);
  }
  if (typeof windowSeconds !== 'number' || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new Error(`vs3: rate limit 'windowSeconds' must be a positive finite number (got ${String(windowSeconds)})`);
  }
  const c = cost ?? 1;
  if (typeof c !== 'number' || !Number.isFinite(c) || c <= 0) throw new Error(`vs3: rate limit cost must be a positive finite number (got ${String(c)})`);
  if (c > limit) throw new Error(`vs3: rate limit cost ${c} is more than the bucket holds (limit ${limit}): it could never be taken`);
  return c;
}

// Whole tokens, forgiving float noise (9.999999999 tokens are 10).
const wholeTokens = (t: number) => Math.max(0, Math.floor(t + 1e-9));

/**
 * One take on a bucket whose state is `tat` (undefined: never seen, or forgotten when full). Times
 * in ms. Returns the new tat (undefined: refused, unchanged) and the answer. A clock stepping back
 * refills nothing (the bucket only looks emptier). The Redis store's Lua script is the same
 * arithmetic in microseconds.
 */
export function gcraTake(tat: number | undefined, rule: RateLimitRule, now: number, cost: number): { tat?: number; result: RateLimitResult } {
  const windowMs = rule.windowSeconds * 1000;
  const interval = windowMs / rule.limit;
  const base = tat === undefined || tat < now ? now : tat;
  const next = base + cost * interval;
  const allowAt = next - windowMs;
  if (now >= allowAt) {
    return { tat: next, result: { ok: true, remaining: wholeTokens((windowMs - (next - now)) / interval), retryAfterMs: 0 } };
  }
  let retryAfterMs = Math.ceil(allowAt - now);
  if (now + retryAfterMs < allowAt) retryAfterMs += 1; // float rounding: waiting this long must be enough
  return { result: { ok: false, remaining: wholeTokens((windowMs - (base - now)) / interval), retryAfterMs } };
}

/** The store memoryRateLimits() makes: a RateLimitStore that tells how many buckets it holds. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Buckets held now (not yet full again, or not yet swept). */
  readonly size: number;
}

/**
 * Token buckets in this process (one machine; several machines share redisRateLimits()). Bounded:
 * past `maxBuckets` (default 100,000) the store sheds down to 90% of that, buckets that are full
 * again first (forgetting them loses nothing), then the least recently used (those keys start again
 * with a full bucket: size maxBuckets well above the keys active in one window). A flood of distinct
 * keys costs at most maxBuckets entries, about 100 bytes each plus the key.
 */
export function memoryRateLimits({ maxBuckets = 100_000 }: { maxBuckets?: number } = {}): MemoryRateLimitStore {
  if (!Number.isInteger(maxBuckets) || maxBuckets < 1) throw new Error(`vs3: maxBuckets must be a positive integer (got ${String(maxBuckets)})`);
  // Map order = least recently used first (every take, refused or not, moves its bucket to the end:
  // a caller being refused is the last one whose bucket should be forgotten).
  const buckets = new Map<string, number>();
  const keep = Math.max(1, Math.floor(maxBuckets * 0.9));

  // Down to 90% of maxBuckets, so that the next sweep is at least 10% of maxBuckets takes away
  // (a sweep is O(size): amortised, a few steps per take whatever the flood).
  function evict(now: number) {
    for (const [key, tat] of buckets) if (tat <= now) buckets.delete(key);
    for (const key of buckets.keys()) {
      if (buckets.size <= keep) break;
      buckets.delete(key);
    }
  }

  return {
    get size() {
      return buckets.size;
    },
    async take(bucket, rule, nowMs, cost) {
      const c = checkRateLimit(rule, cost);
      if (typeof bucket !== 'string') throw new Error('vs3: rate limit bucket must be a string');
      if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new Error(`vs3: nowMs must be a finite number (got ${String(nowMs)})`);
      const old = buckets.get(bucket);
      const { tat, result } = gcraTake(old, rule, nowMs, c);
      const state = tat ?? old;
      if (state !== undefined) {
        buckets.delete(bucket);
        buckets.set(bucket, state);
        if (buckets.size > maxBuckets) evict(nowMs);
      }
      return result;
    },
  };
}
