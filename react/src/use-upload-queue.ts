// useUploadQueue(): the whole queue (every file of a Vs3Provider's queue, or of a queue of its own)
// with its controls; useUploadQueueSelector(): one slice of it, re-rendering only when that changes.
import { useRef, useSyncExternalStore } from 'react';
import type { AddOptions, InterruptedUpload, QueueOptions, QueueSnapshot, UploadHandle } from 'vs3/client';
import { useQueueHolder } from './provider.js';
import { EMPTY_SNAPSHOT, type QueueHolder } from './store.js';

/** Options of {@link useUploadQueue}. */
export interface UseUploadQueueOptions {
  /** Where the handler is mounted. Default: the surrounding Vs3Provider's, else "/api/vs3". */
  endpoint?: string;
  /** Queue options when there is no Vs3Provider with the same endpoint above. */
  queue?: Omit<QueueOptions, 'endpoint'>;
}

/** What {@link useUploadQueue} returns: the queue's snapshot (at most one new one per frame) and its controls. */
export interface UseUploadQueueResult extends QueueSnapshot {
  /** Adds a file (the queue is created now if needed); the handle's promise settles when it is stored or failed. */
  add<M = unknown>(file: Blob, opts: AddOptions<M>): UploadHandle;
  /** Pauses every file. */
  pauseAll(): void;
  /** Resumes every paused file. */
  resumeAll(): void;
  /** Cancels every unfinished file. */
  cancelAll(): void;
  /** Uploads interrupted by an earlier page load (call from an effect or a click). */
  restore(): Promise<InterruptedUpload[]>;
  /** Continues an interrupted upload (from a click: the browser may ask for permission to read the file). */
  resume(id: string, file?: Blob): UploadHandle;
  /** Forgets an interrupted upload and aborts it on storage. */
  discard(id: string): Promise<boolean>;
}

const useHolder = (options: UseUploadQueueOptions): QueueHolder => useQueueHolder(options.endpoint, () => options.queue).holder;

/** The upload queue of the surrounding Vs3Provider (or a queue of its own) as React state, with its controls. */
export function useUploadQueue(options: UseUploadQueueOptions = {}): UseUploadQueueResult {
  const holder = useHolder(options);
  const snap = useSyncExternalStore(holder.subscribe, holder.getSnapshot, () => EMPTY_SNAPSHOT);
  const controls = useRef<Omit<UseUploadQueueResult, keyof QueueSnapshot> & { holder: QueueHolder }>(null as never);
  if (!controls.current || controls.current.holder !== holder) {
    const act = (fn: () => void) => (fn(), holder.flush());
    controls.current = {
      holder,
      add: (file, opts) => {
        const h = holder.add(file, opts);
        holder.flush();
        return h;
      },
      // No queue yet: nothing to pause or cancel (and no reason to load one).
      pauseAll: () => act(() => holder.peek()?.pauseAll()),
      resumeAll: () => act(() => holder.peek()?.resumeAll()),
      cancelAll: () => act(() => holder.peek()?.cancelAll()),
      restore: () => holder.get().restore(),
      resume: (id, file) => holder.get().resume(id, file),
      discard: (id) => holder.get().discard(id),
    };
  }
  const { holder: _h, ...c } = controls.current;
  return { ...snap, ...c };
}

/**
 * One slice of the queue's snapshot: the component re-renders only when `selector`'s answer changes
 * (compared with Object.is, or `equal`). E.g. `useUploadQueueSelector((s) => s.pending)`.
 */
export function useUploadQueueSelector<T>(
  selector: (snapshot: QueueSnapshot) => T,
  options: UseUploadQueueOptions & { equal?: (a: T, b: T) => boolean } = {},
): T {
  const holder = useHolder(options);
  const memo = useRef<{ snap: QueueSnapshot; selector: (s: QueueSnapshot) => T; value: T } | null>(null);
  const pick = (snap: QueueSnapshot): T => {
    const m = memo.current;
    if (m && m.snap === snap && m.selector === selector) return m.value;
    const next = selector(snap);
    const value = m && (options.equal ?? Object.is)(m.value, next) ? m.value : next;
    memo.current = { snap, selector, value };
    return value;
  };
  return useSyncExternalStore(
    holder.subscribe,
    () => pick(holder.getSnapshot()),
    () => pick(EMPTY_SNAPSHOT),
  );
}
