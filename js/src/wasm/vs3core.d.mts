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

export interface Vs3CoreModule {
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
