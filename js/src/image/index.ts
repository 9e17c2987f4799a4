// vs3/image: resize, re-encode and strip images before upload with the C++ pipeline (libjpeg-turbo,
// libpng, libwebp in a WASM module of its own, loaded on first use). On a browser page the work runs
// in a pool of workers; in workers, Node and workerd it runs in the calling thread.
import { type PoolConfig, configurePool, runInPool } from './pool.js';
import type { ProcessedImage, ProcessImageOptions } from './options.js';
import { type ImageWasmSource, processHere } from './run.js';

export type { ImageInfo, ImageOutput, ImageVariantOptions, ProcessedImage, ProcessImageOptions } from './options.js';
export type { ImageWasmSource } from './run.js';

/** Where the work runs and where the files are; call before the first processImage if the defaults do not fit. */
export interface ImageConfig extends PoolConfig {}

/** Sets the browser pool's size, worker URL, WASM URL and idle time. */
export function configureImage(c: ImageConfig): void {
  configurePool(c);
}

/** A browser page (not a worker, not Node, not workerd): the only place a pool is worth it. */
const onPage = () => typeof window === 'object' && typeof document === 'object' && typeof Worker === 'function';

/**
 * Decodes `input` (JPEG, PNG or WebP; EXIF orientation applied), fits it inside maxWidth × maxHeight
 * (never upscaling), encodes it (WebP by default), strips its metadata, and makes every named variant
 * from the same decode. Rejects with a Vs3Error: unsupported_image (HEIC, AVIF, GIF…), corrupt_image,
 * truncated_image, image_too_large (pixel or byte limit), image_memory_limit, bad_image_options,
 * aborted.
 *
 * On a browser page the work goes to a worker pool (the page's thread stays free); elsewhere it runs
 * here. `wasm` gives the module explicitly (workerd: the imported WebAssembly.Module) and runs here.
 */
export function processImage(input: Blob, options: ProcessImageOptions & { wasm?: ImageWasmSource } = {}): Promise<ProcessedImage> {
  if (onPage() && options.wasm === undefined) return runInPool(input, options);
  return processHere(input, options);
}

/**
 * An upload `transform` (AddOptions.transform) that runs processImage: the upload sends the processed
 * image (the queue renames it to its new extension), and each named variant is stored under its key.
 * `upload(file, { route: 'photos', transform: imageTransform({ maxWidth: 2560, variants: { thumb: { maxWidth: 256 } } }) })`.
 */
export function imageTransform(
  options: Omit<ProcessImageOptions, 'signal'> & { wasm?: ImageWasmSource } = {},
): (file: Blob, ctx: { signal: AbortSignal }) => Promise<ProcessedImage> {
  return (file, ctx) => processImage(file, { ...options, signal: ctx.signal });
}
