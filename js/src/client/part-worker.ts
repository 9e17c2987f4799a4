// Module Web Worker behind workerReader(): streams a Blob slice through the WASM core (the file's
// SHA-256 and the part's CRC32C) chunk by chunk, holding no part buffer; with keep, reads the part
// whole and transfers the bytes back to the page (zero-copy) for sending.
import { loadCore } from '../core.js';
import { Vs3Error } from '../errors.js';
import type { RawPartHasher } from '../wasm/vs3core.mjs';
import { endPart, feedPart, hashPart, readBytes } from './part-hash.js';

interface ReadMsg {
  type: 'read';
  id: number;
  file: number;
  source: Blob;
  offset: number;
  size: number;
  verifyOnly: boolean;
  last: boolean;
  first: boolean;
  keep: boolean;
  wasmUrl?: string;
}
interface ForgetMsg {
  type: 'forget';
  file: number;
}

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<ReadMsg | ForgetMsg>) => void) | null;
  postMessage(m: unknown, transfer?: Transferable[]): void;
};
const hashers = new Map<number, RawPartHasher>();
// Parts of one file must be hashed in order even if their reads finish out of order.
const chains = new Map<number, Promise<unknown>>();

// Read buffers, reused (reads of different files may overlap in this worker: one buffer each).
const spare: ArrayBuffer[] = [];

/** Streams `blob` to onChunk; returns the bytes seen (stops past `limit`). */
async function streamInto(blob: Blob, limit: number, onChunk: (c: Uint8Array) => void): Promise<number> {
  const stream = blob.stream();
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    /* not a byte stream */
  }
  let n = 0;
  if (byob) {
    let buf = spare.pop() ?? new ArrayBuffer(1 << 20);
    try {
      for (;;) {
        const { done, value } = await byob.read(new Uint8Array(buf));
        if (!value) break;
        buf = value.buffer as ArrayBuffer; // the same memory, handed back (the old view is detached)
        if (done) break;
        n += value.byteLength;
        if (n > limit) return (await byob.cancel().catch(() => {}), n);
        onChunk(value);
      }
    } finally {
      if (buf.byteLength > 0) spare.push(buf); // a detached buffer has length 0
    }
    return n;
  }
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > limit) return (await reader.cancel().catch(() => {}), n);
    onChunk(value);
  }
  return n;
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'forget') {
    hashers.get(msg.file)?.delete();
    hashers.delete(msg.file);
    chains.delete(msg.file);
    return;
  }
  if (msg.type !== 'read') return;
  const run = async () => {
    try {
      const core = await loadCore(msg.wasmUrl ? { locateFile: () => msg.wasmUrl! } : {}, msg.wasmUrl ?? 'default');
      let h = hashers.get(msg.file);
      if (!h) hashers.set(msg.file, (h = new core.PartHasher()));
      const opts = { verifyOnly: msg.verifyOnly, last: msg.last, first: msg.first };
      if (msg.keep) {
        const bytes = await readBytes(msg.source, msg.offset, msg.size);
        const r = hashPart(h, bytes, opts);
        scope.postMessage({ id: msg.id, ok: true, bytes: bytes.buffer, ...r }, [bytes.buffer]);
        return;
      }
      // Read into one reused buffer where the stream allows it (a byte stream: BYOB), else chunks of
      // the browser's choosing. No part-sized buffer either way.
      const n = await streamInto(msg.source.slice(msg.offset, msg.offset + msg.size), msg.size, (chunk) => feedPart(h, chunk, msg.verifyOnly));
      // A short (or long) read leaves the part half fed: the file fails (read_failed), nothing is sent.
      if (n !== msg.size) throw new Vs3Error('read_failed', `read ${n} bytes at ${msg.offset}, expected ${msg.size} (did the file change?)`, 0);
      scope.postMessage({ id: msg.id, ok: true, ...endPart(h, opts) });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      scope.postMessage({ id: msg.id, ok: false, code: err.code ?? 'read_failed', message: err.message ?? String(e) });
    }
  };
  const next = (chains.get(msg.file) ?? Promise.resolve()).then(run);
  chains.set(msg.file, next);
};
