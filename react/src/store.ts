// The React side of the upload queue: a holder that creates the queue only when it is first needed
// (never during render or on the server) and republishes its snapshots at most once per animation
// frame, so hooks built on useSyncExternalStore re-render at most once a frame however fast bytes move.
import { type AddOptions, Vs3Error, createUploadQueue, type QueueOptions, type QueueSnapshot, type UploadHandle, type UploadQueue } from 'vs3/client';

/** The snapshot of a queue that does not exist yet (server render, before the first upload). */
export const EMPTY_SNAPSHOT: QueueSnapshot = Object.freeze({
  files: Object.freeze([]),
  totalBytes: 0,
  uploadedBytes: 0,
  progress: 0,
  speed: 0,
  eta: null,
  pending: 0,
  online: true,
});

/** How often snapshots reach React when animation frames do not run (hidden tab, no DOM). */
const FALLBACK_MS = 100;

/**
 * Owns one upload queue for React: created on first use, republished once per frame, shut down
 * (unfinished uploads cancelled) when its owner unmounts for good; a StrictMode re-mount in between
 * keeps it.
 */
export class QueueHolder {
  private queue: UploadQueue | undefined;
  private published: QueueSnapshot = EMPTY_SNAPSHOT;
  private readonly listeners = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private frame: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborted at shutdown: every upload added through this holder listens to it. */
  private life = new AbortController();
  /** The owner unmounted for good: add() refuses instead of making a queue nobody would dispose. */
  private released = false;
  /** Uploads added through this holder that have not settled. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Renders React was told about (tests and diagnostics). */
  flushes = 0;

  constructor(private readonly options: () => QueueOptions) {}

  /** The queue, created now if it does not exist yet. Call from effects and event handlers only. */
  get(): UploadQueue {
    if (!this.queue) {
      const q = createUploadQueue(this.options());
      this.queue = q;
      this.unsubscribe = q.subscribe(() => this.schedule());
      this.flush();
    }
    return this.queue;
  }

  /** The queue if it exists. */
  peek(): UploadQueue | undefined {
    return this.queue;
  }

  /** The last snapshot handed to React (stable between frames, as useSyncExternalStore needs). */
  readonly getSnapshot = (): QueueSnapshot => this.published;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Hands the queue's latest snapshot to React now (user actions: a click must show at once). */
  flush(): void {
    this.cancelFrame();
    const next = this.queue?.getSnapshot() ?? EMPTY_SNAPSHOT;
    if (next === this.published) return;
    this.published = next;
    this.flushes++;
    for (const l of this.listeners) l();
  }

  private schedule(): void {
    if (this.frame !== undefined || this.timer !== undefined) return;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : undefined;
    // Whichever comes first: the next frame, or (frames paused in a hidden tab) a slow timer.
    if (raf) this.frame = raf(() => this.flush());
    this.timer = setTimeout(() => this.flush(), raf ? FALLBACK_MS : 16);
  }

  private cancelFrame(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.frame = undefined;
    this.timer = undefined;
  }

  /**
   * Adds a file to the queue (created now if needed). The upload is also cancelled when the holder
   * shuts down, even if the engine has not accepted it yet.
   */
  add<M>(file: Blob, opts: AddOptions<M>): UploadHandle {
    // The owner is gone (e.g. an upload() that finished awaiting after unmount): no new queue.
    if (this.released) return refused();
    const life = this.life;
    const signal = opts.signal ? anySignal([opts.signal, life.signal]) : life.signal;
    const handle = this.get().add(file, { ...opts, signal });
    const settled = handle.promise.then(
      () => {},
      () => {},
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return handle;
  }

  /** The owner mounted (again): a shutdown scheduled by its unmount is called off. */
  retain(): void {
    if (this.disposeTimer !== undefined) clearTimeout(this.disposeTimer);
    this.disposeTimer = undefined;
    this.released = false;
  }

  /**
   * The owner unmounted: shut down soon, unless it mounts again first (StrictMode unmounts and mounts
   * every component once in development; that must not abort anything). `keep`: uploads in progress
   * go on to the end, then the queue is disposed.
   */
  release(keep = false): void {
    this.retain();
    this.disposeTimer = setTimeout(() => {
      this.disposeTimer = undefined;
      this.released = true;
      void this.shutdown(keep ? Number.POSITIVE_INFINITY : undefined, keep);
    }, 0);
  }

  /**
   * Cancels every unfinished upload (multipart uploads are aborted on storage), waits for them to
   * settle (at most `graceMs`), then disposes the queue. A later get() makes a new queue. `keep`:
   * nothing is cancelled; the queue is disposed once its uploads finished.
   */
  async shutdown(graceMs = 10_000, keep = false): Promise<void> {
    const q = this.queue;
    const life = this.life;
    this.life = new AbortController();
    this.cancelFrame();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue = undefined;
    this.published = EMPTY_SNAPSHOT;
    for (const l of this.listeners) l();
    if (!q) return;
    if (!keep) life.abort();
    const waiting = [...this.inFlight];
    this.inFlight.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = Number.isFinite(graceMs) ? [new Promise((r) => (timer = setTimeout(r, graceMs)))] : [];
    await Promise.race([Promise.all(waiting), ...grace]);
    clearTimeout(timer);
    q.dispose();
  }
}

/** An AbortSignal that aborts when any of `signals` does. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any) return any(signals);
  const ac = new AbortController();
  for (const s of signals) {
    if (s.aborted) ac.abort(s.reason);
    else s.addEventListener('abort', () => ac.abort(s.reason), { once: true });
  }
  return ac.signal;
}

/** The handle of an upload refused because its owner unmounted: rejected with aborted, controls do nothing. */
function refused(): UploadHandle {
  const promise = Promise.reject(new Vs3Error('aborted', 'the component that started this upload has unmounted', 0));
  promise.catch(() => {});
  const none = () => {};
  return { id: 0, promise, pause: none, resume: none, cancel: none, setPriority: none, snapshot: () => undefined };
}
