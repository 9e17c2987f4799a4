// createUploader({ endpoint }).upload(file, { route }): one file through the upload queue, as a promise.
// Kept for the simple case; createUploadQueue (queue.ts) is the full API for many files.
import { abortedError } from '../errors.js';
import { createUploadQueue, type QueueOptions, type UploadQueue, type UploadResult, type UploadSnapshot } from './queue.js';
import type { FileSource } from './reader.js';

export type UploadPhase = 'queued' | 'hashing' | 'uploading' | 'paused' | 'confirming' | 'done';

export interface UploadProgress {
  phase: UploadPhase;
  total: number;
  hashed: number;
  uploaded: number;
  /** 1 + failed attempts so far. */
  attempt: number;
  speed: number;
  eta: number | null;
}

export interface UploadOptions<M = unknown> {
  route: string;
  metadata?: M;
  signal?: AbortSignal;
  onProgress?: (p: UploadProgress) => void;
  /** Overrides file.name / file.type (e.g. for plain Blobs). */
  name?: string;
  type?: string;
  priority?: number;
}

export type UploaderOptions = QueueOptions;

export interface Uploader {
  upload<M = unknown>(file: FileSource, opts: UploadOptions<M>): Promise<UploadResult>;
  /** The queue behind upload(): pause/resume/cancel all, subscribe to snapshots. */
  readonly queue: UploadQueue;
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
