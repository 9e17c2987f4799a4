// Reading and hashing one part, shared by the readers (reader.ts) and the hashing worker
// (part-worker.ts): the source and reader types, feeding a part through the C++ PartHasher, and a
// whole-part read. Kept apart from reader.ts so the worker does not import the module that starts it
// (a worker importing its own starter deadlocks Turbopack builds: vercel/next.js#97399).
import { Vs3Error } from '../errors.js';
import type { RawPartHasher } from '../wasm/vs3core.mjs';

/** What the engine reads from: a Blob/File, or anything with size and slice() (e.g. a generated source). */
export interface FileSource {
  /** Bytes. */
  readonly size: number;
  /** File name sent to the handler (default 'blob'; AddOptions.name overrides). */
  readonly name?: string;
  /** Content-Type (AddOptions.type overrides). */
  readonly type?: string;
  /** Bytes [start, end), as Blob.slice(); a short read fails the upload with read_failed. */
  slice(
    start: number,
    end: number,
  ): {
    /** The slice's bytes. */
    arrayBuffer(): Promise<ArrayBuffer>;
  };
  /**
   * Optional: fill `target` with the bytes at `offset` (exactly target.length of them). Sources that
   * have it (vs3/node fileSource) are read into reused buffers, never a new one per part; with
   * coreReader's keepBytes: false they are hashed through a 1 MiB buffer and re-read while sent.
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
}

/** What a PartReader read and hashed of one part. */
export interface PartRead {
  /** The part's bytes, or undefined when the reader kept none (the PUT sends a slice of the Blob). */
  bytes?: Uint8Array;
  /** The part's CRC32C, unsigned 32-bit. */
  crc32c: number;
  /** Set on the last part of a file: the SHA-256 of the whole file. */
  sha256?: string;
  /** Set on the first part (first read) of a multipart file: the SHA-256 of that part alone. */
  firstSha256?: string;
}

/** How a PartReader reads one part. */
export interface ReadOptions {
  /** A part read again (after a pause): check its CRC, do not feed the SHA-256 again. */
  verifyOnly: boolean;
  /** The file's last part: also return the whole file's SHA-256. */
  last: boolean;
  /** Part 0 of a multipart file: also return the SHA-256 of the part (the resume fingerprint). */
  first?: boolean;
}

/** Reads and hashes parts for the queue: coreReader() (this thread), workerReader() (Web Workers), or your own. */
export interface PartReader {
  /** Parts of one file arrive in order (the engine asks for them so); files interleave freely. */
  read(file: number, source: FileSource, offset: number, size: number, opts: ReadOptions): Promise<PartRead>;
  /** The engine released these bytes (sent, or no longer wanted): the reader may reuse the buffer. */
  recycle?(bytes: Uint8Array): void;
  /** The file is finished: drop its hash state. */
  forget(file: number): void;
  /** Frees what the reader holds (hashers, buffers, workers); it must not be used afterwards. */
  dispose(): void;
}

// Bytes enter the WASM heap in slices of this size (the scratch buffer stays small).
const SLICE = 4 << 20;

/** Feeds bytes of the current part to a file's PartHasher (any chunking). */
export function feedPart(h: RawPartHasher, bytes: Uint8Array, verifyOnly: boolean): void {
  for (let off = 0; off < bytes.length; off += SLICE) {
    const n = Math.min(SLICE, bytes.length - off);
    h.buffer(n).set(bytes.subarray(off, off + n));
    if (!h.update(n, verifyOnly)) throw new Vs3Error('hash_failed', 'core rejected a chunk', 0);
  }
}

/**
 * Ends the part: its CRC32C; on the last part (first read) the file's SHA-256; on the first part of a
 * multipart file the SHA-256 of that part (sha256Hex() digests a copy of the running state).
 */
export function endPart(h: RawPartHasher, opts: ReadOptions): { crc32c: number; sha256?: string; firstSha256?: string } {
  const crc32c = h.endPart();
  if (opts.verifyOnly) return { crc32c };
  return { crc32c, ...(opts.last ? { sha256: h.sha256Hex() } : {}), ...(opts.first ? { firstSha256: h.sha256Hex() } : {}) };
}

/** Hashes one whole part held in memory. */
export function hashPart(h: RawPartHasher, bytes: Uint8Array, opts: ReadOptions): { crc32c: number; sha256?: string; firstSha256?: string } {
  feedPart(h, bytes, opts.verifyOnly);
  return endPart(h, opts);
}

/** A part read whole with slice().arrayBuffer(); a short read is read_failed. */
export async function readBytes(source: FileSource, offset: number, size: number): Promise<Uint8Array> {
  const buf = await source.slice(offset, offset + size).arrayBuffer();
  if (buf.byteLength !== size) {
    throw new Vs3Error('read_failed', `read ${buf.byteLength} bytes at ${offset}, expected ${size} (did the file change?)`, 0);
  }
  return new Uint8Array(buf);
}
