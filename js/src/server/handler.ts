// The presign handler: (Request) => Promise<Response>. Web platform APIs only. Stateless: what it
// allowed travels in HMAC-signed tokens; storage is the only state.
//   POST {base}/presign   {route, file:{name,size,type,sha256}, metadata} -> {key, token, upload:{method,url,headers,expiresAt}, dedupe}
//                                                                            or {existing:{file, result}} (dedupe hit)
//   POST {base}/complete  {token}                                         -> {file:{key,name,size,type,sha256,url}, result}
//   POST {base}/multipart/create   {route, file:{name,size,type}, metadata, partSize} -> {key, token, uploadId, partSize, partCount, dedupe}
//   POST {base}/multipart/sign     {token, parts:[{partNumber, crc32c}]}   -> {parts:[{partNumber, url, method, headers, expiresAt}]}
//   POST {base}/multipart/complete {token, sha256}                         -> as /complete
//   POST {base}/multipart/abort    {token}                                 -> {aborted: true}
//   POST {base}/multipart/resume   {token}  (expired is fine within resumeWindow; authorize and route rules run again)
//                                  -> {key, uploadId, partSize, partCount, token (fresh), expiresAt, dedupe, parts:[{partNumber, size, etag, crc32c?}]}
//   POST {base}/dedupe    {token, sha256}                                  -> {existing: null | {file, result}}
//   POST {base}/dedupe    {token, probe:{crc32c}}  (size + first part's CRC) -> {candidate: boolean}
//   GET  {base}/routes                                                     -> public route rules, for client-side checks
//   OPTIONS {base}/...                                                     -> CORS preflight (options.cors)
//   *    {base}/local/...                                                  -> the storage driver's own URLs (local driver)
import { Vs3Error } from '../errors.js';
import { crc32cFromBase64 } from '../crc32c.js';
import {
  MAX_PARTS,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  MULTIPART_LIMIT,
  SINGLE_PUT_LIMIT,
  objectMetadata,
  objectTags,
  checkMetadata,
  checkSha256,
  checkSize,
  checkType,
  compileRoute,
  extensionForType,
  sanitizeFileName,
  validateFileName,
  validateKey,
  type AnyRouteConfig,
  type CompiledRoute,
  type FileInfo,
  type RouteConfig,
} from './routes.js';
import type { DownloadOptions, DriverContext, StorageDriver, StoredObject, StoredPart } from './storage.js';
import { signToken, verifyToken, type UploadClaims } from './token.js';
import { memoryRateLimits, type RateLimitRule, type RateLimitStore } from './ratelimit.js';
import { Hmac, b64urlEncode, digestStream, errorResponse, json, readHead, readJsonObject } from './util.js';
import { SNIFF_BYTES, checkContent } from '../sniff.js';

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  /** Upload routes by name (names match [A-Za-z0-9_-]{1,64}); declare each with defineRoute(). */
  routes: Record<string, AnyRouteConfig>;
  /** Where objects go: s3Storage(...), localStorage(...) or your own StorageDriver. */
  storage: StorageDriver;
  /** At least 32 characters; signs upload tokens. Keep it server-side. */
  secret: string;
  /** Path the handler is mounted at. Default "/api/vs3". */
  basePath?: string;
  /** Largest JSON request body. Default 64 KiB. */
  maxRequestBytes?: number;
  /** Seconds a signed download URL stays valid in completion answers. Default 3600. */
  downloadUrlExpiresIn?: number;
  /** Seconds a multipart upload token (signing parts, completing) stays valid. Default 86400. */
  multipartExpiresIn?: number;
  /**
   * Seconds after a multipart token was issued during which /multipart/resume still trades it,
   * expired or not, for a fresh one (after checking the route, authorize and the file again).
   * Default 604800 (7 days).
   */
  resumeWindow?: number;
  /**
   * Origin clients reach the handler at (e.g. "https://uploads.example.com"), used for the local
   * driver's upload and download URLs. Unset: the request's own URL, i.e. its Host header - fine
   * behind a proxy that sets Host, but a client then chooses the origin of the links it is given.
   */
  publicUrl?: string;
  /** Clock in unix ms (tests). */
  now?: () => number;
  /**
   * Completion records (onUploadComplete once per upload). Default: memoryCompletions() in this
   * process; redisCompletions(redis) when the handler runs on several machines.
   */
  completions?: CompletionStore;
  /**
   * Token-bucket limits per route and endpoint (429 rate_limited with Retry-After; the client waits
   * and retries). Off unless set. See RateLimitOptions.
   */
  rateLimit?: RateLimitOptions;
  /**
   * The client's address for rate limits keyed by IP, when the handler is not given one per request
   * (handler(request, { ip })). E.g. Cloudflare: (req) => req.headers.get('cf-connecting-ip').
   * Only read headers a proxy you run sets: any client can send X-Forwarded-For.
   */
  clientIp?: (request: Request) => string | null | undefined;
  /**
   * Cross-origin callers (an app on another origin than the handler): preflights are answered and
   * allowed origins get Access-Control-Allow-Origin (with Vary: Origin). Unset: same-origin only.
   */
  cors?: CorsOptions;
  /**
   * Called with every unexpected error (answered as 500 internal_error), every 5xx (502
   * storage_error) and errors thrown by `authorize` that are not a Vs3Error (answered 403).
   */
  onError?: (error: unknown, request: Request, info: { requestId: string }) => void;
}

/** The endpoints a rate limit can name. */
export type RateLimitedEndpoint =
  | 'presign'
  | 'complete'
  | 'dedupe'
  | 'multipart/create'
  | 'multipart/sign'
  | 'multipart/complete'
  | 'multipart/abort'
  | 'multipart/resume';

/** The handler's `rateLimit` option: token buckets per route and endpoint. */
export interface RateLimitOptions {
  /** Where buckets live. Default memoryRateLimits() (this process); redisRateLimits(redis) for many machines. */
  store?: RateLimitStore;
  /**
   * One rule for every endpoint, or a rule per endpoint (endpoints not named are not limited).
   * Each route has its own buckets; a route's `rateLimit` replaces these for it.
   */
  rules: RateLimitRule | Partial<Record<RateLimitedEndpoint, RateLimitRule>>;
  /**
   * Whose bucket a request takes from: 'ip' (handler(request, { ip }) or clientIp(request)), 'user'
   * (the route's owner(auth), else what authorize returned when it is a string or has an id /
   * userId / sub; IP when unknown, e.g. before authorize ran), or a function (undefined: IP).
   * Default 'ip'.
   */
  key?:
    | 'ip'
    | 'user'
    | ((
        request: Request,
        ctx: { route: string; endpoint: RateLimitedEndpoint; auth: unknown; ip: string },
      ) => string | undefined | Promise<string | undefined>);
}

/** The handler's `cors` option: which other origins may call it from a browser. */
export interface CorsOptions {
  /** Origins allowed to call the handler from a browser: exact strings ("https://app.example"), RegExps, or "*". */
  origins: readonly (string | RegExp)[] | '*';
  /** Allow cookies / HTTP auth (Access-Control-Allow-Credentials). Not with "*". Default false. */
  credentials?: boolean;
  /** Seconds a browser may cache a preflight answer. Default 600. */
  maxAge?: number;
  /** Request headers allowed besides content-type, authorization and x-request-id. */
  headers?: readonly string[];
}

/**
 * Where completions are remembered, so that onUploadComplete runs once per upload however often
 * /complete is called (a retry after a lost answer, a replayed token): replays get the first answer.
 * The default keeps them in this process; handlers on several machines share a real store (Redis).
 */
export interface CompletionStore {
  /** The answer recorded for `id`, or undefined when there is none (or it expired). */
  get(id: string): Promise<unknown | undefined>;
  /** Records `answer` for `id` for `ttlMs` milliseconds. */
  set(id: string, answer: unknown, ttlMs: number): Promise<void>;
  /**
   * Shared stores (Redis): take the right to run a completion (true) or learn that another machine
   * is running it (false); the handler then waits for that one's answer. Released after the answer
   * is recorded or the completion failed.
   */
  claim?(id: string, ttlMs: number): Promise<boolean>;
  /** Gives up a claim this store took (see claim). */
  release?(id: string): Promise<void>;
}

/** In-process completion records: at most `max` (oldest dropped first), each for its TTL. */
export function memoryCompletions({ max = 10_000 }: { max?: number } = {}): CompletionStore {
  const records = new Map<string, { answer: unknown; until: number }>();
  return {
    async get(id) {
      const r = records.get(id);
      if (r && r.until < Date.now()) records.delete(id);
      return r && r.until >= Date.now() ? r.answer : undefined;
    },
    async set(id, answer, ttlMs) {
      records.delete(id);
      records.set(id, { answer, until: Date.now() + ttlMs });
      while (records.size > max) records.delete(records.keys().next().value!);
    },
  };
}

/**
 * The handler. `info.ip` is the client's address when the server adapter knows it (Node:
 * `(req, env) => handler(req, { ip: env.incoming.socket.remoteAddress })` with @hono/node-server).
 */
export type Vs3Handler = (request: Request, info?: { ip?: string }) => Promise<Response>;

/** Images browsers only ever display (no scripts): the only types a route may serve inline. */
const RASTER = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']);

/**
 * How long a completion may hold its claim in a shared store: only a machine that died mid-way
 * leaves one behind (a failed completion releases it), so this is generous (a read-back of several
 * GiB and a slow scan fit).
 */
const CLAIM_MS = 300_000;

/** What a completion answers (and what is recorded for replays). */
interface CompletionAnswer {
  file: {
    key: string;
    name: string;
    size: number;
    type: string;
    sha256?: string | undefined;
    url?: string | undefined;
    verified: boolean;
    deduplicated?: boolean;
  };
  result: unknown;
}

/** A random upload tag (128 bits, base64url). */
const newTag = () => b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));

/** Keys the handler keeps for itself; no upload may use them. */
const INTERNAL_PREFIX = '.vs3/';
/** Variants are taken within a day of their original's upload token. */
const VARIANT_WINDOW_MS = 86_400_000;

/** The whole-file hash at multipart completion and dedupe: required whatever the route's requireChecksum. */
function requireSha256(v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw new Vs3Error('invalid_checksum', 'sha256 must be 64 hex digits');
  return v.toLowerCase();
}

/**
 * The handler for every vs3 endpoint under `basePath`: route every method on that path and below to
 * it. Errors are answered as JSON `{ error: { code, message } }` with their status. Throws at creation
 * for a secret under 32 characters, an invalid route (name, sizes, types, expiresIn, object options),
 * a publicUrl that is not http(s), a negative resumeWindow, or cors credentials with origins "*".
 */
export function createHandler(options: HandlerOptions): Vs3Handler {
  const hmac = new Hmac(options.secret);
  const basePath = (options.basePath ?? '/api/vs3').replace(/\/+$/, '');
  const maxBytes = options.maxRequestBytes ?? 64 * 1024;
  const now = options.now ?? Date.now;
  const storage = options.storage;
  const mpExpiresIn = options.multipartExpiresIn ?? 86_400;
  const resumeWindow = options.resumeWindow ?? 604_800;
  if (!(resumeWindow >= 0)) throw new Error('vs3: resumeWindow must be a number of seconds >= 0');
  const routes = new Map<string, CompiledRoute>();
  for (const [name, cfg] of Object.entries(options.routes)) routes.set(name, compileRoute(name, cfg));

  // Request ids: the caller's x-request-id if it looks like one, else a new one; on every answer and
  // in every onError report.
  const requestIds = new WeakMap<Request, string>();
  const requestIdOf = (req: Request): string => {
    let id = requestIds.get(req);
    if (!id) {
      const given = req.headers.get('x-request-id');
      id = given && /^[\w.:@-]{1,128}$/.test(given) ? given : crypto.randomUUID();
      requestIds.set(req, id);
    }
    return id;
  };
  function report(e: unknown, req: Request) {
    if (options.onError) {
      try {
        options.onError(e, req, { requestId: requestIdOf(req) });
      } catch (err) {
        console.error('vs3: onError threw', err);
      }
    } else {
      console.error(`vs3: [${requestIdOf(req)}]`, e);
    }
  }

  let publicOrigin: string | undefined;
  if (options.publicUrl !== undefined) {
    const u = new URL(options.publicUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('vs3: publicUrl must be an http(s) URL');
    publicOrigin = u.origin;
  }
  const ctxFor = (req: Request): DriverContext => ({ baseUrl: (publicOrigin ?? new URL(req.url).origin) + basePath, now: now() });

  async function authorize(route: CompiledRoute, req: Request): Promise<unknown> {
    if (!route.config.authorize) return undefined;
    let auth: unknown;
    try {
      auth = await route.config.authorize(req);
    } catch (e) {
      if (e instanceof Vs3Error) throw e; // refused on purpose, with a message meant for the client
      // Anything else may carry internals (a connection string, a stack): the client hears only
      // "not allowed"; the error goes to onError.
      report(e, req);
      throw new Vs3Error('forbidden', 'not allowed', 403);
    }
    if (auth === false) throw new Vs3Error('forbidden', 'not allowed', 403);
    return auth;
  }

  function routeOf(name: unknown): CompiledRoute {
    if (typeof name !== 'string') throw new Vs3Error('invalid_request', 'route must be a string');
    const route = routes.get(name);
    if (!route) throw new Vs3Error('unknown_route', `no upload route named ${JSON.stringify(name).slice(0, 80)}`, 404);
    return route;
  }

  // ---- rate limits --------------------------------------------------------------------------------

  const rl = options.rateLimit;
  const rlStore = rl ? (rl.store ?? memoryRateLimits()) : undefined;
  const ips = new WeakMap<Request, string>();
  let warnedIp = false;
  function ipOf(req: Request): string {
    const ip = ips.get(req) ?? options.clientIp?.(req) ?? undefined;
    if (ip) return ip;
    if (!warnedIp && rl) {
      warnedIp = true;
      console.warn('vs3: rate limits by IP, but no client address: pass handler(request, { ip }) or clientIp (every client shares one bucket)');
    }
    return 'unknown';
  }
  function ruleFor(route: CompiledRoute, endpoint: RateLimitedEndpoint): RateLimitRule | undefined {
    const rules = route.config.rateLimit === false ? undefined : (route.config.rateLimit ?? rl?.rules);
    if (!rules) return undefined;
    return 'limit' in rules ? (rules as RateLimitRule) : (rules as Partial<Record<RateLimitedEndpoint, RateLimitRule>>)[endpoint];
  }
  async function userOf(route: CompiledRoute, auth: unknown): Promise<string | undefined> {
    if (auth === undefined || auth === null) return undefined;
    if (route.config.owner) return (await route.config.owner(auth)) || undefined;
    if (typeof auth === 'string' || typeof auth === 'number') return String(auth);
    const a = auth as { id?: unknown; userId?: unknown; sub?: unknown };
    const id = a.id ?? a.userId ?? a.sub;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  }
  /** Limits keyed by who the caller is are taken after authorize; by IP, before it (a flood costs no authorize calls). */
  const byUser = rl !== undefined && rl.key !== undefined && rl.key !== 'ip';
  /**
   * Takes a token for this route and endpoint, or refuses with 429 and Retry-After. `own`: the
   * token's owner HMAC, who the caller is on endpoints that run no authorize.
   */
  async function limit(req: Request, route: CompiledRoute, endpoint: RateLimitedEndpoint, auth?: unknown, own?: string) {
    const rule = rlStore && ruleFor(route, endpoint);
    if (!rule) return;
    const ip = ipOf(req);
    const k = rl!.key ?? 'ip';
    let who: string | undefined;
    if (k === 'user') {
      const user = await userOf(route, auth);
      who = user !== undefined ? `u:${user}` : own ? `o:${own}` : undefined;
    } else if (typeof k === 'function') {
      const id = await k(req, { route: route.name, endpoint, auth, ip });
      who = id ? `f:${id}` : undefined;
    }
    const r = await rlStore!.take(`${route.name}\u0000${endpoint}\u0000${who ?? `ip:${ip}`}`, rule, now());
    if (!r.ok) {
      const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
      throw new Vs3Error('rate_limited', `too many requests: try again in ${seconds} s`, 429, { retryAfter: seconds });
    }
  }
  /** Around authorize: the IP limit before it, the user limit after. */
  const limitBefore = (req: Request, route: CompiledRoute, ep: RateLimitedEndpoint) => (byUser ? undefined : limit(req, route, ep));
  const limitAfter = (req: Request, route: CompiledRoute, ep: RateLimitedEndpoint, auth: unknown) => (byUser ? limit(req, route, ep, auth) : undefined);

  /** What /presign and /multipart/create share: route, authorization, file checks, metadata, key. */
  async function checkUpload(
    req: Request,
    body: Record<string, unknown>,
    opts: { sha256: 'route' | 'optional'; maxSize: number; what: string; endpoint: RateLimitedEndpoint },
  ) {
    const route = routeOf(body.route);
    await limitBefore(req, route, opts.endpoint);
    const file = body.file;
    if (file === null || typeof file !== 'object' || Array.isArray(file)) throw new Vs3Error('invalid_request', 'file must be an object');
    const f = file as Record<string, unknown>;
    const auth = await authorize(route, req);
    await limitAfter(req, route, opts.endpoint, auth);
    const name = validateFileName(f.name);
    const size = checkSize(route, f.size);
    if (size > opts.maxSize) throw new Vs3Error('file_too_large', `${opts.what} are limited to ${opts.maxSize} bytes`, 413);
    const type = checkType(route, name, f.type);
    const sha256 = opts.sha256 === 'route' || (f.sha256 !== undefined && f.sha256 !== null) ? checkSha256(route, f.sha256) : undefined;
    const metadata = await checkMetadata(route, body.metadata);
    const safeName = sanitizeFileName(name);
    const fileInfo: FileInfo = { name, size, type, ...(sha256 ? { sha256 } : {}) };
    const id = crypto.randomUUID();
    const keyCtx = { route: route.name, file: fileInfo, metadata, auth, id, safeName };
    const variant = body.variant === undefined ? undefined : await variantOf(route, body.variant, auth);
    const key = validateKey(
      variant
        ? // The extension comes from its (checked) type, never from the name the client sent.
          `${variant.of}.variants/${variant.name}${extensionForType(type)}`
        : route.config.key
          ? await route.config.key(keyCtx)
          : `${route.name}/${id}/${safeName}`,
    );
    // The handler's own objects (dedupe markers) live under .vs3/; an upload must never overwrite one.
    if (key.startsWith(INTERNAL_PREFIX)) throw new Vs3Error('invalid_key', `object keys under ${INTERNAL_PREFIX} are reserved`);
    const objectHeaders = await objectHeadersOf(route, keyCtx);
    // What both kinds of upload token carry; uid tags the object this upload stores.
    const claims = {
      v: 1 as const,
      route: route.name,
      key,
      name,
      size,
      type,
      sha256,
      metadata,
      uid: newTag(),
      ...(variant ? { var: variant.name, varOf: variant.of } : {}),
    };
    return { route, name, size, type, sha256, metadata, key, auth, objectHeaders, claims };
  }

  /**
   * A variant upload's claim to belong to another upload: the route takes variants (of this name),
   * the token is that upload's (this route, not itself a variant, issued within resumeWindow), and
   * storage holds the object that upload stored. Answers the key it goes under.
   */
  async function variantOf(route: CompiledRoute, v: unknown, auth: unknown): Promise<{ of: string; name: string }> {
    const allowed = route.config.variants;
    const refuse = (m: string, status = 400) => new Vs3Error('variant_not_allowed', m, status);
    if (!allowed) throw refuse(`route ${route.name} takes no variants`);
    const { of, name } = (v ?? {}) as { of?: unknown; name?: unknown };
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(name)) throw refuse('variant.name: letters, digits, - and _, up to 32');
    if (Array.isArray(allowed) && !allowed.includes(name)) throw refuse(`route ${route.name} takes the variants ${allowed.join(', ')}, not ${name}`);
    if (typeof of !== 'string') throw refuse("variant.of must be the original upload's token");
    const parent = await verifyToken(hmac, of, now(), { allowExpired: true });
    const issued = typeof parent.iat === 'number' ? parent.iat : parent.exp - mpExpiresIn * 1000;
    if (!(now() - issued <= VARIANT_WINDOW_MS)) throw new Vs3Error('token_expired', 'variants are taken within a day of their original upload', 403);
    if (parent.route !== route.name) throw refuse('the original was uploaded through another route');
    if (parent.var !== undefined) throw refuse('a variant cannot have variants');
    // With an owner, only the original's owner may hang variants on it (tokens may sit in a shared browser).
    if (parent.own !== (await ownerOf(route, auth))) throw new Vs3Error('forbidden', 'the original upload belongs to someone else', 403);
    const stored = await storage.head(parent.key);
    if (!stored || (parent.uid && stored.upload && stored.upload !== parent.uid)) throw refuse('the original upload is not stored (complete it first)', 409);
    return { of: parent.key, name };
  }

  /** The route's `object` options as headers storage keeps with the object. */
  async function objectHeadersOf(route: CompiledRoute, ctx: Parameters<NonNullable<RouteConfig['key']>>[0]): Promise<Record<string, string> | undefined> {
    const o = route.config.object;
    if (!o) return undefined;
    const h: Record<string, string> = {};
    if (o.sse === 'AES256') h['x-amz-server-side-encryption'] = 'AES256';
    else if (o.sse) Object.assign(h, { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': o.sse.kmsKeyId });
    if (o.cacheControl) h['cache-control'] = o.cacheControl;
    if (o.contentDisposition) h['content-disposition'] = o.contentDisposition;
    // Computed from the request (metadata, auth): a value storage cannot take, or a function that
    // throws on this request's metadata, is this request's problem as far as the client can tell.
    const MAX_MESSAGE = 300;
    const fail = (m: string) => new Vs3Error('invalid_metadata', `object ${m.slice(0, MAX_MESSAGE)}`, 400);
    const run = async <T>(f: T | ((c: typeof ctx) => T | Promise<T>)): Promise<T> => {
      try {
        return typeof f === 'function' ? await (f as (c: typeof ctx) => T | Promise<T>)(ctx) : f;
      } catch (e) {
        throw e instanceof Vs3Error ? e : fail(`options could not be made from this request: ${(e as Error)?.message ?? e}`);
      }
    };
    const tags = await run(o.tags);
    if (tags && Object.keys(tags).length) h['x-amz-tagging'] = objectTags(tags, fail);
    const meta = await run(o.metadata);
    if (meta) Object.assign(h, objectMetadata(meta, fail));
    return h;
  }

  /** HMAC of the route's owner(auth), or undefined when the route names no owner. */
  async function ownerOf(route: CompiledRoute, auth: unknown): Promise<string | undefined> {
    if (!route.config.owner) return undefined;
    const id = await route.config.owner(auth);
    return typeof id === 'string' && id ? hmac.sign('vs3-owner.' + route.name + '.' + id) : undefined;
  }

  async function presign(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { route, name, size, type, sha256, metadata, key, auth, objectHeaders, claims } = await checkUpload(req, body, {
      sha256: 'route',
      maxSize: SINGLE_PUT_LIMIT,
      what: 'single uploads',
      endpoint: 'presign',
    });
    if (sha256 && route.config.dedupe && !claims.var) {
      const existing = await deduplicate(req, route, { name, size, type, sha256, metadata });
      if (existing) return json({ existing });
    }
    const ctx = ctxFor(req);
    const upload = await storage.presignPut(
      { key, size, contentType: type, sha256, expiresIn: route.expiresIn, uploadTag: claims.uid, ...(objectHeaders ? { objectHeaders } : {}) },
      ctx,
    );
    // The token outlives the URL by an hour so a slow upload that started in time can still complete.
    const own = await ownerOf(route, auth);
    const token = await signToken(hmac, { ...claims, exp: upload.expiresAt + 3600_000, iat: ctx.now, ...(own ? { own } : {}) });
    // dedupe: this route deduplicates (so this answer was the lookup, and found nothing).
    return json({ key, token, upload, dedupe: Boolean(route.config.dedupe) && !claims.var });
  }

  /**
   * Verifies a token and that it is of the kind this endpoint takes (single PUT or multipart).
   * `expired: 'resume'` accepts a token past its expiry if it was issued within resumeWindow.
   */
  async function claimsOf(token: unknown, kind: 'single' | 'multipart' | 'any', expired: 'refuse' | 'resume' = 'refuse') {
    const t = now();
    const claims = await verifyToken(hmac, token, t, { allowExpired: expired === 'resume' });
    if (kind === 'single' && claims.mp) throw new Vs3Error('invalid_token', 'this is a multipart upload token: use /multipart/complete', 400);
    if (kind === 'multipart' && !isMultipart(claims)) throw new Vs3Error('invalid_token', 'this is not a multipart upload token', 400);
    if (expired === 'resume') {
      // Tokens from before `iat` existed: multipart tokens were issued multipartExpiresIn before exp.
      const issued = typeof claims.iat === 'number' ? claims.iat : claims.exp - mpExpiresIn * 1000;
      if (!(t - issued <= resumeWindow * 1000)) {
        throw new Vs3Error(
          'token_expired',
          `this upload token was issued more than ${resumeWindow} s ago, past the resume window: start the upload again`,
          403,
        );
      }
    }
    const route = routes.get(claims.route);
    if (!route) throw new Vs3Error('unknown_route', 'the route of this upload no longer exists', 404);
    return { claims, route };
  }

  /** Runs onUploadComplete and shapes the answer every successful upload (or dedupe hit) gets. */
  async function finish(
    req: Request,
    route: CompiledRoute,
    claims: Pick<UploadClaims, 'key' | 'name' | 'size' | 'type' | 'sha256' | 'metadata' | 'var' | 'varOf'>,
    verified: boolean,
    deduplicated = false,
  ) {
    const file = { key: claims.key, name: claims.name, size: claims.size, type: claims.type, sha256: claims.sha256 };
    const result = await route.config.onUploadComplete?.({
      route: route.name,
      key: claims.key,
      file,
      metadata: claims.metadata,
      request: req,
      verified,
      ...(deduplicated ? { deduplicated } : {}),
      ...(claims.var !== undefined ? { variant: { name: claims.var, of: claims.varOf ?? '' } } : {}),
    });
    const url = storage.downloadUrl
      ? await storage.downloadUrl(claims.key, options.downloadUrlExpiresIn ?? 3600, ctxFor(req), downloadOptions(route, claims))
      : undefined;
    return { file: { ...file, url, verified, ...(deduplicated ? { deduplicated } : {}) }, result: result ?? null };
  }

  /**
   * How a download URL serves the object: as an attachment named after the file, unless the route
   * shows raster images inline. (An uploaded page must never run as the storage's origin.)
   */
  function downloadOptions(route: CompiledRoute, c: Pick<UploadClaims, 'name' | 'type'>): DownloadOptions {
    if (route.config.inlineImages && RASTER.has(c.type)) return { disposition: 'inline' };
    const ascii = c.name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
    return { disposition: `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(c.name)}` };
  }

  // ---- what the stored bytes are -----------------------------------------------------------------

  /**
   * Proves (or not) the stored object at completion, before anyone is told it is there: its SHA-256
   * from storage or the driver, else read back and hashed here (up to the route's readBack size);
   * then its first bytes against the declared type, then the route's scan hook. Whatever fails
   * deletes the object: nothing unverified-and-wrong stays under a key the app will hand out.
   */
  async function inspect(
    req: Request,
    route: CompiledRoute,
    claims: Pick<UploadClaims, 'key' | 'name' | 'size' | 'type' | 'metadata' | 'uid'>,
    stored: StoredObject,
    claimed: string | undefined,
    opts: { mine: boolean },
  ) {
    const key = claims.key;
    // Only this upload's own object is ever deleted: the key may hold another upload's (a route
    // key() that gives two uploads one key), and a replay must not undo a completion that stood.
    if (claims.uid !== undefined && stored.upload !== undefined && stored.upload !== claims.uid) {
      throw new Vs3Error('upload_mismatch', 'the object under this key was stored by another upload', 409);
    }
    const mine = claims.uid !== undefined && stored.upload === claims.uid && opts.mine;
    const refuse = async (error: Vs3Error): Promise<never> => {
      if (mine) await storage.delete(key).catch((e) => report(e, req));
      throw error;
    };
    let sha256 = stored.sha256;
    let head: Uint8Array | undefined;
    if (!sha256 && stored.size <= route.readBack) {
      const body = await storage.read(key);
      if (!body) throw new Vs3Error('upload_not_found', 'storage has no object for this upload', 409);
      const d = await digestStream(body, SNIFF_BYTES);
      if (d) {
        if (d.size !== claims.size) await refuse(new Vs3Error('upload_mismatch', `stored object is ${d.size} bytes, planned ${claims.size}`, 409));
        sha256 = d.sha256;
        head = d.head;
      } else {
        report(new Error('vs3: this runtime has no streaming SHA-256 (node:crypto or crypto.DigestStream): uploads complete unverified'), req);
      }
    }
    if (sha256 && claimed && sha256 !== claimed) {
      await refuse(new Vs3Error('upload_mismatch', 'the stored bytes do not hash to the SHA-256 the client gave (changed in transit?): upload again', 409));
    }
    if (route.checkContent) {
      head ??= await readHead((await storage.read(key, { end: SNIFF_BYTES })) ?? new Blob([]).stream(), SNIFF_BYTES);
      const c = checkContent(claims.type, head);
      if (!c.ok) await refuse(new Vs3Error('content_mismatch', `the file's content does not match its type: ${c.reason}`, 415, { detected: c.detected }));
    }
    if (route.config.scan) {
      const file = { key, name: claims.name, size: claims.size, type: claims.type, ...((sha256 ?? claimed) ? { sha256: sha256 ?? claimed } : {}) };
      let verdict: unknown;
      try {
        verdict = await route.config.scan({
          route: route.name,
          key,
          file,
          metadata: claims.metadata,
          request: req,
          read: async () => (await storage.read(key)) ?? new Blob([]).stream(),
        });
      } catch (e) {
        if (!(e instanceof Vs3Error)) throw e;
        await refuse(new Vs3Error('content_rejected', e.message, 422));
      }
      if (verdict === false) await refuse(new Vs3Error('content_rejected', 'the file was refused by a content scan', 422));
    }
    return { sha256: sha256 ?? claimed, verified: sha256 !== undefined };
  }

  // ---- completion, once ---------------------------------------------------------------------------

  const completions = options.completions ?? memoryCompletions();
  const completing = new Map<string, Promise<unknown>>();
  /** One upload's identity: its key and what makes the upload unique (multipart id, or issue time). */
  const uploadIdOf = (c: UploadClaims) => `${c.route}\u0000${c.key}\u0000${c.mp?.uploadId ?? c.iat ?? c.exp}`;

  /**
   * Runs `work` (checks, hook, answer) once per upload: a replay gets the recorded answer (with a
   * fresh download URL), a concurrent call waits for the one running. One completion of an upload
   * runs at a time, in this process and (with a shared store's claim) across machines, whatever
   * SHA-256 each call claims. `work` learns whether the upload was confirmed before (then nothing
   * it finds wrong may be deleted: it stood). Records last as long as the upload's token can be
   * presented.
   */
  async function once(
    claims: UploadClaims,
    route: CompiledRoute,
    req: Request,
    work: (confirmedBefore: boolean) => Promise<CompletionAnswer>,
    also = '',
  ): Promise<Response> {
    const upload = uploadIdOf(claims);
    const id = upload + also;
    const confirmedId = upload + '\u0000confirmed';
    const ttl = Math.max(0, claims.exp - now()) + 3600_000;
    for (;;) {
      const recorded = (await completions.get(id)) as CompletionAnswer | undefined;
      if (recorded !== undefined) return json(await freshUrl(req, route, recorded));
      const running = completing.get(upload);
      if (!running) break;
      await running.catch(() => {});
    }
    // No await between the check above and this: the promise is in the map before anyone else looks.
    const p = (async () => {
      if (completions.claim && !(await completions.claim(upload, CLAIM_MS))) return waitForAnswer(id, upload);
      try {
        // Another machine may have finished between our first look and the claim.
        const done = (await completions.get(id)) as CompletionAnswer | undefined;
        if (done !== undefined) return freshUrl(req, route, done);
        const confirmedBefore = (await completions.get(confirmedId)) !== undefined;
        const answer = await work(confirmedBefore);
        await completions.set(id, answer, ttl);
        if (id !== upload || !confirmedBefore) await completions.set(confirmedId, true, ttl);
        return answer;
      } finally {
        await completions.release?.(upload);
      }
    })();
    completing.set(upload, p);
    void p.finally(() => completing.delete(upload)).catch(() => {});
    return json(await p);
  }

  /** A recorded answer with its download URL signed again (the first one may have expired). */
  async function freshUrl(req: Request, route: CompiledRoute, a: CompletionAnswer): Promise<CompletionAnswer> {
    if (!storage.downloadUrl || !a?.file?.key) return a;
    const url = await storage.downloadUrl(a.file.key, options.downloadUrlExpiresIn ?? 3600, ctxFor(req), downloadOptions(route, a.file));
    return { ...a, file: { ...a.file, url } };
  }

  /** The answer another machine is producing; 503 too_busy (the client retries) if it takes too long. */
  async function waitForAnswer(id: string, upload: string): Promise<CompletionAnswer> {
    for (let waited = 0, step = 50; waited < CLAIM_MS; waited += step, step = Math.min(step * 2, 1000)) {
      await new Promise((r) => setTimeout(r, step));
      const answer = (await completions.get(id)) as CompletionAnswer | undefined;
      if (answer !== undefined) return answer;
      // The other machine gave up without an answer (its completion failed): the client's retry
      // runs it again, here or there.
      if (await completions.claim!(upload, CLAIM_MS)) {
        await completions.release?.(upload);
        throw new Vs3Error('too_busy', 'the upload was being completed elsewhere and that failed: retry', 503);
      }
    }
    throw new Vs3Error('too_busy', 'the upload is being completed by another server: retry shortly', 503);
  }

  async function complete(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { claims, route } = await claimsOf(body.token, 'single');
    await limitBefore(req, route, 'complete');
    await limitAfter(req, route, 'complete', await authorize(route, req)); // who may upload may have changed since the presign
    return once(claims, route, req, (confirmedBefore) => completeSingle(req, route, claims, confirmedBefore));
  }

  async function completeSingle(req: Request, route: CompiledRoute, claims: UploadClaims, confirmedBefore: boolean) {
    const stored = await storage.head(claims.key);
    if (!stored) throw new Vs3Error('upload_not_found', 'storage has no object for this upload yet', 409);
    const mismatch: string[] = [];
    if (stored.size !== claims.size) mismatch.push(`size ${stored.size} != ${claims.size}`);
    if (stored.contentType && stored.contentType !== claims.type) mismatch.push(`type ${stored.contentType} != ${claims.type}`);
    if (mismatch.length) throw new Vs3Error('upload_mismatch', `stored object does not match the upload: ${mismatch.join(', ')}`, 409);
    const { sha256, verified } = await inspect(req, route, claims, stored, claims.sha256, { mine: !confirmedBefore });
    const done = { ...claims, ...(sha256 ? { sha256 } : {}) };
    if (verified) await recordForDedupe(req, route, done);
    return finish(req, route, done, verified);
  }

  // ---- multipart ------------------------------------------------------------------------------

  const isMultipart = (c: UploadClaims): c is UploadClaims & { mp: { uploadId: string; partSize: number } } =>
    !!c.mp && typeof c.mp.uploadId === 'string' && Number.isSafeInteger(c.mp.partSize) && c.mp.partSize > 0;
  const partCountOf = (size: number, partSize: number) => Math.ceil(size / partSize);
  /** Planned size of part n (1-based): the server's arithmetic, never the client's word. */
  const partSizeOf = (size: number, partSize: number, n: number) => (n < partCountOf(size, partSize) ? partSize : size - (n - 1) * partSize);

  async function mpCreate(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { route, size, type, sha256, key, auth, objectHeaders, claims } = await checkUpload(req, body, {
      sha256: 'optional',
      maxSize: MULTIPART_LIMIT,
      what: 'multipart uploads',
      endpoint: 'multipart/create',
    });
    const partSize = body.partSize;
    if (typeof partSize !== 'number' || !Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw new Vs3Error('invalid_request', `partSize must be an integer from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`);
    }
    if (size <= partSize) throw new Vs3Error('invalid_request', 'the file fits in one part: use /presign');
    const partCount = partCountOf(size, partSize);
    if (partCount > MAX_PARTS) throw new Vs3Error('invalid_request', `${partCount} parts; at most ${MAX_PARTS}: use larger parts`);
    const { uploadId } = await storage.createMultipart({ key, contentType: type, sha256, uploadTag: claims.uid, ...(objectHeaders ? { objectHeaders } : {}) });
    const iat = now();
    const own = await ownerOf(route, auth);
    const token = await signToken(hmac, { ...claims, exp: iat + mpExpiresIn * 1000, iat, mp: { uploadId, partSize }, ...(own ? { own } : {}) });
    return json({ key, token, uploadId, partSize, partCount, dedupe: Boolean(route.config.dedupe) && !claims.var });
  }

  async function mpSign(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { claims, route } = await claimsOf(body.token, 'multipart');
    await limit(req, route, 'multipart/sign', undefined, claims.own);
    const { uploadId, partSize } = claims.mp!;
    const partCount = partCountOf(claims.size, partSize);
    const parts = body.parts;
    if (!Array.isArray(parts) || parts.length < 1 || parts.length > 100)
      throw new Vs3Error('invalid_request', 'parts must be an array of 1..100 {partNumber, crc32c}');
    const seen = new Set<number>();
    for (const p of parts as unknown[]) {
      const o = (p ?? {}) as Record<string, unknown>;
      const n = o.partNumber;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > partCount) {
        throw new Vs3Error('invalid_request', `partNumber must be an integer from 1 to ${partCount}`);
      }
      if (seen.has(n)) throw new Vs3Error('invalid_request', `part ${n} appears twice`);
      seen.add(n);
      if (crc32cFromBase64(o.crc32c) === null) throw new Vs3Error('invalid_checksum', `part ${n}: crc32c must be the base64 of 4 bytes (8 characters)`);
    }
    const ctx = ctxFor(req);
    const signed = await Promise.all(
      (parts as { partNumber: number; crc32c: string }[]).map(async ({ partNumber, crc32c }) => ({
        partNumber,
        ...(await storage.presignPart(
          { key: claims.key, uploadId, partNumber, size: partSizeOf(claims.size, partSize, partNumber), crc32c, expiresIn: route.expiresIn },
          ctx,
        )),
      })),
    );
    return json({ parts: signed });
  }

  async function mpComplete(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { claims, route } = await claimsOf(body.token, 'multipart');
    await limitBefore(req, route, 'multipart/complete');
    await limitAfter(req, route, 'multipart/complete', await authorize(route, req));
    // The claimed SHA-256 is part of what is remembered: a replay with another hash is checked again.
    return once(
      claims,
      route,
      req,
      (confirmedBefore) => completeMultipart(req, route, claims, body, confirmedBefore),
      `\u0000${typeof body.sha256 === 'string' ? body.sha256.toLowerCase() : ''}`,
    );
  }

  async function completeMultipart(req: Request, route: CompiledRoute, claims: UploadClaims, body: Record<string, unknown>, confirmedBefore: boolean) {
    const sha256 = requireSha256(body.sha256);
    if (claims.sha256 && claims.sha256 !== sha256) throw new Vs3Error('invalid_checksum', 'sha256 differs from the one given at create', 400);
    const done = { ...claims, sha256 };
    const { uploadId, partSize } = claims.mp!;
    const parts = await storage.listParts(claims.key, uploadId);
    let assembled = false;
    if (parts) {
      const n = partCountOf(claims.size, partSize);
      const byNumber = new Map<number, StoredPart>(parts.map((p) => [p.partNumber, p]));
      const missing: number[] = [];
      const wrongSize: number[] = [];
      for (let i = 1; i <= n; i++) {
        const p = byNumber.get(i);
        if (!p) missing.push(i);
        else if (p.size !== partSizeOf(claims.size, partSize, i)) wrongSize.push(i);
        // Checksums: storage checked each part against the CRC32C signed into its URL when it took
        // it (RGW 16 does not); completeMultipart sends back what storage reported, and AWS checks that.
      }
      if (missing.length || wrongSize.length || parts.length !== n) {
        throw new Vs3Error('upload_incomplete', `parts missing: ${missing.length}, of the wrong size: ${wrongSize.length}`, 409, {
          missing: missing.slice(0, 1000),
          wrongSize: wrongSize.slice(0, 1000),
        });
      }
      // Never over another upload's object (a route key() that gives two uploads one key): storage
      // would replace it. (A small race remains between this HEAD and the assembly on S3.)
      const there = await storage.head(claims.key);
      if (there && there.upload !== claims.uid) {
        throw new Vs3Error('upload_mismatch', 'an object stored by another upload is under this key: abort this upload', 409);
      }
      assembled = await storage.completeMultipart({
        key: claims.key,
        uploadId,
        size: claims.size,
        parts,
        sha256,
        ...(claims.uid ? { uploadTag: claims.uid } : {}),
      });
    }
    // No upload (any more): either a retry after a lost answer - the object is there - or never completed.
    const stored = await storage.head(claims.key);
    if (!stored) {
      throw new Vs3Error('upload_not_found', assembled ? 'storage has no object after completing' : 'no such multipart upload (aborted?) and no object', 409);
    }
    if (stored.size !== claims.size) throw new Vs3Error('upload_mismatch', `stored object is ${stored.size} bytes, planned ${claims.size}`, 409);
    // An upload confirmed before (a replay with another SHA-256) is not undone here; one assembled
    // but not confirmed (this call, or an earlier one that failed: a scanner error) is still ours to delete.
    const { verified } = await inspect(req, route, claims, stored, sha256, { mine: !confirmedBefore });
    // The dedupe index takes only hashes something other than the client proved: a hostile client
    // must not make others' uploads of X resolve to its bytes.
    if (verified) {
      await recordForDedupe(req, route, done);
      // The fingerprint a later upload probes with (see /dedupe probe): the client's word, which at
      // worst makes another client hash a file before sending it.
      const firstCrc = crc32cFromBase64(body.firstPartCrc32c);
      if (route.config.dedupe === true && firstCrc !== null && claims.var === undefined) {
        await storage.putObject(probeKey(route.name, claims.size, firstCrc), new TextEncoder().encode('{}'), 'application/json').catch((e) => report(e, req));
      }
    }
    return finish(req, route, done, verified);
  }

  async function mpAbort(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { claims, route } = await claimsOf(body.token, 'multipart');
    await limit(req, route, 'multipart/abort', undefined, claims.own);
    // No such upload (aborted or completed before) counts as done: abort is idempotent too.
    await storage.abortMultipart(claims.key, claims.mp!.uploadId);
    return json({ aborted: true });
  }

  /**
   * Picks up an upload after a reload: the token may have expired (within resumeWindow; its
   * signature still proves the server allowed this upload), but whatever may have changed since is
   * checked again as at create - the route, authorize on this request, the file's size and type -
   * and the parts come from storage. Answers a fresh token.
   */
  async function mpResume(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { claims, route } = await claimsOf(body.token, 'multipart', 'resume');
    await limitBefore(req, route, 'multipart/resume');
    const auth = await authorize(route, req);
    await limitAfter(req, route, 'multipart/resume', auth);
    // The route names owners: only the one who began the upload may resume it (the token may sit in
    // the state of a shared browser; a route without owner() trusts whoever authorize() lets in).
    if (claims.own && claims.own !== (await ownerOf(route, auth))) throw new Vs3Error('forbidden', 'this upload was begun by someone else', 403);
    checkSize(route, claims.size);
    checkType(route, claims.name, claims.type);
    const { uploadId, partSize } = claims.mp!;
    const partCount = partCountOf(claims.size, partSize);
    const stored = await storage.listParts(claims.key, uploadId);
    if (!stored) throw new Vs3Error('upload_not_found', 'no such multipart upload (completed or aborted): start the upload again', 404);
    const parts = stored
      .filter((p) => p.partNumber >= 1 && p.partNumber <= partCount)
      .sort((a, b) => a.partNumber - b.partNumber)
      .map(({ partNumber, size, etag, crc32c }) => ({ partNumber, size, etag, ...(crc32c ? { crc32c } : {}) }));
    // The fresh token keeps the upload's first issue time: the window counts from the create, so a
    // token cannot be renewed forever by resuming it every few days.
    const iat = typeof claims.iat === 'number' ? claims.iat : claims.exp - mpExpiresIn * 1000;
    const expiresAt = now() + mpExpiresIn * 1000;
    const token = await signToken(hmac, { ...claims, exp: expiresAt, iat });
    return json({ key: claims.key, uploadId, partSize, partCount, token, expiresAt, dedupe: Boolean(route.config.dedupe), parts });
  }

  // ---- dedupe -----------------------------------------------------------------------------------

  const markerKey = (route: string, sha256: string) => `${INTERNAL_PREFIX}dedupe/${route}/${sha256}.json`;
  const probeKey = (route: string, size: number, crc: number) => `${INTERNAL_PREFIX}dedupe/${route}/probe/${size}-${crc.toString(16).padStart(8, '0')}.json`;

  /** An existing object with this content on this route (index or hook), confirmed by a HEAD. */
  async function findExisting(req: Request, route: CompiledRoute, sha256: string, size: number): Promise<string | null> {
    const d = route.config.dedupe;
    let key: string | undefined;
    let uid: string | undefined;
    if (typeof d === 'object' && d) {
      key = (await d.findExisting(sha256, { route: route.name, size, request: req }))?.key;
    } else if (d) {
      const raw = await storage.getObject(markerKey(route.name, sha256));
      try {
        const m = raw ? (JSON.parse(new TextDecoder().decode(raw)) as { key?: unknown; size?: unknown; uid?: unknown }) : null;
        if (m && typeof m.key === 'string' && m.size === size) {
          key = m.key;
          uid = typeof m.uid === 'string' ? m.uid : undefined;
        }
      } catch {
        // A damaged marker is a miss; the next completion rewrites it.
      }
    }
    if (!key) return null;
    const stored = await storage.head(key);
    if (!stored || stored.size !== size) return null;
    // The object the marker vouches for, not another one stored under its key since.
    if (uid !== undefined && stored.upload !== undefined && stored.upload !== uid) return null;
    return key;
  }

  async function deduplicate(req: Request, route: CompiledRoute, f: Omit<UploadClaims, 'v' | 'route' | 'key' | 'exp'> & { sha256: string }) {
    const key = await findExisting(req, route, f.sha256, f.size);
    // The default index holds only verified hashes; a custom index vouches for itself.
    return key ? finish(req, route, { ...f, key }, route.config.dedupe === true, true) : null;
  }

  /** Default index: a marker per (route, sha256). Best effort: the upload itself succeeded regardless. */
  async function recordForDedupe(req: Request, route: CompiledRoute, c: Pick<UploadClaims, 'key' | 'name' | 'size' | 'type' | 'sha256' | 'uid' | 'var'>) {
    // Variants are not offered to other uploads as their stored copy.
    if (route.config.dedupe !== true || !c.sha256 || c.var !== undefined) return;
    // uid: the upload whose object was verified; a lookup takes the key only while it still holds that object.
    const marker = { key: c.key, name: c.name, size: c.size, type: c.type, sha256: c.sha256, ...(c.uid ? { uid: c.uid } : {}) };
    try {
      await storage.putObject(markerKey(route.name, c.sha256), new TextEncoder().encode(JSON.stringify(marker)), 'application/json');
    } catch (e) {
      report(e, req); // the upload itself succeeded regardless
    }
  }

  async function dedupe(req: Request): Promise<Response> {
    const body = await readJsonObject(req, maxBytes);
    const { claims, route } = await claimsOf(body.token, 'any');
    await limit(req, route, 'dedupe', undefined, claims.own);
    if (!route.config.dedupe) throw new Vs3Error('invalid_request', `route ${route.name} does not dedupe`);
    // A variant's bytes belong under its original's key: never answered with another object.
    if (claims.var !== undefined) return json(body.probe !== undefined ? { candidate: false } : { existing: null });
    if (body.probe !== undefined) {
      // Before anything is sent: is there a stored object of this size whose first part has this CRC?
      // If so the client hashes the whole file first and asks with the SHA-256, sending nothing for a
      // duplicate. Only the default index keeps these fingerprints.
      const crc = crc32cFromBase64((body.probe as { crc32c?: unknown } | null)?.crc32c);
      if (crc === null) throw new Vs3Error('invalid_checksum', 'probe.crc32c must be the base64 of 4 bytes (8 characters)');
      if (route.config.dedupe !== true) return json({ candidate: false });
      return json({ candidate: (await storage.getObject(probeKey(route.name, claims.size, crc))) !== null });
    }
    const sha256 = requireSha256(body.sha256);
    if (claims.sha256 && claims.sha256 !== sha256) throw new Vs3Error('invalid_checksum', 'sha256 differs from the one in the token', 400);
    const key = await findExisting(req, route, sha256, claims.size);
    if (!key) return json({ existing: null });
    // The upload is not needed any more: free its parts now rather than leave them to a lifecycle rule.
    if (isMultipart(claims)) await storage.abortMultipart(claims.key, claims.mp.uploadId);
    return json({ existing: await finish(req, route, { ...claims, key, sha256 }, route.config.dedupe === true, true) });
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
        // Only when on, so the published shape of other routes stays as it was.
        ...(r.config.dedupe ? { dedupe: true } : {}),
      };
    }
    return json({ routes: out });
  }

  const cors = options.cors;
  if (cors?.credentials && cors.origins === '*') throw new Error('vs3: cors: credentials cannot be allowed for every origin ("*")');
  const corsAllows = (origin: string) =>
    cors !== undefined && (cors.origins === '*' || cors.origins.some((o) => (typeof o === 'string' ? o === origin : matches(o, origin))));
  /** A RegExp with the g or y flag keeps its position between test() calls: start from 0 each time. */
  function matches(re: RegExp, s: string): boolean {
    re.lastIndex = 0;
    return re.test(s);
  }

  /** CORS headers for an allowed origin (none otherwise: the browser then refuses the answer). */
  function corsHeaders(req: Request): Record<string, string> {
    const origin = req.headers.get('origin');
    if (!cors) return {};
    if (!origin || !corsAllows(origin)) return { vary: 'Origin' };
    return {
      'access-control-allow-origin': cors.origins === '*' ? '*' : origin,
      ...(cors.credentials ? { 'access-control-allow-credentials': 'true' } : {}),
      'access-control-expose-headers': 'x-request-id, retry-after',
      vary: 'Origin',
    };
  }

  /** OPTIONS: a preflight for an allowed origin gets the methods and headers it may use. */
  function preflight(req: Request, sub: string, method: string): Response {
    const origin = req.headers.get('origin');
    if (!cors || !origin || !corsAllows(origin)) {
      // Same-origin only (or not this origin): nothing is allowed across origins.
      return errorResponse(new Vs3Error('forbidden', 'cross-origin requests are not allowed from this origin', 403), { vary: 'Origin' });
    }
    const allowed = ['content-type', 'authorization', 'x-request-id', ...(cors.headers ?? []).map((h) => h.toLowerCase())];
    // The local driver's URLs take the headers the client was told to send (signed checksums).
    if (sub.startsWith('/local/')) allowed.push('x-amz-checksum-crc32c', 'x-amz-checksum-sha256', 'content-md5');
    return new Response(null, {
      status: 204,
      headers: {
        ...corsHeaders(req),
        'access-control-allow-methods': method,
        'access-control-allow-headers': allowed.join(', '),
        'access-control-max-age': String(cors.maxAge ?? 600),
      },
    });
  }

  return async function vs3Handler(req: Request, info?: { ip?: string }): Promise<Response> {
    if (info?.ip) ips.set(req, info.ip);
    let res = await answer(req);
    // A preflight answer has its CORS headers already.
    const extra = { ...(req.method === 'OPTIONS' ? {} : corsHeaders(req)), 'x-request-id': requestIdOf(req) };
    for (const [k, v] of Object.entries(extra)) {
      try {
        res.headers.set(k, v);
      } catch {
        res = new Response(res.body, res); // immutable headers (a fetched Response): copy
        res.headers.set(k, v);
      }
    }
    return res;
  };

  async function answer(req: Request): Promise<Response> {
    try {
      const url = new URL(req.url);
      if (url.pathname !== basePath && !url.pathname.startsWith(basePath + '/')) {
        throw new Vs3Error('not_found', 'not a vs3 path', 404);
      }
      const sub = url.pathname.slice(basePath.length);
      if (sub.startsWith('/local/')) {
        if (!storage.handle) throw new Vs3Error('not_found', 'this storage serves no URLs of its own', 404);
        if (req.method === 'OPTIONS') return preflight(req, sub, 'PUT, GET, HEAD');
        return await storage.handle(req, sub.slice('/local/'.length), ctxFor(req));
      }
      const endpoints: Record<string, [string, () => Promise<Response> | Response]> = {
        '/presign': ['POST', () => presign(req)],
        '/complete': ['POST', () => complete(req)],
        '/multipart/create': ['POST', () => mpCreate(req)],
        '/multipart/sign': ['POST', () => mpSign(req)],
        '/multipart/complete': ['POST', () => mpComplete(req)],
        '/multipart/abort': ['POST', () => mpAbort(req)],
        '/multipart/resume': ['POST', () => mpResume(req)],
        '/dedupe': ['POST', () => dedupe(req)],
        '/routes': ['GET', routeRules],
      };
      const ep = endpoints[sub];
      if (!ep) throw new Vs3Error('not_found', `no endpoint ${sub || '/'}`, 404);
      if (req.method === 'OPTIONS') return preflight(req, sub, ep[0]);
      if (req.method !== ep[0]) {
        return errorResponse(new Vs3Error('method_not_allowed', `${sub} takes ${ep[0]}`, 405), { allow: ep[0] });
      }
      return await ep[1]();
    } catch (e) {
      if (e instanceof Vs3Error) {
        if (e.status >= 500) report(e, req); // storage trouble: the operator wants to know
        if (e.code === 'rate_limited') return errorResponse(e, { 'retry-after': String((e.details as { retryAfter: number }).retryAfter) });
        return errorResponse(e);
      }
      report(e, req);
      return errorResponse(new Vs3Error('internal_error', `internal error (request ${requestIdOf(req)})`, 500));
    }
  }
}
