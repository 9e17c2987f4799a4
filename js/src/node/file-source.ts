// A file on disk as an upload source for Node: parts are read with positioned reads straight into
// buffers the reader recycles, so a 100 GB file costs part size x parts held, nothing more.
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FileSource } from '../client/reader.js';
import { Vs3Error } from '../errors.js';

export interface NodeFileSource extends FileSource {
  readonly name: string;
  readonly type: string;
  close(): Promise<void>;
}

/** Opens `file` for upload. The size is taken now; a file that shrinks later fails with read_failed. */
export async function fileSource(file: string, opts: { name?: string; type?: string } = {}): Promise<NodeFileSource> {
  const fh: FileHandle = await open(file, 'r');
  const { size } = await fh.stat();
  const readInto = async (offset: number, target: Uint8Array) => {
    let done = 0;
    while (done < target.length) {
      const { bytesRead } = await fh.read(target, done, target.length - done, offset + done);
      if (bytesRead === 0) throw new Vs3Error('read_failed', `${file}: ended at ${offset + done}, expected ${offset + target.length} bytes (did it change?)`, 0);
      done += bytesRead;
    }
  };
  return {
    size,
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
