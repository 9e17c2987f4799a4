// Upload routes: what each endpoint accepts, declared in code on the server.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { Vs3Error } from '../errors.js';
import { isActiveType } from '../sniff.js';
import type { RateLimitRule } from './ratelimit.js';
import { hasUnsafeText, parseSize } from './util.js';

/**
 * A size in bytes: a non-negative integer, or a string such as "16MB" or "1.5 GiB" (B; KB, MB, GB, TB
 * are powers of 1000; KiB, MiB, GiB, TiB powers of 1024). Anything else throws when the handler is created.
 */
export type SizeLike = number | string;

/** The file an upload is for, as the handler checked it. */
export interface FileInfo {
  /** The file name (NFC-normalized; no path separators or control characters). */
  name: string;
  /** Bytes. */
  size: number;
  /** The Content-Type it is stored with (normalized, checked against the route). */
  type: string;
  /** SHA-256 (lowercase hex) of the content: the client's, or storage's when completion verified it. */
  sha256?: string | undefined;
}

/** What a route's `key()` and `object` functions are given. */
export interface KeyContext<M> {
  /** The route's name. */
  route: string;
  /** The file to be uploaded (sha256 only when the client sent one). */
  file: FileInfo;
  /** The client's metadata, as the route's schema produced it. */
  metadata: M;
  /** What `authorize` returned (undefined without authorize). */
  auth: unknown;
  /** A fresh random id (UUID v4), handy for unique keys. */
  id: string;
  /** The file name made safe for object keys. */
  safeName: string;
}

/** What `onUploadComplete` is given. */
export interface CompleteContext<M> {
  /** The route's name. */
  route: string;
  /** The stored object's key. */
  key: string;
  /** The file as uploaded; sha256 as verified when `verified` is true. */
  file: FileInfo;
  /** The metadata given at presign (signed into the upload token). */
  metadata: M;
  /** The completion request (e.g. for the session). */
  request: Request;
  /** True when no bytes were uploaded: `key` is an existing object with the same SHA-256 (dedupe). */
  deduplicated?: boolean;
  /**
   * Set when this is a variant (RouteConfig.variants) stored beside another upload: its name and the
   * original's key. The original's completion ran this hook already; record or check the variant here.
   */
  variant?: {
    /** The variant's name (e.g. "thumb"). */
    name: string;
    /** The original's key. */
    of: string;
  };
  /**
   * True when something other than the client's word proved the stored bytes' SHA-256 (file.sha256):
   * storage's checksum (AWS S3, R2), the local driver's hash, or the handler's read-back.
   */
  verified: boolean;
}

/** What a route's `scan` hook is given. */
export interface ScanContext<M> {
  /** The route's name. */
  route: string;
  /** The stored object's key. */
  key: string;
  /** The file as uploaded (its bytes are verified by now when storage or read-back could prove them). */
  file: FileInfo;
  /** The metadata given at presign. */
  metadata: M;
  /** The completion request. */
  request: Request;
  /** The stored object's bytes, streamed from storage. */
  read(): Promise<ReadableStream<Uint8Array>>;
}

/** How the stored object is kept (S3 driver): signed into single-PUT URLs, sent at multipart create. */
export interface ObjectOptions<M> {
  /**
   * Server-side encryption: 'AES256' (SSE-S3), or { kmsKeyId } (SSE-KMS; AWS KMS key id or ARN, or
   * the key name on Ceph RGW). SSE-C is a driver option (s3Storage sseCustomerKey).
   */
  sse?:
    | 'AES256'
    | {
        /** The KMS key (id or ARN on AWS; the key name on Ceph RGW). */
        kmsKeyId: string;
      };
  /** Stored Cache-Control, served with every GET (e.g. "public, max-age=31536000, immutable"). */
  cacheControl?: string;
  /** Stored Content-Disposition (download URLs in completion answers still override it). */
  contentDisposition?: string;
  /** Object tags (at most 10; keys up to 128 characters, values up to 256), e.g. for lifecycle rules. */
  tags?: Record<string, string> | ((ctx: KeyContext<M>) => Record<string, string> | Promise<Record<string, string>>);
  /** Extra user metadata (x-amz-meta-*; names [a-z0-9-], at most 2 KiB in all). */
  metadata?: Record<string, string> | ((ctx: KeyContext<M>) => Record<string, string> | Promise<Record<string, string>>);
}

/** What a custom dedupe index's `findExisting` is given. */
export interface DedupeContext {
  /** The route's name. */
  route: string;
  /** Size of the file the client is about to upload; a match must have the same size. */
  size: number;
  /** The request asking (e.g. to scope the index per user). */
  request: Request;
}

/** Your own dedupe index for a route (`dedupe: { findExisting }`), instead of the handler's marker objects. */
export interface DedupeIndex {
  /** The key of an object in this storage with this SHA-256, or null. The handler HEADs it before use. */
  findExisting(
    sha256: string,
    ctx: DedupeContext,
  ): Promise<{
    /** The existing object's key. */
    key: string;
  } | null>;
}

/**
 * An upload route: what it accepts, who may use it and what happens on completion. Declare with
 * {@link defineRoute}. `M` is the metadata its schema produces, `I` what the schema takes from the
 * client, and `R` what `onUploadComplete` returns: the three types `@vs3/react` infers end to end.
 */
export interface RouteConfig<M = unknown, R = unknown, I = M> {
  /** Largest accepted file: bytes, or "16MB", "1GiB". Required: no route is unbounded. */
  maxFileSize: SizeLike;
  /** Smallest accepted file (bytes or a size string); smaller ones get 400 file_too_small. Default 0. */
  minFileSize?: SizeLike;
  /**
   * MIME types ("image/png", "image/*") and/or extensions (".png"). A file must match one of the
   * MIME entries if any are given, AND one of the extension entries if any are given.
   * Omitted: any type.
   */
  allowedFileTypes?: string[];
  /** Standard Schema (zod, valibot, arktype, ...) for client metadata. Omitted: no metadata accepted. */
  metadata?: StandardSchemaV1<I, M>;
  /** Require the client's SHA-256 (signed into the upload). Default true. */
  requireChecksum?: boolean;
  /** Seconds the presigned URL stays valid. Default 600. */
  expiresIn?: number;
  /** Decide who may upload: throw (Vs3Error or anything) or return false to refuse with 403. */
  authorize?: (request: Request) => unknown | Promise<unknown>;
  /**
   * Who an upload belongs to, from what `authorize` returned (e.g. `(auth) => auth.userId`). Signed
   * (as an HMAC) into multipart tokens; /multipart/resume then refuses anyone else, so an upload
   * recorded in a shared browser cannot be finished by the next user of the route. Without it, any
   * request `authorize` allows may resume an upload whose token it holds.
   */
  owner?: (auth: unknown) => string | undefined | Promise<string | undefined>;
  /** Server-side object key. Default: `${route}/${id}/${safeName}`. */
  key?: (ctx: KeyContext<M>) => string | Promise<string>;
  /**
   * Runs after storage has confirmed the object; its return value is sent to the client as `result`.
   * It runs once per upload as far as the handler's `completions` store remembers (replays get the
   * recorded answer); the default store is in-process only, so make it idempotent on `key` (e.g. an upsert).
   */
  onUploadComplete?: (ctx: CompleteContext<M>) => R | Promise<R>;
  /**
   * Server-side read-back: when storage cannot prove the stored bytes' SHA-256 (Ceph RGW, which
   * ignores x-amz-checksum-*; multipart objects on every S3, whose checksums are of parts), completion
   * streams the object back and hashes it (memory: one chunk). A mismatch with the client's SHA-256
   * deletes the object (409 upload_mismatch). Objects larger than this complete with
   * `verified: false`. Bytes or "1GiB"; false never reads back. Default "1GiB".
   */
  readBack?: SizeLike | false;
  /**
   * Magic-byte check of the stored object's first bytes against the declared type at completion;
   * a mismatch deletes the object (415 content_mismatch). See checkContent in sniff.ts for the rules.
   * Default: on for routes with allowedFileTypes.
   */
  checkContent?: boolean;
  /**
   * Runs at completion after the bytes were verified and before onUploadComplete (e.g. a virus
   * scan): return false (or throw a Vs3Error) to refuse; the object is deleted and the client gets
   * 422 content_rejected. Other errors are 500s (reported to onError) and the object stays, so the
   * client's retry scans again.
   */
  scan?: (ctx: ScanContext<M>) => unknown | Promise<unknown>;
  /** How the object is stored: encryption, Cache-Control, tags, metadata (S3 driver; see ObjectOptions). */
  object?: ObjectOptions<M>;
  /**
   * Download URLs in completion answers serve raster images (JPEG, PNG, GIF, WebP, AVIF) inline, for
   * <img> previews. Everything else, and everything by default, is served as an attachment.
   */
  inlineImages?: boolean;
  /**
   * Variants (e.g. thumbnails from vs3/image's transform) may be stored under an upload's key, as
   * `<key>.variants/<name>.<ext>` (the extension from its type): true for any name, or the names
   * allowed. A variant upload proves it belongs to a stored upload of this route with that upload's
   * token (and, with `owner`, the same owner), within a day of it; it passes the route's type, size
   * and content checks and scan like any file, is never deduplicated, and runs onUploadComplete with
   * `variant` set. Default false.
   */
  variants?: boolean | readonly string[];
  /**
   * This route's rate limits instead of the handler's rateLimit.rules (one rule for every endpoint,
   * or one per endpoint); false: none on this route. Needs the handler's rateLimit option (store, key).
   */
  rateLimit?: false | RateLimitRule | Partial<Record<string, RateLimitRule>>;
  /**
   * Skip uploads whose SHA-256 this route already stored. `true`: the handler keeps its own index,
   * a marker object `.vs3/dedupe/{route}/{sha256}.json` written at each completion. Or supply
   * `findExisting` to use your own index (e.g. scoped per user). The hash is the client's claim:
   * see docs/architecture.md, "Dedupe index", before enabling this across users.
   */
  dedupe?: boolean | DedupeIndex;
}

/**
 * A route of whatever metadata type. `any` rather than `unknown` on purpose: a route's functions
 * take its own metadata type (contravariant) and its schema produces it (covariant), so no other
 * type argument admits every route. The handler validates metadata with each route's own schema.
 */
// biome-ignore lint/suspicious/noExplicitAny: the one place routes of different metadata types meet (see above)
export type AnyRouteConfig = RouteConfig<any, any, any>;

/**
 * Declares a route; returns `config` unchanged, typed so that the metadata schema's output type flows
 * into `key`, `onUploadComplete` and the other hooks. Checked when the handler is created (createHandler throws).
 */
export function defineRoute<M = undefined, R = unknown, I = M>(config: RouteConfig<M, R, I>): RouteConfig<M, R, I> {
  return config;
}

/** A route with its sizes parsed and its type rules split, checked once at handler creation. */
export interface CompiledRoute {
  name: string;
  config: AnyRouteConfig;
  maxFileSize: number;
  minFileSize: number;
  mimePatterns: string[];
  extensions: string[];
  expiresIn: number;
  /** Largest object read back at completion (0: never). */
  readBack: number;
  checkContent: boolean;
}

const MIME_RE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const MIME_PATTERN_RE = /^([a-z0-9][a-z0-9!#$&^_.+-]*)\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/;
/** One PUT (S3's limit); /presign only. */
export const SINGLE_PUT_LIMIT = 5 * 1024 ** 3;
/** S3 multipart limits: parts of 5 MiB..5 GiB (the last may be smaller), at most 10,000 of them. */
export const MIN_PART_SIZE = 5 * 1024 ** 2;
/** Largest part: 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
/** Most parts in one multipart upload: 10,000. */
export const MAX_PARTS = 10_000;
/** Largest multipart object: 10,000 parts of 5 GiB (about 48.8 TiB). */
export const MULTIPART_LIMIT = MAX_PART_SIZE * MAX_PARTS;

export function compileRoute(name: string, config: AnyRouteConfig): CompiledRoute {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error(`vs3: route name ${JSON.stringify(name)} must match [A-Za-z0-9_-]{1,64}`);
  const maxFileSize = parseSize(config.maxFileSize);
  const minFileSize = config.minFileSize === undefined ? 0 : parseSize(config.minFileSize);
  if (minFileSize > maxFileSize) throw new Error(`vs3: route ${name}: minFileSize > maxFileSize`);
  const mimePatterns: string[] = [];
  const extensions: string[] = [];
  for (const t of config.allowedFileTypes ?? []) {
    const v = t.trim().toLowerCase();
    if (/^\.[a-z0-9][a-z0-9._+-]*$/.test(v)) extensions.push(v);
    else if (MIME_PATTERN_RE.test(v)) mimePatterns.push(v);
    else throw new Error(`vs3: route ${name}: allowedFileTypes entry ${JSON.stringify(t)} is neither a MIME type nor an .extension`);
  }
  const expiresIn = config.expiresIn ?? 600;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 7 * 24 * 3600) {
    throw new Error(`vs3: route ${name}: expiresIn must be 1..604800 seconds`);
  }
  const d = config.dedupe;
  if (d !== undefined && typeof d !== 'boolean' && typeof d?.findExisting !== 'function') {
    throw new Error(`vs3: route ${name}: dedupe must be a boolean or { findExisting(sha256, ctx) }`);
  }
  const readBack = config.readBack === false ? 0 : parseSize(config.readBack ?? '1GiB');
  const checkContent = config.checkContent ?? Boolean(config.allowedFileTypes?.length);
  if (config.scan !== undefined && typeof config.scan !== 'function') throw new Error(`vs3: route ${name}: scan must be a function`);
  const o = config.object;
  if (o) {
    const sse = o.sse;
    if (sse !== undefined && sse !== 'AES256' && !(typeof sse === 'object' && typeof sse.kmsKeyId === 'string' && HEADER_VALUE.test(sse.kmsKeyId))) {
      throw new Error(`vs3: route ${name}: object.sse must be 'AES256' or { kmsKeyId }`);
    }
    for (const k of ['cacheControl', 'contentDisposition'] as const) {
      if (o[k] !== undefined && !(typeof o[k] === 'string' && HEADER_VALUE.test(o[k])))
        throw new Error(`vs3: route ${name}: object.${k} must be printable ASCII`);
    }
    if (typeof o.tags === 'object') objectTags(o.tags, (m) => new Error(`vs3: route ${name}: object.tags: ${m}`));
    if (typeof o.metadata === 'object') objectMetadata(o.metadata, (m) => new Error(`vs3: route ${name}: object.metadata: ${m}`));
  }
  return { name, config, maxFileSize, minFileSize, mimePatterns, extensions, expiresIn, readBack, checkContent };
}

/**
 * Extensions and the types a file with that name may be declared as (the first is the one used
 * when no type is declared). A name and a type that disagree are refused on every route: an
 * "evil.html" declared image/png, a "photo.png" declared text/html. Extensions not listed here take
 * any (allowed) type; application/octet-stream goes with any name.
 */
/** The extension a file of this type is named with (the first entry whose preferred type it is), or ''. */
export function extensionForType(type: string): string {
  for (const [ext, types] of Object.entries(EXT_TYPES)) if (types[0] === type) return ext;
  return '';
}

const EXT_TYPES: Record<string, string[]> = {
  '.jpg': ['image/jpeg', 'image/pjpeg', 'image/jpg'],
  '.jpeg': ['image/jpeg', 'image/pjpeg', 'image/jpg'],
  '.jfif': ['image/jpeg', 'image/pjpeg'],
  '.png': ['image/png', 'image/x-png', 'image/apng'],
  '.apng': ['image/apng', 'image/png'],
  '.gif': ['image/gif'],
  '.webp': ['image/webp'],
  '.avif': ['image/avif'],
  '.heic': ['image/heic', 'image/heif'],
  '.heif': ['image/heif', 'image/heic'],
  '.bmp': ['image/bmp', 'image/x-ms-bmp'],
  '.tif': ['image/tiff'],
  '.tiff': ['image/tiff'],
  '.ico': ['image/x-icon', 'image/vnd.microsoft.icon'],
  '.jxl': ['image/jxl'],
  '.svg': ['image/svg+xml'],
  '.svgz': ['image/svg+xml'],
  '.html': ['text/html'],
  '.htm': ['text/html'],
  '.xhtml': ['application/xhtml+xml'],
  '.xml': ['application/xml', 'text/xml'],
  '.js': ['text/javascript', 'application/javascript', 'application/x-javascript'],
  '.mjs': ['text/javascript', 'application/javascript'],
  '.css': ['text/css'],
  '.pdf': ['application/pdf'],
  '.txt': ['text/plain'],
  '.md': ['text/markdown', 'text/plain', 'text/x-markdown'],
  '.csv': ['text/csv', 'application/vnd.ms-excel', 'text/plain'],
  '.tsv': ['text/tab-separated-values', 'text/plain'],
  '.json': ['application/json'],
  '.zip': ['application/zip', 'application/x-zip-compressed'],
  '.gz': ['application/gzip', 'application/x-gzip'],
  '.tar': ['application/x-tar'],
  '.7z': ['application/x-7z-compressed'],
  '.rar': ['application/vnd.rar', 'application/x-rar-compressed'],
  '.docx': ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  '.xlsx': ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  '.pptx': ['application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  '.mp4': ['video/mp4'],
  '.m4v': ['video/mp4', 'video/x-m4v'],
  '.mov': ['video/quicktime'],
  '.webm': ['video/webm', 'audio/webm'],
  '.mkv': ['video/x-matroska'],
  '.avi': ['video/x-msvideo'],
  '.mp3': ['audio/mpeg', 'audio/mp3'],
  '.m4a': ['audio/mp4', 'audio/x-m4a'],
  '.wav': ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'],
  '.ogg': ['audio/ogg', 'video/ogg', 'application/ogg'],
  '.oga': ['audio/ogg'],
  '.flac': ['audio/flac', 'audio/x-flac'],
  '.exe': ['application/vnd.microsoft.portable-executable', 'application/x-msdownload', 'application/x-msdos-program'],
  '.dll': ['application/vnd.microsoft.portable-executable', 'application/x-msdownload'],
  '.wasm': ['application/wasm'],
  '.sh': ['text/x-shellscript', 'application/x-sh'],
  '.bin': ['application/octet-stream'],
};

/** ".png" for "a.b.PNG"; "" for "README" and for dotfiles like ".env" or "..hidden". */
export function extensionOf(name: string): string {
  const m = /[^.](\.[^.]+)$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

const utf8Len = (s: string) => new TextEncoder().encode(s).length;
const HEADER_VALUE = /^[\x20-\x7e]{1,1024}$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** x-amz-tagging for tags (validated: at most 10, keys 1..128, values 0..256 characters). */
export function objectTags(tags: Record<string, string>, fail: (m: string) => Error): string {
  const entries = Object.entries(tags);
  if (entries.length > 10) throw fail('at most 10 tags');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length < 1 || k.length > 128 || v.length > 256)
      throw fail(`tag ${JSON.stringify(k).slice(0, 40)}: keys 1..128, values 0..256 characters`);
    // S3's tag alphabet: letters, digits, spaces and + - = . _ : / @
    if (!TAG_TEXT.test(k) || !TAG_TEXT.test(v)) throw fail(`tag ${JSON.stringify(k).slice(0, 40)}: letters, digits, spaces and + - = . _ : / @ only`);
  }
  return entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** x-amz-meta-* headers for metadata (validated: names [a-z0-9-], printable ASCII values, 2 KiB in all). */
export function objectMetadata(meta: Record<string, string>, fail: (m: string) => Error): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const [k, v] of Object.entries(meta)) {
    const name = k.toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name) || name.startsWith('vs3-')) throw fail(`name ${JSON.stringify(k).slice(0, 40)}: [a-z0-9-], not vs3-*`);
    if (typeof v !== 'string' || !/^[\x20-\x7e]*$/.test(v)) throw fail(`${name}: values must be printable ASCII`);
    size += name.length + v.length;
    out[`x-amz-meta-${name}`] = v;
  }
  if (size > 2048) throw fail('over 2 KiB');
  return out;
}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Rejects names that are not plain file names: separators, traversal, control characters. */
export function validateFileName(raw: unknown): string {
  if (typeof raw !== 'string') throw new Vs3Error('invalid_file_name', 'file.name must be a string');
  if (LONE_SURROGATE.test(raw)) throw new Vs3Error('invalid_file_name', 'file name is not well-formed Unicode');
  const name = raw.normalize('NFC');
  if (name.length === 0 || utf8Len(name) > 255) throw new Vs3Error('invalid_file_name', 'file name must be 1..255 bytes');
  // Control characters, and the invisible ones that disguise a name: bidi overrides (U+202E makes
  // "gpj.exe" read as "exe.jpg"), line/paragraph separators, zero-width characters.
  if (hasUnsafeText(name)) {
    throw new Vs3Error('invalid_file_name', 'file name contains control or invisible formatting characters');
  }
  if (/[\\/]/.test(name)) throw new Vs3Error('invalid_file_name', 'file name must not contain path separators');
  if (name.trim() === '.' || name.trim() === '..' || name.trim() === '') throw new Vs3Error('invalid_file_name', 'file name is not a file name');
  return name;
}

/** A conservative, key-safe version of a (validated) file name: [A-Za-z0-9._-], at most 100 chars. */
export function sanitizeFileName(name: string): string {
  const rawExt = extensionOf(name);
  const ext = rawExt.replace(/[^a-z0-9.]/g, '').slice(0, 16);
  const stem = (ext ? name.slice(0, name.length - rawExt.length) : name)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, 100 - ext.length);
  return (stem || 'file') + (ext.length > 1 ? ext : '');
}

/** Object keys must be relative, with no empty, '.' or '..' segments and no control characters. */
// A key() made from client input (a file name, metadata) that is not a usable key is the request's
// fault as far as the client can tell: 400 invalid_key, never a 500.
export function validateKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || utf8Len(key) > 1024) throw new Vs3Error('invalid_key', 'object key must be 1..1024 bytes');
  // A lone surrogate has no UTF-8 form: no storage can name an object with it.
  if (LONE_SURROGATE.test(key)) throw new Vs3Error('invalid_key', 'object key is not well-formed Unicode');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) throw new Vs3Error('invalid_key', 'object key has control characters or backslashes');
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw new Vs3Error('invalid_key', "object key has an empty, '.' or '..' segment");
    // File systems (the local driver, many S3 gateways' back ends) take names of at most 255 bytes.
    if (utf8Len(seg) > 240) throw new Vs3Error('invalid_key', 'object key has a segment over 240 bytes');
  }
  return key;
}

/** Normalizes and checks the declared type against the route. Returns the Content-Type to sign. */
export function checkType(route: CompiledRoute, name: string, declared: unknown): string {
  if (declared !== undefined && declared !== null && typeof declared !== 'string') {
    throw new Vs3Error('invalid_file_type', 'file.type must be a string', 415);
  }
  const ext = extensionOf(name);
  let type = (declared ?? '').trim().toLowerCase();
  if (type === '') type = EXT_TYPES[ext]?.[0] ?? 'application/octet-stream';
  if (!MIME_RE.test(type) || type.length > 127) throw new Vs3Error('invalid_file_type', `"${type}" is not a valid MIME type`, 415);
  const forExt = EXT_TYPES[ext];
  if (forExt && !forExt.includes(type) && type !== 'application/octet-stream') {
    throw new Vs3Error('invalid_file_type', `a "${ext}" file cannot be declared ${type} (expected ${forExt[0]})`, 415);
  }
  if (route.mimePatterns.length) {
    // A wildcard ("image/*", "text/*") never matches a type browsers run as a page (SVG, HTML, XML,
    // scripts): a route takes those only if it lists them exactly.
    const ok = route.mimePatterns.some((p) => (p.endsWith('/*') ? !isActiveType(type) && type.startsWith(p.slice(0, -1)) : p === type));
    if (!ok) throw new Vs3Error('invalid_file_type', `type ${type} is not allowed here (allowed: ${route.mimePatterns.join(', ')})`, 415);
  }
  if (route.extensions.length && !route.extensions.includes(ext)) {
    throw new Vs3Error('invalid_file_type', `extension "${ext || '(none)'}" is not allowed here (allowed: ${route.extensions.join(', ')})`, 415);
  }
  // A route with no type rules takes anything, but stores pages and scripts (HTML, SVG, XML, JS) as
  // plain bytes: they are never served with a type a browser would run from the storage's origin.
  if (!route.mimePatterns.length && isActiveType(type)) return 'application/octet-stream';
  return type;
}

export function checkSize(route: CompiledRoute, size: unknown): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new Vs3Error('invalid_request', 'file.size must be a non-negative integer');
  }
  if (size > route.maxFileSize) throw new Vs3Error('file_too_large', `file is ${size} bytes; this route takes at most ${route.maxFileSize}`, 413);
  if (size < route.minFileSize) throw new Vs3Error('file_too_small', `file is ${size} bytes; this route needs at least ${route.minFileSize}`);
  return size;
}

export function checkSha256(route: CompiledRoute, sha: unknown): string | undefined {
  if (sha === undefined || sha === null) {
    if (route.config.requireChecksum === false) return undefined;
    throw new Vs3Error('invalid_checksum', 'file.sha256 is required on this route');
  }
  if (typeof sha !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha)) throw new Vs3Error('invalid_checksum', 'file.sha256 must be 64 hex digits');
  return sha.toLowerCase();
}

const MAX_METADATA_BYTES = 4096;

const MAX_METADATA_DEPTH = 32;

/** Nesting depth of a JSON value (iterative); stops counting past `limit`. */
function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

export async function checkMetadata(route: CompiledRoute, metadata: unknown): Promise<unknown> {
  const schema = route.config.metadata;
  if (!schema) {
    if (metadata === undefined || metadata === null) return undefined;
    throw new Vs3Error('invalid_metadata', 'this route accepts no metadata');
  }
  // Depth first, without recursion: metadata nested thousands deep would overflow the stack of
  // JSON.stringify (and of most schema validators) and turn bad input into a 500.
  if (depthOf(metadata, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH) {
    throw new Vs3Error('invalid_metadata', `metadata is nested deeper than ${MAX_METADATA_DEPTH} levels`);
  }
  if (utf8Len(JSON.stringify(metadata ?? null)) > MAX_METADATA_BYTES) {
    throw new Vs3Error('invalid_metadata', `metadata exceeds ${MAX_METADATA_BYTES} bytes`);
  }
  const result = await schema['~standard'].validate(metadata);
  if (result.issues) {
    const issues = result.issues.map((i) => ({
      message: i.message,
      path: i.path?.map((p) => (typeof p === 'object' && p !== null && 'key' in p ? p.key : p)),
    }));
    throw new Vs3Error('invalid_metadata', issues.map((i) => i.message).join('; ') || 'metadata is invalid', 400, { issues });
  }
  return result.value;
}
