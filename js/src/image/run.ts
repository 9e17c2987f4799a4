// Runs the image pipeline in this thread: loads the image WASM module (once per source), copies the
// input into its heap, calls the C++ pipeline and wraps what it made in Blobs. Used directly in
// workers, Node and workerd, and by the pool's workers in browsers.
import { abortedError } from '../errors.js';
import createVs3Image, { type RawImageResult, type Vs3ImageModule } from '../wasm/vs3image.mjs';
import { type ImageOutput, type ProcessedImage, type ProcessImageOptions, MAIN, checkInput, imageError, maxInputOf, rawOptions } from './options.js';

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
/** Cache key of a source: URLs by their text (a fresh URL object per call is the same file). */
const keyOf = (src: ImageWasmSource | undefined): unknown => (src === undefined ? 'default' : src instanceof URL ? src.href : src);

function instantiate(src: ImageWasmSource | undefined): Promise<Vs3ImageModule> {
  if (src === undefined) return createVs3Image();
  // locateFile: with the bytes or the module in hand no URL is needed, and the glue's default
  // (new URL(…, import.meta.url)) throws where import.meta.url is not a URL (bundled for workerd).
  const here = (p: string) => p;
  if (src instanceof WebAssembly.Module) {
    // The glue gives instantiateWasm no way to fail: a module that cannot be instantiated (a .wasm
    // from another build) rejects here instead of leaving the load pending forever.
    let failed!: (e: unknown) => void;
    const failure = new Promise<never>((_, reject) => (failed = reject));
    return Promise.race([
      createVs3Image({
        locateFile: here,
        instantiateWasm(imports, done) {
          WebAssembly.instantiate(src, imports).then((inst) => done(inst), failed);
          return {};
        },
      }),
      failure,
    ]);
  }
  if (src instanceof ArrayBuffer || src instanceof Uint8Array) return createVs3Image({ wasmBinary: src, locateFile: here });
  const url = String(src);
  return createVs3Image({ locateFile: () => url });
}

/** Where the module comes from for this call: the given source, else the environment's default. */
export async function resolveImageWasm(wasm?: ImageWasmSource): Promise<ImageWasmSource | undefined> {
  return wasm ?? (await defaultSource?.());
}

/** The image module for a source, instantiated once and reused (a failed load is retried next time). */
export function loadImageModule(src: ImageWasmSource | undefined): Promise<Vs3ImageModule> {
  const key = keyOf(src);
  let p = modules.get(key);
  if (!p) {
    p = instantiate(src);
    modules.set(key, p);
    p.catch(() => modules.delete(key));
  }
  return p;
}
/** Forgets a module (after it trapped, its heap may be inconsistent; the next call starts a fresh one). */
export function dropImageModule(src: ImageWasmSource | undefined): void {
  modules.delete(keyOf(src));
}

/** processImage in this thread: `wasm` says where the module comes from (see ImageWasmSource). */
export async function processHere(input: Blob, options: ProcessImageOptions & { wasm?: ImageWasmSource } = {}): Promise<ProcessedImage> {
  const raw = rawOptions(options);
  checkInput(input, maxInputOf(options));
  const signal = options.signal;
  if (signal?.aborted) throw abortedError();
  const src = await resolveImageWasm(options.wasm);
  const [bytes, mod] = await Promise.all([input.arrayBuffer(), loadImageModule(src)]);
  if (signal?.aborted) throw abortedError();
  const p = new mod.ImageProcessor();
  let trapped = false;
  try {
    const view = p.input(bytes.byteLength);
    if (view.length !== bytes.byteLength) throw imageError('image_memory_limit', `no room for the ${bytes.byteLength}-byte input in the image module`);
    view.set(new Uint8Array(bytes));
    let r: RawImageResult;
    try {
      r = p.process(bytes.byteLength, raw);
    } catch (e) {
      // A trap (out of memory past the module's limit, a bug): this instance is not reused.
      trapped = true;
      dropImageModule(src);
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
    // Calling into a module that trapped may throw again and hide the error above.
    if (!trapped) {
      p.release();
      p.delete();
    }
  }
}
