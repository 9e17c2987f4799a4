// Next.js App Router: the handler as the method exports of a catch-all route file. Next calls route
// handlers as (request, { params }); only the request is passed on (params is not our { ip }).
import type { Vs3Handler } from './handler.js';

/** Options of {@link nextRouteHandlers}. */
export interface NextRouteOptions {
  /**
   * Proxies you run in front of Next that append the client's address to X-Forwarded-For (Vercel,
   * nginx with `$proxy_add_x_forwarded_for`): `true` or 1 for one, N for a chain of N. The address
   * N entries from the end of that header is then the client's, for rate limits. Default: none is
   * passed (the handler's `clientIp`, if set, decides). Never set it when clients reach `next start`
   * directly: Next keeps an X-Forwarded-For the client sent.
   */
  trustProxy?: boolean | number;
}

/** A Next.js route handler: takes the request (and Next's `{ params }`, unused). */
export type NextRouteHandler = (request: Request) => Promise<Response>;

/** The method exports of a Next.js route file (the local driver's URLs take PUT, GET and HEAD; CORS takes OPTIONS). */
export interface NextRouteHandlers {
  /** `/routes` and local-driver downloads. */
  GET: NextRouteHandler;
  /** presign, complete, multipart and dedupe calls. */
  POST: NextRouteHandler;
  /** Uploads to the local driver's own URLs. */
  PUT: NextRouteHandler;
  /** Local-driver object checks. */
  HEAD: NextRouteHandler;
  /** CORS preflights. */
  OPTIONS: NextRouteHandler;
}

/**
 * The handler as Next.js App Router route exports, in `app/api/vs3/[...vs3]/route.ts`:
 * `export const { GET, POST, PUT, HEAD, OPTIONS } = nextRouteHandlers(handler)`.
 */
export function nextRouteHandlers(handler: Vs3Handler, opts: NextRouteOptions = {}): NextRouteHandlers {
  const hops = opts.trustProxy === true ? 1 : Number(opts.trustProxy || 0);
  const route = (request: Request): Promise<Response> => {
    if (!(hops > 0)) return handler(request);
    const chain = (request.headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim());
    const ip = chain.length >= hops ? chain[chain.length - hops] : undefined;
    return handler(request, ip ? { ip } : {});
  };
  return { GET: route, POST: route, PUT: route, HEAD: route, OPTIONS: route };
}
