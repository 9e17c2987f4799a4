// Hashers: the browser default runs the WASM core in a Web Worker so the main thread stays free;
// coreHasher runs it in the current thread (Node, edge workers, tests, or inside a worker).
import { hashBlob, loadCore, type Vs3CoreModule } from '../core.js';
import { Vs3Error, abortedError } from '../errors.js';

export interface HashOptions {
  signal?: AbortSignal;
  onProgress?: (bytesHashed: number) => void;
}

export interface Hasher {
  sha256(blob: Blob, opts?: HashOptions): Promise<string>;
  dispose?(): void;
}

export function coreHasher(core: Vs3CoreModule | Promise<Vs3CoreModule>): Hasher {
  return {
    async sha256(blob, opts = {}) {
      return hashBlob(await core, blob, { algorithm: 'sha256', signal: opts.signal, onProgress: opts.onProgress });
    },
  };
}

export interface WorkerHasherOptions {
  /** URL of hash-worker.js. Default: next to this module. */
  workerUrl?: string | URL;
  /** URL of vs3core.wasm. Default: next to vs3core.mjs. */
  wasmUrl?: string | URL;
}

type WorkerReply =
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; id: number; hex: string }
  | { type: 'error'; id: number; code: string; message: string };

interface Job {
  resolve(hex: string): void;
  reject(e: unknown): void;
  onProgress?: (b: number) => void;
}

/** One module worker, many concurrent jobs. Blobs are passed by reference (no copy of the bytes). */
export function workerHasher(opts: WorkerHasherOptions = {}): Hasher {
  let worker: Worker | null = null;
  let nextId = 1;
  const jobs = new Map<number, Job>();

  function failAll(e: unknown) {
    for (const j of jobs.values()) j.reject(e);
    jobs.clear();
    worker?.terminate();
    worker = null;
  }

  function getWorker(): Worker {
    if (worker) return worker;
    worker = new Worker(opts.workerUrl ?? new URL('./hash-worker.js', import.meta.url), { type: 'module', name: 'vs3-hash' });
    worker.onmessage = (ev: MessageEvent<WorkerReply>) => {
      const m = ev.data;
      const job = jobs.get(m.id);
      if (!job) return;
      if (m.type === 'progress') job.onProgress?.(m.bytes);
      else {
        jobs.delete(m.id);
        if (m.type === 'done') job.resolve(m.hex);
        else job.reject(new Vs3Error(m.code as Vs3Error['code'], m.message, 0));
      }
    };
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      failAll(new Vs3Error('hash_failed', `hash worker failed: ${ev.message || 'could not start'}`, 0));
    };
    return worker;
  }

  return {
    sha256(blob, o = {}) {
      return new Promise<string>((resolve, reject) => {
        if (o.signal?.aborted) return reject(abortedError());
        const id = nextId++;
        const w = getWorker();
        const onAbort = () => {
          w.postMessage({ type: 'cancel', id });
          jobs.delete(id);
          reject(abortedError());
        };
        o.signal?.addEventListener('abort', onAbort, { once: true });
        const cleanup = () => o.signal?.removeEventListener('abort', onAbort);
        jobs.set(id, {
          resolve: (h) => (cleanup(), resolve(h)),
          reject: (e) => (cleanup(), reject(e)),
          onProgress: o.onProgress,
        });
        w.postMessage({ type: 'hash', id, blob, algorithm: 'sha256', wasmUrl: opts.wasmUrl ? String(new URL(opts.wasmUrl, location.href)) : undefined });
      });
    },
    dispose() {
      failAll(abortedError('hasher disposed'));
    },
  };
}

export { loadCore };
