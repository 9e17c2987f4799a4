// The hooks and components typed from the server's routes. `import type`: only the type crosses
// over, nothing of vs3/server is bundled for the browser.
import { generateReactHelpers } from '@vs3/react';
import type { routes } from '../routes.js';

export const { UploadButton, UploadDropzone, useUpload } = generateReactHelpers<typeof routes>();
