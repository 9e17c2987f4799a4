#!/usr/bin/env bash
# Builds the C++ core natively (tests, bench) and to WebAssembly, then the TypeScript package.
#   scripts/build.sh          -> everything
#   scripts/build.sh wasm     -> WASM + TypeScript only (what the demo needs)
set -euo pipefail
what=${1:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export NODE_PATH=/usr/share/nodejs   # Debian's emscripten needs its node modules (acorn)

# The image codecs (libjpeg-turbo, libpng, libwebp, zlib) from Debian's source packages, native and
# wasm, cached in build/image-libs (about 2 minutes the first time, under a second after).
mkdir -p build
bash scripts/image-libs.sh > build/image-libs.log 2>&1 || { tail -40 build/image-libs.log >&2; echo "build: scripts/image-libs.sh failed (build/image-libs.log)" >&2; exit 1; }

if [ "$what" = all ]; then
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
  cmake --build build/native -j2 >/dev/null
fi

if [ ! -f build/wasm/CMakeCache.txt ]; then
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/wasm -j2 >/dev/null

# TypeScript: the server and client must typecheck without Node types (edge runtimes, browsers);
# the emitted package includes the Node helpers (vs3/node).
npx tsc -p js/tsconfig.json --noEmit
npx tsc -p js/tsconfig.node.json
mkdir -p js/dist/wasm
cp build/wasm/vs3core.mjs build/wasm/vs3core.wasm js/dist/wasm/
cp js/src/wasm/vs3core.d.mts js/dist/wasm/
# The image pipeline: its own module, loaded only by vs3/image.
if [ -f build/wasm/vs3image.wasm ]; then
  cp build/wasm/vs3image.mjs build/wasm/vs3image.wasm js/dist/wasm/
  cp js/src/wasm/vs3image.d.mts js/dist/wasm/
fi

# @vs3/react (react/): the hooks and components, against the vs3 package just built.
npx tsc -p react/tsconfig.json

# The drop-in <script> build (js/dist/script/: vs3.js, its worker and wasm); prints its gzip size.
if [ -f scripts/build-script.sh ]; then bash scripts/build-script.sh; fi
echo "build: ok (native, wasm: core $(stat -c %s js/dist/wasm/vs3core.wasm) bytes, image $(stat -c %s js/dist/wasm/vs3image.wasm 2>/dev/null || echo '?') bytes; js/dist)"
