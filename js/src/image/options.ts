// processImage's options and results, and their translation into what the C++ pipeline takes
// (RawImageOptions): defaults, checks, the variant list. Shared by the direct runner, the worker and
// the pool; no I/O.
import { Vs3Error, type Vs3ErrorCode } from '../errors.js';
import type { ImageVariantSpec, RawImageOptions } from '../wasm/vs3image.mjs';

/** How one output is made: the box it fits inside (never upscaled) and its encoding. */
export interface ImageVariantOptions {
  /** Largest width of the output, in pixels of the upright image. Unset or 0: no limit. */
  maxWidth?: number;
  /** Largest height of the output. Unset or 0: no limit. */
  maxHeight?: number;
  /** Output format. Default 'webp'. */
  format?: 'webp' | 'jpeg';
  /** Encoder quality, 0–100. Default 80 (ignored for lossless WebP). */
  quality?: number;
  /** WebP only: lossless. Default false. */
  lossless?: boolean;
  /** WebP only: effort, 0 (fast) to 6 (small). Default 4. */
  method?: number;
  /** JPEG only: progressive. Default false. */
  progressive?: boolean;
}

/** Options of processImage: the main output, optional named variants, and the limits. */
export interface ProcessImageOptions extends ImageVariantOptions {
  /**
   * More outputs from the same decode, by name (letters, digits, `-` and `_`, up to 32 characters):
   * e.g. `{ thumb: { maxWidth: 256 }, medium: { maxWidth: 1280 } }`. Each takes the main output's
   * encoding options unless it sets its own.
   */
  variants?: Record<string, ImageVariantOptions>;
  /** Keep the input's ICC colour profile in the outputs. Default false: every piece of metadata is stripped. */
  keepIcc?: boolean;
  /** Apply the EXIF orientation (all 8) so the output is upright. Default true. */
  autoOrient?: boolean;
  /** Refuse images of more pixels than this (from the header, before decoding). Default 100 000 000. */
  maxPixels?: number;
  /** Refuse images whose decode would need more memory than this, in bytes. Default 1 GiB. */
  maxMemory?: number;
  /** Refuse inputs larger than this many bytes before reading them. Default 256 MiB. */
  maxInputBytes?: number;
  /** Aborting rejects with Vs3Error('aborted') (a worker busy with the image is stopped). */
  signal?: AbortSignal;
}

/** One processed output. */
export interface ImageOutput {
  /** The encoded bytes, typed (image/webp or image/jpeg). */
  blob: Blob;
  /** Pixels. */
  width: number;
  /** Pixels. */
  height: number;
  /** MIME type. */
  type: string;
  /** Bytes. */
  size: number;
}

/** What the input was, as its header says. */
export interface ImageInfo {
  /** The sniffed type (image/jpeg, image/png, image/webp). */
  type: string;
  /** Pixels as stored (before orientation). */
  width: number;
  /** Pixels as stored (before orientation). */
  height: number;
  /** Bytes. */
  size: number;
  /** EXIF orientation, 1 (upright) to 8. */
  orientation: number;
  /** It has an alpha channel (PNG with alpha or tRNS, WebP with alpha). */
  hasAlpha: boolean;
  /** An animated WebP: the output is its first frame. */
  animated: boolean;
  /** Frames (1 unless animated). */
  frames: number;
  /** It carries an ICC colour profile (kept in the outputs only with keepIcc). */
  hasIcc: boolean;
}

/** What processImage resolves with: the main output, the named variants, and the input's facts. */
export interface ProcessedImage extends ImageOutput {
  /** The named variants, each made from the same decode. */
  variants: Record<string, ImageOutput>;
  /** The input. */
  original: ImageInfo;
}

const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** The main output's name in the raw variant list (not a valid variant name, so never taken). */
export const MAIN = '';
export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024;

export const badOptions = (message: string) => new Vs3Error('bad_image_options', message, 400);

function intIn(v: unknown, what: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw badOptions(`${what} must be an integer from ${lo} to ${hi}`);
  return v;
}
function boolOf(v: unknown, what: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw badOptions(`${what} must be true or false`);
  return v;
}

function specOf(name: string, o: ImageVariantOptions, base: ImageVariantOptions): ImageVariantSpec {
  const at = name === MAIN ? '' : `variants.${name}.`;
  const pick = <K extends keyof ImageVariantOptions>(k: K) => (o[k] !== undefined ? o[k] : base[k]);
  const format = pick('format') ?? 'webp';
  if (format !== 'webp' && format !== 'jpeg') throw badOptions(`${at}format must be 'webp' or 'jpeg'`);
  return {
    name,
    // The box does not inherit: a variant without one is full size.
    maxWidth: intIn(o.maxWidth, `${at}maxWidth`, 0, 65535, 0),
    maxHeight: intIn(o.maxHeight, `${at}maxHeight`, 0, 65535, 0),
    format,
    quality: intIn(pick('quality'), `${at}quality`, 0, 100, 80),
    lossless: boolOf(pick('lossless'), `${at}lossless`, false),
    method: intIn(pick('method'), `${at}method`, 0, 6, 4),
    progressive: boolOf(pick('progressive'), `${at}progressive`, false),
  };
}

/** Checks processImage's options and turns them into the pipeline's; throws Vs3Error('bad_image_options'). */
export function rawOptions(o: ProcessImageOptions = {}): RawImageOptions {
  if (o === null || typeof o !== 'object') throw badOptions('options must be an object');
  const variants: ImageVariantSpec[] = [specOf(MAIN, o, {})];
  if (o.variants !== undefined) {
    if (o.variants === null || typeof o.variants !== 'object' || Array.isArray(o.variants)) throw badOptions('variants must be an object of name: options');
    const names = Object.keys(o.variants);
    if (names.length > 15) throw badOptions('at most 15 variants');
    for (const name of names) {
      if (!VARIANT_NAME.test(name)) throw badOptions(`variant name ${JSON.stringify(name)}: letters, digits, - and _, up to 32`);
      const v = o.variants[name];
      if (v === null || typeof v !== 'object') throw badOptions(`variants.${name} must be an object`);
      variants.push(specOf(name, v, o));
    }
  }
  return {
    maxPixels: intIn(o.maxPixels, 'maxPixels', 1, 2 ** 40, 100_000_000),
    maxMemory: intIn(o.maxMemory, 'maxMemory', 1, 2 ** 32, 2 ** 30),
    keepIcc: boolOf(o.keepIcc, 'keepIcc', false),
    autoOrient: boolOf(o.autoOrient, 'autoOrient', true),
    variants,
  };
}

/** The pipeline's error codes, with the status a Vs3Error carries for them. */
const STATUS: Partial<Record<Vs3ErrorCode, number>> = {
  unsupported_image: 415,
  corrupt_image: 422,
  truncated_image: 422,
  image_too_large: 413,
  image_memory_limit: 413,
  bad_image_options: 400,
  encode_failed: 500,
};
export function imageError(code: string, message: string): Vs3Error {
  const c = (code in STATUS ? code : 'internal_error') as Vs3ErrorCode;
  return new Vs3Error(c, message || code, STATUS[c] ?? 500);
}

/** The input byte limit: maxInputBytes, checked, or the default. */
export const maxInputOf = (o: ProcessImageOptions) => intIn(o.maxInputBytes, 'maxInputBytes', 1, 2 ** 32, DEFAULT_MAX_INPUT_BYTES);

/** The checks made before reading the input's bytes. */
export function checkInput(input: Blob, maxInputBytes = DEFAULT_MAX_INPUT_BYTES): void {
  if (!(input instanceof Blob)) throw badOptions('processImage takes a Blob or File');
  if (input.size > maxInputBytes) throw new Vs3Error('image_too_large', `the image is ${input.size} bytes; the limit is ${maxInputBytes}`, 413);
  if (input.size === 0) throw new Vs3Error('corrupt_image', 'the image is empty', 422);
}
