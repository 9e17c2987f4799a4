// Local storage: the handler itself serves HMAC-signed, expiring upload and download URLs (single
// PUTs and multipart parts), and a BlobStore keeps the bytes (fsStore in vs3/node for disk,
// memoryStore for tests and edge demos). Parts live apart from objects until completion assembles them.
import { Vs3Error } from '../errors.js';
import { crc32c, crc32cToBase64 } from '../crc32c.js';
import type {
  CompleteMultipartInput,
  CreateMultipartInput,
  DownloadOptions,
  DriverContext,
  MultipartUpload,
  PresignPartInput,
  PresignPutInput,
  PresignedRequest,
  StorageDriver,
  StoredObject,
  StoredPart,
} from './storage.js';
import { Hmac, bytesToHex, encodeKey, errorResponse, json, readCapped } from './util.js';
import { validateKey } from './routes.js';

/** What BlobStore.put is told about the body it stores. */
export interface PutMeta {
  /** Exact body length in bytes: the store refuses any other (content_length_mismatch) and keeps nothing. */
  size: number;
  /** Content-Type to keep with the object. */
  contentType: string;
  /** The store must refuse (checksum_mismatch) and keep nothing when the bytes hash differently. */
  sha256?: string | undefined;
  /** Create only: refuse (alreadyStored(), 412) and keep nothing if the key holds an object. */
  ifNoneMatch?: boolean;
  /** Kept as StoredObject.upload: which upload stored the object. */
  upload?: string | undefined;
}

/** What a store throws for a create-only put on a key that holds an object. */
export const alreadyStored = () => new Vs3Error('already_stored', 'an object is stored under this key already; upload URLs cannot replace it', 412);

/**
 * Where localStorage() keeps bytes: memoryStore() (tests, demos), fsStore(dir) from vs3/node (disk), or
 * your own. Every write is atomic and verified (use readExactly / readVerifiedPart on bodies).
 */
export interface BlobStore {
  /**
   * Stores exactly meta.size bytes from body, atomically: on any failure (wrong length, wrong
   * checksum, aborted stream) nothing is left behind and a Vs3Error is thrown.
   */
  put(key: string, body: ReadableStream<Uint8Array>, meta: PutMeta): Promise<StoredObject>;
  /** What is stored under `key` (with the SHA-256 the store computed), or null. */
  head(key: string): Promise<StoredObject | null>;
  /** The object's bytes and what is known about it, or null when there is no such object. */
  get(key: string): Promise<{
    /** The bytes, streamed. */
    body: ReadableStream<Uint8Array>;
    /** As head() answers. */
    info: StoredObject;
  } | null>;
  /** Removes an object (gone already is fine). */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix` (default ''), at most `limit`. */
  list(opts?: { prefix?: string; limit?: number }): Promise<StoredObject[]>;

  // Multipart. Parts are kept apart from objects (never visible to head/get/list) until the driver
  // streams them, in order, through put() into the final object, then deletes the upload.
  /** Starts an upload with a new id (a UUID: the local driver refuses other ids). */
  createMultipart(key: string, contentType: string): Promise<StoredUpload>;
  /** null when there is no such upload (never created, completed or aborted). */
  getMultipart(uploadId: string): Promise<StoredUpload | null>;
  /**
   * Stores one part atomically, refusing (and keeping nothing) unless the body is exactly meta.size
   * bytes with CRC32C meta.crc32c (use readVerifiedPart). upload_not_found (404) without the upload.
   * A part stored again under the same number replaces the earlier one.
   */
  putPart(uploadId: string, partNumber: number, body: ReadableStream<Uint8Array>, meta: { size: number; crc32c: string }): Promise<StoredPart>;
  /** Ascending by part number; null when there is no such upload. */
  listParts(uploadId: string): Promise<StoredPart[] | null>;
  /** A stored part's bytes, or null when the upload or part does not exist. */
  getPart(uploadId: string, partNumber: number): Promise<ReadableStream<Uint8Array> | null>;
  /** Removes the upload and its parts; false if there was none. */
  deleteMultipart(uploadId: string): Promise<boolean>;
  /** Uploads not completed or aborted whose key starts with `prefix` (default ''). */
  listMultipartUploads(prefix?: string): Promise<StoredUpload[]>;
}

/** A multipart upload as a BlobStore keeps it. */
export interface StoredUpload extends MultipartUpload {
  /** Content-Type the assembled object gets. */
  contentType: string;
}

/** Upload ids are made by the stores (UUIDs); anything else in a URL or path is refused. */
export const isUploadId = (s: unknown): s is string => typeof s === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);

/**
 * readExactly plus the part's CRC32C, checked at the end: throws checksum_mismatch (or
 * content_length_mismatch) so the BlobStore keeps nothing. Returns the part's ETag.
 */
export async function readVerifiedPart(
  body: ReadableStream<Uint8Array>,
  meta: { size: number; crc32c: string },
  onChunk: (chunk: Uint8Array) => unknown,
): Promise<string> {
  let crc = 0;
  await readExactly(body, meta.size, (c) => {
    crc = crc32c(c, crc);
    return onChunk(c);
  });
  if (crc32cToBase64(crc) !== meta.crc32c) throw new Vs3Error('checksum_mismatch', 'part CRC32C differs from the signed one', 400);
  return `"${crc.toString(16).padStart(8, '0')}-${meta.size}"`;
}

/** The parts' bytes, one after the other, read lazily: memory stays at one chunk. */
function concatParts(store: BlobStore, uploadId: string, parts: StoredPart[]): ReadableStream<Uint8Array> {
  let i = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (!reader) {
          if (i >= parts.length) return controller.close();
          const n = parts[i++]!.partNumber;
          const stream = await store.getPart(uploadId, n);
          if (!stream) throw new Vs3Error('upload_incomplete', `part ${n} disappeared while assembling`, 409, { missing: [n], wrongSize: [] });
          reader = stream.getReader();
        }
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        reader = null;
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
}

/** Options of {@link localStorage}. */
export interface LocalOptions {
  /** Where the bytes go: memoryStore(), fsStore(dir) (vs3/node) or your own. */
  store: BlobStore;
  /** At least 32 characters; signs the URLs. */
  secret: string;
  /**
   * Milliseconds an upload body may send nothing before it is dropped (408 request_timeout, nothing
   * kept): a client that opens a 1 GiB PUT and trickles a byte a minute holds no temp file and no
   * socket for long. Default 30,000.
   */
  idleTimeout?: number;
  /**
   * Upload bodies (PUTs and parts) read at once; more are refused at once with 503 too_busy and
   * Retry-After (the client retries). Default 64.
   */
  maxConcurrentUploads?: number;
}

/** The body, failing with request_timeout (408) when no chunk arrives for `ms`. */
function idleLimited(body: ReadableStream<Uint8Array>, ms: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Vs3Error('request_timeout', `the upload sent nothing for ${ms} ms`, 408)), ms);
      });
      try {
        const { done, value } = await Promise.race([reader.read(), idle]);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        await reader.cancel(e).catch(() => {});
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

const enc = (parts: (string | number | undefined)[]) => parts.map((p) => String(p ?? '')).join('\n');

/**
 * Driver whose upload and download URLs point at the handler itself (`${basePath}/local/...`, HMAC-signed,
 * expiring), streaming bodies into a BlobStore with length, SHA-256 and part CRC32C checked. Throws an
 * Error for a secret under 32 characters or a non-positive idleTimeout or maxConcurrentUploads.
 */
export function localStorage(opts: LocalOptions): StorageDriver {
  const hmac = new Hmac(opts.secret);
  const { store } = opts;
  const idleTimeout = opts.idleTimeout ?? 30_000;
  const maxUploads = opts.maxConcurrentUploads ?? 64;
  if (!(idleTimeout > 0) || !(maxUploads >= 1)) throw new Error('vs3: localStorage idleTimeout and maxConcurrentUploads must be positive');
  /** Bodies being read, by target (key, or upload id + part): one at a time each; its size is the upload count. */
  const receiving = new Set<string>();

  const putClaims = (key: string, size: number, type: string, sha: string | undefined, tag: string | undefined, exp: number) =>
    enc(['PUT', key, size, type, sha, tag, exp]);
  const partClaims = (key: string, uploadId: string, n: number, size: number, crc: string, exp: number) => enc(['PART', key, uploadId, n, size, crc, exp]);
  const getClaims = (key: string, exp: number, disposition: string | null) => enc(['GET', key, exp, disposition ?? undefined]);

  async function checkSig(url: URL, claims: (exp: number) => string, now: number) {
    const exp = Number(url.searchParams.get('exp'));
    const sig = url.searchParams.get('sig') ?? '';
    if (!Number.isSafeInteger(exp) || !sig || !(await hmac.verify(claims(exp), sig))) {
      throw new Vs3Error('invalid_signature', 'URL signature does not match', 403);
    }
    if (exp <= now) throw new Vs3Error('url_expired', 'URL has expired', 403);
  }

  /** The upload, if it exists and belongs to `key` (a token for another key must not reach it). */
  async function uploadOf(key: string, uploadId: string) {
    if (!isUploadId(uploadId)) return null;
    const u = await store.getMultipart(uploadId);
    return u && u.key === key ? u : null;
  }

  const completing = new Map<string, Promise<boolean>>();
  async function assemble(input: CompleteMultipartInput): Promise<boolean> {
    const u = await uploadOf(input.key, input.uploadId);
    if (!u) return false;
    try {
      // put() hashes while it writes and refuses a SHA-256 other than the client's: nothing is kept then.
      // Create only: never over another upload's object under the same key.
      await store.put(input.key, concatParts(store, input.uploadId, input.parts), {
        size: input.size,
        contentType: u.contentType,
        sha256: input.sha256,
        ifNoneMatch: true,
        ...(input.uploadTag ? { upload: input.uploadTag } : {}),
      });
    } catch (e) {
      if (e instanceof Vs3Error && e.code === 'checksum_mismatch') {
        throw new Vs3Error('upload_mismatch', 'the assembled parts do not hash to the SHA-256 given', 409);
      }
      if (e instanceof Vs3Error && e.code === 'already_stored') {
        throw new Vs3Error('upload_mismatch', 'an object stored by another upload is under this key', 409);
      }
      throw e;
    }
    await store.deleteMultipart(input.uploadId);
    return true;
  }

  return {
    kind: 'local',
    head: (key) => store.head(key),
    // The handler's own objects (.vs3/ dedupe markers) are not listed unless asked for by prefix;
    // they are left out before the limit applies, so `limit` uploads come back when there are that many.
    async list(o = {}) {
      const own = (o.prefix ?? '').startsWith('.vs3/');
      const limit = o.limit ?? 1000;
      const all = await store.list({ ...o, limit: own ? limit : Number.POSITIVE_INFINITY });
      return all.filter((x) => own || !x.key.startsWith('.vs3/')).slice(0, limit);
    },

    async createMultipart(input: CreateMultipartInput) {
      const u = await store.createMultipart(validateKey(input.key), input.contentType);
      return { uploadId: u.uploadId };
    },

    async presignPart(input: PresignPartInput, ctx: DriverContext): Promise<PresignedRequest> {
      const exp = ctx.now + input.expiresIn * 1000;
      const q = new URLSearchParams({
        uploadId: input.uploadId,
        partNumber: String(input.partNumber),
        size: String(input.size),
        crc32c: input.crc32c,
        exp: String(exp),
      });
      q.set('sig', await hmac.sign(partClaims(input.key, input.uploadId, input.partNumber, input.size, input.crc32c, exp)));
      return { method: 'PUT', url: `${ctx.baseUrl}/local/${encodeKey(input.key)}?${q}`, headers: {}, expiresAt: exp };
    },

    async listParts(key: string, uploadId: string) {
      return (await uploadOf(key, uploadId)) ? store.listParts(uploadId) : null;
    },

    completeMultipart(input: CompleteMultipartInput): Promise<boolean> {
      // A client that timed out and retried while the first complete still assembles joins it,
      // rather than starting a second copy of every byte (this process's stores only).
      let p = completing.get(input.uploadId);
      if (!p) {
        p = assemble(input).finally(() => completing.delete(input.uploadId));
        completing.set(input.uploadId, p);
      }
      return p;
    },

    async abortMultipart(key: string, uploadId: string) {
      return (await uploadOf(key, uploadId)) ? store.deleteMultipart(uploadId) : false;
    },

    async listMultipartUploads(prefix = '') {
      return (await store.listMultipartUploads(prefix)).map(({ key, uploadId, initiated }) => ({ key, uploadId, initiated }));
    },

    async putObject(key: string, body: Uint8Array, contentType: string) {
      await store.put(key, new Blob([body as Uint8Array<ArrayBuffer>]).stream(), { size: body.byteLength, contentType });
    },

    async getObject(key: string) {
      const o = await store.get(key);
      return o ? new Uint8Array(await new Response(o.body).arrayBuffer()) : null;
    },

    async read(key, range = {}) {
      const o = await store.get(key);
      return o ? sliceStream(o.body, range.start ?? 0, range.end ?? Infinity) : null;
    },

    delete: (key) => store.delete(key),

    async presignPut(input: PresignPutInput, ctx: DriverContext): Promise<PresignedRequest> {
      const exp = ctx.now + input.expiresIn * 1000;
      const q = new URLSearchParams({ size: String(input.size), type: input.contentType, exp: String(exp) });
      if (input.sha256) q.set('sha256', input.sha256);
      if (input.uploadTag) q.set('u', input.uploadTag);
      q.set('sig', await hmac.sign(putClaims(input.key, input.size, input.contentType, input.sha256, input.uploadTag, exp)));
      return { method: 'PUT', url: `${ctx.baseUrl}/local/${encodeKey(input.key)}?${q}`, headers: { 'content-type': input.contentType }, expiresAt: exp };
    },

    async downloadUrl(key: string, expiresIn: number, ctx: DriverContext, o: DownloadOptions = {}): Promise<string> {
      const exp = ctx.now + expiresIn * 1000;
      const q = new URLSearchParams({ exp: String(exp) });
      if (o.disposition) q.set('d', o.disposition);
      q.set('sig', await hmac.sign(getClaims(key, exp, o.disposition ?? null)));
      return `${ctx.baseUrl}/local/${encodeKey(key)}?${q}`;
    },

    async handle(req: Request, subpath: string, ctx: DriverContext): Promise<Response> {
      const url = new URL(req.url);
      let key: string;
      try {
        key = validateKey(subpath.split('/').map(decodeURIComponent).join('/'));
      } catch {
        return errorResponse(new Vs3Error('not_found', 'no such object', 404));
      }
      const isPut = req.method === 'PUT';
      // One body at a time per target: a signed URL PUT by many connections at once would otherwise
      // hold every upload slot with one presign. (Its signature is checked below, before any byte.)
      const target = isPut ? `${key}\u0000${url.searchParams.get('uploadId') ?? ''}\u0000${url.searchParams.get('partNumber') ?? ''}` : '';
      let holding = false;
      try {
        if (isPut) {
          if (receiving.size >= maxUploads || receiving.has(target)) {
            const why = receiving.has(target) ? 'this URL is being uploaded to already' : `this server takes at most ${maxUploads} uploads at once`;
            return errorResponse(new Vs3Error('too_busy', `${why}: retry shortly`, 503), { 'retry-after': '1', connection: 'close' });
          }
          receiving.add(target);
          holding = true;
        }
        const body = () => idleLimited(req.body ?? new Blob([]).stream(), idleTimeout);
        if (req.method === 'PUT' && url.searchParams.has('uploadId')) {
          const uploadId = url.searchParams.get('uploadId')!;
          const n = Number(url.searchParams.get('partNumber'));
          const size = Number(url.searchParams.get('size'));
          const crc = url.searchParams.get('crc32c') ?? '';
          await checkSig(url, (exp) => partClaims(key, uploadId, n, size, crc, exp), ctx.now);
          const cl = req.headers.get('content-length');
          if (cl === null) throw new Vs3Error('missing_content_length', 'Content-Length is required', 411);
          if (Number(cl) !== size) throw new Vs3Error('content_length_mismatch', `Content-Length ${cl} != signed ${size}`, 400);
          if (!(await uploadOf(key, uploadId))) throw new Vs3Error('upload_not_found', 'no such multipart upload (completed or aborted)', 404);
          const part = await store.putPart(uploadId, n, body(), { size, crc32c: crc });
          return json({ partNumber: n, size: part.size, crc32c: part.crc32c }, 200, { etag: part.etag });
        }
        if (req.method === 'PUT') {
          const size = Number(url.searchParams.get('size'));
          const type = url.searchParams.get('type') ?? '';
          const sha = url.searchParams.get('sha256') ?? undefined;
          const tag = url.searchParams.get('u') ?? undefined;
          await checkSig(url, (exp) => putClaims(key, size, type, sha, tag, exp), ctx.now);
          const cl = req.headers.get('content-length');
          if (cl === null) throw new Vs3Error('missing_content_length', 'Content-Length is required', 411);
          if (Number(cl) !== size) throw new Vs3Error('content_length_mismatch', `Content-Length ${cl} != signed ${size}`, 400);
          const ct = (req.headers.get('content-type') ?? '').toLowerCase();
          if (ct !== type) throw new Vs3Error('content_type_mismatch', `Content-Type "${ct}" != signed "${type}"`, 400);
          // Create only: once stored (and verified at completion) an object cannot be replaced through
          // its URL. Asked first so a refused body is not read; put() checks again, atomically.
          if (await store.head(key)) throw alreadyStored();
          const info = await store.put(key, body(), { size, contentType: type, sha256: sha, ifNoneMatch: true, ...(tag ? { upload: tag } : {}) });
          return json({ key, size: info.size }, 200, info.sha256 ? { etag: `"${info.sha256}"` } : {});
        }
        if (req.method === 'GET' || req.method === 'HEAD') {
          const disposition = url.searchParams.get('d');
          await checkSig(url, (exp) => getClaims(key, exp, disposition), ctx.now);
          const obj = await store.get(key);
          if (!obj) throw new Vs3Error('not_found', 'no such object', 404);
          const headers = {
            'content-type': obj.info.contentType ?? 'application/octet-stream',
            'content-length': String(obj.info.size),
            'x-content-type-options': 'nosniff',
            // As signed by the handler (attachment with the file's name, or inline for raster images).
            'content-disposition': disposition ?? 'attachment',
            // Opened in a tab anyway: no scripts, no plugins, no requests, its own origin.
            'content-security-policy': "default-src 'none'; sandbox",
            ...(obj.info.sha256 ? { etag: `"${obj.info.sha256}"` } : {}),
          };
          if (req.method === 'HEAD') {
            await obj.body.cancel();
            return new Response(null, { headers });
          }
          return new Response(obj.body, { headers });
        }
        return errorResponse(new Vs3Error('method_not_allowed', 'PUT, GET or HEAD', 405), { allow: 'PUT, GET, HEAD' });
      } catch (e) {
        if (isPut) await req.body?.cancel().catch(() => {});
        // A refused body may still be arriving: ask the server to close the connection rather than
        // read (and hold a socket for) the rest. Node's http server honours it; runtimes that own the
        // connection themselves ignore it.
        if (e instanceof Vs3Error) return errorResponse(e, isPut ? { connection: 'close' } : {});
        throw e;
      } finally {
        if (holding) receiving.delete(target);
      }
    },
  };
}

/** Bytes [start, end) of a stream; the source is cancelled once `end` is reached. */
function sliceStream(body: ReadableStream<Uint8Array>, start: number, end: number): ReadableStream<Uint8Array> {
  if (start === 0 && end === Infinity) return body;
  const reader = body.getReader();
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (at >= end) {
          await reader.cancel().catch(() => {});
          return controller.close();
        }
        const { done, value } = await reader.read();
        if (done) return controller.close();
        const from = at;
        at += value.byteLength;
        const piece = value.subarray(Math.max(0, start - from), Math.min(value.byteLength, end - from));
        if (piece.byteLength) return controller.enqueue(piece);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * Reads a request body of exactly `size` bytes, handing each chunk to `onChunk`. Refuses
 * (content_length_mismatch) as soon as it runs long, or at the end if it ran short. For BlobStores.
 */
export async function readExactly(body: ReadableStream<Uint8Array>, size: number, onChunk: (chunk: Uint8Array) => unknown): Promise<void> {
  const total = await readCapped(body, size, () => new Vs3Error('content_length_mismatch', 'body is longer than signed', 400), onChunk);
  if (total !== size) throw new Vs3Error('content_length_mismatch', `body is ${total} bytes, signed ${size}`, 400);
}

/** Keeps objects in memory; verifies length and SHA-256 with WebCrypto. For tests and small demos. */
export function memoryStore(): BlobStore {
  const objects = new Map<string, { bytes: Uint8Array<ArrayBuffer>; info: StoredObject }>();
  const uploads = new Map<string, { info: StoredUpload; parts: Map<number, { bytes: Uint8Array<ArrayBuffer>; info: StoredPart }> }>();
  return {
    async createMultipart(key, contentType) {
      const info: StoredUpload = { key, uploadId: crypto.randomUUID(), contentType, initiated: new Date().toISOString() };
      uploads.set(info.uploadId, { info, parts: new Map() });
      return info;
    },
    async getMultipart(uploadId) {
      return uploads.get(uploadId)?.info ?? null;
    },
    async putPart(uploadId, partNumber, body, meta) {
      if (!uploads.has(uploadId)) throw new Vs3Error('upload_not_found', 'no such multipart upload', 404);
      const bytes = new Uint8Array(meta.size);
      let off = 0;
      const etag = await readVerifiedPart(body, meta, (c) => {
        bytes.set(c, off);
        off += c.byteLength;
      });
      const info: StoredPart = { partNumber, size: meta.size, etag, crc32c: meta.crc32c };
      // Aborted while the body streamed in: keep nothing.
      const u = uploads.get(uploadId);
      if (!u) throw new Vs3Error('upload_not_found', 'no such multipart upload', 404);
      u.parts.set(partNumber, { bytes, info });
      return info;
    },
    async listParts(uploadId) {
      const u = uploads.get(uploadId);
      return u ? [...u.parts.values()].map((p) => p.info).sort((a, b) => a.partNumber - b.partNumber) : null;
    },
    async getPart(uploadId, partNumber) {
      const p = uploads.get(uploadId)?.parts.get(partNumber);
      return p ? new Blob([p.bytes]).stream() : null;
    },
    async deleteMultipart(uploadId) {
      return uploads.delete(uploadId);
    },
    async listMultipartUploads(prefix = '') {
      return [...uploads.values()].map((u) => u.info).filter((u) => u.key.startsWith(prefix));
    },
    async put(key, body, meta) {
      const chunks: Uint8Array[] = [];
      await readExactly(body, meta.size, (c) => chunks.push(c));
      const bytes = new Uint8Array(meta.size);
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.byteLength;
      }
      const sha = bytesToHex(await crypto.subtle.digest('SHA-256', bytes));
      if (meta.sha256 && sha !== meta.sha256) throw new Vs3Error('checksum_mismatch', 'body SHA-256 differs from the signed one', 400);
      if (meta.ifNoneMatch && objects.has(key)) throw alreadyStored();
      const info: StoredObject = {
        key,
        size: meta.size,
        contentType: meta.contentType,
        sha256: sha,
        lastModified: new Date().toUTCString(),
        ...(meta.upload ? { upload: meta.upload } : {}),
      };
      objects.set(key, { bytes, info });
      return info;
    },
    async head(key) {
      return objects.get(key)?.info ?? null;
    },
    async delete(key) {
      objects.delete(key);
    },
    async get(key) {
      const o = objects.get(key);
      return o ? { body: new Blob([o.bytes]).stream(), info: o.info } : null;
    },
    async list({ prefix = '', limit = 1000 } = {}) {
      return [...objects.values()]
        .map((o) => o.info)
        .filter((i) => i.key.startsWith(prefix))
        .slice(0, limit);
    },
  };
}
