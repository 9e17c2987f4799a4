// The plain-HTML example's server: node:http only. It mounts the vs3 handler (local-disk storage)
// at /api/vs3 with vs3/node's nodeListener, serves index.html and the drop-in script (vs3.js,
// vs3-worker.js, vs3core.wasm from the package's dist/script/), and takes the form's POST /profile,
// which carries stored keys, never file bytes. Run: node examples/plain-html/server.mjs
// (e2e/script.test.mjs starts it through startExample() and drives the page in Chromium.)
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fsStore, nodeListener } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';

const here = path.dirname(fileURLToPath(import.meta.url));
// The drop-in build ships in the package: node_modules/vs3/dist/script/.
const scriptDir = fileURLToPath(new URL('../script/', import.meta.resolve('vs3/wasm/vs3core.wasm')));
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Reads a small urlencoded body (at most 64 KiB). */
async function formBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * Starts the example. Options: port (default $PORT or 3000; 0 picks a free one), host, dataDir (where
 * the local driver keeps objects), secret. Resolves with { url, store, posts, close }; posts lists
 * every accepted form post as { fields, files: [{ field, key, size, sha256 }] }.
 */
export async function startExample(opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  const secret = opts.secret ?? process.env.VS3_SECRET ?? randomBytes(32).toString('hex');
  const store = fsStore(opts.dataDir ?? path.join(here, '.data'));
  // Keys the handler confirmed (onUploadComplete). A real app records them with the user's session
  // and accepts in a form only keys that user uploaded: a key typed into a form proves nothing.
  const uploaded = new Map();
  const handler = createHandler({
    secret,
    storage: localStorage({ store, secret }),
    routes: {
      avatars: defineRoute({
        maxFileSize: '1MB',
        allowedFileTypes: ['image/png', 'image/jpeg', 'image/webp', 'image/gif'],
        onUploadComplete: ({ key, file }) => void uploaded.set(key, file),
      }),
      documents: defineRoute({ maxFileSize: '100MB', onUploadComplete: ({ key, file }) => void uploaded.set(key, file) }),
    },
  });
  const api = nodeListener(handler);
  const posts = [];

  async function profile(req, res) {
    const form = await formBody(req);
    const files = [];
    for (const field of ['avatar', 'documents']) {
      for (const key of form.getAll(field)) {
        const stored = uploaded.has(key) ? await store.head(key) : null;
        if (!stored) return res.writeHead(400, { 'content-type': 'text/plain' }).end(`${field}: ${key} is not a stored upload`);
        files.push({ field, key, size: stored.size, sha256: stored.sha256 });
      }
    }
    posts.push({ fields: Object.fromEntries([...new Set(form.keys())].map((k) => [k, form.getAll(k)])), files });
    const items = files.map((f) => `<li data-key="${esc(f.key)}">${esc(f.field)}: <code>${esc(f.key)}</code>, ${f.size} bytes, SHA-256 ${esc(f.sha256)}</li>`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><meta charset="utf-8"><title>Saved</title><h1>Saved</h1>` +
        `<p>Display name: ${esc(form.get('displayName') ?? '')}</p><ul id="saved">${items.join('')}</ul><p><a href="/">Back</a></p>`,
    );
  }

  const server = http.createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    try {
      if (pathname.startsWith('/api/vs3')) return await api(req, res);
      if (pathname === '/profile' && req.method === 'POST') return await profile(req, res);
      if (req.method !== 'GET') return res.writeHead(405).end();
      const file =
        pathname === '/'
          ? path.join(here, 'index.html')
          : /^\/vs3\/(vs3\.js|vs3-worker\.js|vs3core\.wasm)(\.map)?$/.test(pathname)
            ? path.join(scriptDir, pathname.slice(5))
            : null;
      if (!file) return res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      const body = await readFile(file);
      // The script's files may be loaded from another origin, as from a CDN (CORS for the worker and wasm).
      res
        .writeHead(200, {
          'content-type': TYPES[path.extname(file)] ?? 'text/html; charset=utf-8',
          'cache-control': 'no-cache',
          'access-control-allow-origin': '*',
        })
        .end(body);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e.message ?? e));
    }
  });
  await new Promise((resolve) => server.listen(opts.port ?? Number(process.env.PORT ?? 3000), host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return { url, store, posts, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startExample();
  console.log(`vs3 plain-html example: ${url}/`);
}
