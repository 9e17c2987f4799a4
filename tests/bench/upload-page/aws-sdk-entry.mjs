// Bundled for the browser by tests/bench/upload.mjs (esbuild): what an app using the AWS SDK v3 ships.
export { S3Client } from '@aws-sdk/client-s3';
export { Upload } from '@aws-sdk/lib-storage';
