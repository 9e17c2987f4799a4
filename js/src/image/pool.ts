// The browsers' worker pool for processImage: a few module workers (worker.ts), started on first use,
// one job each at a time, stopped after a while idle so the WASM heaps they grew are given back. An
// aborted job's worker is terminated (a decode cannot be interrupted) and replaced when needed.
import { Vs3Error, abortedError, type Vs3ErrorCode } from '../errors.js';
import { type ProcessedImage, type ProcessImageOptions, checkInput, maxInputOf, rawOptions } from './options.js';
import type { ImageJob } from './worker.js';

export interface PoolConfig {
  /** Workers at most. Default: cores − 1, between 1 and 4. */
  size?: number;
  /** Where the worker script is (default: worker.js next to this module, as bundlers resolve `new URL(…, import.meta.url)`). */
  workerUrl?: string | URL;
  /** Where vs3image.wasm is, if not next to vs3image.mjs. */
  wasmUrl?: string | URL;
  /** Idle workers stop after this many milliseconds. Default 15 000. */
  idleMs?: number;
}

interface Slot {
  worker: Worker;
  job?: { id: number; resolve: (r: ProcessedImage) => void; reject: (e: unknown) => void; off?: () => void } | undefined;
  idle?: ReturnType<typeof setTimeout>;
}
interface Waiting {
  input: Blob;
  options: ProcessImageOptions;
  resolve: (r: ProcessedImage) => void;
  reject: (e: unknown) => void;
  /** Removes the abort listener that guards the job while it waits. */
  unwatch: () => void;
}

let config: PoolConfig = {};
const slots: Slot[] = [];
const waiting: Waiting[] = [];
let nextId = 1;

export function configurePool(c: PoolConfig): void {
  config = { ...config, ...c };
}

const sizeOf = () => {
  const n = config.size ?? Math.min(4, Math.max(1, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1));
  return Math.max(1, Math.floor(n));
};

function spawn(): Slot {
  const worker = config.workerUrl
    ? new Worker(config.workerUrl, { type: 'module', name: 'vs3-image' })
    : new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'vs3-image' });
  const slot: Slot = { worker };
  worker.onmessage = (ev: MessageEvent<{ id: number; result?: ProcessedImage; error?: { code: string; message: string; status: number } }>) => {
    const job = slot.job;
    if (!job || job.id !== ev.data.id) return;
    finish(slot);
    if (ev.data.error) job.reject(new Vs3Error(ev.data.error.code as Vs3ErrorCode, ev.data.error.message, ev.data.error.status));
    else job.resolve(ev.data.result!);
  };
  worker.onerror = (ev) => {
    ev.preventDefault();
    const job = slot.job;
    kill(slot);
    job?.reject(new Vs3Error('internal_error', `the image worker failed: ${ev.message || 'could not start'}`, 500));
  };
  slots.push(slot);
  return slot;
}

function kill(slot: Slot): void {
  slot.job?.off?.();
  slot.job = undefined;
  clearTimeout(slot.idle);
  slot.worker.terminate();
  const i = slots.indexOf(slot);
  if (i >= 0) slots.splice(i, 1);
  pump();
}

function finish(slot: Slot): void {
  slot.job?.off?.();
  slot.job = undefined;
  slot.idle = setTimeout(() => kill(slot), config.idleMs ?? 15_000);
  pump();
}

function pump(): void {
  while (waiting.length) {
    let slot = slots.find((s) => !s.job);
    if (!slot && slots.length < sizeOf()) slot = spawn();
    if (!slot) return;
    const w = waiting.shift()!;
    w.unwatch();
    clearTimeout(slot.idle);
    const id = nextId++;
    const { signal, ...given } = w.options;
    // Plain data only: the options were checked on the page (rawOptions), so this copy is exact.
    const options = JSON.parse(JSON.stringify(given)) as Omit<ProcessImageOptions, 'signal'>;
    const s = slot;
    const onAbort = () => {
      const job = s.job;
      if (job?.id !== id) return;
      kill(s); // the worker may be deep in a decode: stop it
      job.reject(abortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    s.job = { id, resolve: w.resolve, reject: w.reject, off: () => signal?.removeEventListener('abort', onAbort) };
    const msg: ImageJob = { id, input: w.input, options, ...(config.wasmUrl ? { wasmUrl: String(config.wasmUrl) } : {}) };
    try {
      s.worker.postMessage(msg);
    } catch (e) {
      finish(s);
      w.reject(new Vs3Error('bad_image_options', `the job could not be sent to the image worker: ${(e as Error)?.message ?? e}`, 400));
    }
  }
}

/** Queues a job on the pool, after checking its options and input here (no worker starts for a bad call). */
export function runInPool(input: Blob, options: ProcessImageOptions): Promise<ProcessedImage> {
  return new Promise((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) return reject(abortedError());
    try {
      rawOptions(options);
      checkInput(input, maxInputOf(options));
    } catch (e) {
      return reject(e);
    }
    const onAbort = () => {
      const i = waiting.indexOf(w);
      if (i >= 0) waiting.splice(i, 1), reject(abortedError());
    };
    const w: Waiting = { input, options, resolve, reject, unwatch: () => signal?.removeEventListener('abort', onAbort) };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(w);
    pump();
  });
}
