#!/usr/bin/env bash
# SHA-256 throughput: the vs3 C++ core (native and WASM) beside hash-wasm and WebCrypto (and node:crypto),
# on the same 256 MiB buffer, in Node and in headless Chromium. Prints figures; asserts nothing except
# that every implementation computed the same digest. VS3_BENCH_MIB / VS3_BENCH_ROUNDS to change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh test >/dev/null
bash scripts/build.sh >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo
build/native/vs3core_bench "${VS3_BENCH_MIB:-256}"
echo
node tests/bench/node.mjs
echo
node tests/bench/browser.mjs
