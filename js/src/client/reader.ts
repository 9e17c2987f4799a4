// Part readers: read a byte range of a file once, and from that one read feed the file's running
// SHA-256 (whole-file identity, dedupe) and the part's CRC32C (signed into its URL), both computed by
// the C++ core. coreReader runs in the current thread (Node, edge, tests) and hands the bytes back for
// sending; workerReader keeps the main thread free by streaming each part through the hasher in a
// module Web Worker and keeps no bytes: the PUT sends a slice of the File itself (the browser reads it
// from disk again, and fails the read if the file changed since it was picked), so the page holds no
// part buffers at all.
import type { Vs3CoreModule } from '../core.js';
import { Vs3Error, abortedError } from '../errors.js';
import type { RawPartHasher } from '../wasm/vs3core.mjs';

export { endPart, feedPart, hashPart, readBytes, type FileSource, type PartRead, type PartReader, type ReadOptions } from './part-hash.js';
import { endPart, feedPart, hashPart, readBytes, type PartRead, type PartReader } from './part-hash.js';

/** Options of {@link coreReader}. */
export interface CoreReaderOptions {
  /**
   * Hand each part's bytes back for sending (default true). false, for sources with readInto (vs3/node
   * fileSource): the part is hashed through a small reused buffer and the PUT reads it again from the
   * source as it sends, so no part-sized buffer is held at all (sources without readInto still keep).
   */
  keepBytes?: boolean;
}

// Chunk for hashing without keeping: one reused buffer per concurrent read.
const HASH_CHUNK = 1 << 20;

/**
 * Reads and hashes parts on the calling thread with the WASM core (Node, edge runtimes, tests). A short
 * read fails with read_failed; a core that refuses a chunk with hash_failed.
 */
export function coreReader(core: Vs3CoreModule | Promise<Vs3CoreModule>, options: CoreReaderOptions = {}): PartReader {
  const keep = options.keepBytes ?? true;
  const scratch: Uint8Array[] = [];
  const hashers = new Map<number, RawPartHasher>();
  // Recycled part buffers by size (parts of one upload are all one size, the last aside). Bounded:
  // the engine never holds more than maxInFlight + hashAhead parts.
  const pool = new Map<number, Uint8Array[]>();
  const MAX_POOLED = 16;
  let pooled = 0;
  return {
    async read(file, source, offset, size, opts) {
      const c = await core;
      let h = hashers.get(file);
      if (!h) hashers.set(file, (h = new c.PartHasher()));
      let bytes: Uint8Array;
      if (!keep && source.readInto) {
        const buf = scratch.pop() ?? new Uint8Array(HASH_CHUNK);
        try {
          for (let at = 0; at < size; at += HASH_CHUNK) {
            const chunk = buf.subarray(0, Math.min(HASH_CHUNK, size - at));
            await source.readInto(offset + at, chunk);
            feedPart(h, chunk, opts.verifyOnly);
          }
        } finally {
          scratch.push(buf);
        }
        return endPart(h, opts);
      }
      if (source.readInto) {
        const free = pool.get(size);
        const reused = free?.pop();
        if (reused) pooled--;
        bytes = reused ?? new Uint8Array(size);
        await source.readInto(offset, bytes);
      } else {
        bytes = await readBytes(source, offset, size);
      }
      return { bytes, ...hashPart(h, bytes, opts) };
    },
    recycle(bytes) {
      if (pooled >= MAX_POOLED || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) return;
      let list = pool.get(bytes.byteLength);
      if (!list) pool.set(bytes.byteLength, (list = []));
      list.push(bytes);
      pooled++;
    },
    forget(file) {
      hashers.get(file)?.delete();
      hashers.delete(file);
    },
    dispose() {
      for (const h of hashers.values()) h.delete();
      hashers.clear();
      pool.clear();
    },
  };
}

/** Options of {@link workerReader}. */
export interface WorkerReaderOptions {
  /** URL of part-worker.js. Default: next to this module. */
  workerUrl?: string | URL;
  /** URL of vs3core.wasm. Default: next to vs3core.mjs. */
  wasmUrl?: string | URL;
  /**
   * Workers in the pool; a file's parts always go to the same worker (its SHA-256 is sequential),
   * different files hash in parallel. Default: hardwareConcurrency - 1, between 1 and 4.
   */
  poolSize?: number;
  /**
   * Transfer each part's bytes back to the page (the PUT sends them) instead of streaming it through
   * the hasher and keeping nothing (the PUT sends a slice of the File). Default false: measured on a
   * 1 GiB upload, kept bytes cost the renderer hundreds of MiB of garbage part buffers.
   */
  keepBytes?: boolean;
}

type Reply =
  | { id: number; ok: true; bytes?: ArrayBuffer; crc32c: number; sha256?: string; firstSha256?: string }
  | { id: number; ok: false; code: string; message: string };

/**
 * Reads and hashes parts in a pool of module Web Workers (the browser default), keeping the page's
 * thread free; a worker that fails to start rejects its reads with hash_failed.
 */
export function workerReader(opts: WorkerReaderOptions = {}): PartReader {
  const hc = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  const size = Math.max(1, Math.min(4, opts.poolSize ?? hc - 1));
  const workers: (Worker | null)[] = new Array(size).fill(null);
  const home = new Map<number, number>(); // file -> worker index
  const jobs = new Map<number, { resolve(r: PartRead): void; reject(e: unknown): void; w: number }>();
  let nextId = 1;
  let nextWorker = 0;
  const wasmUrl = opts.wasmUrl ? String(new URL(opts.wasmUrl, location.href)) : undefined;

  function worker(i: number): Worker {
    const existing = workers[i];
    if (existing) return existing;
    // Written out as `new Worker(new URL('./part-worker.js', import.meta.url), { literal })`: the
    // pattern bundlers (Vite, webpack 5, Parcel) recognise to emit the worker with the app.
    const w = opts.workerUrl
      ? new Worker(opts.workerUrl, { type: 'module', name: `vs3-read-${i}` })
      : new Worker(new URL('./part-worker.js', import.meta.url), { type: 'module', name: 'vs3-read' });
    w.onmessage = (ev: MessageEvent<Reply>) => {
      const m = ev.data;
      const job = jobs.get(m.id);
      if (!job) return;
      jobs.delete(m.id);
      if (m.ok)
        job.resolve({
          ...(m.bytes ? { bytes: new Uint8Array(m.bytes) } : {}),
          crc32c: m.crc32c,
          ...(m.sha256 ? { sha256: m.sha256 } : {}),
          ...(m.firstSha256 ? { firstSha256: m.firstSha256 } : {}),
        });
      else job.reject(new Vs3Error(m.code as Vs3Error['code'], m.message, 0));
    };
    w.onerror = (ev) => {
      ev.preventDefault?.();
      const err = new Vs3Error('hash_failed', `read worker failed: ${ev.message || 'could not start'}`, 0);
      for (const [id, j] of jobs) if (j.w === i) jobs.delete(id), j.reject(err);
      w.terminate();
      workers[i] = null;
    };
    workers[i] = w;
    return w;
  }

  return {
    read(file, source, offset, len, o) {
      return new Promise<PartRead>((resolve, reject) => {
        let w = home.get(file);
        if (w === undefined) {
          w = nextWorker++ % size;
          home.set(file, w);
        }
        const id = nextId++;
        jobs.set(id, { resolve, reject, w });
        // The Blob crosses by reference; the worker slices and reads it.
        worker(w).postMessage({
          type: 'read',
          id,
          file,
          source,
          offset,
          size: len,
          verifyOnly: o.verifyOnly,
          last: o.last,
          first: Boolean(o.first),
          keep: Boolean(opts.keepBytes),
          wasmUrl,
        });
      });
    },
    forget(file) {
      const w = home.get(file);
      if (w !== undefined) workers[w]?.postMessage({ type: 'forget', file });
      home.delete(file);
    },
    dispose() {
      for (const j of jobs.values()) j.reject(abortedError('reader disposed'));
      jobs.clear();
      for (const [i, w] of workers.entries()) {
        w?.terminate();
        workers[i] = null;
      }
    },
  };
}
