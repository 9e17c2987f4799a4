// Types for the Emscripten/Embind module built from wasm/bindings/embind.cpp.
export interface StreamingHasher {
  /** A view of n bytes of scratch in the WASM heap; valid until the next call into the module. */
  buffer(n: number): Uint8Array;
  /** Hashes the first n bytes of the scratch buffer; false if n exceeds it. */
  update(n: number): boolean;
  reset(): void;
  release(): void;
  digestHex(): string;
  bytesHashed(): number;
  delete(): void;
}

export interface RawPartPlan {
  ok: boolean;
  errorCode: string;
  errorMessage: string;
  objectSize: number;
  partSize: number;
  partCount: number;
  lastPartSize: number;
  concurrency: number;
  multipart: boolean;
}

export interface RawRetryDecision {
  retry: boolean;
  delayMs: number;
  reason: string;
}

export interface RawRetryPolicy {
  decide(attempt: number, status: number, s3Code: string, retryAfterMs: number): RawRetryDecision;
  ceilingMs(attempt: number): number;
  delete(): void;
}

/** One pass per part: whole-file SHA-256 (sequential) and the part's CRC32C from the same bytes. */
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

export type RawActionType =
  | 'read' | 'create' | 'presign' | 'sign' | 'send' | 'complete' | 'dedupe' | 'probe' | 'abort' | 'list'
  | 'cancel' | 'release' | 'wake' | 'changed' | 'done' | 'failed';

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

export type RawFileState = 'queued' | 'uploading' | 'paused' | 'completing' | 'done' | 'failed' | 'cancelled';

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

export interface Vs3CoreModule {
  PartHasher: new () => RawPartHasher;
  Engine: new (config: RawEngineConfig) => RawEngine;
  Sha256: new () => StreamingHasher;
  Xxh3_128: new () => StreamingHasher;
  RetryPolicy: new (maxAttempts: number, baseDelayMs: number, maxDelayMs: number, seedHi: number, seedLo: number) => RawRetryPolicy;
  planParts(size: number, preferredPartSize: number, memoryBudget: number, maxConcurrency: number): RawPartPlan;
  isRetryableStatus(status: number): boolean;
}

export interface Vs3CoreOptions {
  wasmBinary?: ArrayBuffer | Uint8Array;
  locateFile?: (path: string, scriptDirectory: string) => string;
}

declare function createVs3Core(options?: Vs3CoreOptions): Promise<Vs3CoreModule>;
export default createVs3Core;
