import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';

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

export function randomFile(size, name = 'data.bin', type = 'application/octet-stream') {
  const bytes = randomBytes(size);
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
