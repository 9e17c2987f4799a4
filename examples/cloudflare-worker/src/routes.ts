// The upload routes, apart from the worker so that a client can `import type { routes }`.
import { defineRoute } from 'vs3/server';

export const routes = {
  files: defineRoute({
    maxFileSize: '100MB',
    onUploadComplete: ({ key, file }) => ({ stored: key, sha256: file.sha256 }),
  }),
  images: defineRoute({ maxFileSize: '10MB', allowedFileTypes: ['image/jpeg', 'image/png', 'image/webp'] }),
};
