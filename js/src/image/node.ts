// vs3/image under Node (the "node" export condition): the same API, with vs3image.wasm read from the
// package's dist/wasm folder, since Emscripten's loader cannot fetch a file path there.
import { readFile } from 'node:fs/promises';
import { setDefaultImageWasm } from './run.js';

export * from './index.js';

let bytes: Promise<Uint8Array> | undefined;
setDefaultImageWasm(() => (bytes ??= readFile(new URL('../wasm/vs3image.wasm', import.meta.url))));
