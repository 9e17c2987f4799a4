// Module Web Worker behind the browser pool (pool.ts): runs the image pipeline off the page's thread
// and posts back Blobs (structured clones share the bytes, nothing is copied twice).
import { Vs3Error } from '../errors.js';
import type { ProcessImageOptions } from './options.js';
import { processHere } from './run.js';

export interface ImageJob {
  id: number;
  input: Blob;
  options: Omit<ProcessImageOptions, 'signal'>;
  /** Where vs3image.wasm is, when the page was told (configureImage({ wasmUrl })). */
  wasmUrl?: string;
}

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<ImageJob>) => void) | null;
  postMessage(m: unknown): void;
};

scope.onmessage = (ev) => {
  const { id, input, options, wasmUrl } = ev.data;
  processHere(input, wasmUrl ? { ...options, wasm: wasmUrl } : options).then(
    (result) => scope.postMessage({ id, result }),
    (e: unknown) => {
      const err = e instanceof Vs3Error ? e : new Vs3Error('internal_error', String((e as Error)?.message ?? e), 500);
      scope.postMessage({ id, error: { code: err.code, message: err.message, status: err.status } });
    },
  );
};
