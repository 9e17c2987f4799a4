// useUpload(route): upload one or more files through a route and render their progress. Built on the
// queue's store with useSyncExternalStore (at most one render per animation frame), StrictMode-safe
// (a double mount starts nothing twice), SSR-safe (no queue, no window, until the first upload), and
// the hook's unfinished uploads are cancelled when its component unmounts unless it says to keep them.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { type AddOptions, type QueueOptions, type QueueSnapshot, type UploadHandle, type UploadResult, type UploadSnapshot, Vs3Error } from 'vs3/client';
import { useQueueHolder } from './provider.js';
import { EMPTY_SNAPSHOT, type QueueHolder } from './store.js';
import type { TypedUploadResult, UploadFile } from './types.js';

/** Options of {@link useUpload}. `I` is the route's metadata, `R` what its onUploadComplete returns. */
export interface UseUploadOptions<I = unknown, R = unknown> {
  /** Where the handler is mounted. Default: the surrounding Vs3Provider's, else "/api/vs3". */
  endpoint?: string;
  /** Metadata sent with every file (upload()'s own `metadata` wins). */
  metadata?: I;
  /** Queue options when this hook has a queue of its own (no Vs3Provider with the same endpoint above it). */
  queue?: Omit<QueueOptions, 'endpoint'>;
  /** Called when upload() was given files, before anything is sent. */
  onUploadBegin?: (files: Blob[]) => void;
  /** Called when every file of an upload() call is stored and confirmed. */
  onUploadComplete?: (results: TypedUploadResult<R>[]) => void;
  /** Called for each file that failed (not for cancels). */
  onUploadError?: (error: Vs3Error, file: Blob) => void;
  /** Uploads in progress go on after the component unmounts (default: they are cancelled). */
  keepUploadsOnUnmount?: boolean;
  /**
   * Runs on each file before it is sent, e.g. `imageTransform({ maxWidth: 2048 })` from vs3/image:
   * the processed image is what is checked and uploaded, its variants are stored under its key
   * (AddOptions.transform).
   */
  transform?: AddOptions['transform'];
}

/** Options of one {@link UseUploadResult.upload} call. */
export interface UploadCallOptions<I = unknown> {
  /** Metadata for the route's schema (overrides the hook's). */
  metadata?: I;
  /** Higher first; equal priorities go FIFO. */
  priority?: number;
}

/** What {@link useUpload} returns. */
export interface UseUploadResult<I = unknown, R = unknown> {
  /**
   * Uploads files through the route. Resolves with the stored files once all are confirmed; rejects
   * with the first Vs3Error (which is also in `error`, so a caller that does not await loses nothing).
   * A file already being uploaded by this hook is not uploaded twice.
   */
  upload(files: Blob | readonly Blob[] | FileList, opts?: UploadCallOptions<I>): Promise<TypedUploadResult<R>[]>;
  /** This hook's files, in the order given (until reset()). */
  files: readonly UploadFile<R>[];
  /** 0..1 over this hook's files, by bytes; never goes backwards while the set of files is the same. */
  progress: number;
  /** Some file is not finished yet. */
  isUploading: boolean;
  /** The last failure (cancels are not failures), until reset(). */
  error: Vs3Error | undefined;
  /** Pauses this hook's unfinished files. */
  pause(): void;
  /** Resumes this hook's paused files. */
  resume(): void;
  /** Cancels this hook's unfinished files (multipart uploads are aborted on storage). */
  cancel(): void;
  /** Cancels what is unfinished and forgets every file and the error. */
  reset(): void;
  /** Forgets finished files (done, failed, cancelled) and the error; unfinished files go on. */
  clear(): void;
}

interface Item {
  file: Blob;
  key: string;
  /** The queue holder the upload was added to (its ids mean nothing in another queue). */
  holder: QueueHolder;
  /** The file's last snapshot, shown once its queue is gone. */
  last?: UploadSnapshot;
  handle: UploadHandle;
  ac: AbortController;
  /** How the upload's promise settled (its snapshot may reach React a frame later). */
  outcome?: { error: Vs3Error } | { result: UploadResult };
  /** Most bytes ever shown as uploaded, so progress never goes backwards when a cut-off part is resent. */
  shown: number;
  settled: boolean;
}

interface Derived {
  files: readonly UploadFile[];
  progress: number;
  isUploading: boolean;
}

let nextKey = 0;

const FINISHED = new Set(['done', 'failed', 'cancelled']);

function placeholder(item: Item, route: string): UploadSnapshot {
  const f = item.file as Blob & { name?: string };
  const err = item.outcome && 'error' in item.outcome ? item.outcome.error : undefined;
  return {
    id: item.handle.id,
    name: f.name ?? 'blob',
    size: f.size,
    type: f.type,
    route,
    state: err ? (err.code === 'aborted' ? 'cancelled' : 'failed') : 'queued',
    bytesHashed: 0,
    bytesUploaded: 0,
    progress: 0,
    speed: 0,
    eta: err ? 0 : null,
    multipart: false,
    partCount: 0,
    partsStored: 0,
    retries: 0,
    deduplicated: false,
    resumed: false,
    bytesReused: 0,
    ...(err ? { error: { code: err.code, message: err.message } } : {}),
  };
}

function settledSnapshot(s: UploadSnapshot, outcome: NonNullable<Item['outcome']>): UploadSnapshot {
  if ('result' in outcome) return { ...s, state: 'done', bytesUploaded: s.size, progress: 1, speed: 0, eta: 0, result: outcome.result };
  const { code, message } = outcome.error;
  return { ...s, state: code === 'aborted' ? 'cancelled' : 'failed', speed: 0, eta: 0, error: { code, message } };
}

function derive(items: readonly Item[], snap: QueueSnapshot, holder: QueueHolder, route: string, prev: Derived | undefined): Derived {
  const byId = new Map<number, UploadSnapshot>();
  for (const s of snap.files) byId.set(s.id, s);
  let total = 0;
  let up = 0;
  let unfinished = false;
  const files = items.map((item, i): UploadFile => {
    let s = (item.holder === holder ? byId.get(item.handle.id) : undefined) ?? item.last ?? placeholder(item, route);
    // The promise settled but the queue's snapshot saying so is still a frame away: show the outcome
    // now, so that files, isUploading and error agree in every render.
    if (item.outcome && !FINISHED.has(s.state)) s = settledSnapshot(s, item.outcome);
    item.last = s;
    item.shown = s.state === 'done' ? s.size : Math.max(item.shown, s.bytesUploaded);
    total += s.size;
    up += item.shown;
    if (!FINISHED.has(s.state)) unfinished = true;
    const old = prev?.files[i];
    // Same file, nothing moved: the same object, so memoized children do not re-render.
    if (
      old &&
      old.file === item.file &&
      old.state === s.state &&
      old.bytesUploaded === item.shown &&
      old.bytesHashed === s.bytesHashed &&
      old.retries === s.retries &&
      old.speed === s.speed &&
      old.eta === s.eta &&
      old.error === s.error
    )
      return old;
    const { result, ...rest } = s;
    return Object.freeze({
      ...rest,
      file: item.file,
      key: item.key,
      bytesUploaded: item.shown,
      progress: s.size ? item.shown / s.size : s.state === 'done' ? 1 : 0,
      ...(result ? { result: result as TypedUploadResult } : {}),
    });
  });
  const progress = total ? up / total : files.length && !unfinished ? 1 : 0;
  if (prev && prev.files.length === files.length && prev.files.every((f, i) => f === files[i]) && prev.progress === progress && prev.isUploading === unfinished)
    return prev;
  return { files, progress, isUploading: unfinished };
}

/**
 * Uploads files through one route and renders their progress. Inside a {@link Vs3Provider} it uses
 * the provider's queue; otherwise it makes its own on the first upload. For typed routes and
 * metadata, take it from {@link generateReactHelpers}.
 */
export function useUpload<I = unknown, R = unknown>(route: string, options: UseUploadOptions<I, R> = {}): UseUploadResult<I, R> {
  const opts = useRef(options);
  opts.current = options;

  // The provider's queue when it serves this endpoint, else one of our own (made on first upload).
  const { holder, shared } = useQueueHolder(
    options.endpoint,
    () => opts.current.queue,
    () => opts.current.keepUploadsOnUnmount === true,
  );

  const items = useRef<Item[]>([]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<Vs3Error | undefined>(undefined);
  const bump = useCallback(() => setVersion((v) => v + 1), []);

  // Derived state, recomputed only when the queue's published snapshot or our list changed.
  const cache = useRef<{ snap: QueueSnapshot; version: number; route: string; holder: QueueHolder; value: Derived } | null>(null);
  const select = (snap: QueueSnapshot): Derived => {
    const c = cache.current;
    if (c && c.snap === snap && c.version === version && c.route === route && c.holder === holder) return c.value;
    const value = derive(items.current, snap, holder, route, c?.value);
    cache.current = { snap, version, route, holder, value };
    return value;
  };
  const derived = useSyncExternalStore(
    holder.subscribe,
    () => select(holder.getSnapshot()),
    () => select(EMPTY_SNAPSHOT),
  );

  // Mount/unmount. StrictMode runs this twice (mount, unmount, mount): the unmount's cancel is
  // deferred a tick and called off by the second mount — of the same queue only: when the queue
  // changes (a new endpoint, a provider appears), the old queue's uploads are cancelled.
  const pendingCancel = useRef<{ holder: QueueHolder; timer: ReturnType<typeof setTimeout> } | null>(null);
  useEffect(() => {
    if (pendingCancel.current?.holder === holder) {
      clearTimeout(pendingCancel.current.timer);
      pendingCancel.current = null;
    }
    return () => {
      // A queue of our own is shut down by useQueueHolder; in a provider's, cancel only ours.
      if (shared && opts.current.keepUploadsOnUnmount !== true) {
        const mine = items.current.filter((it) => it.holder === holder);
        const timer = setTimeout(() => {
          for (const it of mine) if (!it.settled) it.ac.abort();
        }, 0);
        pendingCancel.current = { holder, timer };
      }
    };
  }, [holder, shared]);

  const upload = useCallback(
    (input: Blob | readonly Blob[] | FileList, call: UploadCallOptions<I> = {}): Promise<TypedUploadResult<R>[]> => {
      const list: Blob[] = input instanceof Blob ? [input] : Array.from(input as ArrayLike<Blob>);
      const o = opts.current;
      const metadata = call.metadata ?? o.metadata;
      const batch: Item[] = [];
      let reused = 0;
      for (const file of list) {
        // The same File while it is still being uploaded: no second upload (StrictMode effects, double clicks).
        const running = items.current.find((it) => it.file === file && !it.settled);
        if (running) {
          batch.push(running);
          reused++;
          continue;
        }
        const ac = new AbortController();
        const handle = holder.add(file, {
          route,
          ...(metadata !== undefined ? { metadata } : {}),
          ...(call.priority !== undefined ? { priority: call.priority } : {}),
          ...(o.transform ? { transform: o.transform } : {}),
          signal: ac.signal,
        });
        const item: Item = { file, key: `f${++nextKey}`, holder, handle, ac, shown: 0, settled: false };
        handle.promise.then(
          (result) => {
            item.settled = true;
            item.outcome = { result };
            bump();
          },
          (e: unknown) => {
            item.settled = true;
            const err = e instanceof Vs3Error ? e : new Vs3Error('upload_failed', String((e as Error)?.message ?? e));
            item.outcome = { error: err };
            // A file reset() or clear() forgot: its late failure is not this hook's error any more.
            if (err.code !== 'aborted' && items.current.includes(item)) {
              setError(err);
              opts.current.onUploadError?.(err, file);
            }
            bump();
          },
        );
        items.current = [...items.current, item];
        batch.push(item);
      }
      bump();
      holder.flush();
      // Callbacks belong to the call that started the uploads, not to a repeat of it.
      const fresh = batch.length - reused;
      if (fresh) o.onUploadBegin?.(list);
      const all = Promise.all(batch.map((it) => it.handle.promise)).then((results) => {
        const typed = results as TypedUploadResult<R>[];
        if (fresh) opts.current.onUploadComplete?.(typed);
        return typed;
      });
      all.catch(() => {}); // the failure is in `error` and onUploadError: awaiting is optional
      return all;
    },
    [holder, route, bump],
  );

  const each = useCallback((fn: (it: Item) => void) => {
    for (const it of items.current) if (!it.settled) fn(it);
  }, []);
  const pause = useCallback(() => (each((it) => it.handle.pause()), holder.flush()), [each, holder]);
  const resume = useCallback(() => (each((it) => it.handle.resume()), holder.flush()), [each, holder]);
  const cancel = useCallback(() => each((it) => it.ac.abort()), [each]);
  const reset = useCallback(() => {
    each((it) => it.ac.abort());
    items.current = [];
    setError(undefined);
    bump();
  }, [each, bump]);
  const clear = useCallback(() => {
    items.current = items.current.filter((it) => !it.settled);
    setError(undefined);
    bump();
  }, [bump]);

  return {
    upload,
    files: derived.files as readonly UploadFile<R>[],
    progress: derived.progress,
    isUploading: derived.isUploading,
    error,
    pause,
    resume,
    cancel,
    reset,
    clear,
  };
}
