// Types for the Emscripten/Embind module built from wasm/bindings/embind.cpp.
// What users reach through vs3/core (Vs3CoreModule from loadCore(), the hashers, planParts, RawPartPlan,
// RawFileState) is documented; the engine, part hasher and retry policy bindings are @internal: they
// are driven by the upload queue, the part readers and the RetryPolicy class, never by users.

/** A streaming hash in the WASM heap (core.Sha256, core.Xxh3_128); wrapped by CoreHasher. Free it with delete(). */
export interface StreamingHasher {
  /** A view of n bytes of scratch in the WASM heap; valid until the next call into the module. */
  buffer(n: number): Uint8Array;
  /** Hashes the first n bytes of the scratch buffer; false if n exceeds it. */
  update(n: number): boolean;
  /** Starts over with nothing hashed. */
  reset(): void;
  /** Frees the scratch buffer (the hash state is kept); buffer() allocates it again. */
  release(): void;
  /** The digest of everything hashed so far, lowercase hex. */
  digestHex(): string;
  /** Bytes hashed since creation or the last reset(). */
  bytesHashed(): number;
  /** Frees the hasher (Embind); it must not be used afterwards. */
  delete(): void;
}

/** The core's part plan as Vs3CoreModule.planParts returns it: a plan when ok, else the reason. */
export interface RawPartPlan {
  /** false: no plan (see errorCode). */
  ok: boolean;
  /** Stable code when not ok: object_too_large, invalid_part_size, invalid_concurrency, memory_budget_too_small. */
  errorCode: string;
  /** Human-readable reason when not ok. */
  errorMessage: string;
  /** Bytes. */
  objectSize: number;
  /** Bytes in every part but the last (the object size when it fits in one PUT). */
  partSize: number;
  /** At least 1 (an empty object is one empty part); at most 10,000. */
  partCount: number;
  /** Bytes in the last part. */
  lastPartSize: number;
  /** Parts in flight at most, so that memory stays within the budget. */
  concurrency: number;
  /** false: one PUT is enough. */
  multipart: boolean;
}

/** What the core's checkContent says about a file's first bytes and its declared type (js/src/sniff.ts's rules). */
export interface RawContentCheck {
  /** false: the bytes contradict the declared type (see reason); the upload should not be sent. */
  ok: boolean;
  /** The type the bytes are, from their signature ('' when none we know: text, CSV, JSON...). */
  sniffed: string;
  /** Why not, for the error message ('' when ok), e.g. "declared image/png but the bytes are image/jpeg". */
  reason: string;
}

/** @internal */
export interface RawRetryDecision {
  retry: boolean;
  delayMs: number;
  reason: string;
}

/** @internal Used through the RetryPolicy class of vs3/core. */
export interface RawRetryPolicy {
  decide(attempt: number, status: number, s3Code: string, retryAfterMs: number): RawRetryDecision;
  ceilingMs(attempt: number): number;
  delete(): void;
}

/**
 * One pass per part: whole-file SHA-256 (sequential) and the part's CRC32C from the same bytes.
 * @internal Used by the part readers (coreReader, workerReader).
 */
export interface RawPartHasher {
  buffer(n: number): Uint8Array;
  /** verifyOnly: feed the CRC only (a part read again after a pause). */
  update(n: number, verifyOnly: boolean): boolean;
  /** The finished part's CRC32C as an unsigned 32-bit number; the next part starts fresh. */
  endPart(): number;
  sha256Hex(): string;
  bytesHashed(): number;
  release(): void;
  delete(): void;
}

/** @internal Built by createUploadQueue from QueueOptions. */
export interface RawEngineConfig {
  maxInFlight: number;
  maxControlInFlight: number;
  maxActiveFiles: number;
  hashAhead: number;
  signBatch: number;
  preferredPartSize: number;
  stallTimeoutMs: number;
  completeTimeoutMs: number;
  retryTimeBudgetMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  urlRefreshMarginMs: number;
  seedHi: number;
  seedLo: number;
  /** false: a failed multipart upload is left on storage (the host keeps resume state to finish it). */
  abortFailedUploads: boolean;
}

/** @internal */
export type RawActionType =
  | 'read' | 'create' | 'presign' | 'sign' | 'send' | 'complete' | 'dedupe' | 'probe' | 'abort' | 'list'
  | 'cancel' | 'release' | 'wake' | 'changed' | 'done' | 'failed';

/** @internal */
export interface RawAction {
  type: RawActionType;
  file: number;
  req?: number;
  /** 0-based; the part number on the wire is part + 1. */
  part: number;
  count?: number;
  offset?: number;
  size?: number;
  atMs?: number;
  reread?: true;
  deduplicated?: true;
  code?: string;
}

/**
 * Where an upload is: waiting for a slot, uploading (hashing included), paused, completing (the
 * handler verifies the stored object), or finished as done, failed or cancelled.
 */
export type RawFileState = 'queued' | 'uploading' | 'paused' | 'completing' | 'done' | 'failed' | 'cancelled';

/** @internal */
export interface RawFileStats {
  state: RawFileState;
  size: number;
  partSize: number;
  partCount: number;
  multipart: boolean;
  bytesHashed: number;
  bytesStored: number;
  bytesInFlight: number;
  partsStored: number;
  retries: number;
  deduplicated: boolean;
  /** Added with addResumed, and the upload still existed. */
  resumed: boolean;
  partsReused: number;
  bytesReused: number;
  sha256: string;
  error: string;
}

/** @internal The upload engine createUploadQueue drives: events in, actions out. */
export interface RawEngine {
  addFile(size: number, priority: number, group: number, now: number): { ok: boolean; file: number; errorCode: string; errorMessage: string };
  addResumed(size: number, partSize: number, priority: number, group: number, now: number): { ok: boolean; file: number; errorCode: string; errorMessage: string };
  claimPart(file: number, part: number, crc32c: number): void;
  listed(req: number, exists: boolean, dedupeRoute: boolean, now: number): void;
  mismatch(file: number, part: number, now: number): void;
  partRead(file: number, part: number, crc32c: number, sha256IfLast: string, now: number): void;
  readFailed(file: number, part: number, now: number): void;
  created(req: number, dedupeRoute: boolean, now: number): void;
  presigned(req: number, expiresAt: number, dedupeRoute: boolean, now: number): void;
  signedParts(req: number, expiresAt: number, now: number): void;
  progress(req: number, bytesSent: number, now: number): void;
  sent(req: number, now: number): void;
  completed(req: number, now: number): void;
  dedupeAnswer(req: number, found: boolean, now: number): void;
  probeAnswer(req: number, candidate: boolean, now: number): void;
  aborted(req: number, now: number): void;
  failed(req: number, status: number, code: string, retryAfterMs: number, expired: boolean, now: number): void;
  timer(now: number): void;
  pause(file: number, now: number): void;
  resume(file: number, now: number): void;
  cancel(file: number, now: number): void;
  setOnline(online: boolean, now: number): void;
  setPriority(file: number, priority: number, now: number): void;
  takeActions(): RawAction[];
  stats(file: number): RawFileStats;
  counters(): { putsInFlight: number; controlInFlight: number; partsHeld: number; activeFiles: number };
  idle(): boolean;
  debug(file: number): string;
  delete(): void;
}

/**
 * The loaded WASM core (what loadCore() resolves with). Pass it to createUploadQueue, coreReader,
 * CoreHasher, hashBlob, planParts and RetryPolicy rather than calling its bindings directly.
 */
export interface Vs3CoreModule {
  /** @internal */
  PartHasher: new () => RawPartHasher;
  /** @internal */
  Engine: new (config: RawEngineConfig) => RawEngine;
  /** A SHA-256 hasher (see CoreHasher for the convenient wrapper). */
  Sha256: new () => StreamingHasher;
  /** An XXH3-128 hasher (not cryptographic). */
  Xxh3_128: new () => StreamingHasher;
  /** @internal */
  RetryPolicy: new (maxAttempts: number, baseDelayMs: number, maxDelayMs: number, seedHi: number, seedLo: number) => RawRetryPolicy;
  /** The raw part planner (sizes in bytes; 0: default part size, no memory budget). planParts() of vs3/core throws instead of returning ok: false. */
  planParts(size: number, preferredPartSize: number, memoryBudget: number, maxConcurrency: number): RawPartPlan;
  /** Whether an HTTP status is worth retrying: 0 (no response), 408, 409, 425, 429, 500, 502, 503, 504. */
  isRetryableStatus(status: number): boolean;
  /**
   * The type a file's first bytes say it is (magic numbers: JPEG, PNG, WebP, GIF, AVIF, HEIC, PDF, ZIP,
   * ELF/PE/Mach-O...; HTML, SVG and XML by their opening), '' when none we know. Pass the first 1024
   * bytes (what the server reads back); the view is copied into the heap. Same table and rules as the
   * server's sniffType (js/src/sniff.ts).
   */
  sniffType(head: Uint8Array): string;
  /**
   * Whether bytes starting with head may be stored as the declared type (a Content-Type; parameters
   * and case are ignored): a type with a signature needs it; application/octet-stream takes
   * anything; other types never take HTML, SVG, XML or executables unless declared as such. The
   * server's checkContent at completion, run before sending.
   */
  checkContent(declared: string, head: Uint8Array): RawContentCheck;
}

/** Emscripten module options for loadCore(). */
export interface Vs3CoreOptions {
  /** The bytes of vs3core.wasm, when the runtime cannot fetch it (Node: see loadCoreNode() in vs3/node). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Maps a file the module needs (vs3core.wasm) to its URL; default: next to vs3core.mjs. */
  locateFile?: (path: string, scriptDirectory: string) => string;
}

declare function createVs3Core(options?: Vs3CoreOptions): Promise<Vs3CoreModule>;
export default createVs3Core;
