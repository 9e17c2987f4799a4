// Types for the Emscripten/Embind image module built from wasm/bindings/image_embind.cpp
// (build/wasm/vs3image.mjs + vs3image.wasm), separate from the core module so that the codecs are
// loaded only when an image is processed. Users reach it through processImage() of vs3/image; these
// raw bindings are driven by that wrapper.

/** One output of the pipeline, as the wrapper passes it to ImageProcessor.process. */
export interface ImageVariantSpec {
  /** Free text, returned in RawImageVariant.name. */
  name: string;
  /** Upper bound of the upright output width in pixels; 0 = unbounded; integer 0..65535. */
  maxWidth: number;
  /** Upper bound of the upright output height in pixels; 0 = unbounded (both 0: original size). */
  maxHeight: number;
  format: 'webp' | 'jpeg';
  /** Integer 0..100. */
  quality: number;
  /** WebP only: lossless encoding. */
  lossless: boolean;
  /** WebP only: effort, integer 0 (fast) ..6 (smallest). */
  method: number;
  /** JPEG only: progressive encoding. */
  progressive: boolean;
}

/** Options of one ImageProcessor.process call; every field is required and checked (bad_image_options). */
export interface RawImageOptions {
  /** Width x height above this is refused from the header (image_too_large); integer >= 1. */
  maxPixels: number;
  /** Estimated decode + resize + encode memory above this is refused (image_memory_limit); bytes, >= 1. */
  maxMemory: number;
  /** Embed the input's ICC profile in every output (otherwise outputs carry no metadata at all). */
  keepIcc: boolean;
  /** Apply the EXIF orientation (maxWidth/maxHeight then apply to the upright image). */
  autoOrient: boolean;
  /** 1..16 outputs, all made from one decode. */
  variants: ImageVariantSpec[];
}

/** What the header says (filled as far as it was read, also on errors). */
export interface RawImageInfo {
  /** Sniffed from the magic bytes: image/jpeg, image/png, image/webp, image/gif, image/heic, image/avif, ..., application/octet-stream. */
  type: string;
  /** As stored, before orientation. */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
  hasAlpha: boolean;
  /** Animated WebP (or APNG): only the first frame is processed. */
  animated: boolean;
  frames: number;
  hasIcc: boolean;
}

export interface RawImageVariant {
  name: string;
  /** Upright output size. */
  width: number;
  height: number;
  /** image/webp or image/jpeg. */
  type: string;
  /** The encoded file: a JS-owned copy, not a view of the WASM heap. */
  data: Uint8Array;
}

export interface RawImageResult {
  /**
   * '' when ok, else a stable code: unsupported_image, corrupt_image, truncated_image, image_too_large,
   * image_memory_limit, bad_image_options, encode_failed.
   */
  error: string;
  /** Human-readable reason when error is not ''. */
  message: string;
  info: RawImageInfo;
  /** In the order of RawImageOptions.variants; empty on error. */
  variants: RawImageVariant[];
}

/** Holds one input buffer in the WASM heap. Free it with delete(). */
export interface ImageProcessor {
  /**
   * A view of n bytes of input buffer in the WASM heap to copy the file into; valid until the next
   * call into the module. Shorter than n (empty) if the memory could not be allocated.
   */
  input(n: number): Uint8Array;
  /** Decodes the first n bytes of the input buffer once and makes every variant. */
  process(n: number, options: RawImageOptions): RawImageResult;
  /** Reads only the header of the first n bytes of the input buffer (variants is empty). */
  probe(n: number): RawImageResult;
  /** Frees the input buffer; input() allocates it again. */
  release(): void;
  /** Frees the processor (Embind); it must not be used afterwards. */
  delete(): void;
}

/** The loaded image module. */
export interface Vs3ImageModule {
  ImageProcessor: new () => ImageProcessor;
  /** The WASM heap (replaced when memory grows: do not keep it across calls). */
  HEAPU8: Uint8Array;
}

/** Emscripten module options for createVs3Image(). */
export interface Vs3ImageOptions {
  /** The bytes of vs3image.wasm, when the runtime cannot fetch it (Node: Emscripten 3.1.6's loader fetches a path). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Instantiates the module yourself (workerd: from an imported WebAssembly.Module); return {}. */
  instantiateWasm?: (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => object;
  /** Maps a file the module needs (vs3image.wasm) to its URL; default: next to vs3image.mjs. */
  locateFile?: (path: string, scriptDirectory: string) => string;
}

declare function createVs3Image(options?: Vs3ImageOptions): Promise<Vs3ImageModule>;
export default createVs3Image;
