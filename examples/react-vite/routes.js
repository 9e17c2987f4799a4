// The upload routes, shared by server.mjs (which serves them) and, as a type only, by the React app
// (`import type { routes } from '../routes.js'` in src/vs3.ts): route names, metadata and what
// onUploadComplete returns are checked at compile time, and no server code reaches the browser.
import { defineRoute } from 'vs3/server';

export const routes = {
  files: defineRoute({
    maxFileSize: '100MB',
    onUploadComplete: ({ key, file }) => {
      console.log(`vs3: stored ${key} (${file.size} bytes, sha256 ${file.sha256})`);
      return { key, sha256: file.sha256 };
    },
  }),
  images: defineRoute({
    maxFileSize: '5MB',
    allowedFileTypes: ['image/png', 'image/jpeg', 'image/webp', 'image/gif'],
  }),
};
