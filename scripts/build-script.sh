#!/usr/bin/env bash
# Builds the drop-in <script> build into js/dist/script/ from the compiled package (run after
# scripts/build.sh's tsc step; build.sh calls this at its end):
#   vs3.js         IIFE, minified: upgrades input[type=file][data-vs3-route], <vs3-upload>, window.vs3
#   vs3-worker.js  the hashing worker (module worker), found next to vs3.js
#   vs3core.wasm   the C++ core, found next to vs3.js
# Prints the gzip -9 sizes and fails when vs3.js is over its budget (budgets.json "script", 25 KiB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for f in js/dist/script/index.js js/dist/client/part-worker.js js/dist/wasm/vs3core.wasm js/dist/wasm/vs3core.mjs; do
  [ -f "$f" ] || { echo "build-script: $f missing: run scripts/build.sh first" >&2; exit 1; }
done

node --input-type=module - <<'EOF'
import { copyFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const out = 'js/dist/script';
const version = JSON.parse(readFileSync('js/package.json', 'utf8')).version;
const common = { bundle: true, minify: true, platform: 'browser', target: 'es2020', legalComments: 'none', logLevel: 'warning', sourcemap: 'linked' };
await build({
  ...common,
  entryPoints: ['js/dist/script/index.js'],
  outfile: `${out}/vs3.js`,
  format: 'iife',
  // The script always tells the core where its wasm is (locateFile) and the reader where its worker
  // is: the glue's and reader's import.meta.url fallbacks are never taken in this build.
  define: { __VS3_VERSION__: JSON.stringify(version), 'import.meta.url': 'undefined' },
});
await build({ ...common, entryPoints: ['js/dist/client/part-worker.js'], outfile: `${out}/vs3-worker.js`, format: 'esm' });
copyFileSync('js/dist/wasm/vs3core.wasm', `${out}/vs3core.wasm`);

const size = (f) => readFileSync(`${out}/${f}`);
const gz = (f) => gzipSync(size(f), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const budget = JSON.parse(readFileSync('budgets.json', 'utf8')).script ?? 25 * 1024;
const js = gz('vs3.js');
console.log(
  `script: vs3.js ${kb(size('vs3.js').length)} min, ${kb(js)} gz (target <= ${kb(budget)} gz); ` +
    `worker ${kb(gz('vs3-worker.js'))} gz; wasm ${kb(gz('vs3core.wasm'))} gz (${out}/)`,
);
if (js > budget) {
  console.error(`script: vs3.js is ${kb(js)} gzipped, over its budget of ${kb(budget)}`);
  process.exit(1);
}
EOF
