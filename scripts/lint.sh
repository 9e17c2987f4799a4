#!/usr/bin/env bash
# Lint and format checks, run by scripts/test.sh (fails on any finding):
#   Biome      JS/TS lint + format (biome.jsonc) over js/src, tests, e2e, demo, scripts
#   clang-format  C++ format (.clang-format) over wasm/ and tests/cpp/
#   TypeDoc    the API reference builds (typedoc.json) with no undocumented public export
#   clang-tidy    a small defect-finding check set (.clang-tidy) over wasm/src
# Fix locally with: npx biome check --write . && clang-format -i $(git ls-files 'wasm/*.[ch]pp' 'tests/cpp/*.[ch]pp')
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0

echo "lint: biome"
npx biome check --error-on-warnings . || status=1

echo "lint: API reference (TypeDoc: every public export documented; warnings are errors)"
npx typedoc --logLevel Warn || status=1

echo "lint: clang-format"
mapfile -t cpp < <(git ls-files 'wasm/*.cpp' 'wasm/*.hpp' 'tests/cpp/*.cpp' 'tests/cpp/*.hpp')
clang-format --dry-run -Werror "${cpp[@]}" || status=1

echo "lint: clang-tidy"
# The native build's compile database (scripts/build.sh configures it).
[ -f build/native/compile_commands.json ] || cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
mapfile -t src < <(git ls-files 'wasm/src/*.cpp')
if ! out=$(clang-tidy -p build/native --quiet "${src[@]}" 2>&1); then
  grep -v "warnings generated" <<<"$out"
  status=1
fi

[ "$status" = 0 ] && echo "lint: ok" || echo "lint: FAILED (see above)"
exit "$status"
