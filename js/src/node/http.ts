// The handler on Node's http server and the frameworks built on it (Express, Fastify, Koa...): a
// (req, res, next?) listener that turns an IncomingMessage into a Fetch Request (the body streamed,
// never buffered), calls the handler with the client's address, and streams the Response back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Vs3Handler } from '../server/handler.js';

/** Options of nodeListener and fastifyPlugin. */
export interface NodeListenerOptions {
  /** The handler's basePath (default "/api/vs3"): other paths go to `next()` (Express) or get 404. */
  basePath?: string;
  /**
   * The client's address for rate limits: default the socket's remote address. Behind a proxy you
   * run, read the header it sets, e.g. (req) => req.headers['x-real-ip'] as string.
   */
  clientIp?: (req: IncomingMessage) => string | undefined;
}

/** A Node request; Express's `originalUrl` keeps the mount path Express strips from `url`. */
export type NodeRequest = IncomingMessage & {
  /** Express: the URL as received, mount path included. */
  originalUrl?: string;
};

/**
 * A Node listener for the vs3 handler: `http.createServer(nodeListener(handler))`,
 * `app.use(nodeListener(handler))` in Express (mount it before any body parser: the handler reads
 * the body itself), or through `reply.hijack()` in Fastify (see vs3/node's fastifyPlugin).
 */
export function nodeListener(handler: Vs3Handler, opts: NodeListenerOptions = {}) {
  const basePath = (opts.basePath ?? '/api/vs3').replace(/\/+$/, '');
  return async (req: NodeRequest, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> => {
    const target = req.originalUrl ?? req.url ?? '/';
    const path = target.split('?')[0] ?? '/';
    if (path !== basePath && !path.startsWith(`${basePath}/`)) {
      if (next) return next();
      res.statusCode = 404;
      res.end();
      return;
    }
    try {
      const host = req.headers.host ?? 'localhost';
      const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
      const controller = new AbortController();
      res.on('close', () => controller.abort());
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
      }
      const request = new Request(`${proto}://${host}${target}`, {
        method: req.method ?? 'GET',
        headers,
        signal: controller.signal,
        ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
      } as RequestInit);
      const ip = opts.clientIp ? opts.clientIp(req) : req.socket.remoteAddress;
      const response = await handler(request, ip ? { ip } : {});
      res.statusCode = response.status;
      for (const [k, v] of response.headers) res.appendHeader(k, v);
      if (!response.body) {
        res.end();
        return;
      }
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), res);
    } catch (e) {
      // The handler answers errors itself; this is the client going away mid-answer, or a bug.
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else {
        res.destroy(e as Error);
      }
    }
  };
}

/** The parts of a Fastify instance the plugin uses (no dependency on fastify's types). */
export interface FastifyLike {
  /** Inside the plugin: no body parsing (the handler streams bodies itself). */
  removeAllContentTypeParsers(): void;
  /** Registers a parser; the plugin's takes every type and reads nothing. */
  addContentTypeParser(type: string, parser: (req: unknown, payload: unknown, done: (err: Error | null, body?: unknown) => void) => void): void;
  /** Routes every method of `path` to `handler`. */
  all(path: string, handler: (req: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => Promise<void>): void;
}

/**
 * A Fastify plugin serving the handler at basePath: `await app.register(fastifyPlugin(handler))`.
 * Inside the plugin (Fastify encapsulates it) no body is parsed: the handler reads it as a stream.
 */
export function fastifyPlugin(handler: Vs3Handler, opts: NodeListenerOptions = {}) {
  const basePath = (opts.basePath ?? '/api/vs3').replace(/\/+$/, '');
  const listener = nodeListener(handler, { ...opts, basePath });
  return async function vs3(fastify: FastifyLike): Promise<void> {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', (_req, _payload, done) => done(null));
    const route = async (req: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => {
      reply.hijack();
      await listener(req.raw, reply.raw);
    };
    fastify.all(basePath, route);
    fastify.all(`${basePath}/*`, route);
  };
}
