// vs3 demo server: the page, the vs3 browser bundle, the presign handler and a file list.
// Storage: local disk (.demo-data/) by default; set VS3_S3_ENDPOINT, VS3_S3_BUCKET,
// VS3_S3_ACCESS_KEY_ID, VS3_S3_SECRET_ACCESS_KEY (and VS3_S3_REGION) to use S3-compatible storage.
import { createReadStream, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { createHandler, defineRoute, localStorage, s3Storage } from 'vs3/server';
import { ensureBucket, fsStore, s3OptionsFromEnv } from 'vs3/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const host = process.env.VS3_HOST ?? '127.0.0.1';
const port = Number(process.env.VS3_PORT ?? 5173);
const secret = process.env.VS3_SECRET ?? randomBytes(32).toString('hex');
const basePath = '/api/vs3';

const s3opts = s3OptionsFromEnv(process.env, process.env.VS3_S3_BUCKET);
const dataDir = path.resolve(process.env.VS3_DATA_DIR ?? path.join(root, '.demo-data'));
const storage = s3opts ? s3Storage(s3opts) : localStorage({ store: fsStore(dataDir), secret });

const handler = createHandler({
  secret,
  storage,
  basePath,
  // Where browsers reach this server, for the local driver's links (else taken from the Host header).
  ...(process.env.VS3_PUBLIC_URL ? { publicUrl: process.env.VS3_PUBLIC_URL } : {}),
  routes: {
    // Multipart: any size up to this; identical content is stored once (dedupe by SHA-256).
    files: defineRoute({ maxFileSize: process.env.VS3_DEMO_MAX_SIZE ?? '50GiB', dedupe: true }),
    // The page resizes and re-encodes images (vs3/image) before upload, with a thumbnail stored
    // beside each (`<key>.variants/thumb.webp`); raster images are served inline for previews.
    images: defineRoute({ maxFileSize: '25MB', allowedFileTypes: ['image/*'], variants: ['thumb'], inlineImages: true }),
  },
});

const STATIC_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};
// URL prefix -> directory. Only the browser half of the package is served.
// /vendor/: the client's one npm dependency in browsers (idb, for resume state), found by the page's
// import map; a bundler resolves it on its own in real apps.
const idbDir = path.dirname(fileURLToPath(import.meta.resolve('idb')));
const mounts = [
  ['/vs3/', path.join(root, 'js/dist/')],
  ['/vendor/idb/', idbDir + path.sep],
  ['/', path.join(here, 'public/')],
];
const browserFiles = /^(client\/|image\/(?!node\.)|wasm\/vs3(core|image)\.(mjs|wasm)$|core\.js$|errors\.js$|crc32c\.js$|sniff\.js$)/;

function serveStatic(req, res, pathname) {
  for (const [prefix, dir] of mounts) {
    if (!pathname.startsWith(prefix)) continue;
    let rel;
    try {
      rel = decodeURIComponent(pathname.slice(prefix.length)) || 'index.html';
    } catch {
      break; // "%" alone, "%zz": not a path (answered 404; this used to throw and end the process)
    }
    // Decoded first, then normalized: "client%2f..%2fserver%2fhandler.js" is server/handler.js, not
    // a file under client/ (the browser-only allowlist is checked on the real path).
    rel = path.posix.normalize(rel);
    if (rel.startsWith('../') || rel === '..' || rel.includes('\0')) break;
    if (prefix === '/vs3/' && !browserFiles.test(rel)) break;
    if (prefix === '/vendor/idb/' && !/^[\w-]+\.js$/.test(rel)) break;
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir)) break;
    let st;
    try {
      st = statSync(file);
    } catch {
      break;
    }
    if (!st.isFile()) break;
    res.writeHead(200, {
      'content-type': STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

async function listFiles(request) {
  const origin = new URL(request.url).origin;
  const ctx = { baseUrl: origin + basePath, now: Date.now() };
  const objects = await storage.list({ limit: 200 });
  // sha256: what storage (or the local driver) proved; on RGW, which proves none, the hash the upload
  // signed into the object's metadata (the handler read it back and checked it at completion).
  const files = await Promise.all(
    objects.map(async (o) => ({
      ...o,
      sha256: o.sha256 ?? o.claimedSha256,
      url: await storage.downloadUrl(o.key, 3600, ctx, { disposition: 'attachment' }),
    })),
  );
  return Response.json({ storage: storage.kind, files });
}

const apiListener = getRequestListener(async (request) => {
  const { pathname } = new URL(request.url);
  if (pathname === '/api/files' && request.method === 'GET') {
    try {
      return await listFiles(request);
    } catch (e) {
      return Response.json({ error: { code: 'storage_error', message: String(e.message ?? e) } }, { status: 502 });
    }
  }
  return handler(request);
});

const server = http.createServer((req, res) => {
  let pathname;
  try {
    pathname = new URL(req.url, 'http://x').pathname;
  } catch {
    return res.writeHead(400).end();
  }
  if (pathname.startsWith('/api/')) return apiListener(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405).end();
  serveStatic(req, res, pathname);
});
// Large uploads to the local driver take long, but a client that sends nothing must not hold a
// socket: no limit on the whole request, 30 s for headers, 5 min without a byte (a multipart complete
// of many GiB on the local driver assembles and hashes for minutes before it answers).
server.requestTimeout = 0;
server.headersTimeout = 30_000;
server.timeout = 300_000;

server.listen(port, host, async () => {
  const origin = `http://${host}:${server.address().port}`;
  if (s3opts) {
    await ensureBucket(s3opts, { corsOrigins: [origin] });
  }
  console.log(`vs3 demo: ${origin}/  (storage: ${s3opts ? `s3 ${s3opts.endpoint} bucket ${s3opts.bucket}` : `local ${dataDir}`})`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref());
