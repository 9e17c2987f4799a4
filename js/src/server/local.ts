// Local storage: the handler itself serves HMAC-signed, expiring upload and download URLs, and a
// BlobStore keeps the bytes (fsStore in vs3/node for disk, memoryStore for tests and edge demos).
import { Vs3Error } from '../errors.js';
import type { DriverContext, PresignPutInput, PresignedRequest, StorageDriver, StoredObject } from './storage.js';
import { Hmac, encodeKey, errorResponse, json, readCapped } from './util.js';
import { validateKey } from './routes.js';

export interface PutMeta {
  size: number;
  contentType: string;
  /** The store must refuse (checksum_mismatch) and keep nothing when the bytes hash differently. */
  sha256?: string;
}

export interface BlobStore {
  /**
   * Stores exactly meta.size bytes from body, atomically: on any failure (wrong length, wrong
   * checksum, aborted stream) nothing is left behind and a Vs3Error is thrown.
   */
  put(key: string, body: ReadableStream<Uint8Array>, meta: PutMeta): Promise<StoredObject>;
  head(key: string): Promise<StoredObject | null>;
  get(key: string): Promise<{ body: ReadableStream<Uint8Array>; info: StoredObject } | null>;
  list(opts?: { prefix?: string; limit?: number }): Promise<StoredObject[]>;
}

export interface LocalOptions {
  store: BlobStore;
  /** At least 32 characters; signs the URLs. */
  secret: string;
}

const enc = (parts: (string | number | undefined)[]) => parts.map((p) => String(p ?? '')).join('\n');

export function localStorage(opts: LocalOptions): StorageDriver {
  const hmac = new Hmac(opts.secret);
  const { store } = opts;

  const putClaims = (key: string, size: number, type: string, sha: string | undefined, exp: number) => enc(['PUT', key, size, type, sha, exp]);
  const getClaims = (key: string, exp: number) => enc(['GET', key, exp]);

  async function checkSig(url: URL, claims: (exp: number) => string, now: number) {
    const exp = Number(url.searchParams.get('exp'));
    const sig = url.searchParams.get('sig') ?? '';
    if (!Number.isSafeInteger(exp) || !sig || !(await hmac.verify(claims(exp), sig))) {
      throw new Vs3Error('invalid_signature', 'URL signature does not match', 403);
    }
    if (exp <= now) throw new Vs3Error('url_expired', 'URL has expired', 403);
  }

  return {
    kind: 'local',
    head: (key) => store.head(key),
    list: (o) => store.list(o),

    async presignPut(input: PresignPutInput, ctx: DriverContext): Promise<PresignedRequest> {
      const exp = ctx.now + input.expiresIn * 1000;
      const q = new URLSearchParams({ size: String(input.size), type: input.contentType, exp: String(exp) });
      if (input.sha256) q.set('sha256', input.sha256);
      q.set('sig', await hmac.sign(putClaims(input.key, input.size, input.contentType, input.sha256, exp)));
      return { method: 'PUT', url: `${ctx.baseUrl}/local/${encodeKey(input.key)}?${q}`, headers: { 'content-type': input.contentType }, expiresAt: exp };
    },

    async downloadUrl(key: string, expiresIn: number, ctx: DriverContext): Promise<string> {
      const exp = ctx.now + expiresIn * 1000;
      const q = new URLSearchParams({ exp: String(exp), sig: await hmac.sign(getClaims(key, exp)) });
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
      try {
        if (req.method === 'PUT') {
          const size = Number(url.searchParams.get('size'));
          const type = url.searchParams.get('type') ?? '';
          const sha = url.searchParams.get('sha256') ?? undefined;
          await checkSig(url, (exp) => putClaims(key, size, type, sha, exp), ctx.now);
          const cl = req.headers.get('content-length');
          if (cl === null) throw new Vs3Error('missing_content_length', 'Content-Length is required', 411);
          if (Number(cl) !== size) throw new Vs3Error('content_length_mismatch', `Content-Length ${cl} != signed ${size}`, 400);
          const ct = (req.headers.get('content-type') ?? '').toLowerCase();
          if (ct !== type) throw new Vs3Error('content_type_mismatch', `Content-Type "${ct}" != signed "${type}"`, 400);
          const info = await store.put(key, req.body ?? new Blob([]).stream(), { size, contentType: type, sha256: sha });
          return json({ key, size: info.size }, 200, info.sha256 ? { etag: `"${info.sha256}"` } : {});
        }
        if (req.method === 'GET' || req.method === 'HEAD') {
          await checkSig(url, (exp) => getClaims(key, exp), ctx.now);
          const obj = await store.get(key);
          if (!obj) throw new Vs3Error('not_found', 'no such object', 404);
          const headers = {
            'content-type': obj.info.contentType ?? 'application/octet-stream',
            'content-length': String(obj.info.size),
            'x-content-type-options': 'nosniff',
            'content-disposition': 'attachment',
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
        if (req.method === 'PUT') await req.body?.cancel().catch(() => {});
        if (e instanceof Vs3Error) return errorResponse(e);
        throw e;
      }
    },
  };
}

/**
 * Reads a request body of exactly `size` bytes, handing each chunk to `onChunk`. Refuses
 * (content_length_mismatch) as soon as it runs long, or at the end if it ran short. For BlobStores.
 */
export async function readExactly(
  body: ReadableStream<Uint8Array>,
  size: number,
  onChunk: (chunk: Uint8Array) => unknown,
): Promise<void> {
  const total = await readCapped(body, size, () => new Vs3Error('content_length_mismatch', 'body is longer than signed', 400), onChunk);
  if (total !== size) throw new Vs3Error('content_length_mismatch', `body is ${total} bytes, signed ${size}`, 400);
}

/** Keeps objects in memory; verifies length and SHA-256 with WebCrypto. For tests and small demos. */
export function memoryStore(): BlobStore {
  const objects = new Map<string, { bytes: Uint8Array<ArrayBuffer>; info: StoredObject }>();
  return {
    async put(key, body, meta) {
      const chunks: Uint8Array[] = [];
      await readExactly(body, meta.size, (c) => chunks.push(c));
      const bytes = new Uint8Array(meta.size);
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.byteLength;
      }
      const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
      if (meta.sha256 && sha !== meta.sha256) throw new Vs3Error('checksum_mismatch', 'body SHA-256 differs from the signed one', 400);
      const info: StoredObject = { key, size: meta.size, contentType: meta.contentType, sha256: sha, lastModified: new Date().toUTCString() };
      objects.set(key, { bytes, info });
      return info;
    },
    async head(key) {
      return objects.get(key)?.info ?? null;
    },
    async get(key) {
      const o = objects.get(key);
      return o ? { body: new Blob([o.bytes]).stream(), info: o.info } : null;
    },
    async list({ prefix = '', limit = 1000 } = {}) {
      return [...objects.values()].map((o) => o.info).filter((i) => i.key.startsWith(prefix)).slice(0, limit);
    },
  };
}
