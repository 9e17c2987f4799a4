// S3-compatible storage (AWS S3, R2, B2, Spaces, MinIO, Ceph RGW, Wasabi) through SigV4 (aws4fetch).
import { AwsClient, AwsV4Signer } from 'aws4fetch';
import { Vs3Error } from '../errors.js';
import type { DriverContext, PresignPutInput, PresignedRequest, StorageDriver, StoredObject } from './storage.js';
import { encodeKey, hexToBase64 } from './util.js';

export interface S3Options {
  /** e.g. https://s3.us-east-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com, http://127.0.0.1:7480 */
  endpoint: string;
  bucket: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Path-style URLs (endpoint/bucket/key). Default true; false for virtual-hosted (bucket.endpoint/key). */
  forcePathStyle?: boolean;
  /**
   * Sign x-amz-checksum-sha256 into upload URLs so that storage verifies the bytes (AWS S3, R2 do;
   * Ceph RGW ignores the header). Default true.
   */
  checksumHeader?: boolean;
  fetch?: typeof fetch;
}

export const SHA256_META = 'x-amz-meta-vs3-sha256';

export interface S3Driver extends StorageDriver {
  readonly kind: 's3';
  objectUrl(key: string): string;
  bucketUrl(): string;
  /** Signed request with the driver's credentials (admin operations, tests). */
  signedFetch(url: string, init?: RequestInit): Promise<Response>;
}

function xmlText(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export function s3Storage(opts: S3Options): S3Driver {
  for (const k of ['endpoint', 'bucket', 'accessKeyId', 'secretAccessKey'] as const) {
    if (!opts[k]) throw new Error(`vs3: s3Storage needs ${k}`);
  }
  const endpoint = new URL(opts.endpoint);
  const region = opts.region ?? 'us-east-1';
  const pathStyle = opts.forcePathStyle ?? true;
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const client = new AwsClient({
    accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, sessionToken: opts.sessionToken, service: 's3', region,
  });
  const base = endpoint.origin + endpoint.pathname.replace(/\/+$/, '');
  const bucketUrl = () => (pathStyle ? `${base}/${opts.bucket}` : `${endpoint.protocol}//${opts.bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}`);
  const objectUrl = (key: string) => `${bucketUrl()}/${encodeKey(key)}`;

  async function signedFetch(url: string, init: RequestInit = {}): Promise<Response> {
    let req: Request;
    try {
      req = await client.sign(url, init);
    } catch (e) {
      throw new Vs3Error('storage_error', `could not sign storage request: ${(e as Error).message}`, 502);
    }
    try {
      return await doFetch(req);
    } catch (e) {
      throw new Vs3Error('storage_error', `storage unreachable: ${(e as Error).message}`, 502);
    }
  }

  async function presign(method: 'PUT' | 'GET', key: string, expiresIn: number, headers: Record<string, string>, now: number) {
    const url = `${objectUrl(key)}?X-Amz-Expires=${expiresIn}`;
    const signer = new AwsV4Signer({
      url, method, headers, accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, sessionToken: opts.sessionToken,
      service: 's3', region, signQuery: true, allHeaders: true,
      datetime: new Date(now).toISOString().replace(/[:-]|\.\d{3}/g, ''),
    });
    return (await signer.sign()).url.toString();
  }

  async function head(key: string): Promise<StoredObject | null> {
    const res = await signedFetch(objectUrl(key), { method: 'HEAD' });
    if (res.status === 404) return null;
    if (!res.ok) throw new Vs3Error('storage_error', `storage answered ${res.status} to HEAD`, 502);
    return {
      key,
      size: Number(res.headers.get('content-length')),
      contentType: res.headers.get('content-type') ?? undefined,
      sha256: res.headers.get(SHA256_META) ?? undefined,
      lastModified: res.headers.get('last-modified') ?? undefined,
    };
  }

  return {
    kind: 's3',
    objectUrl,
    bucketUrl,
    signedFetch,
    head,

    async presignPut(input: PresignPutInput, ctx: DriverContext): Promise<PresignedRequest> {
      // Everything here is signed: storage refuses a body of another length or type, or other headers.
      const headers: Record<string, string> = { 'content-type': input.contentType };
      if (input.sha256) {
        headers[SHA256_META] = input.sha256;
        if (opts.checksumHeader !== false) headers['x-amz-checksum-sha256'] = hexToBase64(input.sha256);
      }
      const url = await presign('PUT', input.key, input.expiresIn, { ...headers, 'content-length': String(input.size) }, ctx.now);
      return { method: 'PUT', url, headers, expiresAt: ctx.now + input.expiresIn * 1000 };
    },

    async downloadUrl(key: string, expiresIn: number, ctx: DriverContext): Promise<string> {
      return presign('GET', key, expiresIn, {}, ctx.now);
    },

    async list({ prefix = '', limit = 100 } = {}): Promise<StoredObject[]> {
      const res = await signedFetch(`${bucketUrl()}?list-type=2&max-keys=${limit}&prefix=${encodeURIComponent(prefix)}`);
      if (!res.ok) throw new Vs3Error('storage_error', `storage answered ${res.status} to ListObjectsV2`, 502);
      const xml = await res.text();
      const keys = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => xmlText(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1] ?? ''));
      // Metadata (the SHA-256) is only in HEAD answers.
      const objects = await Promise.all(keys.filter(Boolean).map((k) => head(k)));
      return objects.filter((o): o is StoredObject => o !== null);
    },
  };
}
