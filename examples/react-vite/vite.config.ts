import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // vs3/client starts its hashing workers with `new Worker(new URL('./part-worker.js', import.meta.url))`
  // and loads its WASM the same way: Vite's dependency pre-bundling would move the module away from
  // those files in `npm run dev`, so vs3 is served as it is. (`vite build` handles them either way.)
  optimizeDeps: { exclude: ['vs3'] },
  // `npx vite` (instead of `npm run dev`, which needs no proxy) with `node server.mjs` running for the
  // API on :3000. changeOrigin false: the local driver's upload URLs then point at Vite's origin too.
  server: { proxy: { '/api/vs3': { target: 'http://127.0.0.1:3000', changeOrigin: false } } },
  build: { target: 'es2022' },
});
