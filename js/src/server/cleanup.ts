// cleanup(): aborts multipart uploads left behind (tabs closed for good, uploads never resumed), whose
// parts storage keeps - and bills - until someone aborts them. Run it from a cron, or use the bucket's
// lifecycle rule (AbortIncompleteMultipartUpload) where storage has one: docs/resume-server.md.
import type { MultipartUpload, StorageDriver } from './storage.js';

/** What {@link cleanup} aborts. */
export interface CleanupOptions {
  /** Abort uploads initiated more than this many milliseconds before `now`. */
  olderThan: number;
  /** Only uploads whose key starts with this (e.g. a route's name and '/'). */
  prefix?: string;
  /** Unix milliseconds. Default Date.now(). */
  now?: number;
  /** Abort nothing; `aborted` lists what would have been aborted. */
  dryRun?: boolean;
}

/** What {@link cleanup} did. */
export interface CleanupResult {
  /** Aborted (or already gone by the time of the abort). */
  aborted: MultipartUpload[];
  /** Younger than the cut-off, or of unknown age. */
  kept: number;
  /** Aborts that failed; the others went ahead. */
  failed: {
    /** The upload that could not be aborted. */
    upload: MultipartUpload;
    /** What the driver threw. */
    error: unknown;
  }[];
}

/**
 * Aborts the multipart uploads under `prefix` initiated more than `olderThan` ms ago (uploads of
 * unknown age are kept), freeing the parts storage keeps and bills for them. Throws an Error when
 * olderThan is not a number >= 0; a failing listing rejects; failed aborts are reported, not thrown.
 */
export async function cleanup(storage: StorageDriver, opts: CleanupOptions): Promise<CleanupResult> {
  const { olderThan, prefix = '', now = Date.now(), dryRun = false } = opts;
  if (typeof olderThan !== 'number' || !(olderThan >= 0)) throw new Error('vs3: cleanup olderThan must be a number of milliseconds >= 0');
  const cutoff = now - olderThan;
  const out: CleanupResult = { aborted: [], kept: 0, failed: [] };
  for (const upload of await storage.listMultipartUploads(prefix)) {
    const initiated = upload.initiated ? Date.parse(upload.initiated) : NaN;
    // Unknown age: keep it - it may be an upload someone is sending right now.
    if (!(initiated < cutoff)) {
      out.kept++;
      continue;
    }
    if (dryRun) {
      out.aborted.push(upload);
      continue;
    }
    try {
      await storage.abortMultipart(upload.key, upload.uploadId);
      out.aborted.push(upload);
    } catch (error) {
      out.failed.push({ upload, error });
    }
  }
  return out;
}
