// Node-only helpers: the Node uploader (core from disk, node:http PUTs, file sources), disk store, bucket setup.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadCore } from '../core.js';
import { createUploadQueue, type QueueOptions, type UploadQueue } from '../client/queue.js';
import { createUploader, type Uploader, type UploaderOptions } from '../client/uploader.js';
import { nodeTransport } from './transport.js';
import { fileSource } from './file-source.js';
import { jsonFileStore } from './json-store.js';
import { coreReader } from '../client/reader.js';
import type { Vs3CoreModule } from '../core.js';
import { s3Storage, type S3Options } from '../server/s3.js';

export { fsStore } from './fs-store.js';
export { fastifyPlugin, nodeListener, type FastifyLike, type NodeListenerOptions, type NodeRequest } from './http.js';
export { nodeTransport } from './transport.js';
export { fileSource, type NodeFileSource } from './file-source.js';
export { jsonFileStore } from './json-store.js';

/** The WASM core for Node: reads vs3core.wasm next to the glue and hands it over as wasmBinary. */
export async function loadCoreNode(): Promise<Vs3CoreModule> {
  const wasmPath = fileURLToPath(new URL('../wasm/vs3core.wasm', import.meta.url));
  return loadCore({ wasmBinary: await readFile(wasmPath) }, 'node');
}

/**
 * Creates the bucket if it does not exist and, with corsOrigins, sets a CORS rule so browsers on
 * those origins may PUT/GET with the signed headers. (PutBucketCors needs Content-MD5, hence Node.)
 */
export async function ensureBucket(opts: S3Options, { corsOrigins = [] as string[] } = {}): Promise<void> {
  const s3 = s3Storage(opts);
  const made = await s3.signedFetch(s3.bucketUrl(), { method: 'PUT' });
  if (!made.ok && made.status !== 409) throw new Error(`vs3: creating bucket ${opts.bucket} failed: ${made.status} ${await made.text()}`);
  if (!corsOrigins.length) return;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const xml =
    '<CORSConfiguration><CORSRule>' +
    corsOrigins.map((o) => `<AllowedOrigin>${esc(o)}</AllowedOrigin>`).join('') +
    '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>' +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>';
  const res = await s3.signedFetch(`${s3.bucketUrl()}?cors`, {
    method: 'PUT',
    body: xml,
    headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(xml).digest('base64') },
  });
  if (!res.ok) throw new Error(`vs3: setting CORS on ${opts.bucket} failed: ${res.status} ${await res.text()}`);
}

/** S3 options from VS3_S3_* environment variables, or null when VS3_S3_ENDPOINT is unset. */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env, bucket = env.VS3_S3_BUCKET): S3Options | null {
  if (!env.VS3_S3_ENDPOINT) return null;
  const need = ['VS3_S3_ACCESS_KEY_ID', 'VS3_S3_SECRET_ACCESS_KEY'].filter((k) => !env[k]);
  if (!bucket) need.push('VS3_S3_BUCKET');
  if (need.length) throw new Error(`vs3: VS3_S3_ENDPOINT is set but ${need.join(', ')} missing`);
  return {
    endpoint: env.VS3_S3_ENDPOINT,
    bucket: bucket!,
    region: env.VS3_S3_REGION || 'us-east-1',
    accessKeyId: env.VS3_S3_ACCESS_KEY_ID!,
    secretAccessKey: env.VS3_S3_SECRET_ACCESS_KEY!,
    forcePathStyle: env.VS3_S3_FORCE_PATH_STYLE !== '0',
  };
}

/**
 * The uploader for Node: the WASM core loaded from disk, PUTs through node:http (no body copies inside
 * fetch, and progress for stall detection). Upload files with `upload(await fileSource(path), { route })`.
 */
export function createNodeUploader(options: UploaderOptions): Uploader {
  return createUploader({ ...nodeDefaults(options), ...options });
}

/** Options of {@link createNodeQueue}: the queue's, plus a resume-state file. */
export interface NodeQueueOptions extends QueueOptions {
  /**
   * A JSON file for resume state: uploads a killed or stopped process left unfinished are resumed
   * when the same file (route, name, size; then proven by content) is added again, or with
   * queue.resume(id) (it opens the recorded path). Unset: nothing is written.
   */
  resumeState?: string;
}

/** createUploadQueue with the same Node defaults as createNodeUploader. */
export function createNodeQueue(options: NodeQueueOptions): UploadQueue {
  const { resumeState, ...rest } = options;
  return createUploadQueue({
    ...nodeDefaults(options),
    // The JSON file is written whole: batch parts for 250 ms (a killed process sends those again).
    ...(resumeState ? { persist: jsonFileStore(resumeState), openPath: (p: string) => fileSource(p), persistIntervalMs: 250 } : {}),
    ...rest,
  });
}

/**
 * Core from disk, node:http PUTs, and a reader that keeps no part bytes: sources with readInto (fileSource)
 * are hashed through a small buffer and each PUT reads its range again from the file as it sends, so
 * memory does not grow with part size or parts in flight.
 */
function nodeDefaults(options: QueueOptions) {
  const core = options.core ?? loadCoreNode();
  return { core, transport: nodeTransport(), reader: coreReader(core, { keepBytes: false }) };
}
