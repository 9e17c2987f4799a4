// vs3 on Cloudflare Workers: the handler presigns uploads into S3-compatible storage (R2, S3, B2,
// MinIO, Ceph RGW...) and confirms them; the browser PUTs straight to storage, never through the
// worker. Credentials come from bindings: vars in wrangler.toml, secrets via `wrangler secret put`.
import { createHandler, s3Storage, type Vs3Handler } from 'vs3/server';
import { routes } from './routes.js';

/** The worker's bindings. */
export interface Env {
  /** At least 32 characters; signs upload tokens (secret). */
  VS3_SECRET: string;
  /** e.g. https://<account>.r2.cloudflarestorage.com */
  S3_ENDPOINT: string;
  S3_BUCKET: string;
  /** Default us-east-1; "auto" for R2. */
  S3_REGION?: string;
  /** Secrets. */
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
  /** Comma-separated origins of pages on other origins than the worker, e.g. https://app.example. */
  CORS_ORIGINS?: string;
}

// One handler per isolate: bindings do not change while it lives.
let handler: Vs3Handler | undefined;

function vs3(env: Env): Vs3Handler {
  handler ??= createHandler({
    secret: env.VS3_SECRET,
    routes,
    storage: s3Storage({
      endpoint: env.S3_ENDPOINT,
      bucket: env.S3_BUCKET,
      region: env.S3_REGION || 'us-east-1',
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    }),
    // Cloudflare sets this header itself: the client's address, for rate limits.
    clientIp: (request) => request.headers.get('cf-connecting-ip'),
    ...(env.CORS_ORIGINS ? { cors: { origins: env.CORS_ORIGINS.split(',').map((o) => o.trim()) } } : {}),
  });
  return handler;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    // Everything under /api/vs3 is vs3's; the rest of the worker is yours.
    if (new URL(request.url).pathname.startsWith('/api/vs3/')) return vs3(env)(request);
    return Promise.resolve(new Response('not found', { status: 404 }));
  },
};
