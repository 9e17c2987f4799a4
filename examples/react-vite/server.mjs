// The example's server, node:http only: the vs3 handler (files on local disk through its own
// HMAC-signed URLs) at /api/vs3, and the app: the production build in dist/ (`npm run build`
// first), or with --dev Vite itself in middleware mode (hot reload, no second server, no proxy).
//   node server.mjs          PORT=3000, VS3_SECRET, VS3_DATA_DIR (default .data/)
//   node server.mjs --dev
// tests/js/examples.test.mjs imports startServer() and uploads through the built app in Chromium.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fsStore, nodeListener } from 'vs3/node';
import { createHandler, localStorage } from 'vs3/server';
import { routes } from './routes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Serves dist/: files as they are (hashed names under /assets/ cached for good), index.html otherwise. */
function serveDist(dist) {
  return async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    let file = path.join(dist, path.normalize(decodeURIComponent(pathname)));
    if (!file.startsWith(dist + path.sep)) return res.writeHead(400).end();
    let st = await stat(file).catch(() => null);
    if (!st?.isFile()) {
      if (path.extname(pathname)) return res.writeHead(404).end('not found');
      file = path.join(dist, 'index.html'); // client-side routes
      st = await stat(file).catch(() => null);
      if (!st) return res.writeHead(500).end('dist/ is missing: run `npm run build` first (or `npm run dev`)');
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  };
}

/**
 * Starts the server. Options: port (default $PORT or 3000; 0 picks a free one), host, dataDir,
 * secret, dev (Vite middleware instead of dist/). Resolves with { url, dataDir, close }.
 */
export async function startServer(opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  // At least 32 characters, the same on every instance; unset: a random one for this process.
  const secret = opts.secret ?? process.env.VS3_SECRET ?? randomBytes(32).toString('hex');
  const dataDir = opts.dataDir ?? process.env.VS3_DATA_DIR ?? path.join(here, '.data');
  const handler = createHandler({
    secret,
    routes,
    // For S3, R2, B2, MinIO, Ceph RGW: s3Storage({ endpoint, bucket, ... }) from vs3/server instead.
    storage: localStorage({ store: fsStore(dataDir), secret }),
  });
  const api = nodeListener(handler);
  const server = http.createServer();
  let app = serveDist(path.join(here, 'dist'));
  let vite;
  if (opts.dev) {
    const { createServer } = await import('vite');
    vite = await createServer({ root: here, server: { middlewareMode: true, hmr: { server } }, appType: 'spa' });
    app = vite.middlewares;
  }
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/api/vs3')) return void api(req, res);
    app(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? Number(process.env.PORT ?? 3000), host, resolve);
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.address().port}`;
  return {
    url,
    dataDir,
    close: async () => {
      await vite?.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await startServer({ dev: process.argv.includes('--dev'), host: process.env.HOST ?? '127.0.0.1' });
  console.log(`vs3 react-vite example: ${url}/`);
}
