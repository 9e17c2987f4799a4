// createUploader({ endpoint }).upload(file, { route }): one file through the upload queue, as a promise.
// Kept for the simple case; createUploadQueue (queue.ts) is the full API for many files.
import { abortedError } from '../errors.js';
import { type AddOptions, createUploadQueue, type QueueOptions, type UploadQueue, type UploadResult, type UploadSnapshot } from './queue.js';
import type { FileSource } from './reader.js';

/**
 * What an upload is doing, for progress UIs: waiting for a slot, hashing (nothing sent yet), uploading,
 * paused, confirming (the handler verifies the stored object), done.
 */
export type UploadPhase = 'queued' | 'hashing' | 'uploading' | 'paused' | 'confirming' | 'done';

/** What {@link UploadOptions.onProgress} receives. */
export interface UploadProgress {
  /** What the upload is doing now. */
  phase: UploadPhase;
  /** File size in bytes. */
  total: number;
  /** Bytes hashed so far. */
  hashed: number;
  /** Bytes storage acknowledged plus bytes on the wire. */
  uploaded: number;
  /** 1 + failed attempts so far. */
  attempt: number;
  /** Bytes per second over the last few seconds. */
  speed: number;
  /** Seconds left at the current speed; null when unknown (0 once finished). */
  eta: number | null;
}

/** Options of {@link Uploader.upload}. */
export interface UploadOptions<M = unknown> {
  /** The handler route to upload through. */
  route: string;
  /** Metadata for the route's schema (sent as JSON). */
  metadata?: M;
  /** Aborting cancels the upload: the promise rejects with Vs3Error('aborted'). */
  signal?: AbortSignal;
  /** Called on every progress and state change (at most about 20 times a second). */
  onProgress?: (p: UploadProgress) => void;
  /** Overrides file.name / file.type (e.g. for plain Blobs). */
  name?: string;
  /** Overrides file.type; empty: the handler picks one from the name's extension. */
  type?: string;
  /** Higher first; equal priorities go FIFO. Default 0. */
  priority?: number;
  /** Runs on the file first (e.g. vs3/image's imageTransform): see AddOptions.transform. */
  transform?: AddOptions['transform'] | undefined;
}

/** Options of {@link createUploader}: those of the upload queue behind it. */
export type UploaderOptions = QueueOptions;

/** One file at a time as a promise (createUploader); the queue behind it does the work. */
export interface Uploader {
  /** Uploads one file; resolves once storage confirmed it, rejects with a Vs3Error (e.g. aborted, file_too_large, retry_exhausted). */
  upload<M = unknown>(file: FileSource, opts: UploadOptions<M>): Promise<UploadResult>;
  /** The queue behind upload(): pause/resume/cancel all, subscribe to snapshots. */
  readonly queue: UploadQueue;
  /** Disposes the queue: uploads in progress reject with aborted (unfinished multipart uploads stay resumable). */
  dispose(): void;
}

function phaseOf(s: UploadSnapshot): UploadPhase {
  switch (s.state) {
    case 'queued':
      return 'queued';
    case 'paused':
      return 'paused';
    case 'completing':
      return 'confirming';
    case 'done':
      return 'done';
    default:
      return s.bytesUploaded === 0 && s.bytesHashed < s.size ? 'hashing' : 'uploading';
  }
}

/** An uploader for one file at a time: `upload(file, { route })` resolves with the stored object. See createUploadQueue for many files. */
export function createUploader(options: UploaderOptions): Uploader {
  const queue = createUploadQueue(options);
  return {
    queue,
    upload(file, opts) {
      if (opts.signal?.aborted) return Promise.reject(abortedError());
      const handle = queue.add(file, opts);
      if (!opts.onProgress) return handle.promise;
      const report = (s: UploadSnapshot) => {
        if (s.id !== handle.id) return;
        opts.onProgress!({
          phase: phaseOf(s),
          total: s.size,
          hashed: s.bytesHashed,
          uploaded: s.bytesUploaded,
          attempt: s.retries + 1,
          speed: s.speed,
          eta: s.eta,
        });
      };
      const offs = [queue.on('progress', report), queue.on('state', report), queue.on('added', report)];
      const off = () => {
        for (const f of offs) f();
      };
      return handle.promise.then(
        (r) => (off(), r),
        (e) => {
          off();
          throw e;
        },
      );
    },
    dispose: () => queue.dispose(),
  };
}
