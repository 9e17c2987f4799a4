// A file on disk as an upload source for Node: positioned reads straight into the caller's buffer
// (readInto), so nothing is allocated per part; the Node uploader hashes through a small buffer and
// re-reads each part while sending it. A file whose size or mtime changes fails with file_changed.
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FileSource } from '../client/reader.js';
import { Vs3Error } from '../errors.js';

/** A file on disk opened by {@link fileSource}: a FileSource with positioned reads (readInto) and its path. */
export interface NodeFileSource extends FileSource {
  readonly name: string;
  readonly type: string;
  /** Absolute path (kept with the resume state, to open the file again). */
  readonly path: string;
  /** The file's mtime when opened, unix ms. */
  readonly lastModified: number;
  /** Closes the file handle; call it once the upload settled. */
  close(): Promise<void>;
}

/**
 * Opens `file` for upload (rejects as fs.open does, e.g. ENOENT). Size and mtime are taken now: a file
 * whose size or mtime changes before a read fails with file_changed, one cut short mid-read with
 * read_failed. name defaults to the base name, type to '' (the handler picks one from the extension).
 */
export async function fileSource(file: string, opts: { name?: string; type?: string } = {}): Promise<NodeFileSource> {
  const fh: FileHandle = await open(file, 'r');
  let size: number;
  let mtimeMs: number;
  try {
    ({ size, mtimeMs } = await fh.stat());
  } catch (e) {
    await fh.close().catch(() => {});
    throw e;
  }
  const readInto = async (offset: number, target: Uint8Array) => {
    // Parts are read twice (hashed, then sent): a file written to in between fails, never mixes.
    const now = await fh.stat();
    if (now.size !== size || now.mtimeMs !== mtimeMs) throw new Vs3Error('file_changed', `${file} changed while it was being uploaded`, 0);
    let done = 0;
    while (done < target.length) {
      const { bytesRead } = await fh.read(target, done, target.length - done, offset + done);
      if (bytesRead === 0)
        throw new Vs3Error('read_failed', `${file}: ended at ${offset + done}, expected ${offset + target.length} bytes (did it change?)`, 0);
      done += bytesRead;
    }
  };
  return {
    size,
    path: path.resolve(file),
    lastModified: Math.round(mtimeMs),
    name: opts.name ?? path.basename(file),
    type: opts.type ?? '',
    readInto,
    slice(start, end) {
      return {
        arrayBuffer: async () => {
          const b = new Uint8Array(Math.max(0, Math.min(end, size) - start));
          await readInto(start, b);
          return b.buffer;
        },
      };
    },
    close: () => fh.close(),
  };
}
