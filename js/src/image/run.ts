// Runs the image pipeline in this thread: loads the image WASM module (once per source), copies the
// input into its heap, calls the C++ pipeline and wraps what it made in Blobs. Used directly in
// workers, Node and workerd, and by the pool's workers in browsers.
import { abortedError } from '../errors.js';
import createVs3Image, { type RawImageResult, type Vs3ImageModule } from '../wasm/vs3image.mjs';
import {
  DEFAULT_MAX_INPUT_BYTES,
  type ImageOutput,
  type ProcessedImage,
  type ProcessImageOptions,
  MAIN,
  checkInput,
  imageError,
  rawOptions,
} from './options.js';

/**
 * Where the image WASM comes from: a compiled WebAssembly.Module (workerd: `import wasm from
 * 'vs3/wasm/vs3image.wasm'`), its bytes, or a URL. Default: vs3image.wasm next to vs3image.mjs (browsers);
 * vs3/image in Node reads that file.
 */
export type ImageWasmSource = WebAssembly.Module | ArrayBuffer | Uint8Array | URL | string;

let defaultSource: (() => Promise<ImageWasmSource | undefined>) | undefined;
/** Sets how the module is found when processImage is given no `wasm` (vs3/image's Node entry uses it). */
export function setDefaultImageWasm(get: () => Promise<ImageWasmSource | undefined>): void {
  defaultSource = get;
}

const modules = new Map<unknown, Promise<Vs3ImageModule>>();

function instantiate(src: ImageWasmSource | undefined): Promise<Vs3ImageModule> {
  if (src === undefined) return createVs3Image();
  // locateFile: with the bytes or the module in hand no URL is needed, and the glue's default
  // (new URL(…, import.meta.url)) throws where import.meta.url is not a URL (bundled for workerd).
  const here = (p: string) => p;
  if (src instanceof WebAssembly.Module) {
    return createVs3Image({
      locateFile: here,
      instantiateWasm(imports, done) {
        void WebAssembly.instantiate(src, imports).then((inst) => done(inst));
        return {};
      },
    });
  }
  if (src instanceof ArrayBuffer || src instanceof Uint8Array) return createVs3Image({ wasmBinary: src, locateFile: here });
  const url = String(src);
  return createVs3Image({ locateFile: () => url });
}

/** The image module for a source, instantiated once and reused (a failed load is retried next time). */
export async function loadImageModule(wasm?: ImageWasmSource): Promise<Vs3ImageModule> {
  const src = wasm ?? (await defaultSource?.());
  const key = src ?? 'default';
  let p = modules.get(key);
  if (!p) {
    p = instantiate(src);
    modules.set(key, p);
    p.catch(() => modules.delete(key));
  }
  return p;
}
/** Forgets a module (after it trapped, its heap may be inconsistent; the next call starts a fresh one). */
export function dropImageModule(wasm?: ImageWasmSource): void {
  modules.delete(wasm ?? 'default');
}

/** processImage in this thread: `wasm` says where the module comes from (see ImageWasmSource). */
export async function processHere(input: Blob, options: ProcessImageOptions & { wasm?: ImageWasmSource } = {}): Promise<ProcessedImage> {
  const raw = rawOptions(options);
  checkInput(input, options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES);
  const signal = options.signal;
  if (signal?.aborted) throw abortedError();
  const [bytes, mod] = await Promise.all([input.arrayBuffer(), loadImageModule(options.wasm)]);
  if (signal?.aborted) throw abortedError();
  const p = new mod.ImageProcessor();
  try {
    p.input(bytes.byteLength).set(new Uint8Array(bytes));
    let r: RawImageResult;
    try {
      r = p.process(bytes.byteLength, raw);
    } catch (e) {
      // A trap (out of memory past the module's limit, a bug): this instance is not reused.
      dropImageModule(options.wasm);
      throw imageError('image_memory_limit', `the image pipeline stopped: ${(e as Error)?.message ?? e}`);
    }
    if (r.error) throw imageError(r.error, r.message);
    const outputs = new Map<string, ImageOutput>();
    for (const v of r.variants) {
      const blob = new Blob([v.data as Uint8Array<ArrayBuffer>], { type: v.type });
      outputs.set(v.name, { blob, width: v.width, height: v.height, type: v.type, size: blob.size });
    }
    const main = outputs.get(MAIN);
    if (!main) throw imageError('internal_error', 'the pipeline returned no main output');
    outputs.delete(MAIN);
    return { ...main, variants: Object.fromEntries(outputs), original: { ...r.info, size: input.size } };
  } finally {
    p.release();
    p.delete();
  }
}
