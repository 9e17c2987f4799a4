// The upload routes and the handler, shared by the route file (app/api/vs3/[...vs3]/route.ts) and,
// as a type only, by the client (`import type { routes } from '@/vs3'`). Server-side code: never
// import it as a value from a client component.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fsStore } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';

export const routes = {
  files: defineRoute({
    maxFileSize: '1GB',
    onUploadComplete: ({ key, file }) => {
      console.log(`vs3: stored ${key} (${file.size} bytes, sha256 ${file.sha256})`);
      return { stored: key };
    },
  }),
  images: defineRoute({ maxFileSize: '10MB', allowedFileTypes: ['image/jpeg', 'image/png', 'image/webp'] }),
};

// At least 32 characters, the same on every instance. Unset: a random one for this process (fine
// for `next dev` and one `next start`; tokens and URLs die with the process).
const secret = process.env.VS3_SECRET ?? randomBytes(32).toString('hex');

export const handler = createHandler({
  secret,
  routes,
  // Files on local disk, uploaded and downloaded through the handler's own HMAC-signed URLs
  // (/api/vs3/local/...). For S3, R2, B2, MinIO...: s3Storage({ endpoint, bucket, ... }) instead.
  storage: localStorage({ store: fsStore(process.env.VS3_DATA_DIR ?? path.join(process.cwd(), '.data')), secret }),
  // Behind a proxy (or on another origin than the app) set the URL clients reach the app at:
  // the local driver's upload and download URLs start with it.
  ...(process.env.VS3_PUBLIC_URL ? { publicUrl: process.env.VS3_PUBLIC_URL } : {}),
});
