import type { NextConfig } from 'next';

const config: NextConfig = {
  // vs3's server half runs as plain Node modules (its fsStore reads and writes the data dir); only
  // the browser bundle of vs3/client goes through the bundler (its WASM and Web Worker included).
  serverExternalPackages: ['vs3'],
};

export default config;
