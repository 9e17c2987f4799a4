// vs3/image under Node (the "node" export condition): the same API, with vs3image.wasm read from the
// package's dist/wasm folder, since Emscripten's loader cannot fetch a file path there. The default
// is set by the functions themselves, not at import, so a bundler that drops side-effect-only code
// (the package says sideEffects: false) cannot lose it.
import { readFile } from 'node:fs/promises';
import { imageTransform as transformWith, processImage as process } from './index.js';
import { setDefaultImageWasm } from './run.js';

export * from './index.js';

let bytes: Promise<Uint8Array> | undefined;
const useFile = () => setDefaultImageWasm(() => (bytes ??= readFile(new URL('../wasm/vs3image.wasm', import.meta.url))));

/** processImage (see vs3/image), loading the module from the package's files. */
export const processImage: typeof process = (input, options) => (useFile(), process(input, options));
/** imageTransform (see vs3/image), loading the module from the package's files. */
export const imageTransform: typeof transformWith = (options) => (useFile(), transformWith(options));
