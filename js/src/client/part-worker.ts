// Module Web Worker behind workerReader(): reads a Blob slice, feeds the file's SHA-256 and the part's
// CRC32C in the WASM core, and transfers the bytes back to the page (zero-copy) for sending.
import { loadCore } from '../core.js';
import type { RawPartHasher } from '../wasm/vs3core.mjs';
import { hashPart } from './reader.js';

interface ReadMsg { type: 'read'; id: number; file: number; source: Blob; offset: number; size: number; verifyOnly: boolean; last: boolean; wasmUrl?: string }
interface ForgetMsg { type: 'forget'; file: number }

const scope = self as unknown as { onmessage: ((ev: MessageEvent<ReadMsg | ForgetMsg>) => void) | null; postMessage(m: unknown, transfer?: Transferable[]): void };
const hashers = new Map<number, RawPartHasher>();
// Parts of one file must be hashed in order even if their reads finish out of order.
const chains = new Map<number, Promise<unknown>>();

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
      const buf = await msg.source.slice(msg.offset, msg.offset + msg.size).arrayBuffer();
      if (buf.byteLength !== msg.size) throw Object.assign(new Error(`read ${buf.byteLength} bytes, expected ${msg.size}`), { code: 'read_failed' });
      const r = hashPart(h, new Uint8Array(buf), { verifyOnly: msg.verifyOnly, last: msg.last });
      scope.postMessage({ id: msg.id, ok: true, bytes: buf, ...r }, [buf]);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      scope.postMessage({ id: msg.id, ok: false, code: err.code ?? 'read_failed', message: err.message ?? String(e) });
    }
  };
  const next = (chains.get(msg.file) ?? Promise.resolve()).then(run);
  chains.set(msg.file, next);
};
