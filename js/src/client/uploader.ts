// createUploader({ endpoint }).upload(file, { route }) : hash (worker) -> presign -> PUT -> complete.
import { RetryPolicy, loadCore, type RetryOptions, type Vs3CoreModule } from '../core.js';
import { Vs3Error, abortedError, type Vs3ErrorCode } from '../errors.js';
import { coreHasher, workerHasher, type Hasher } from './hasher.js';
import { defaultTransport, type Transport } from './transport.js';

export type UploadPhase = 'hashing' | 'presigning' | 'uploading' | 'confirming' | 'done';

export interface UploadProgress {
  phase: UploadPhase;
  total: number;
  hashed: number;
  uploaded: number;
  /** 1-based attempt of the current request. */
  attempt: number;
}

export interface UploadOptions<M = unknown> {
  route: string;
  metadata?: M;
  signal?: AbortSignal;
  onProgress?: (p: UploadProgress) => void;
  /** Overrides file.name / file.type (e.g. for plain Blobs). */
  name?: string;
  type?: string;
}

export interface UploadResult {
  key: string;
  name: string;
  size: number;
  type: string;
  sha256?: string;
  /** Time-limited download URL, if the storage driver gives one. */
  url?: string;
  /** What the route's onUploadComplete returned. */
  result: unknown;
}

export interface UploaderOptions {
  /** Where the vs3 handler is mounted: "/api/vs3" or an absolute URL. */
  endpoint: string;
  /** Default: the WASM core in a Web Worker where Workers exist, else in this thread. */
  hasher?: Hasher;
  /** Default: XHR in browsers (progress events), fetch elsewhere. */
  transport?: Transport;
  /** Default: loadCore() (fetches vs3core.wasm next to vs3core.mjs). */
  core?: Vs3CoreModule | Promise<Vs3CoreModule>;
  retry?: RetryOptions;
  /** Extra headers for presign/complete requests (auth). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  fetch?: typeof fetch;
  /** Timer, injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Uploader {
  upload<M = unknown>(file: Blob, opts: UploadOptions<M>): Promise<UploadResult>;
  dispose(): void;
}

interface PresignAnswer {
  key: string;
  token: string;
  upload: { method: 'PUT'; url: string; headers: Record<string, string>; expiresAt: number };
}

interface PutFailure {
  s3Code: string;
  expired: boolean;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterMs(v: string | null): number {
  if (!v) return -1;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const d = Date.parse(v);
  return Number.isNaN(d) ? -1 : Math.max(0, d - Date.now());
}

export function createUploader(options: UploaderOptions): Uploader {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const sleep = options.sleep ?? defaultSleep;
  const transport = options.transport ?? defaultTransport();
  let corePromise: Promise<Vs3CoreModule> | null = null;
  const core = () => (corePromise ??= Promise.resolve(options.core ?? loadCore()));
  const hasher = options.hasher ?? (typeof Worker === 'function' ? workerHasher() : coreHasher(core()));

  /** Runs one request under the core's retry policy. `attemptOnce` returns [status, s3Code, retryAfter] on failure. */
  async function withRetry<T>(
    signal: AbortSignal | undefined,
    onAttempt: (n: number) => void,
    attemptOnce: () => Promise<{ ok: true; value: T } | { ok: false; status: number; s3Code?: string; retryAfter?: number; error: Vs3Error }>,
  ): Promise<T> {
    const policy = new RetryPolicy(await core(), options.retry);
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw abortedError();
        onAttempt(attempt);
        const r = await attemptOnce();
        if (r.ok) return r.value;
        const d = policy.decide(attempt, r.status, r.s3Code ?? '', r.retryAfter ?? -1);
        if (!d.retry) throw r.error;
        await sleep(d.delayMs, signal);
      }
    } finally {
      policy.dispose();
    }
  }

  async function postJson<T>(path: string, body: unknown, signal: AbortSignal | undefined, onAttempt: (n: number) => void): Promise<T> {
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers ?? {};
    return withRetry<T>(signal, onAttempt, async () => {
      let res: Response;
      try {
        res = await fetchImpl(`${endpoint}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...extra },
          body: JSON.stringify(body),
          signal,
        });
      } catch (e) {
        if (signal?.aborted) throw abortedError();
        return { ok: false, status: 0, error: new Vs3Error('network_error', `${path}: ${(e as Error).message}`, 0) };
      }
      const text = await res.text().catch(() => '');
      let parsed: any = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      if (res.ok && parsed) return { ok: true, value: parsed as T };
      const err = parsed?.error;
      const code = (typeof err?.code === 'string' ? err.code : res.ok ? 'invalid_request' : 'upload_failed') as Vs3ErrorCode;
      return {
        ok: false,
        status: res.ok ? 400 : res.status,
        retryAfter: retryAfterMs(res.headers.get('retry-after')),
        error: new Vs3Error(code, typeof err?.message === 'string' ? err.message : `${path} answered ${res.status}`, res.status, err?.details),
      };
    });
  }

  /** PUTs the body to the presigned URL under the retry policy. */
  function putWithRetry(presigned: PresignAnswer, file: Blob, signal: AbortSignal | undefined, emit: (p: Partial<UploadProgress>) => void) {
    return withRetry<void>(signal, (attempt) => emit({ attempt, uploaded: 0 }), async () => {
      const res = await transport.put({
        url: presigned.upload.url,
        headers: presigned.upload.headers,
        body: file,
        signal,
        onProgress: (b) => emit({ uploaded: b }),
      });
      if (res.status >= 200 && res.status < 300) return { ok: true, value: undefined };
      const s3Code = /<Code>([^<]+)<\/Code>/.exec(res.body)?.[1] ?? /"code"\s*:\s*"([^"]+)"/.exec(res.body)?.[1] ?? '';
      // AWS: AccessDenied "Request has expired"; the local driver: url_expired.
      const failure: PutFailure = { s3Code, expired: res.status === 403 && /expired/i.test(res.body) };
      return {
        ok: false,
        status: res.status,
        s3Code,
        retryAfter: retryAfterMs(res.header('retry-after')),
        error: new Vs3Error(
          res.status === 0 ? 'network_error' : 'upload_failed',
          res.status === 0 ? 'storage could not be reached' : `storage answered ${res.status}${s3Code ? ` ${s3Code}` : ''}`,
          res.status,
          failure,
        ),
      };
    });
  }

  return {
    async upload<M>(file: Blob, opts: UploadOptions<M>): Promise<UploadResult> {
      const { signal } = opts;
      if (signal?.aborted) throw abortedError();
      const name = opts.name ?? (file as File).name ?? 'blob';
      const type = opts.type ?? file.type ?? '';
      const progress: UploadProgress = { phase: 'hashing', total: file.size, hashed: 0, uploaded: 0, attempt: 1 };
      const emit = (p: Partial<UploadProgress>) => {
        Object.assign(progress, p);
        opts.onProgress?.({ ...progress });
      };

      emit({});
      const sha256 = await hasher.sha256(file, { signal, onProgress: (b) => emit({ hashed: b }) });
      emit({ hashed: file.size, phase: 'presigning' });

      const presign = () =>
        postJson<PresignAnswer>(
          '/presign',
          { route: opts.route, file: { name, size: file.size, type, sha256 }, metadata: opts.metadata },
          signal,
          (attempt) => emit({ attempt }),
        );
      let presigned = await presign();

      // A URL can expire while retries back off (or a tab sleeps): ask for a fresh one, twice at most.
      for (let round = 1; ; round++) {
        emit({ phase: 'uploading', attempt: 1 });
        try {
          await putWithRetry(presigned, file, signal, emit);
          break;
        } catch (e) {
          const expired = e instanceof Vs3Error && e.status === 403 && ((e.details as PutFailure)?.expired || Date.now() >= presigned.upload.expiresAt);
          if (!expired || round >= 3 || signal?.aborted) throw e;
          emit({ phase: 'presigning', attempt: 1, uploaded: 0 });
          presigned = await presign();
        }
      }

      emit({ phase: 'confirming', uploaded: file.size, attempt: 1 });
      const done = await postJson<{ file: Omit<UploadResult, 'result'>; result: unknown }>('/complete', { token: presigned.token }, signal, (attempt) => emit({ attempt }));
      emit({ phase: 'done' });
      return { ...done.file, result: done.result };
    },
    dispose() {
      hasher.dispose?.();
    },
  };
}
