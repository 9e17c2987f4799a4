// Issue 10, server adapters: the same Fetch handler behind node:http, Express, Fastify and Hono
// (on @hono/node-server), each run for real over loopback - a single-PUT and a multipart upload by
// the Node client through the adapter (the local driver's URLs are served by the same adapter), the
// bytes checked on disk, the client's address reaching rate limits, and other routes of the app
// left alone.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createNodeUploader, fastifyPlugin, fsStore, nodeListener } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import path from 'node:path';
import { SECRET, sha256hex, tempDir, uploadFromDisk } from './helpers.mjs';

function makeHandler(dir, ips) {
  return createHandler({
    secret: SECRET,
    storage: localStorage({ store: fsStore(path.join(dir, 'data')), secret: SECRET }),
    routes: { files: defineRoute({ maxFileSize: '64MB', onUploadComplete: () => ({ ok: true }) }) },
    // Every request's client address, as the adapter passed it (rate limits key on it).
    clientIp: () => undefined,
    rateLimit: { rules: { limit: 1000, windowSeconds: 1 }, key: (_req, { ip }) => (ips.push(ip), ip) },
  });
}

const listen = (server) => new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${server.address().port}`)));
const close = (server) =>
  new Promise((r) => {
    server.closeAllConnections?.();
    server.close(() => r());
  });

const adapters = {
  'node:http': async (handler) => {
    const server = http.createServer(nodeListener(handler));
    return { url: await listen(server), close: () => close(server) };
  },
  Express: async (handler) => {
    const app = express();
    app.get('/health', (_req, res) => res.send('ok'));
    app.use(nodeListener(handler)); // before any body parser
    app.use(express.json());
    const server = http.createServer(app);
    return { url: await listen(server), close: () => close(server) };
  },
  Fastify: async (handler) => {
    const app = Fastify();
    app.get('/health', async () => 'ok');
    await app.register(fastifyPlugin(handler));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
  Hono: async (handler) => {
    const app = new Hono();
    app.get('/health', (c) => c.text('ok'));
    app.all('/api/vs3/*', (c) => handler(c.req.raw, { ip: c.env.incoming.socket.remoteAddress }));
    const server = await new Promise((r) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => r(s));
    });
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => close(server) };
  },
};

for (const [name, start] of Object.entries(adapters)) {
  test(`${name}: single-PUT and multipart uploads end to end through the adapter`, { timeout: 120_000 }, async (t) => {
    const dir = await tempDir(t);
    const ips = [];
    const srv = await start(makeHandler(dir, ips));
    t.after(() => srv.close());
    // Paths outside basePath are the app's: its own routes answer (plain node:http has none: 404).
    const health = await fetch(`${srv.url}/health`);
    if (name === 'node:http') assert.equal(health.status, 404);
    else assert.equal(await health.text(), 'ok', "the app's own routes still answer");
    const up = createNodeUploader({ endpoint: `${srv.url}/api/vs3` });
    for (const size of [300_000, 12 * 1024 * 1024 + 5]) {
      const { r, bytes } = await uploadFromDisk(up, dir, size);
      assert.equal(r.sha256, sha256hex(bytes));
      assert.equal(r.verified, true);
      assert.deepEqual(r.result, { ok: true });
      const dl = Buffer.from(await (await fetch(r.url)).arrayBuffer());
      assert.equal(sha256hex(dl), sha256hex(bytes), `${size} bytes stored intact`);
    }
    assert.ok(ips.length > 0 && ips.every((ip) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1'), `client addresses: ${[...new Set(ips)]}`);
    await up.dispose?.();
  });
}
