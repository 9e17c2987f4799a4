// The upload queue: one C++ engine (wasm/src/engine) decides for every file what to read, sign, send,
// complete, retry or abort; this file only executes those actions — Blob reads through a PartReader,
// HTTP through fetch / the Transport, timers — and feeds the outcomes back as events. It publishes
// immutable snapshots (subscribe / getSnapshot) so UIs and React's useSyncExternalStore can render it.
import { loadCore, type Vs3CoreModule } from '../core.js';
import { crc32cFromBase64, crc32cToBase64 } from '../crc32c.js';
import { Vs3Error, abortedError, type Vs3ErrorCode } from '../errors.js';
import type { RawAction, RawEngine, RawFileState, RawFileStats } from '../wasm/vs3core.mjs';
import { coreReader, workerReader, type FileSource, type PartReader } from './reader.js';
import { describeRecord, indexedDbStore, type InterruptedUpload, type ResumePart, type ResumeRecord, type ResumeStore } from './resume.js';
import { defaultTransport, type RangeBody, type Transport } from './transport.js';

/** How the queue retries failed requests (QueueOptions.retry); the C++ engine decides. */
export interface RetryOptions {
  /** Attempts per request, the first included. Default 20 (the time budget usually ends it first). */
  maxAttempts?: number;
  /** Backoff: after failed attempt n, full jitter below min(maxDelayMs, baseDelayMs * 2^(n-1)). Defaults 500 / 10,000 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts, in ms. Default 10,000. */
  maxDelayMs?: number;
  /** Give a failing request up after this long. Default 120 s: rides out a 30 s storage outage. */
  timeBudgetMs?: number;
  /** Fixed seed for reproducible jitter (tests). */
  seed?: number;
}

/** Options of {@link createUploadQueue} (and createUploader). */
export interface QueueOptions {
  /**
   * Before anything is sent, check that a file declared as an image, audio, video or PDF starts with
   * that format's magic bytes (the core's sniffer, the twin of the handler's completion check) and
   * refuse it with content_mismatch if not. Default true; other declared types are left to the route.
   */
  checkContent?: boolean;
  /** Where the vs3 handler is mounted: "/api/vs3" or an absolute URL. */
  endpoint: string;
  /** Default: loadCore() (vs3core.wasm next to vs3core.mjs). */
  core?: Vs3CoreModule | Promise<Vs3CoreModule>;
  /** Default: a Web Worker pool where Workers exist, else the current thread. */
  reader?: PartReader;
  /** Default: XHR in browsers (upload progress), fetch elsewhere. */
  transport?: Transport;
  /** fetch for requests to the handler (presign, sign, complete, ...). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Extra headers for requests to the handler (auth). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Part PUTs in flight across all files. Default 4 (see EngineConfig in engine.hpp for why). */
  maxInFlight?: number;
  /** Files worked on at once; the rest wait in FIFO order (by priority). Default 4. */
  maxActiveFiles?: number;
  /**
   * Parts read and hashed ahead of the wire. Memory ~ partSize x (maxInFlight + hashAhead). Default 4
   * in browsers (hashing in a worker runs at about the speed of a fast link), 1 elsewhere (Node hashes
   * in-thread and memory is the tighter budget there).
   */
  hashAhead?: number;
  /** Part size for multipart uploads (5 MiB .. 5 GiB). Default 8 MiB, grown to fit 10,000 parts. */
  partSize?: number;
  /** Part URLs per presign call, at most. Default 8. */
  signBatch?: number;
  /** Abort and retry a request that made no progress for this long. Default 30 s. */
  stallTimeoutMs?: number;
  /** How long a complete may take before it is retried (storage may need minutes to assemble a large object). Default 10 min. */
  completeTimeoutMs?: number;
  /** Retries of failed requests (see RetryOptions for the defaults). */
  retry?: RetryOptions;
  /** Follow the browser's online/offline events. Default true where they exist. */
  watchOnline?: boolean;
  /**
   * Resume state for uploads interrupted by a reload, a crash or a closed laptop (see resume.ts): what
   * each unfinished multipart upload is and which parts storage took — never file content. Default
   * true: IndexedDB where it exists (browsers), nothing elsewhere (vs3/node takes `resumeState`, a
   * JSON file). false: nothing is written. Or a ResumeStore of your own.
   */
  persist?: boolean | ResumeStore;
  /**
   * Stored parts are written to the resume state at most this often (ms). Default 25: a reload or
   * crash then loses about one part's record (measured: 1 of 25 parts at 110 MB/s); vs3/node uses 250.
   */
  persistIntervalMs?: number;
  /** Interrupted uploads older than this are forgotten by restore(). Default 7 days (the handler's resumeWindow). */
  resumeMaxAgeMs?: number;
  /** Opens a recorded path again (vs3/node sets it: resume() without a file). */
  openPath?: (path: string) => Promise<FileSource>;
  /** Wall clock in ms (tests). */
  now?: () => number;
}

/** Options of {@link UploadQueue.add}. */
export interface AddOptions<M = unknown> {
  /** The handler route to upload through. */
  route: string;
  /** Metadata for the route's schema (sent as JSON). */
  metadata?: M;
  /** Higher first; equal priorities go FIFO. Default 0. */
  priority?: number;
  /** Overrides file.name / file.type (e.g. for plain Blobs). */
  name?: string;
  /** Overrides file.type; empty: the handler picks one from the name's extension. */
  type?: string;
  /** Aborting cancels the upload (and aborts its multipart upload on storage). */
  signal?: AbortSignal;
  /**
   * Resume an interrupted upload of this route with the same name and size, if there is one (default
   * true). The file must prove it is the same content (first part's SHA-256, then every stored part's
   * CRC32C) or it fails with file_mismatch and the interrupted upload is left as it was.
   */
  resume?: boolean;
  /** Browsers: the file's FileSystemFileHandle, kept with the resume state so restore() can reopen it. */
  handle?: FileSystemFileHandle;
  /**
   * Runs on the file before anything else — e.g. `imageTransform({ maxWidth: 2560, variants: { thumb: { maxWidth: 256 } } })`
   * from vs3/image. What it returns is what is checked, hashed, sent and limited by the route (not the
   * original). Variants it returns are uploaded after the main file, under its key (the route must take
   * variants: RouteConfig.variants), and listed in UploadResult.variants.
   */
  transform?: ((file: Blob, ctx: { signal: AbortSignal }) => Promise<Blob | TransformOutput>) | undefined;
}

/** What a transform may return besides a plain Blob: the new file, its name, and variants of it. */
export interface TransformOutput {
  /** The file to upload instead of the original. */
  blob: Blob;
  /** Its name (default: the original's); its type is blob.type. */
  name?: string;
  /** Extra objects to store under the main file's key, by name (letters, digits, `-`, `_`). */
  variants?: Record<
    string,
    {
      /** The variant's bytes, typed. */
      blob: Blob;
      /** Pixels, if known (listed in StoredVariant). */
      width?: number;
      /** Pixels, if known. */
      height?: number;
    }
  >;
}

/** A variant stored under its main file's key (UploadResult.variants). */
export interface StoredVariant {
  /** The variant's name (TransformOutput.variants). */
  name: string;
  /** Its object key: the main file's key + `.variants/<name>.<ext>`. */
  key: string;
  /** Time-limited download URL, if the storage driver gives one. */
  url?: string;
  /** Bytes. */
  size: number;
  /** Content-Type. */
  type: string;
  /** Pixels, when the transform said. */
  width?: number;
  /** Pixels, when the transform said. */
  height?: number;
  /** SHA-256 of the stored bytes (verified by the handler like any upload). */
  sha256?: string;
}

/** A stored file, as the handler's completion answered. */
export interface UploadResult {
  /** The object key it is stored under. */
  key: string;
  /** The file name. */
  name: string;
  /** Bytes. */
  size: number;
  /** The Content-Type it is stored with. */
  type: string;
  /** SHA-256 (lowercase hex) of the content. */
  sha256?: string;
  /** Time-limited download URL, if the storage driver gives one. */
  url?: string;
  /** The object was already stored (same SHA-256 on a dedupe route): no bytes were sent for it. */
  deduplicated?: boolean;
  /**
   * The server proved sha256 is the stored bytes' hash (storage checksum, local driver, or read-back),
   * rather than taking the client's word. False, e.g., for objects over the route's readBack size.
   */
  verified?: boolean;
  /** What the route's onUploadComplete returned. */
  result: unknown;
  /** Variants a transform made, stored under this file's key after it (absent when there were none). */
  variants?: StoredVariant[];
}

/** Where an upload is: queued, uploading, paused, completing, or finished as done, failed or cancelled. */
export type UploadState = RawFileState;

/** One file, immutable: a new object whenever something about it changed. */
export interface UploadSnapshot {
  /** The upload's id in this queue (UploadHandle.id). */
  readonly id: number;
  /** The file name. */
  readonly name: string;
  /** Bytes. */
  readonly size: number;
  /** The declared Content-Type (AddOptions.type, else the file's; '' when neither gives one). */
  readonly type: string;
  /** The route it goes through. */
  readonly route: string;
  /** Where it is. */
  readonly state: UploadState;
  /** Bytes hashed so far. */
  readonly bytesHashed: number;
  /** Bytes storage acknowledged plus bytes of parts on the wire. */
  readonly bytesUploaded: number;
  /** 0..1 */
  readonly progress: number;
  /** Bytes per second over the last few seconds. */
  readonly speed: number;
  /** Seconds left at the current speed, or null when unknown (0 once finished). */
  readonly eta: number | null;
  /** Sent as a multipart upload (larger than one part). */
  readonly multipart: boolean;
  /** Parts planned (1 for a single PUT). */
  readonly partCount: number;
  /** Parts storage acknowledged. */
  readonly partsStored: number;
  /** Failed requests of this upload so far, all requests together (network failures while offline not counted). */
  readonly retries: number;
  /** Already stored (same SHA-256 on a dedupe route): nothing was sent. */
  readonly deduplicated: boolean;
  /** Resumed from an interrupted upload: bytesReused of it were stored already and not sent again. */
  readonly resumed: boolean;
  /** Bytes of an interrupted upload that storage held already and were not sent again. */
  readonly bytesReused: number;
  /** SHA-256 (lowercase hex) of the whole file, once hashed. */
  readonly sha256?: string;
  /** Set on a variant a transform made (its name): it is stored under its main file's key. */
  readonly variant?: string;
  /** The completion answer, once done. */
  readonly result?: UploadResult;
  /** Why it failed or was cancelled (code 'aborted' for a cancel). */
  readonly error?: {
    /** A Vs3ErrorCode (or the handler's code). */
    code: string;
    /** Human-readable. */
    message: string;
  };
}

/** The whole queue, immutable: a new object whenever something changed (at most about 20 a second). */
export interface QueueSnapshot {
  /** Every file added to this queue, in order, finished ones included. */
  readonly files: readonly UploadSnapshot[];
  /** Bytes of all files. */
  readonly totalBytes: number;
  /** Bytes uploaded of all files. */
  readonly uploadedBytes: number;
  /** 0..1 over all files. */
  readonly progress: number;
  /** Bytes per second, all files together. */
  readonly speed: number;
  /** Seconds left at the current speed; null when unknown, 0 when nothing is pending. */
  readonly eta: number | null;
  /** Files not done, failed or cancelled. */
  readonly pending: number;
  /** Whether the queue thinks it is online (offline: no requests start; network failures are not counted as attempts). */
  readonly online: boolean;
}

/** Events of {@link UploadQueue.on} and what each listener receives. */
export interface QueueEvents {
  /** A file was accepted into the queue. */
  added: UploadSnapshot;
  /** A file's bytes moved (hashed, sent, stored). */
  progress: UploadSnapshot;
  /** A file's state changed. */
  state: UploadSnapshot;
  /** A file was stored and confirmed. */
  done: {
    /** Its last snapshot. */
    upload: UploadSnapshot;
    /** The completion answer. */
    result: UploadResult;
  };
  /** A file failed or was cancelled (error code 'aborted'). */
  error: {
    /** Its last snapshot. */
    upload: UploadSnapshot;
    /** Why. */
    error: Vs3Error;
  };
}

/** One file in the queue: its promise and controls. Controls act once the core has loaded. */
export interface UploadHandle {
  /** The upload's id in this queue (0 until the queue accepted the file). */
  readonly id: number;
  /** Resolves after storage confirmed the object; rejects with a Vs3Error. */
  readonly promise: Promise<UploadResult>;
  /** Pauses the file: its part PUTs stop (parts cut off are read again, CRC-checked, and sent on resume). */
  pause(): void;
  /** Continues a paused file. */
  resume(): void;
  /** Cancels the file and aborts its multipart upload on storage; the promise rejects with aborted. */
  cancel(): void;
  /** Higher first (an integer; fractions are truncated). */
  setPriority(priority: number): void;
  /** The file's latest snapshot, or undefined before the queue accepted it. */
  snapshot(): UploadSnapshot | undefined;
}

/** Many files on one C++ engine (createUploadQueue): add, control, observe, resume. */
export interface UploadQueue {
  /** Adds a file; failures (refused by the route, retries exhausted, cancelled) reject the handle's promise, never throw here. */
  add<M = unknown>(file: FileSource, opts: AddOptions<M>): UploadHandle;
  /** The handle of an upload by id, or undefined. */
  get(id: number): UploadHandle | undefined;
  /** Pauses every file, and files added later until resumeAll(). */
  pauseAll(): void;
  /** Resumes every paused file. */
  resumeAll(): void;
  /** Cancels every unfinished file. */
  cancelAll(): void;
  /** Tells the queue whether the network is up (done for you from the browser's online/offline events unless watchOnline is false). */
  setOnline(online: boolean): void;
  /** useSyncExternalStore(queue.subscribe, queue.getSnapshot) */
  subscribe(listener: () => void): () => void;
  /** The current QueueSnapshot (the same object until something changes). */
  getSnapshot(): QueueSnapshot;
  /** Listens to one event type; returns the function that stops listening. A listener that throws is logged, not propagated. */
  on<K extends keyof QueueEvents>(type: K, fn: (ev: QueueEvents[K]) => void): () => void;
  /** Interrupted uploads recorded by an earlier page load or process (expired ones are dropped). */
  restore(): Promise<InterruptedUpload[]>;
  /**
   * Resumes an interrupted upload. Without `file`: its handle (after a permission prompt) or path.
   * A file that is not the same content fails with file_mismatch and touches nothing stored.
   */
  resume(id: string, file?: FileSource, opts?: Pick<AddOptions, 'priority' | 'signal'>): UploadHandle;
  /**
   * Forgets an interrupted upload and aborts it on storage (its parts are freed). true: aborted (or
   * gone already); false: storage could not be told (a bucket lifecycle rule cleans it up).
   */
  discard(id: string): Promise<boolean>;
  /**
   * Forgets interrupted uploads here without telling storage (a lifecycle rule aborts them): one, or
   * all that are not in progress. Call it on sign-out: the records hold upload tokens.
   */
  forget(id?: string): Promise<void>;
  /** Counters for tests and diagnostics: requests in flight, parts held in memory. */
  counters(): {
    /** Part PUTs in flight. */
    putsInFlight: number;
    /** Requests to the handler in flight. */
    controlInFlight: number;
    /** Parts read and held for sending. */
    partsHeld: number;
    /** Files being worked on. */
    activeFiles: number;
    /** Bytes of part buffers held by the page. */
    bytesHeld: number;
    /** Milliseconds spent inside the engine (WASM calls) so far. */
    engineMs: number;
  };
  /**
   * Stops everything: requests are aborted, unfinished uploads reject with aborted and stay resumable
   * (their resume state is written), workers and the engine are freed. The queue cannot be used again.
   */
  dispose(): void;
}

interface Entry {
  id: number;
  source: FileSource;
  name: string;
  type: string;
  route: string;
  metadata: unknown;
  resolve(r: UploadResult): void;
  reject(e: unknown): void;
  promise: Promise<UploadResult>;
  token?: string;
  key?: string;
  /** Persisted resume state of this upload (multipart, once created), and parts not yet written. */
  record?: ResumeRecord | undefined;
  pending: ResumePart[];
  /** The interrupted upload this entry resumes (its parts' CRCs, part 0's SHA-256). */
  resumeFrom?: ResumeRecord | undefined;
  handle?: FileSystemFileHandle;
  firstSha256?: string;
  /** Resume-state writes of this entry, in order (a delete never overtakes a write). */
  writes?: Promise<void>;
  /** Releases the Web Lock that tells other tabs this upload is in progress here. */
  release?: () => void;
  single?: { url: string; headers: Record<string, string> };
  parts: Map<number, { url: string; headers: Record<string, string> }>;
  crcs: Map<number, number>;
  bytes: Map<number, Uint8Array>;
  sha256?: string;
  result?: UploadResult;
  lastError?: Vs3Error;
  snap?: UploadSnapshot;
  speed: { t: number; b: number }[];
  detach?: () => void;
  /** Handle actions (pause, cancel, ...) taken before the engine accepted the file. */
  early?: ((en: RawEngine, id: number, t: number) => void)[];
  /** A variant of another upload: the server keys it under that upload's key (proved by its token). */
  variant?: { of: string; name: string };
  /** In-memory bytes (a transform's output, a variant): no resume record, no resume lookup. */
  ephemeral?: boolean;
}

type Answer<T> = { ok: true; value: T; res: Response } | { ok: false; status: number; code: string; retryAfter: number; error: Vs3Error };

/**
 * File extensions for the types transforms produce: the client's few lines of the handler's
 * extension table (server/routes.ts EXT_TYPES, which the browser bundle does not carry).
 */
const EXT_OF: Record<string, string> = { 'image/webp': '.webp', 'image/jpeg': '.jpg', 'image/png': '.png', 'image/avif': '.avif' };
/** `name` with the extension of `type`, when the client knows one. */
const withExtOf = (name: string, type: string) => (EXT_OF[type] ? name.replace(/(\.[^./]*)?$/, EXT_OF[type]) : name);

/** Declared types with a signature the core's sniffer knows: the only ones the client judges before sending. */
const SIGNED_TYPE = /^(image\/(?!svg)|audio\/|video\/|application\/pdf$)/;

const DEFAULTS = { maxInFlight: 4, maxActiveFiles: 4, hashAhead: 4, signBatch: 8, stallTimeoutMs: 30_000 };

function retryAfterMs(v: string | null, now: number): number {
  if (!v) return -1;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const d = Date.parse(v);
  return Number.isNaN(d) ? -1 : Math.max(0, d - now);
}

type Locks = {
  request(name: string, opts: { ifAvailable: boolean }, cb: (lock: unknown) => unknown): Promise<unknown>;
  query?(): Promise<{ held?: { name?: string }[] }>;
};
const locks = (): Locks | undefined => (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks;
const lockName = (id: string) => `vs3-upload:${id}`;

/**
 * Holds a Web Lock named after the upload for as long as this queue works on it, so that another tab
 * never resumes (or discards) the same upload at the same time. Resolves with the release function,
 * or null when another tab holds it. Where Web Locks do not exist (Node), always granted.
 */
function acquireLock(id: string): Promise<(() => void) | null> {
  const l = locks();
  if (!l) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    l.request(lockName(id), { ifAvailable: true }, (lock) => {
      if (!lock) return resolve(null);
      return new Promise<void>((release) => resolve(() => release()));
    }).catch(() => resolve(() => {}));
  });
}

/** Uploads other tabs (or this one) hold a lock on. */
async function lockedElsewhere(): Promise<Set<string>> {
  const held =
    (
      await locks()
        ?.query?.()
        .catch(() => undefined)
    )?.held ?? [];
  return new Set(
    held
      .map((h) => h.name ?? '')
      .filter((n) => n.startsWith('vs3-upload:'))
      .map((n) => n.slice('vs3-upload:'.length)),
  );
}

/** Base64 of the CRC32C's 4 big-endian bytes: the form S3's x-amz-checksum-crc32c takes. */
export const crc32cBase64 = crc32cToBase64;

/**
 * The upload queue: many files on one C++ engine that decides what to read, sign, send, retry and
 * complete. Starts loading the core at once; `add` never throws (errors reject the handle's promise).
 */
export function createUploadQueue(options: QueueOptions): UploadQueue {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const transport = options.transport ?? defaultTransport();
  const now = options.now ?? Date.now;
  const coreP = Promise.resolve(options.core ?? loadCore());
  const reader = options.reader ?? (typeof Worker === 'function' && typeof window !== 'undefined' ? workerReader() : coreReader(coreP));
  const entries = new Map<number, Entry>();
  const requests = new Map<number, AbortController>();
  const groups = new Map<string, number>();
  const listeners = new Set<() => void>();
  const handlers: { [K in keyof QueueEvents]?: Set<(ev: QueueEvents[K]) => void> } = {};
  let engine: RawEngine | null = null;
  let disposed = false;
  let online = true;
  let wakeTimer: ReturnType<typeof setTimeout> | null = null;
  let wakeAt = Infinity;
  let snapshot: QueueSnapshot = { files: [], totalBytes: 0, uploadedBytes: 0, progress: 0, speed: 0, eta: null, pending: 0, online: true };
  const dirty = new Set<number>();
  let publishTimer: ReturnType<typeof setTimeout> | null = null;
  let lastPublish = 0;
  // Server clock minus ours, from the Date header of handler answers: expiresAt is the server's.
  let skew = 0;
  const store: ResumeStore | null =
    options.persist === false ? null : typeof options.persist === 'object' ? options.persist : typeof indexedDB !== 'undefined' ? indexedDbStore() : null;
  const maxAge = options.resumeMaxAgeMs ?? 7 * 86_400_000;

  const ready = coreP.then((core) => {
    if (disposed) return;
    const r = options.retry ?? {};
    const seed = r.seed ?? Math.floor(Math.random() * 2 ** 52);
    engine = new core.Engine({
      maxInFlight: options.maxInFlight ?? DEFAULTS.maxInFlight,
      maxControlInFlight: 2,
      maxActiveFiles: options.maxActiveFiles ?? DEFAULTS.maxActiveFiles,
      hashAhead: options.hashAhead ?? (typeof window !== 'undefined' ? DEFAULTS.hashAhead : 1),
      signBatch: options.signBatch ?? DEFAULTS.signBatch,
      preferredPartSize: options.partSize ?? 0,
      stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
      completeTimeoutMs: options.completeTimeoutMs ?? 600_000,
      retryTimeBudgetMs: r.timeBudgetMs ?? 120_000,
      maxAttempts: r.maxAttempts ?? 20,
      baseDelayMs: r.baseDelayMs ?? 500,
      maxDelayMs: r.maxDelayMs ?? 10_000,
      urlRefreshMarginMs: 15_000,
      seedHi: Math.floor(seed / 2 ** 32) >>> 0,
      seedLo: seed >>> 0,
      // With resume state a failed upload stays on storage: queue.restore() lists it to finish later.
      abortFailedUploads: !store,
    });
  });

  // ------------------------------------------------------------------ engine plumbing

  function emit<K extends keyof QueueEvents>(type: K, ev: QueueEvents[K]) {
    for (const fn of (handlers[type] ?? []) as Set<(e: QueueEvents[K]) => void>) {
      try {
        fn(ev);
      } catch (e) {
        console.error('vs3: queue listener threw', e);
      }
    }
  }

  // Time spent inside the engine (WASM calls), to show what running it on the page's thread costs.
  let engineMs = 0;
  const clock = typeof performance !== 'undefined' ? () => performance.now() : Date.now;

  /** Runs an engine event, then executes whatever it decided. */
  function step(fn: (e: RawEngine, t: number) => void) {
    if (!engine || disposed) return;
    const t0 = clock();
    fn(engine, now());
    let actions = engine.takeActions();
    engineMs += clock() - t0;
    while (actions.length) {
      for (const a of actions) execute(a);
      if (!engine) return;
      const t1 = clock();
      actions = engine.takeActions();
      engineMs += clock() - t1;
    }
  }

  function execute(a: RawAction) {
    const e = entries.get(a.file);
    switch (a.type) {
      case 'read':
        return e && doRead(e, a);
      case 'create':
        return (
          e &&
          control(
            a.req!,
            e,
            '/multipart/create',
            () => ({
              route: e.route,
              file: { name: e.name, size: e.source.size, type: e.type },
              metadata: e.metadata,
              partSize: engine!.stats(e.id).partSize,
              ...(e.variant ? { variant: e.variant } : {}),
            }),
            (v: { key: string; token: string; uploadId: string; dedupe?: boolean }) => {
              e.token = v.token;
              e.key = v.key;
              recordCreated(e, v.uploadId);
              step((en, t) => en.created(a.req!, Boolean(v.dedupe), t));
            },
          )
        );
      case 'presign':
        return (
          e &&
          control(
            a.req!,
            e,
            '/presign',
            () => ({
              route: e.route,
              file: { name: e.name, size: e.source.size, type: e.type, sha256: e.sha256 },
              metadata: e.metadata,
              ...(e.variant ? { variant: e.variant } : {}),
            }),
            (v: {
              existing?: { file: Omit<UploadResult, 'result'>; result: unknown };
              key: string;
              token: string;
              dedupe?: boolean;
              upload: { url: string; headers: Record<string, string>; expiresAt: number };
            }) => {
              if (v.existing) {
                e.result = { ...v.existing.file, deduplicated: true, result: v.existing.result };
                return step((en, t) => en.dedupeAnswer(a.req!, true, t));
              }
              e.token = v.token;
              e.key = v.key;
              e.single = { url: v.upload.url, headers: v.upload.headers };
              step((en, t) => en.presigned(a.req!, v.upload.expiresAt - skew, Boolean(v.dedupe), t));
            },
          )
        );
      case 'sign': {
        if (!e) return;
        const parts: { partNumber: number; crc32c: string }[] = [];
        for (let i = a.part; i < a.part + (a.count ?? 0); i++) parts.push({ partNumber: i + 1, crc32c: crc32cBase64(e.crcs.get(i)!) });
        return control(
          a.req!,
          e,
          '/multipart/sign',
          () => ({ token: e.token, parts }),
          (v: { parts: { partNumber: number; url: string; headers: Record<string, string>; expiresAt: number }[] }) => {
            let exp = Infinity;
            for (const p of v.parts) {
              e.parts.set(p.partNumber - 1, { url: p.url, headers: p.headers });
              exp = Math.min(exp, p.expiresAt);
            }
            if (v.parts.length !== parts.length) {
              return step((en, t) => en.failed(a.req!, 0, '', -1, false, t));
            }
            step((en, t) => en.signedParts(a.req!, exp - skew, t));
          },
        );
      }
      case 'send':
        return e && doSend(e, a);
      case 'complete':
        return (
          e &&
          control(
            a.req!,
            e,
            e.single ? '/complete' : '/multipart/complete',
            () => ({
              token: e.token,
              sha256: e.sha256,
              // Size + first part's CRC: the fingerprint later uploads probe with on dedupe routes.
              ...(e.single ? {} : { firstPartCrc32c: crc32cBase64(e.crcs.get(0)!) }),
            }),
            (v: { file: Omit<UploadResult, 'result'>; result: unknown }) => {
              e.result = { ...v.file, result: v.result };
              step((en, t) => en.completed(a.req!, t));
            },
          )
        );
      case 'dedupe':
        return (
          e &&
          control(
            a.req!,
            e,
            '/dedupe',
            () => ({ token: e.token, sha256: e.sha256 }),
            (v: { existing: { file: Omit<UploadResult, 'result'>; result: unknown } | null }) => {
              if (v.existing) e.result = { ...v.existing.file, deduplicated: true, result: v.existing.result };
              step((en, t) => en.dedupeAnswer(a.req!, Boolean(v.existing), t));
            },
          )
        );
      case 'probe':
        return (
          e &&
          control(
            a.req!,
            e,
            '/dedupe',
            () => ({ token: e.token, probe: { crc32c: crc32cBase64(e.crcs.get(0)!) } }),
            (v: { candidate: boolean }) => step((en, t) => en.probeAnswer(a.req!, Boolean(v.candidate), t)),
          )
        );
      case 'list':
        // A resumed upload: which parts does storage hold? (The answer also renews the token, even
        // an expired one: the handler checks the route and authorization again.)
        return (
          e &&
          control(
            a.req!,
            e,
            '/multipart/resume',
            () => ({ token: e.token }),
            (v: { token: string; dedupe?: boolean; parts: { partNumber: number; size: number; etag?: string; crc32c?: string }[] }) => {
              e.token = v.token;
              const stats = engine!.stats(e.id);
              const recorded = new Map((e.resumeFrom?.parts ?? []).map((p) => [p.n, p]));
              const bare = (t?: string) => t?.replace(/^(W\/)?"|"$/g, '').toLowerCase();
              for (const p of v.parts) {
                const planned = p.partNumber < stats.partCount ? stats.partSize : stats.size - (stats.partCount - 1) * stats.partSize;
                if (p.size !== planned) continue; // sent again
                // Storage's own checksum where it reports one (AWS, R2, the local driver): it checked
                // those bytes. Else (Ceph RGW) the CRC recorded when the part was sent, if storage holds
                // the very PUT that was recorded (same ETag): a part sent again later, whose record a
                // crash lost, must not pass for the recorded bytes.
                const own = crc32cFromBase64(p.crc32c);
                const rec = recorded.get(p.partNumber);
                const crc = own ?? (rec && (!rec.etag || !p.etag || bare(rec.etag) === bare(p.etag)) ? rec.crc32c : undefined);
                if (crc === undefined) continue;
                engine!.claimPart(e.id, p.partNumber - 1, crc);
                // Storage vouches for it: record it, so a second interruption does not send it again.
                if (own !== null && !rec) e.pending.push({ n: p.partNumber, crc32c: own, ...(p.etag ? { etag: p.etag } : {}) });
              }
              if (e.record) {
                e.record = { ...e.record, token: v.token, updatedAt: now() };
                void writeRecord(e);
              }
              step((en, t) => en.listed(a.req!, true, Boolean(v.dedupe), t));
            },
            (r) => {
              if (r.status !== 404 || r.code !== 'upload_not_found') return false;
              // Gone (completed, aborted, expired on storage): forget it and start over.
              dropRecord(e);
              e.resumeFrom = undefined;
              step((en, t) => en.listed(a.req!, false, false, t));
              return true;
            },
          )
        );
      case 'abort':
        return (
          e &&
          control(
            a.req!,
            e,
            '/multipart/abort',
            () => ({ token: e.token }),
            () => step((en, t) => en.aborted(a.req!, t)),
            (r) => {
              // Cancelling a resumed upload whose old token expired: renew it, then abort.
              if (r.code !== 'token_expired') return false;
              void abortByToken(e.token).then((ok) => step((en, t) => (ok ? en.aborted(a.req!, t) : en.failed(a.req!, 403, 'token_expired', -1, false, t))));
              return true;
            },
          )
        );
      case 'cancel':
        requests.get(a.req!)?.abort();
        requests.delete(a.req!);
        return;
      case 'release': {
        if (!e) return;
        const b = e.bytes.get(a.part);
        e.bytes.delete(a.part);
        if (b) reader.recycle?.(b);
        return;
      }
      case 'wake':
        return scheduleWake(a.atMs!);
      case 'changed':
        dirty.add(a.file);
        return schedulePublish();
      case 'done':
        return e && finish(e, null);
      case 'failed':
        return e && finish(e, errorFor(e, a.code ?? 'upload_failed'));
    }
  }

  function scheduleWake(at: number) {
    if (at >= wakeAt && wakeTimer) return;
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeAt = at;
    wakeTimer = setTimeout(
      () => {
        wakeTimer = null;
        wakeAt = Infinity;
        step((en, t) => en.timer(t));
      },
      Math.max(0, Math.ceil(at - now())),
    );
  }

  function doRead(e: Entry, a: RawAction) {
    const stats = engine!.stats(e.id);
    const last = a.part + 1 === stats.partCount;
    const first = a.part === 0 && stats.multipart;
    reader.read(e.id, e.source, a.offset!, a.size!, { verifyOnly: Boolean(a.reread), last, first }).then(
      (r) => {
        if (!entries.has(e.id)) return;
        // A resumed file must show the recorded fingerprint: part 0's SHA-256 (a reader that gives
        // none cannot prove the file either).
        const expected = engine!.stats(e.id).resumed ? e.resumeFrom?.firstPartSha256 : undefined;
        if (first && !a.reread && expected && r.firstSha256 !== expected) {
          // Another file (same name and size, other bytes): refuse before a byte is sent.
          if (r.bytes) reader.recycle?.(r.bytes);
          e.lastError = new Vs3Error(
            'file_mismatch',
            `${e.name} is not the file this upload began with (its first ${a.size} bytes differ); nothing was sent. Pick the original file, or discard the interrupted upload.`,
            409,
          );
          return step((en, t) => en.mismatch(e.id, a.part, t));
        }
        if (r.firstSha256) e.firstSha256 = r.firstSha256;
        if (r.sha256 && e.record) {
          e.record = { ...e.record, sha256: r.sha256 };
          persistSoon(e);
        }
        if (r.bytes) e.bytes.set(a.part, r.bytes);
        if (!a.reread) e.crcs.set(a.part, r.crc32c);
        if (r.sha256) e.sha256 = r.sha256;
        const crc = r.crc32c,
          sha = r.sha256 ?? '';
        step((en, t) => en.partRead(e.id, a.part, crc, sha, t));
        // Part 0 accepted (a resumed file's claimed part 0 may still have been refused by the engine):
        // now its fingerprint and handle may go into the record, at once - a record without the
        // fingerprint could not refuse another file after a crash.
        if (first && !a.reread && e.record && e.firstSha256 && engine?.stats(e.id).error !== 'file_mismatch') {
          const add = {
            ...(!e.record.firstPartSha256 ? { firstPartSha256: e.firstSha256 } : {}),
            ...(e.handle && !e.record.handle ? { handle: e.handle } : {}),
          };
          if (Object.keys(add).length) {
            e.record = { ...e.record, ...add };
            void writeRecord(e);
          }
        }
      },
      (err) => {
        e.lastError = err instanceof Vs3Error ? err : new Vs3Error('read_failed', `could not read the file: ${(err as Error)?.message ?? err}`, 0);
        step((en, t) => en.readFailed(e.id, a.part, t));
      },
    );
  }

  function doSend(e: Entry, a: RawAction) {
    const req = a.req!;
    // The bytes the reader kept, or (workerReader) a slice of the File: the browser reads it again,
    // and fails the request rather than send other bytes if the file changed since it was picked.
    // Or (coreReader with keepBytes: false) the range, read again from the source as it is sent.
    const src = e.source;
    const blob = typeof Blob !== 'undefined' && src instanceof Blob ? src : null;
    const at = a.offset!;
    const bytes: Blob | Uint8Array | RangeBody | undefined =
      e.bytes.get(a.part) ??
      blob?.slice(at, at + a.size!) ??
      (src.readInto ? { size: a.size!, readInto: (o: number, target: Uint8Array) => src.readInto!(at + o, target) } : undefined);
    const target = e.single ?? e.parts.get(a.part);
    if (!bytes || !target) {
      // Cannot happen unless host and engine disagree; fail the request so the engine re-plans.
      return queueMicrotask(() => step((en, t) => en.failed(req, 0, 'host_state', -1, false, t)));
    }
    const ac = new AbortController();
    requests.set(req, ac);
    transport
      .put({
        url: target.url,
        headers: target.headers,
        body: bytes,
        signal: ac.signal,
        onProgress: (b) => requests.has(req) && step((en, t) => en.progress(req, b, t)),
      })
      .then(
        async (res) => {
          if (!requests.has(req)) return; // cancelled by the engine: it no longer waits for this
          if (res.status === 0 && (await unreadable(bytes))) {
            return sourceFailed(new Vs3Error('read_failed', 'the file can no longer be read (changed or removed since it was picked?)', 0));
          }
          if (!requests.delete(req)) return;
          // 412 to a single PUT: upload URLs are create-only (If-None-Match), so the object is there
          // already - this is a retry whose first attempt landed but whose answer was lost. /complete
          // checks what is stored (and refuses it if it is not this file).
          const stored = res.status === 412 && target === e.single;
          if ((res.status >= 200 && res.status < 300) || stored) {
            if (e.record) {
              const etag = res.header('etag');
              e.pending.push({ n: a.part + 1, crc32c: e.crcs.get(a.part)!, ...(etag ? { etag } : {}) });
              persistSoon(e);
            }
            return step((en, t) => en.sent(req, t));
          }
          const s3Code = /<Code>([^<]+)<\/Code>/.exec(res.body)?.[1] ?? /"code"\s*:\s*"([^"]+)"/.exec(res.body)?.[1] ?? '';
          // AWS: AccessDenied "Request has expired"; the local driver: url_expired.
          const expired = res.status === 403 && /expired/i.test(res.body);
          e.lastError = new Vs3Error(
            res.status === 0 ? 'network_error' : 'upload_failed',
            res.status === 0 ? 'storage could not be reached' : `storage answered ${res.status}${s3Code ? ` ${s3Code}` : ''}`,
            res.status,
            { s3Code, part: a.part + 1 },
          );
          step((en, t) => en.failed(req, res.status, s3Code, retryAfterMs(res.header('retry-after'), now()), expired, t));
        },
        (err) => {
          // A range body whose source could not be read again (nodeTransport rejects with the reader's error).
          if (err instanceof Vs3Error && (err.code === 'read_failed' || err.code === 'file_changed')) return sourceFailed(err);
          if (!requests.delete(req)) return;
          e.lastError = new Vs3Error('network_error', 'storage could not be reached', 0);
          step((en, t) => en.failed(req, 0, '', -1, false, t));
        },
      );

    /** The part's source could not be read again while sending: final, like a failed read. */
    function sourceFailed(err: Vs3Error) {
      if (!requests.delete(req)) return;
      e.lastError = err;
      // A snake_case 4xx is final for the engine (request_failed -> this lastError).
      step((en, t) => en.failed(req, 400, 'read_failed', -1, false, t));
    }
  }

  /**
   * A File that can no longer be read (changed or deleted on disk since it was picked) fails its PUT
   * like a network error does: tell them apart, so the file fails now rather than after every retry.
   */
  function unreadable(body: Blob | Uint8Array | RangeBody): Promise<boolean> {
    return body instanceof Blob
      ? body
          .slice(0, 1)
          .arrayBuffer()
          .then(
            () => false,
            () => true,
          )
      : Promise.resolve(false);
  }

  async function postJson<T>(path: string, body: unknown, signal: AbortSignal): Promise<Answer<T>> {
    let res: Response;
    try {
      const extra = typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
      res = await fetchImpl(`${endpoint}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      return { ok: false, status: 0, code: '', retryAfter: -1, error: new Vs3Error('network_error', `${path}: ${(err as Error)?.message ?? err}`, 0) };
    }
    const date = Date.parse(res.headers.get('date') ?? '');
    if (!Number.isNaN(date)) skew = Math.abs(date - now()) > 5000 ? date - now() : 0;
    let text = '';
    let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown } } | null = null;
    try {
      text = await res.text();
      parsed = JSON.parse(text);
    } catch {
      /* cut off or not JSON */
    }
    if (res.ok && parsed && typeof parsed === 'object') return { ok: true, value: parsed as T, res };
    if (res.ok) {
      // A 2xx whose body did not arrive whole: the request may have worked; ask again (idempotent).
      return { ok: false, status: 0, code: '', retryAfter: -1, error: new Vs3Error('network_error', `${path}: answer cut off`, 0) };
    }
    const err = parsed?.error;
    // (parsed is whatever JSON came back: every field is checked before use.)
    const code = typeof err?.code === 'string' ? err.code : '';
    return {
      ok: false,
      status: res.status,
      code,
      retryAfter: retryAfterMs(res.headers.get('retry-after'), now()),
      error: new Vs3Error(
        (code || 'upload_failed') as Vs3ErrorCode,
        typeof err?.message === 'string' ? err.message : `${path} answered ${res.status}`,
        res.status,
        err?.details,
      ),
    };
  }

  /**
   * One control request (JSON to the handler). The engine decides about retries. onFail may take a
   * refusal itself (returns true) instead of reporting it to the engine as a failure.
   */
  function control<T>(
    req: number,
    e: Entry,
    path: string,
    body: () => unknown,
    onOk: (v: T) => void,
    onFail?: (r: { status: number; code: string }) => boolean,
  ) {
    const ac = new AbortController();
    requests.set(req, ac);
    postJson<T>(path, body(), ac.signal).then((r) => {
      if (!requests.delete(req)) return;
      if (r.ok) {
        try {
          onOk(r.value);
        } catch (err) {
          e.lastError = new Vs3Error('invalid_request', `${path}: unexpected answer (${(err as Error)?.message ?? err})`, 0);
          step((en, t) => en.failed(req, 0, '', -1, false, t));
        }
        return;
      }
      if (onFail?.(r)) return;
      e.lastError = r.error;
      step((en, t) => en.failed(req, r.status, r.code, r.retryAfter, r.status === 403 && /expired/.test(r.code), t));
    });
  }

  // ------------------------------------------------------------------ resume state

  let warned = false;
  function storeFailed(err: unknown) {
    // Resume state is a convenience: a full or blocked store must not fail the upload.
    if (!warned) console.warn('vs3: could not write resume state', err);
    warned = true;
  }

  /** The multipart upload exists: record it at once (its token and id are what a resume needs). */
  function recordCreated(e: Entry, uploadId: string) {
    // A transform's output and variants exist only in memory: nothing a reload could reopen.
    if (!store || typeof uploadId !== 'string' || e.ephemeral) return;
    const t = now();
    let metadata: unknown;
    try {
      metadata = e.metadata === undefined ? undefined : JSON.parse(JSON.stringify(e.metadata));
    } catch {
      return; // metadata that is not JSON cannot be sent again either
    }
    const src = e.source as FileSource & { lastModified?: number; path?: string };
    e.record = {
      id: uploadId,
      route: e.route,
      key: e.key!,
      uploadId,
      token: e.token!,
      partSize: engine!.stats(e.id).partSize,
      size: e.source.size,
      name: e.name,
      type: e.type,
      parts: [],
      createdAt: t,
      updatedAt: t,
      ...(metadata !== undefined ? { metadata } : {}),
      ...(typeof src.lastModified === 'number' ? { lastModified: src.lastModified } : {}),
      ...(e.firstSha256 ? { firstPartSha256: e.firstSha256 } : {}),
      ...(e.handle ? { handle: e.handle } : {}),
      ...(typeof src.path === 'string' ? { path: src.path } : {}),
    };
    void acquireLock(uploadId).then((release) => {
      if (release && (disposed || !entries.has(e.id) || e.record?.id !== uploadId)) release();
      else if (release) e.release = release;
    });
    void writeRecord(e);
  }

  function writeRecord(e: Entry): Promise<void> {
    if (!store || !e.record) return Promise.resolve();
    const rec = { ...e.record, updatedAt: now() };
    const parts = e.pending.splice(0);
    return (e.writes = (e.writes ?? Promise.resolve()).then(() => store.put(rec, parts)).catch(storeFailed));
  }

  // Stored parts are written in batches: at most one write per entry every persistIntervalMs, never
  // one per progress event. A crash loses at most the parts of the last batch (they are sent again).
  const PERSIST_MS = options.persistIntervalMs ?? 25;
  const dirtyRecords = new Set<Entry>();
  let persistTimer: ReturnType<typeof setTimeout> | null = null;
  function persistSoon(e: Entry) {
    if (!store || !e.record) return;
    dirtyRecords.add(e);
    persistTimer ??= setTimeout(flushRecords, PERSIST_MS);
  }
  function flushRecords() {
    if (persistTimer) clearTimeout(persistTimer);
    persistTimer = null;
    for (const e of dirtyRecords) void writeRecord(e);
    dirtyRecords.clear();
  }

  function dropRecord(e: Entry) {
    dirtyRecords.delete(e);
    e.pending.length = 0;
    const id = e.record?.id ?? e.resumeFrom?.id;
    e.record = undefined;
    if (!store || !id) return;
    e.writes = (e.writes ?? Promise.resolve()).then(() => store.delete(id)).catch(storeFailed);
  }

  function errorFor(e: Entry, code: string): Vs3Error {
    const last = e.lastError;
    switch (code) {
      case 'cancelled':
        return abortedError('upload cancelled');
      case 'request_failed':
      case 'read_failed':
        return last ?? new Vs3Error('upload_failed', 'upload failed', 0);
      case 'retry_exhausted':
        return new Vs3Error('retry_exhausted', `gave up after retrying${last ? `: ${last.message}` : ''}`, last?.status ?? 0, { last: last?.toJSON().error });
      case 'url_expired':
        return new Vs3Error('url_expired', 'upload URLs kept expiring before use (is the clock right?)', 403);
      case 'file_changed':
        return new Vs3Error('file_changed', 'the file changed while it was being uploaded', 0);
      case 'file_mismatch':
        return last?.code === 'file_mismatch'
          ? last
          : new Vs3Error('file_mismatch', `${e.name} is not the file this upload began with (a stored part differs); nothing was sent`, 409);
      default:
        return new Vs3Error('upload_failed', `upload failed (${code})`, last?.status ?? 0);
    }
  }

  function finish(e: Entry, error: Vs3Error | null) {
    // Done or cancelled (aborted on storage): nothing left to resume. A failed upload keeps its record
    // (the engine left it on storage: restore() lists it), so does a refused file (the upload waits
    // for the right one).
    if (!error || error.code === 'aborted') dropRecord(e);
    e.release?.();
    reader.forget(e.id);
    for (const b of e.bytes.values()) reader.recycle?.(b);
    e.bytes.clear();
    e.detach?.();
    dirty.add(e.id);
    publish();
    const snap = e.snap!;
    if (error) {
      emit('error', { upload: snap, error });
      e.reject(error);
    } else {
      const result = e.result!;
      emit('done', { upload: snap, result });
      e.resolve(result);
    }
  }

  // ------------------------------------------------------------------ snapshots

  function snapOf(e: Entry): UploadSnapshot {
    const s: RawFileStats = engine!.stats(e.id);
    const t = now();
    const uploaded = Math.min(s.size, s.bytesStored + s.bytesInFlight);
    e.speed.push({ t, b: uploaded });
    while (e.speed.length > 2 && t - e.speed[0]!.t > 5000) e.speed.shift();
    const first = e.speed[0]!;
    const speed = t - first.t > 200 ? Math.max(0, ((uploaded - first.b) * 1000) / (t - first.t)) : (e.snap?.speed ?? 0);
    const finished = s.state === 'done' || s.state === 'failed' || s.state === 'cancelled';
    const err = s.state === 'failed' || s.state === 'cancelled' ? errorFor(e, s.error) : undefined;
    return Object.freeze({
      id: e.id,
      name: e.name,
      size: s.size,
      type: e.type,
      route: e.route,
      state: s.state,
      bytesHashed: s.bytesHashed,
      bytesUploaded: s.state === 'done' ? s.size : uploaded,
      progress: s.state === 'done' ? 1 : s.size ? uploaded / s.size : 0,
      speed: finished ? 0 : speed,
      eta: finished ? 0 : speed > 0 ? (s.size - uploaded) / speed : null,
      multipart: s.multipart,
      partCount: s.partCount,
      partsStored: s.partsStored,
      retries: s.retries,
      deduplicated: s.deduplicated,
      resumed: s.resumed,
      bytesReused: s.bytesReused,
      ...(s.sha256 ? { sha256: s.sha256 } : {}),
      ...(e.variant ? { variant: e.variant.name } : {}),
      ...(e.result && s.state === 'done' ? { result: e.result } : {}),
      ...(err ? { error: { code: err.code, message: err.message } } : {}),
    });
  }

  function schedulePublish() {
    if (publishTimer) return;
    // At most ~20 snapshots a second: progress events arrive far more often.
    publishTimer = setTimeout(publish, Math.max(0, 50 - (now() - lastPublish)));
  }

  function publish() {
    if (publishTimer) clearTimeout(publishTimer);
    publishTimer = null;
    if (!engine || !dirty.size) return;
    lastPublish = now();
    const changed: [UploadSnapshot, UploadSnapshot | undefined][] = [];
    for (const id of dirty) {
      const e = entries.get(id);
      if (!e) continue;
      const prev = e.snap;
      e.snap = snapOf(e);
      changed.push([e.snap, prev]);
    }
    dirty.clear();
    const files = [...entries.values()].map((e) => e.snap!).filter(Boolean);
    let total = 0,
      up = 0,
      speed = 0,
      pending = 0;
    for (const f of files) {
      total += f.size;
      up += f.bytesUploaded;
      speed += f.speed;
      if (f.state !== 'done' && f.state !== 'failed' && f.state !== 'cancelled') pending++;
    }
    snapshot = Object.freeze({
      files: Object.freeze(files),
      totalBytes: total,
      uploadedBytes: up,
      progress: total ? up / total : files.length && !pending ? 1 : 0,
      speed,
      eta: pending === 0 ? 0 : speed > 0 ? (total - up) / speed : null,
      pending,
      online,
    });
    for (const [s, prev] of changed) emit(prev?.state !== s.state ? 'state' : 'progress', s);
    for (const l of listeners) l();
  }

  // ------------------------------------------------------------------ public API

  let nextLocal = 0;
  function handleOf(id: number, e: Entry | null, promise: Promise<UploadResult>): UploadHandle {
    // User actions publish at once (no throttle): a paused file must look paused right away.
    // Before the engine accepted the file (its id is still 0, which the engine reads as "every
    // file") the action waits in entry.early and runs right after acceptance.
    const act = (fn: (en: RawEngine, id: number, t: number) => void) =>
      void ready.then(() => {
        if (!e) return;
        if (e.id > 0) step((en, t) => fn(en, e.id, t));
        else (e.early ??= []).push(fn);
        publish();
      });
    return {
      get id() {
        return e && e.id > 0 ? e.id : id;
      },
      promise,
      pause: () => act((en, i, t) => en.pause(i, t)),
      resume: () => act((en, i, t) => en.resume(i, t)),
      cancel: () => act((en, i, t) => en.cancel(i, t)),
      setPriority: (p: number) => act((en, i, t) => en.setPriority(i, p | 0, t)),
      snapshot: () => (e ? e.snap : undefined),
    };
  }

  const handles = new Map<number, UploadHandle>();

  const onOnline = () => queue.setOnline(true);
  const onOffline = () => queue.setOnline(false);
  if ((options.watchOnline ?? true) && typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
  }
  // Leaving the page: write what is batched (a crash loses at most the last batch of parts).
  if (store && typeof window !== 'undefined' && typeof window.addEventListener === 'function') window.addEventListener('pagehide', flushRecords);

  // Adds go through one chain so that files keep their order while a resume record is looked up.
  let addChain: Promise<unknown> = ready;

  /** Records an unfinished entry is working on (a refused entry leaves its record free again). */
  function busyRecords(): Set<string | undefined> {
    const ids = new Set<string | undefined>();
    for (const e of entries.values()) {
      const st = engine?.stats(e.id).state;
      if (st !== 'done' && st !== 'failed' && st !== 'cancelled') ids.add(e.record?.id ?? e.resumeFrom?.id);
    }
    return ids;
  }

  /** The interrupted upload a newly added file may continue: same route, name and size (then proven by content). */
  async function findRecord(file: FileSource, opts: AddOptions): Promise<{ rec: ResumeRecord; release: () => void } | undefined> {
    if (!store || opts.resume === false) return undefined;
    const name = opts.name ?? file.name ?? 'blob';
    const path = (file as { path?: string }).path;
    const busy = busyRecords();
    const found = (await listRecords()).filter(
      (r) => r.route === opts.route && r.size === file.size && r.name === name && (!path || !r.path || r.path === path) && !busy.has(r.id),
    );
    for (const r of found.sort((a, b) => b.updatedAt - a.updatedAt)) {
      const release = await acquireLock(r.id); // null: another tab is uploading it right now
      if (release) return { rec: r, release };
    }
    return undefined;
  }

  async function listRecords(): Promise<ResumeRecord[]> {
    if (!store) return [];
    let all: ResumeRecord[];
    try {
      all = await store.list();
    } catch (err) {
      storeFailed(err);
      return [];
    }
    const t = now();
    const live: ResumeRecord[] = [];
    for (const r of all) {
      // Past the age limit the handler would refuse the token anyway; storage's lifecycle rule (or
      // cleanup()) aborts the upload itself.
      if (!(t - r.createdAt <= maxAge)) void store.delete(r.id).catch(storeFailed);
      else live.push(r);
    }
    return live;
  }

  /**
   * Aborts a multipart upload. An expired token (a recorded upload, days old) is renewed first through
   * /multipart/resume, which checks the route and authorization again. true: aborted or gone.
   */
  async function abortByToken(token: string | undefined): Promise<boolean> {
    const signal = new AbortController().signal;
    let ans = await postJson('/multipart/abort', { token }, signal);
    if (!ans.ok && ans.code === 'token_expired') {
      const renewed = await postJson<{ token: string }>('/multipart/resume', { token }, signal);
      if (renewed.ok) ans = await postJson('/multipart/abort', { token: renewed.value.token }, signal);
      else if (renewed.code === 'upload_not_found') return true;
    }
    return ans.ok || ans.code === 'upload_not_found';
  }

  /** from: 'auto' looks for an interrupted upload this file may continue; a record resumes that one. */
  function enqueue<M>(
    file: FileSource | Promise<FileSource>,
    opts: AddOptions<M>,
    from: 'auto' | Promise<ResumeRecord>,
    variant?: { of: string; name: string },
    ephemeral = false,
  ): UploadHandle {
    let resolve!: (r: UploadResult) => void, reject!: (e: unknown) => void;
    const promise = new Promise<UploadResult>((res, rej) => ((resolve = res), (reject = rej)));
    const entry: Entry = {
      id: 0,
      source: file instanceof Promise ? ({ size: 0, slice: () => ({ arrayBuffer: async () => new ArrayBuffer(0) }) } as FileSource) : file,
      name: opts.name ?? '',
      type: opts.type ?? '',
      route: opts.route,
      metadata: opts.metadata,
      resolve,
      reject,
      promise,
      parts: new Map(),
      crcs: new Map(),
      bytes: new Map(),
      pending: [],
      speed: [],
      ...(opts.handle ? { handle: opts.handle } : {}),
      ...(variant ? { variant } : {}),
      ...(ephemeral ? { ephemeral } : {}),
    };
    const local = --nextLocal; // negative until the engine assigns the id
    const handle = handleOf(local, entry, promise);
    if (opts.signal?.aborted) {
      reject(abortedError());
      return handle;
    }
    const start = async () => {
      if (disposed || !engine) throw abortedError('queue disposed');
      const given = from === 'auto' ? undefined : await from;
      if (given) {
        // resume(): route, name, type and metadata are the interrupted upload's.
        Object.assign(entry, { route: given.route, name: given.name, type: given.type, metadata: given.metadata });
      }
      const src = await file;
      entry.source = src;
      if (!given) {
        entry.name = opts.name ?? src.name ?? 'blob';
        entry.type = opts.type ?? src.type ?? '';
      }
      let rec: ResumeRecord | undefined = given;
      if (given) {
        if (busyRecords().has(given.id)) throw new Vs3Error('invalid_request', `${given.name} is already being uploaded`, 409);
        const release = await acquireLock(given.id);
        if (!release) throw new Vs3Error('invalid_request', `${given.name} is being uploaded in another tab`, 409);
        entry.release = release;
      } else if (!entry.ephemeral) {
        const found = await findRecord(src, opts);
        if (found) (rec = found.rec), (entry.release = found.release);
      }
      const fail = (err: Vs3Error) => (entry.release?.(), err);
      // The bytes must be what the declared type says: the core's magic-byte check (the twin of the
      // one the server runs at completion) refuses an ELF called photo.png before anything is sent.
      // Only types that have a signature are judged here (a .gpx is XML, a script may start with a
      // shebang: routes without type rules take those, and the server decides).
      if (options.checkContent !== false && SIGNED_TYPE.test(entry.type) && !given) {
        const head = new Uint8Array(await src.slice(0, 1024).arrayBuffer());
        const c = (await coreP).checkContent(entry.type, head);
        if (!c.ok) throw fail(new Vs3Error('content_mismatch', `${entry.name}: ${c.reason}`, 415, { detected: c.sniffed }));
      }
      if (disposed || !engine) throw fail(abortedError('queue disposed'));
      if (opts.signal?.aborted) throw fail(abortedError());
      if (rec && src.size !== rec.size)
        throw fail(new Vs3Error('file_mismatch', `${entry.name} is ${src.size} bytes; the interrupted upload was of ${rec.size}`, 409));
      let group = groups.get(entry.route);
      if (group === undefined) groups.set(entry.route, (group = groups.size + 1));
      const r = rec ? engine.addResumed(src.size, rec.partSize, opts.priority ?? 0, group, now()) : engine.addFile(src.size, opts.priority ?? 0, group, now());
      if (!r.ok) {
        if (rec && r.errorCode === 'resume_mismatch') throw fail(new Vs3Error('file_mismatch', r.errorMessage, 409));
        if (rec) throw fail(new Vs3Error('invalid_request', `the interrupted upload's record is damaged (${r.errorMessage}): discard it`, 400));
        throw new Vs3Error('file_too_large', r.errorMessage, 413, { reason: r.errorCode });
      }
      if (rec) {
        entry.resumeFrom = rec;
        entry.record = { ...rec, parts: [] };
        entry.token = rec.token;
        entry.key = rec.key;
        // A handle given now joins the record only once part 0 proved the file (doRead).
        if (!entry.handle && rec.handle) entry.handle = rec.handle;
      }
      entry.id = r.file;
      entries.set(r.file, entry);
      handles.set(r.file, handle);
      if (opts.signal) {
        const onAbort = () => step((en, t) => en.cancel(entry.id, t));
        opts.signal.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => opts.signal!.removeEventListener('abort', onAbort);
      }
      dirty.add(r.file);
      step(() => {}); // run what add_file decided
      for (const fn of entry.early?.splice(0) ?? []) step((en, t) => fn(en, entry.id, t));
      publish();
      emit('added', entry.snap!);
    };
    const run = addChain.then(start);
    addChain = run.catch(() => {});
    run.catch(reject);
    return handle;
  }

  /**
   * add() with a transform: the transform starts now (so several run at once, e.g. in vs3/image's
   * worker pool), its output is queued as the file, and its variants follow the main file once it is
   * stored, each proved to belong to it by its upload token. Cancelling stops the transform, the main
   * file and the variants; a failed variant rejects with the main file's result in details.stored.
   */
  function enqueueTransformed<M>(file: FileSource, opts: AddOptions<M>): UploadHandle {
    const stop = new AbortController();
    if (opts.signal?.aborted) stop.abort();
    else opts.signal?.addEventListener('abort', () => stop.abort(), { once: true });
    const out = (async () => {
      if (stop.signal.aborted) throw abortedError();
      let r: Blob | TransformOutput;
      try {
        r = await opts.transform!(file as Blob, { signal: stop.signal });
      } catch (e) {
        throw e instanceof Vs3Error ? e : new Vs3Error('invalid_request', `transform failed: ${(e as Error)?.message ?? e}`, 400);
      }
      const o: TransformOutput = r instanceof Blob ? { blob: r } : r;
      if (!(o?.blob instanceof Blob)) throw new Vs3Error('invalid_request', 'transform must resolve to a Blob or { blob }', 400);
      // The output's type is its blob's: the name (add()'s, else the file's) keeps its stem and takes
      // the output's extension, unless the transform named the output itself.
      const name = opts.name ? withExtOf(opts.name, o.blob.type) : (o.name ?? withExtOf((file as { name?: string }).name ?? 'blob', o.blob.type));
      return { ...o, file: new File([o.blob], name, { type: o.blob.type }) };
    })();
    const mainFile = out.then((o) => o.file);
    mainFile.catch(() => {}); // observed through the handle's promise
    const { transform: _t, type: _y, handle: _h, name: _n, ...rest } = opts;
    const main = enqueue(mainFile, { ...rest, signal: stop.signal }, 'auto', undefined, true);
    const variantHandles: UploadHandle[] = [];
    const withVariants = async (res: UploadResult): Promise<UploadResult> => {
      const o = await out;
      const names = Object.keys(o.variants ?? {});
      const token = entries.get(main.id)?.token;
      // A deduplicated file was stored by another upload: its variants are not stored again.
      if (!names.length || res.deduplicated || !token) return names.length ? { ...res, variants: [] } : res;
      const base = res.name.replace(/\.[^.]*$/, '');
      try {
        const stored = await Promise.all(
          names.map(async (name) => {
            const v = o.variants![name]!;
            const vf = new File([v.blob], `${base}.${name}${EXT_OF[v.blob.type] ?? ''}`, { type: v.blob.type });
            const h = enqueue(
              vf,
              {
                route: opts.route,
                priority: opts.priority ?? 0,
                signal: stop.signal,
                ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
              },
              'auto',
              { of: token, name },
              true,
            );
            variantHandles.push(h);
            const r = await h.promise;
            const sv: StoredVariant = { name, key: r.key, size: r.size, type: r.type };
            if (r.url) sv.url = r.url;
            if (r.sha256) sv.sha256 = r.sha256;
            if (v.width !== undefined) sv.width = v.width;
            if (v.height !== undefined) sv.height = v.height;
            return sv;
          }),
        );
        return { ...res, variants: stored };
      } catch (e) {
        stop.abort(); // the other variants stop too
        const err = e instanceof Vs3Error ? e : new Vs3Error('upload_failed', String((e as Error)?.message ?? e));
        throw new Vs3Error(err.code, `${res.name} is stored, a variant is not: ${err.message}`, err.status, { stored: res, cause: err.details });
      }
    };
    const promise = main.promise.then(withVariants);
    promise.catch(() => stop.abort());
    const each = (f: (h: UploadHandle) => void) => () => {
      f(main);
      for (const h of variantHandles) f(h);
    };
    return {
      get id() {
        return main.id;
      },
      promise,
      pause: each((h) => h.pause()),
      resume: each((h) => h.resume()),
      cancel: () => (stop.abort(), main.cancel()),
      setPriority: (p: number) => each((h) => h.setPriority(p))(),
      snapshot: main.snapshot,
    };
  }

  const queue: UploadQueue = {
    add(file, opts) {
      if (opts.transform && !(file instanceof Promise)) return enqueueTransformed(file, opts);
      return enqueue(file, opts, 'auto');
    },
    async restore() {
      await ready;
      const busy = busyRecords();
      const elsewhere = await lockedElsewhere(); // in progress in another tab
      return (await listRecords())
        .filter((r) => !busy.has(r.id) && !elsewhere.has(r.id))
        .sort((a, b) => b.updatedAt - a.updatedAt)
        .map(describeRecord);
    },
    resume(id, file, opts = {}) {
      const rec = (async () => {
        await ready;
        const r = (await listRecords()).find((x) => x.id === id);
        if (!r) throw new Vs3Error('upload_not_found', 'no interrupted upload with this id (finished, discarded or expired)', 404);
        return r;
      })();
      const source = (async (): Promise<FileSource> => {
        if (file) return file;
        const r = await rec;
        if (r.handle) {
          // Chromium asks the user again after a reload (a prompt needs a user gesture: call resume() from a click).
          const h = r.handle as FileSystemFileHandle & { queryPermission?(o: object): Promise<string>; requestPermission?(o: object): Promise<string> };
          let perm = (await h.queryPermission?.({ mode: 'read' })) ?? 'granted';
          if (perm !== 'granted') perm = (await h.requestPermission?.({ mode: 'read' })) ?? 'denied';
          if (perm !== 'granted') throw new Vs3Error('forbidden', `reading ${r.name} was not allowed: pick the file again`, 403);
          return h.getFile();
        }
        if (r.path && options.openPath) return options.openPath(r.path);
        throw new Vs3Error('invalid_request', `pick ${r.name} again: there is no handle or path to open it with`, 400);
      })();
      return enqueue(source, { route: '', ...opts }, rec);
    },
    async discard(id) {
      await ready;
      const r = (await listRecords()).find((x) => x.id === id);
      if (!r || !store) return false;
      if (busyRecords().has(id)) throw new Vs3Error('invalid_request', `${r.name} is being uploaded: cancel it instead`, 409);
      const release = await acquireLock(id);
      if (!release) throw new Vs3Error('invalid_request', `${r.name} is being uploaded in another tab`, 409);
      try {
        const aborted = await abortByToken(r.token);
        // Forgotten either way; an upload that could not be aborted is left to the bucket's lifecycle rule.
        await store.delete(id);
        return aborted;
      } finally {
        release();
      }
    },
    async forget(id) {
      await ready;
      if (!store) return;
      const busy = busyRecords();
      for (const r of await listRecords()) {
        if ((id === undefined || r.id === id) && !busy.has(r.id)) await store.delete(r.id).catch(storeFailed);
      }
    },
    get: (id) => handles.get(id),
    pauseAll: () => void ready.then(() => (step((en, t) => en.pause(0, t)), publish())),
    resumeAll: () => void ready.then(() => (step((en, t) => en.resume(0, t)), publish())),
    cancelAll: () => void ready.then(() => (step((en, t) => en.cancel(0, t)), publish())),
    setOnline(on) {
      online = on;
      void ready.then(() => step((en, t) => en.setOnline(on, t)));
      snapshot = Object.freeze({ ...snapshot, online });
      for (const l of listeners) l();
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getSnapshot: () => snapshot,
    on(type, fn) {
      const set = (handlers[type] ??= new Set() as never) as Set<typeof fn>;
      set.add(fn);
      return () => set.delete(fn);
    },
    counters() {
      const c = engine?.counters() ?? { putsInFlight: 0, controlInFlight: 0, partsHeld: 0, activeFiles: 0 };
      let bytesHeld = 0;
      for (const e of entries.values()) for (const b of e.bytes.values()) bytesHeld += b.byteLength;
      return { ...c, bytesHeld, engineMs };
    },
    dispose() {
      if (disposed) return;
      flushRecords(); // unfinished uploads stay resumable
      for (const e of entries.values()) void (e.writes ?? Promise.resolve()).then(() => e.release?.());
      for (const ac of requests.values()) ac.abort();
      requests.clear();
      for (const e of entries.values()) {
        const s = engine?.stats(e.id).state;
        if (s !== 'done' && s !== 'failed' && s !== 'cancelled') e.reject(abortedError('queue disposed'));
      }
      disposed = true;
      if (wakeTimer) clearTimeout(wakeTimer);
      if (publishTimer) clearTimeout(publishTimer);
      if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') {
        window.removeEventListener('online', onOnline);
        window.removeEventListener('offline', onOffline);
        window.removeEventListener('pagehide', flushRecords);
      }
      reader.dispose();
      engine?.delete();
      engine = null;
    },
  };
  return queue;
}
