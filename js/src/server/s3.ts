// S3-compatible storage (AWS S3, R2, B2, Spaces, MinIO, Ceph RGW, Wasabi) through SigV4 (aws4fetch).
import { AwsClient, AwsV4Signer } from 'aws4fetch';
import { Vs3Error } from '../errors.js';
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
import { base64ToHex, bytesToHex, encodeKey, hexToBase64, nodeCrypto } from './util.js';

/** Options of {@link s3Storage}: where the bucket is and how to sign for it. */
export interface S3Options {
  /** e.g. https://s3.us-east-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com, http://127.0.0.1:7480 */
  endpoint: string;
  /** The bucket's name. */
  bucket: string;
  /** SigV4 signing region. Default 'us-east-1' ('auto' for R2). */
  region?: string;
  /** Access key id of credentials allowed to write the bucket. */
  accessKeyId: string;
  /** The secret access key; stays server-side (URLs carry signatures only). */
  secretAccessKey: string;
  /** Session token of temporary credentials (STS), signed into every request and URL. */
  sessionToken?: string;
  /** Path-style URLs (endpoint/bucket/key). Default true; false for virtual-hosted (bucket.endpoint/key). */
  forcePathStyle?: boolean;
  /**
   * Sign x-amz-checksum-sha256 into upload URLs so that storage verifies the bytes (AWS S3, R2 do;
   * Ceph RGW ignores the header). Default true.
   * Also governs multipart: CRC32C as the upload's checksum algorithm, x-amz-checksum-crc32c signed
   * into each part URL, ChecksumCRC32C per part at completion.
   */
  checksumHeader?: boolean;
  /**
   * Send x-amz-mp-object-size (the planned object size) with CompleteMultipartUpload, so AWS S3
   * refuses to assemble an object of another size. Default true; Ceph RGW 16 ignores it.
   */
  mpObjectSizeHeader?: boolean;
  /**
   * Sign `If-None-Match: *` into single-PUT URLs so that storage refuses to replace an object that
   * exists: once an upload is stored (and verified at completion) its URL cannot change it. AWS S3
   * (since 2024-08), R2 and Ceph RGW 16 honour it (412 PreconditionFailed). Default true; turn off
   * only for storage that refuses the header.
   */
  conditionalPut?: boolean;
  /**
   * SSE-C: a 256-bit key (base64) that every object this driver stores is encrypted with, by storage,
   * which keeps only its MD5. The key is signed into each upload URL as a header the client must send,
   * so **the uploading browser sees the key**; and every read (HEAD, read-back, downloads) must send
   * it: a download URL then works only with those headers (not as a plain link). Prefer SSE-KMS (the
   * route option `object.sse`) unless keys must stay outside storage. Tested on Ceph RGW 16.
   */
  sseCustomerKey?: string;
  /**
   * Page size asked of ListParts (max-parts) and ListMultipartUploads (max-uploads), 1..1000.
   * Default 1000 (S3's maximum); smaller only to exercise paging in tests.
   */
  listPageSize?: number;
  /** fetch used for the driver's own requests (HEAD, read-back, multipart calls). Default: the global fetch. */
  fetch?: typeof fetch;
}

/** The object metadata header holding the client's SHA-256 (hex), signed into upload URLs and sent at multipart create. */
export const SHA256_META = 'x-amz-meta-vs3-sha256';

/**
 * aws4fetch's signer with its two crypto steps done by node:crypto where the runtime has it
 * (synchronous; WebCrypto's importKey + sign per URL was most of a presign's cost). Canonical
 * request, string to sign and key derivation are aws4fetch's, step for step; on edge runtimes this
 * is aws4fetch unchanged. tests/js/handler.test.mjs checks both give the same URLs.
 */
export class FastSigner extends AwsV4Signer {
  override async stringToSign(): Promise<string> {
    const node = nodeCrypto();
    if (!node) return super.stringToSign();
    const canonical = await this.canonicalString();
    return ['AWS4-HMAC-SHA256', this.datetime, this.credentialString, node.createHash('sha256').update(canonical).digest('hex')].join('\n');
  }
  override async signature(): Promise<string> {
    const node = nodeCrypto();
    if (!node) return super.signature();
    const hmac = (key: Uint8Array, data: string) => node.createHmac('sha256', key).update(data).digest();
    const date = this.datetime.slice(0, 8);
    const cacheKey = [this.secretAccessKey, date, this.region, this.service].join();
    let kCredentials = this.cache.get(cacheKey) as Uint8Array | ArrayBuffer | undefined;
    if (!kCredentials) {
      const kDate = hmac(new TextEncoder().encode('AWS4' + this.secretAccessKey), date);
      kCredentials = hmac(hmac(hmac(kDate, this.region), this.service), 'aws4_request');
      this.cache.set(cacheKey, kCredentials as unknown as ArrayBuffer);
    }
    const key = kCredentials instanceof Uint8Array ? kCredentials : new Uint8Array(kCredentials);
    return bytesToHex(hmac(key, await this.stringToSign()));
  }
}
/** The tag of the upload that stored the object (signed into its URL / set at multipart create). */
export const UPLOAD_META = 'x-amz-meta-vs3-upload';

/** The driver s3Storage() makes: a StorageDriver plus the bucket's URLs and a signed fetch. */
export interface S3Driver extends StorageDriver {
  /** Always 's3'. */
  readonly kind: 's3';
  /** The (unsigned) URL of an object, path-style or virtual-hosted as configured. */
  objectUrl(key: string): string;
  /** The (unsigned) URL of the bucket. */
  bucketUrl(): string;
  /** Signed request with the driver's credentials (admin operations, tests). Throws Vs3Error storage_error (502) when it cannot sign or reach storage. */
  signedFetch(url: string, init?: RequestInit): Promise<Response>;
}

/** SSE-C request headers for a base64 256-bit key (none without a key). */
function sseCustomerHeaders(key: string | undefined): Record<string, string> {
  if (key === undefined) return {};
  let raw: string;
  try {
    raw = atob(key);
  } catch {
    raw = '';
  }
  if (raw.length !== 32) throw new Error('vs3: s3Storage sseCustomerKey must be the base64 of 32 bytes');
  const md5 = nodeCrypto()
    ?.createHash('md5')
    .update(Uint8Array.from(raw, (c) => c.charCodeAt(0)))
    .digest('base64');
  if (!md5) throw new Error('vs3: sseCustomerKey needs node:crypto (for the key MD5) on this runtime');
  return {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': key,
    'x-amz-server-side-encryption-customer-key-md5': md5,
  };
}

function xmlText(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Text of the first <name> element (entities decoded), or undefined. Regex is enough for S3's flat answers. */
function xmlTag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? xmlText(m[1]!) : undefined;
}
const xmlBlocks = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);
/** The S3 error code of an answer body, or undefined when it holds no <Error>. */
const s3ErrorCode = (xml: string) => (/<Error>/.test(xml) ? (xmlTag(xml, 'Code') ?? 'UnknownError') : undefined);
const q = encodeURIComponent;
/**
 * "This multipart upload does not exist (any more)". AWS says NoSuchUpload; Ceph RGW 16 says
 * NoSuchKey to ListParts and AbortMultipartUpload once an upload is completed or aborted.
 */
const noSuchUpload = (status: number, code: string | undefined) => code === 'NoSuchUpload' || (status === 404 && (code === undefined || code === 'NoSuchKey'));

/**
 * Driver for any S3-compatible endpoint: SigV4 presigned URLs (checksums and If-None-Match signed in),
 * HEAD and read-back, multipart. Makes no request until used. Throws an Error for a missing endpoint,
 * bucket or credentials, listPageSize outside 1..1000, or an sseCustomerKey that is not 32 bytes in base64.
 */
export function s3Storage(opts: S3Options): S3Driver {
  for (const k of ['endpoint', 'bucket', 'accessKeyId', 'secretAccessKey'] as const) {
    if (!opts[k]) throw new Error(`vs3: s3Storage needs ${k}`);
  }
  const endpoint = new URL(opts.endpoint);
  const region = opts.region ?? 'us-east-1';
  const pageSize = opts.listPageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new Error('vs3: s3Storage listPageSize must be an integer from 1 to 1000');
  const pathStyle = opts.forcePathStyle ?? true;
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const client = new AwsClient({
    accessKeyId: opts.accessKeyId,
    secretAccessKey: opts.secretAccessKey,
    ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    service: 's3',
    region,
  });
  const base = endpoint.origin + endpoint.pathname.replace(/\/+$/, '');
  const ssec = sseCustomerHeaders(opts.sseCustomerKey);
  const bucketUrl = () =>
    pathStyle ? `${base}/${opts.bucket}` : `${endpoint.protocol}//${opts.bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}`;
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

  // SigV4 signing keys, shared by every URL this driver signs: the key depends only on the secret,
  // the day, the region and the service, and deriving it is four HMACs (most of a URL's cost).
  // One entry per day; cleared now and then so a long-lived process does not collect days.
  const signingKeys = new Map<string, unknown>();

  async function presign(method: 'PUT' | 'GET', key: string, expiresIn: number, headers: Record<string, string>, now: number, query = '') {
    // query: '' or 'a=b&c=d&' (encoded), signed with the rest.
    const url = `${objectUrl(key)}?${query}X-Amz-Expires=${expiresIn}`;
    if (signingKeys.size > 4) signingKeys.clear();
    const signer = new FastSigner({
      url,
      method,
      headers,
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
      service: 's3',
      region,
      signQuery: true,
      allHeaders: true,
      cache: signingKeys as Map<string, ArrayBuffer>,
      datetime: new Date(now).toISOString().replace(/[:-]|\.\d{3}/g, ''),
    });
    return (await signer.sign()).url.toString();
  }

  async function head(key: string): Promise<StoredObject | null> {
    // Checksum mode: AWS S3 and R2 report the checksum they verified at upload (a whole-object
    // SHA-256 for a single PUT; a multipart object's is a checksum of part checksums, "...-N", which
    // proves no SHA-256). Ceph RGW 16 reports none.
    const res = await signedFetch(objectUrl(key), { method: 'HEAD', headers: { 'x-amz-checksum-mode': 'ENABLED', ...ssec } });
    if (res.status === 404) return null;
    if (!res.ok) throw new Vs3Error('storage_error', `storage answered ${res.status} to HEAD`, 502);
    const checked = res.headers.get('x-amz-checksum-sha256');
    const sha256 = checked && !checked.includes('-') ? base64ToHex(checked) : undefined;
    const claimed = res.headers.get(SHA256_META) ?? undefined;
    const upload = res.headers.get(UPLOAD_META) ?? undefined;
    return {
      key,
      size: Number(res.headers.get('content-length')),
      contentType: res.headers.get('content-type') ?? undefined,
      ...(sha256 ? { sha256 } : {}),
      ...(claimed ? { claimedSha256: claimed } : {}),
      ...(upload ? { upload } : {}),
      lastModified: res.headers.get('last-modified') ?? undefined,
    };
  }

  const storageError = (status: number, what: string, code?: string) =>
    new Vs3Error('storage_error', `storage answered ${status}${code ? ` ${code}` : ''} to ${what}`, 502);
  const checksums = opts.checksumHeader !== false;
  const uploadQuery = (uploadId: string) => `uploadId=${q(uploadId)}`;

  return {
    kind: 's3',
    objectUrl,
    bucketUrl,
    signedFetch,
    head,

    async presignPut(input: PresignPutInput, ctx: DriverContext): Promise<PresignedRequest> {
      // Everything here is signed: storage refuses a body of another length or type, or other headers.
      const headers: Record<string, string> = { ...input.objectHeaders, ...ssec, 'content-type': input.contentType };
      if (opts.conditionalPut !== false) headers['if-none-match'] = '*';
      if (input.uploadTag) headers[UPLOAD_META] = input.uploadTag;
      if (input.sha256) {
        headers[SHA256_META] = input.sha256;
        if (opts.checksumHeader !== false) headers['x-amz-checksum-sha256'] = hexToBase64(input.sha256);
      }
      const url = await presign('PUT', input.key, input.expiresIn, { ...headers, 'content-length': String(input.size) }, ctx.now);
      return { method: 'PUT', url, headers, expiresAt: ctx.now + input.expiresIn * 1000 };
    },

    async downloadUrl(key: string, expiresIn: number, ctx: DriverContext, o: DownloadOptions = {}): Promise<string> {
      // Response-header overrides, signed into the URL: S3 serves these instead of the stored ones.
      // (S3 has no override for X-Content-Type-Options: an attachment disposition and a safe type are
      // what keeps an uploaded page from running as the bucket's origin.)
      let query = '';
      if (o.contentType) query += `response-content-type=${q(o.contentType)}&`;
      if (o.disposition) query += `response-content-disposition=${q(o.disposition)}&`;
      return presign('GET', key, expiresIn, { ...ssec }, ctx.now, query);
    },

    async read(key: string, range: { start?: number; end?: number } = {}): Promise<ReadableStream<Uint8Array> | null> {
      const start = range.start ?? 0;
      const headers: Record<string, string> = { ...ssec };
      if (start > 0 || range.end !== undefined) headers.range = `bytes=${start}-${range.end === undefined ? '' : range.end - 1}`;
      const res = await signedFetch(objectUrl(key), { headers });
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      // 416: the range starts past the end (an empty object).
      if (res.status === 416) return new Blob([]).stream();
      if (!res.ok || !res.body) throw storageError(res.status, 'GetObject', s3ErrorCode(await res.text()));
      return res.body;
    },

    async delete(key: string): Promise<void> {
      const res = await signedFetch(objectUrl(key), { method: 'DELETE' });
      const code = s3ErrorCode(await res.text());
      if (!res.ok && res.status !== 404) throw storageError(res.status, 'DeleteObject', code);
    },

    async list({ prefix = '', limit = 100 } = {}): Promise<StoredObject[]> {
      const res = await signedFetch(`${bucketUrl()}?list-type=2&max-keys=${limit}&prefix=${encodeURIComponent(prefix)}`);
      if (!res.ok) throw new Vs3Error('storage_error', `storage answered ${res.status} to ListObjectsV2`, 502);
      const xml = await res.text();
      const keys = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => xmlText(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1] ?? ''));
      // Metadata (the SHA-256) is only in HEAD answers.
      // The handler's own objects (.vs3/ dedupe markers) are not listed unless asked for by prefix.
      const own = (k: string) => k.startsWith('.vs3/') && !prefix.startsWith('.vs3/');
      const objects = await Promise.all(keys.filter((k) => k && !own(k)).map((k) => head(k)));
      return objects.filter((o): o is StoredObject => o !== null);
    },

    async createMultipart(input: CreateMultipartInput): Promise<{ uploadId: string }> {
      const headers: Record<string, string> = { ...input.objectHeaders, ...ssec, 'content-type': input.contentType };
      if (checksums) headers['x-amz-checksum-algorithm'] = 'CRC32C';
      if (input.sha256) headers[SHA256_META] = input.sha256;
      if (input.uploadTag) headers[UPLOAD_META] = input.uploadTag;
      const res = await signedFetch(`${objectUrl(input.key)}?uploads`, { method: 'POST', headers });
      const xml = await res.text();
      const uploadId = res.ok && !s3ErrorCode(xml) ? xmlTag(xml, 'UploadId') : undefined;
      if (!uploadId) throw storageError(res.status, 'CreateMultipartUpload', s3ErrorCode(xml));
      return { uploadId };
    },

    async presignPart(input: PresignPartInput, ctx: DriverContext): Promise<PresignedRequest> {
      // content-length and the part's CRC32C are signed: AWS S3 and R2 refuse any other bytes.
      const headers: Record<string, string> = { ...ssec, ...(checksums ? { 'x-amz-checksum-crc32c': input.crc32c } : {}) };
      const query = `partNumber=${input.partNumber}&${uploadQuery(input.uploadId)}&`;
      const url = await presign('PUT', input.key, input.expiresIn, { ...headers, 'content-length': String(input.size) }, ctx.now, query);
      return { method: 'PUT', url, headers, expiresAt: ctx.now + input.expiresIn * 1000 };
    },

    async listParts(key: string, uploadId: string): Promise<StoredPart[] | null> {
      const parts: StoredPart[] = [];
      let marker = 0;
      for (;;) {
        const res = await signedFetch(`${objectUrl(key)}?${uploadQuery(uploadId)}&max-parts=${pageSize}${marker ? `&part-number-marker=${marker}` : ''}`);
        const xml = await res.text();
        const code = s3ErrorCode(xml);
        if (noSuchUpload(res.status, code)) return null;
        if (!res.ok || code) throw storageError(res.status, 'ListParts', code);
        for (const p of xmlBlocks(xml, 'Part')) {
          const crc = xmlTag(p, 'ChecksumCRC32C');
          parts.push({
            partNumber: Number(xmlTag(p, 'PartNumber')),
            size: Number(xmlTag(p, 'Size')),
            etag: xmlTag(p, 'ETag') ?? '',
            ...(crc ? { crc32c: crc } : {}),
          });
        }
        if (xmlTag(xml, 'IsTruncated') !== 'true') break;
        const next = Number(xmlTag(xml, 'NextPartNumberMarker'));
        if (!(next > marker)) break; // a storage that says "truncated" without moving on would loop forever
        marker = next;
      }
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    },

    async completeMultipart(input: CompleteMultipartInput): Promise<boolean> {
      // ETags (and checksums) exactly as storage reported them in ListParts, never the client's.
      const body =
        '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        input.parts
          .map(
            (p) =>
              `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEsc(p.etag)}</ETag>${checksums && p.crc32c ? `<ChecksumCRC32C>${xmlEsc(p.crc32c)}</ChecksumCRC32C>` : ''}</Part>`,
          )
          .join('') +
        '</CompleteMultipartUpload>';
      const headers: Record<string, string> = { ...ssec, 'content-type': 'application/xml' };
      if (opts.mpObjectSizeHeader !== false) headers['x-amz-mp-object-size'] = String(input.size);
      const res = await signedFetch(`${objectUrl(input.key)}?${uploadQuery(input.uploadId)}`, { method: 'POST', body, headers });
      // AWS may answer 200 and report the failure in the body (it streams whitespace while assembling);
      // Ceph RGW answers with an empty ETag. So success is "2xx and no <Error>", nothing more.
      const xml = await res.text();
      const code = s3ErrorCode(xml);
      if (noSuchUpload(res.status, code)) return false;
      if (code && ['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'BadDigest', 'InvalidRequest'].includes(code)) {
        throw new Vs3Error('upload_incomplete', `storage refused to assemble the parts: ${code}`, 409, { storageCode: code });
      }
      if (!res.ok || code) throw storageError(res.status, 'CompleteMultipartUpload', code);
      return true;
    },

    async abortMultipart(key: string, uploadId: string): Promise<boolean> {
      const res = await signedFetch(`${objectUrl(key)}?${uploadQuery(uploadId)}`, { method: 'DELETE' });
      const code = s3ErrorCode(await res.text());
      if (noSuchUpload(res.status, code)) return false;
      if (!res.ok) throw storageError(res.status, 'AbortMultipartUpload', code);
      return true;
    },

    async listMultipartUploads(prefix = ''): Promise<MultipartUpload[]> {
      const out: MultipartUpload[] = [];
      let markers = '';
      for (;;) {
        const res = await signedFetch(`${bucketUrl()}?uploads&max-uploads=${pageSize}&prefix=${q(prefix)}${markers}`);
        const xml = await res.text();
        const code = s3ErrorCode(xml);
        if (!res.ok || code) throw storageError(res.status, 'ListMultipartUploads', code);
        for (const u of xmlBlocks(xml, 'Upload')) {
          out.push({ key: xmlTag(u, 'Key') ?? '', uploadId: xmlTag(u, 'UploadId') ?? '', initiated: xmlTag(u, 'Initiated') });
        }
        // The next page starts after (key, upload id): several uploads of one key may straddle pages.
        const nextKey = xmlTag(xml, 'NextKeyMarker');
        if (xmlTag(xml, 'IsTruncated') !== 'true' || !nextKey) break;
        const next = `&key-marker=${q(nextKey)}&upload-id-marker=${q(xmlTag(xml, 'NextUploadIdMarker') ?? '')}`;
        if (next === markers) break; // "truncated" without moving on would loop forever
        markers = next;
      }
      return out;
    },

    async putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
      const res = await signedFetch(objectUrl(key), {
        method: 'PUT',
        body: body as Uint8Array<ArrayBuffer>,
        headers: { ...ssec, 'content-type': contentType },
      });
      const code = s3ErrorCode(await res.text());
      if (!res.ok) throw storageError(res.status, 'PutObject', code);
    },

    async getObject(key: string): Promise<Uint8Array | null> {
      const res = await signedFetch(objectUrl(key), { headers: { ...ssec } });
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) throw storageError(res.status, 'GetObject', s3ErrorCode(await res.text()));
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}
