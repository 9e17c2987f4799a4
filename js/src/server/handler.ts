// The presign handler: (Request) => Promise<Response>. Web platform APIs only.
//   POST {base}/presign   {route, file:{name,size,type,sha256}, metadata} -> {key, token, upload:{method,url,headers,expiresAt}}
//   POST {base}/complete  {token}                                         -> {file:{key,name,size,type,sha256,url}, result}
//   GET  {base}/routes                                                     -> public route rules, for client-side checks
//   *    {base}/local/...                                                  -> the storage driver's own URLs (local driver)
import { Vs3Error } from '../errors.js';
import {
  checkMetadata, checkSha256, checkSize, checkType, compileRoute, sanitizeFileName, validateFileName, validateKey,
  type CompiledRoute, type RouteConfig,
} from './routes.js';
import type { DriverContext, StorageDriver } from './storage.js';
import { signToken, verifyToken } from './token.js';
import { Hmac, errorResponse, json, readJsonObject } from './util.js';

export interface HandlerOptions {
  routes: Record<string, RouteConfig<any>>;
  storage: StorageDriver;
  /** At least 32 characters; signs upload tokens. Keep it server-side. */
  secret: string;
  /** Path the handler is mounted at. Default "/api/vs3". */
  basePath?: string;
  /** Largest JSON request body. Default 64 KiB. */
  maxRequestBytes?: number;
  /** Seconds a signed download URL stays valid in completion answers. Default 3600. */
  downloadUrlExpiresIn?: number;
  /** Clock in unix ms (tests). */
  now?: () => number;
  /** Called with unexpected errors (answered as 500 internal_error or 502 storage_error). */
  onError?: (error: unknown, request: Request) => void;
}

export type Vs3Handler = (request: Request) => Promise<Response>;

export function createHandler(options: HandlerOptions): Vs3Handler {
  const hmac = new Hmac(options.secret);
  const basePath = (options.basePath ?? '/api/vs3').replace(/\/+$/, '');
  const maxBytes = options.maxRequestBytes ?? 64 * 1024;
  const now = options.now ?? Date.now;
  const storage = options.storage;
  const routes = new Map<string, CompiledRoute>();
  for (const [name, cfg] of Object.entries(options.routes)) routes.set(name, compileRoute(name, cfg));

  const ctxFor = (req: Request): DriverContext => ({ baseUrl: new URL(req.url).origin + basePath, now: now() });

  async function authorize(route: CompiledRoute, req: Request): Promise<unknown> {
    if (!route.config.authorize) return undefined;
    let auth: unknown;
    try {
      auth = await route.config.authorize(req);
    } catch (e) {
      if (e instanceof Vs3Error) throw e;
      throw new Vs3Error('forbidden', e instanceof Error ? e.message : 'not allowed', 403);
    }
    if (auth === false) throw new Vs3Error('forbidden', 'not allowed', 403);
    return auth;
  }

  async function presign(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    if (typeof body.route !== 'string') throw new Vs3Error('invalid_request', 'route must be a string');
    const route = routes.get(body.route);
    if (!route) throw new Vs3Error('unknown_route', `no upload route named ${JSON.stringify(body.route).slice(0, 80)}`, 404);
    const file = body.file;
    if (file === null || typeof file !== 'object' || Array.isArray(file)) throw new Vs3Error('invalid_request', 'file must be an object');
    const f = file as Record<string, unknown>;
    const auth = await authorize(route, req);
    const name = validateFileName(f.name);
    const size = checkSize(route, f.size);
    const type = checkType(route, name, f.type);
    const sha256 = checkSha256(route, f.sha256);
    const metadata = await checkMetadata(route, body.metadata);
    const safeName = sanitizeFileName(name);
    const fileInfo = { name, size, type, ...(sha256 ? { sha256 } : {}) };
    const id = crypto.randomUUID();
    const key = validateKey(route.config.key ? await route.config.key({ route: route.name, file: fileInfo, metadata, auth, id, safeName }) : `${route.name}/${id}/${safeName}`);
    const ctx = ctxFor(req);
    const upload = await storage.presignPut({ key, size, contentType: type, sha256, expiresIn: route.expiresIn }, ctx);
    // The token outlives the URL by an hour so a slow upload that started in time can still complete.
    const token = await signToken(hmac, { v: 1, route: route.name, key, name, size, type, sha256, metadata, exp: upload.expiresAt + 3600_000 });
    return json({ key, token, upload });
  }

  async function complete(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const claims = await verifyToken(hmac, body.token, now());
    const route = routes.get(claims.route);
    if (!route) throw new Vs3Error('unknown_route', 'the route of this upload no longer exists', 404);
    const stored = await storage.head(claims.key);
    if (!stored) throw new Vs3Error('upload_not_found', 'storage has no object for this upload yet', 409);
    const mismatch: string[] = [];
    if (stored.size !== claims.size) mismatch.push(`size ${stored.size} != ${claims.size}`);
    if (stored.contentType && stored.contentType !== claims.type) mismatch.push(`type ${stored.contentType} != ${claims.type}`);
    if (claims.sha256 && stored.sha256 && stored.sha256 !== claims.sha256) mismatch.push('sha256 differs');
    if (mismatch.length) throw new Vs3Error('upload_mismatch', `stored object does not match the upload: ${mismatch.join(', ')}`, 409);
    const file = { key: claims.key, name: claims.name, size: claims.size, type: claims.type, sha256: claims.sha256 };
    const result = await route.config.onUploadComplete?.({ route: route.name, key: claims.key, file, metadata: claims.metadata, request: req });
    const ctx = ctxFor(req);
    const url = storage.downloadUrl ? await storage.downloadUrl(claims.key, options.downloadUrlExpiresIn ?? 3600, ctx) : undefined;
    return json({ file: { ...file, url }, result: result ?? null });
  }

  function routeRules(): Response {
    const out: Record<string, unknown> = {};
    for (const r of routes.values()) {
      out[r.name] = {
        maxFileSize: r.maxFileSize,
        minFileSize: r.minFileSize,
        allowedFileTypes: [...r.mimePatterns, ...r.extensions],
        requireChecksum: r.config.requireChecksum !== false,
        metadata: Boolean(r.config.metadata),
      };
    }
    return json({ routes: out });
  }

  return async function vs3Handler(req: Request): Promise<Response> {
    try {
      const url = new URL(req.url);
      if (url.pathname !== basePath && !url.pathname.startsWith(basePath + '/')) {
        throw new Vs3Error('not_found', 'not a vs3 path', 404);
      }
      const sub = url.pathname.slice(basePath.length);
      if (sub.startsWith('/local/')) {
        if (!storage.handle) throw new Vs3Error('not_found', 'this storage serves no URLs of its own', 404);
        return await storage.handle(req, sub.slice('/local/'.length), ctxFor(req));
      }
      const endpoints: Record<string, [string, () => Promise<Response> | Response]> = {
        '/presign': ['POST', () => presign(req)],
        '/complete': ['POST', () => complete(req)],
        '/routes': ['GET', routeRules],
      };
      const ep = endpoints[sub];
      if (!ep) throw new Vs3Error('not_found', `no endpoint ${sub || '/'}`, 404);
      if (req.method !== ep[0]) {
        return errorResponse(new Vs3Error('method_not_allowed', `${sub} takes ${ep[0]}`, 405), { allow: ep[0] });
      }
      return await ep[1]();
    } catch (e) {
      if (e instanceof Vs3Error) return errorResponse(e);
      options.onError?.(e, req);
      if (!options.onError) console.error('vs3: unexpected error', e);
      return errorResponse(new Vs3Error('internal_error', 'internal error', 500));
    }
  };
}
