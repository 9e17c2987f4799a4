// Typed front for the C++ core compiled to WebAssembly. Loads in browsers, workers and Node
// (in Node pass { wasmBinary }, see vs3/node's loadCoreNode()).
import createVs3Core, {
  type RawFileState,
  type RawContentCheck,
  type RawPartPlan,
  type Vs3CoreModule,
  type Vs3CoreOptions,
  type StreamingHasher,
} from './wasm/vs3core.mjs';
import { Vs3Error, abortedError } from './errors.js';

export type { Vs3CoreModule, Vs3CoreOptions, StreamingHasher, RawPartPlan, RawFileState, RawContentCheck };

const cache = new Map<string, Promise<Vs3CoreModule>>();

/**
 * Loads (once per key) the WASM core. In browsers the .wasm is found next to vs3core.mjs. A failed
 * load is not cached: the next call with the same key tries again.
 */
export function loadCore(options: Vs3CoreOptions = {}, cacheKey = 'default'): Promise<Vs3CoreModule> {
  let p = cache.get(cacheKey);
  if (!p) {
    p = createVs3Core(options);
    cache.set(cacheKey, p);
    p.catch(() => cache.delete(cacheKey));
  }
  return p;
}

/** The core's streaming hashes: SHA-256 (hex digest of 64 characters) or XXH3-128 (32 characters; not cryptographic). */
export type HashAlgorithm = 'sha256' | 'xxh3-128';

/** Feeds chunks into a core hasher: one copy into the WASM heap per chunk, nothing else retained. */
export class CoreHasher {
  private readonly h: StreamingHasher;
  constructor(
    core: Vs3CoreModule,
    /** Which hash this hasher computes. Default 'sha256'. */
    readonly algorithm: HashAlgorithm = 'sha256',
  ) {
    this.h = algorithm === 'sha256' ? new core.Sha256() : new core.Xxh3_128();
  }
  /** Hashes `chunk` (any length; copied into the heap 4 MiB at a time). Throws Vs3Error('hash_failed') if the core refuses it. */
  update(chunk: Uint8Array): this {
    // Large chunks are copied in slices so the scratch buffer stays small.
    const max = 4 << 20;
    for (let off = 0; off < chunk.length; off += max) {
      const part = chunk.subarray(off, Math.min(chunk.length, off + max));
      this.h.buffer(part.length).set(part);
      if (!this.h.update(part.length)) throw new Vs3Error('hash_failed', 'core rejected a chunk', 500);
    }
    return this;
  }
  /** Bytes fed in since creation or the last reset(). */
  get bytesHashed(): number {
    return this.h.bytesHashed();
  }
  /** The digest of everything fed so far, lowercase hex. */
  digestHex(): string {
    return this.h.digestHex();
  }
  /** Starts over with nothing hashed. */
  reset(): void {
    this.h.reset();
  }
  /** Frees the hasher's WASM memory; the hasher must not be used afterwards. */
  dispose(): void {
    this.h.delete();
  }
}

/**
 * Hashes a Blob slice by slice (bounded memory) and resolves with the hex digest; reports the bytes
 * hashed so far after each slice. Options: algorithm (default 'sha256'), chunkSize in bytes (default
 * 4 MiB), signal (rejects with Vs3Error('aborted')).
 */
export async function hashBlob(
  core: Vs3CoreModule,
  blob: Blob,
  opts: { algorithm?: HashAlgorithm; chunkSize?: number; signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): Promise<string> {
  const h = new CoreHasher(core, opts.algorithm ?? 'sha256');
  const step = opts.chunkSize ?? 4 << 20;
  if (!(Number.isSafeInteger(step) && step > 0)) throw new RangeError('hashBlob: chunkSize must be a positive integer');
  try {
    for (let off = 0; off < blob.size; off += step) {
      if (opts.signal?.aborted) throw abortedError('hashing aborted');
      const buf = new Uint8Array(await blob.slice(off, Math.min(blob.size, off + step)).arrayBuffer());
      h.update(buf);
      opts.onProgress?.(h.bytesHashed);
    }
    return h.digestHex();
  } finally {
    h.dispose();
  }
}

/** A plan the core accepted: equal parts of partSize, the last one lastPartSize. */
export type PartPlan = Omit<RawPartPlan, 'ok' | 'errorCode' | 'errorMessage'>;

/**
 * Equal-size parts inside S3's limits, decided by the core. Options (bytes): preferredPartSize (0 or
 * unset: 8 MiB, grown to fit 10,000 parts), memoryBudget (0 or unset: unbounded; else partSize x
 * concurrency stays within it), maxConcurrency (default 4). Throws Vs3Error('invalid_part_plan', 400)
 * with details.reason, e.g. for an object over 48.8 TiB.
 */
export function planParts(
  core: Vs3CoreModule,
  size: number,
  opts: { preferredPartSize?: number; memoryBudget?: number; maxConcurrency?: number } = {},
): PartPlan {
  const r = core.planParts(size, opts.preferredPartSize ?? 0, opts.memoryBudget ?? 0, opts.maxConcurrency ?? 4);
  if (!r.ok) throw new Vs3Error('invalid_part_plan', `${r.errorCode}: ${r.errorMessage}`, 400, { reason: r.errorCode });
  const { ok: _ok, errorCode: _c, errorMessage: _m, ...plan } = r;
  return plan;
}

/** Options of {@link RetryPolicy}. */
export interface RetryOptions {
  /** Total attempts, the first included: an integer in 1..100. Default 5. */
  maxAttempts?: number;
  /** Backoff base in ms: the delay after failed attempt n is drawn below min(maxDelayMs, baseDelayMs x 2^(n-1)). Default 300. */
  baseDelayMs?: number;
  /** Longest delay in ms, also the cap on a server's Retry-After; at least baseDelayMs. Default 20,000. */
  maxDelayMs?: number;
  /** Fixed seed for reproducible jitter (tests); random by default. */
  seed?: number;
}

/** What {@link RetryPolicy.decide} answers. */
export interface RetryDecision {
  /** Whether to try again. */
  retry: boolean;
  /** Milliseconds to wait before the next attempt (0 when not retrying). */
  delayMs: number;
  /** Stable code: 'retryable_status', 'network_error', 'non_retryable_status' or 'attempts_exhausted'. */
  reason: string;
}

/** Exponential backoff with full jitter; the decision is made by the C++ core. */
export class RetryPolicy {
  private readonly p;
  /** Throws Vs3Error('invalid_request') when maxAttempts or the delays are out of range (see RetryOptions). */
  constructor(core: Vs3CoreModule, opts: RetryOptions = {}) {
    const maxAttempts = opts.maxAttempts ?? 5;
    const base = opts.baseDelayMs ?? 300;
    const max = opts.maxDelayMs ?? 20_000;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw new Vs3Error('invalid_request', 'retry.maxAttempts must be an integer in 1..100');
    }
    if (!(base >= 0) || !(max >= base)) throw new Vs3Error('invalid_request', 'retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs');
    let hi: number, lo: number;
    if (opts.seed !== undefined) {
      hi = Math.floor(opts.seed / 2 ** 32) >>> 0;
      lo = opts.seed >>> 0;
    } else {
      const r = crypto.getRandomValues(new Uint32Array(2));
      hi = r[0]!;
      lo = r[1]!;
    }
    this.p = new core.RetryPolicy(maxAttempts, base, max, hi, lo);
  }
  /**
   * Whether and when to try again. attempt: failed attempts so far (1 after the first); status: the
   * HTTP status, 0 = no response; s3Code: the S3 error code if known (RequestTimeout, SlowDown, ...
   * are retried whatever the status); retryAfterMs: the server's Retry-After in ms, -1 when absent.
   */
  decide(attempt: number, status: number, s3Code = '', retryAfterMs = -1): RetryDecision {
    return this.p.decide(attempt, status | 0, s3Code, retryAfterMs);
  }
  /** Frees the policy's WASM memory; it must not be used afterwards. */
  dispose(): void {
    this.p.delete();
  }
}

/**
 * What a Blob's first bytes say it is — the core's magic-byte sniffer (JPEG, PNG, GIF, WebP, AVIF,
 * HEIC, PDF, ZIP, ELF, PE, HTML, SVG…, the table the handler checks uploads against) — or null when
 * they carry no signature it knows (plain text, CSV, JSON…). Reads 1 KiB.
 */
export async function sniffBlob(core: Vs3CoreModule, blob: Blob): Promise<string | null> {
  return core.sniffType(new Uint8Array(await blob.slice(0, 1024).arrayBuffer())) || null;
}
