import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { build } from 'esbuild';
import { fileSource } from 'vs3/node';

export const sha256hex = (buf) => createHash('sha256').update(buf).digest('hex');
export const SECRET = 'test-secret-0123456789abcdef0123456789';

/** Serves a Fetch handler over real HTTP on 127.0.0.1; returns { url, close }. */
export async function serve(handler) {
  const server = http.createServer(getRequestListener(handler));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

export async function tempDir(t) {
  const dir = await mkdtemp(path.join(tmpdir(), 'vs3-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Magic bytes a file of these types starts with (the client refuses a declared type the bytes contradict). */
const MAGIC = {
  'video/mp4': Buffer.from('\0\0\0\x18ftypisom', 'latin1'),
  'application/pdf': Buffer.from('%PDF-1.7\n'),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
};

/** `size` random bytes as a File of `type` (starting with that type's magic bytes when it has some, see MAGIC). */
export function randomFile(size, name = 'data.bin', type = 'application/octet-stream') {
  const bytes = randomBytes(size);
  MAGIC[type]?.copy(bytes, 0, 0, Math.min(size, MAGIC[type].length));
  return { bytes, blob: new File([bytes], name, { type }), sha256: sha256hex(bytes) };
}

/** POST JSON to a handler directly (no network). */
export function post(handler, pathname, body, headers = {}) {
  return handler(
    new Request(`http://vs3.test${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    }),
  );
}

/**
 * Writes `size` random bytes to dir/{prefix}{size}.bin and uploads that file from disk through
 * `uploader` (vs3/node's createNodeUploader) on `route`; returns { r (the result), bytes }.
 */
export async function uploadFromDisk(uploader, dir, size, { prefix = 'f', route = 'files' } = {}) {
  const file = path.join(dir, `${prefix}${size}.bin`);
  const bytes = randomBytes(size);
  await writeFile(file, bytes);
  const src = await fileSource(file);
  try {
    return { r: await uploader.upload(src, { route }), bytes };
  } finally {
    await src.close();
  }
}

/** Bundles a Worker script for workerd (Miniflare) with esbuild, as wrangler would; returns its code. */
export async function bundleWorker(entry) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser', 'import'],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

/** A Worker's S3 bindings (as wrangler.toml [vars] and secrets give them) from s3OptionsFromEnv(). */
export const s3Bindings = (s3) => ({
  S3_ENDPOINT: s3.endpoint,
  S3_BUCKET: s3.bucket,
  S3_REGION: s3.region,
  S3_ACCESS_KEY_ID: s3.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
});
