// A Cloudflare-Workers-style module worker wrapping the vs3 handler. Bundled by tests/js/edge.test.mjs
// with esbuild for the "neutral" platform (a Node built-in anywhere in the path fails the bundle) and
// run in real workerd through Miniflare.
import { createHandler, defineRoute, localStorage, memoryStore, s3Storage } from 'vs3/server';

let handler;
function getHandler(env) {
  if (handler) return handler;
  const storage =
    env.DRIVER === 's3'
      ? s3Storage({
          endpoint: env.S3_ENDPOINT,
          bucket: env.S3_BUCKET,
          region: env.S3_REGION,
          accessKeyId: env.S3_ACCESS_KEY_ID,
          secretAccessKey: env.S3_SECRET_ACCESS_KEY,
          // Ceph RGW ignores x-amz-checksum-*; AWS and R2 verify it.
          checksumHeader: false,
        })
      : localStorage({ store: memoryStore(), secret: env.SECRET });
  handler = createHandler({
    secret: env.SECRET,
    storage,
    routes: {
      files: defineRoute({ maxFileSize: '2MB' }),
      images: defineRoute({ maxFileSize: '1MB', allowedFileTypes: ['image/png', '.png'] }),
    },
  });
  return handler;
}

export default {
  fetch(request, env) {
    return getHandler(env)(request);
  },
};
