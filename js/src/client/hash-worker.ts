// Module Web Worker: hashes Blobs with the WASM core, slice by slice (bounded memory).
import { hashBlob, loadCore } from '../core.js';

interface HashMsg { type: 'hash'; id: number; blob: Blob; algorithm: 'sha256' | 'xxh3-128'; wasmUrl?: string }
interface CancelMsg { type: 'cancel'; id: number }

const scope = self as unknown as { onmessage: ((ev: MessageEvent<HashMsg | CancelMsg>) => void) | null; postMessage(m: unknown): void };
const running = new Map<number, AbortController>();

scope.onmessage = async (ev) => {
  const msg = ev.data;
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort();
    return;
  }
  if (msg.type !== 'hash') return;
  const ac = new AbortController();
  running.set(msg.id, ac);
  try {
    const wasmUrl = msg.wasmUrl;
    const core = await loadCore(wasmUrl ? { locateFile: () => wasmUrl } : {}, wasmUrl ?? 'default');
    const hex = await hashBlob(core, msg.blob, {
      algorithm: msg.algorithm,
      signal: ac.signal,
      onProgress: (bytes) => scope.postMessage({ type: 'progress', id: msg.id, bytes }),
    });
    scope.postMessage({ type: 'done', id: msg.id, hex });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    scope.postMessage({ type: 'error', id: msg.id, code: err.code ?? 'hash_failed', message: err.message ?? String(e) });
  } finally {
    running.delete(msg.id);
  }
};
