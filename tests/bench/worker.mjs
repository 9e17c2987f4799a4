// Browser runner, inside a module Web Worker (where vs3 hashes in production).
import * as hashwasm from '/hash-wasm/index.esm.js';
import { CoreHasher, loadCore } from '/vs3/core.js';
import { MiB, fillBuffer, measure, standardImpls } from '/bench/sha256.mjs';

self.onmessage = async ({ data: { sizeMiB, rounds } }) => {
  try {
    const core = await loadCore({ locateFile: (f) => `/vs3/wasm/${f}` });
    const buf = fillBuffer(sizeMiB * MiB);
    const results = await measure(standardImpls({ CoreHasher, core, hashwasm, subtle: crypto.subtle }), buf, { rounds });
    self.postMessage({ results });
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e) });
  }
};
