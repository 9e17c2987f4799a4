'use client';
// The React helpers typed from the server's routes. `import type`: only the type crosses over, so no
// server code (handler, fsStore, node:crypto) reaches the browser bundle.
import { generateReactHelpers } from '@vs3/react';
import type { routes } from '@/vs3';

export const { UploadButton, UploadDropzone, useUpload } = generateReactHelpers<typeof routes>();
