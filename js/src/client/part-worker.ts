// Module Web Worker behind workerReader(): streams a Blob slice through the WASM core (the file's
// SHA-256 and the part's CRC32C) chunk by chunk, holding no part buffer; with keep, reads the part
// whole and transfers the bytes back to the page (zero-copy) for sending.
import { loadCore } from '../core.js';
import type { RawPartHasher } from '../wasm/vs3core.mjs';
import { endPart, feedPart, hashPart } from './reader.js';

interface ReadMsg { type: 'read'; id: number; file: number; source: Blob; offset: number; size: number; verifyOnly: boolean; last: boolean; keep: boolean; wasmUrl?: string }
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
      const slice = msg.source.slice(msg.offset, msg.offset + msg.size);
      const opts = { verifyOnly: msg.verifyOnly, last: msg.last };
      const short = (n: number) => Object.assign(new Error(`read ${n} bytes, expected ${msg.size} (did the file change?)`), { code: 'read_failed' });
      if (msg.keep) {
        const buf = await slice.arrayBuffer();
        if (buf.byteLength !== msg.size) throw short(buf.byteLength);
        const r = hashPart(h, new Uint8Array(buf), opts);
        scope.postMessage({ id: msg.id, ok: true, bytes: buf, ...r }, [buf]);
        return;
      }
      // Chunks of the browser's choosing (tens of KiB): short-lived garbage, no part-sized buffer.
      const reader = slice.stream().getReader();
      let n = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
        if (n > msg.size) break;
        feedPart(h, value, msg.verifyOnly);
      }
      if (n !== msg.size) {
        await reader.cancel().catch(() => {});
        // A short read leaves the part half fed: the file fails (read_failed), nothing is sent.
        throw short(n);
      }
      scope.postMessage({ id: msg.id, ok: true, ...endPart(h, opts) });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      scope.postMessage({ id: msg.id, ok: false, code: err.code ?? 'read_failed', message: err.message ?? String(e) });
    }
  };
  const next = (chains.get(msg.file) ?? Promise.resolve()).then(run);
  chains.set(msg.file, next);
};
