#!/usr/bin/env bash
# Line coverage of the C++ core (wasm/src + wasm/include; not tests/, not system or third-party headers)
# by the native GoogleTest suite: gcc --coverage at -O0 in its own tree (build/coverage), ctest, then
# gcov's JSON output merged per source line by a few lines of Node (a line counts as covered when any
# translation unit executed it). Fails when the figure is below "cpp" in coverage-thresholds.json.
# Safe to re-run: a second run rebuilds nothing (the counters are reset before every run).
#   scripts/coverage-cpp.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=build/coverage

if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DVS3_CORE_OPT=-O0 \
    -DCMAKE_CXX_FLAGS=--coverage -DCMAKE_EXE_LINKER_FLAGS=--coverage >/dev/null
fi
cmake --build "$dir" -j2 --target vs3core_tests >/dev/null

# Counters from an earlier run would add up (and go stale when a source changes): start from zero.
find "$dir" -name '*.gcda' -delete
if ! ctest --test-dir "$dir" --output-on-failure -j2 >"$dir/ctest.log" 2>&1; then
  grep -vE "^ *Start |Test +#[0-9]+: .* Passed" "$dir/ctest.log" | tail -60
  echo "C++ line coverage: FAILED (GoogleTest failed; full log: $dir/ctest.log)"
  exit 1
fi

# One JSON document per line, one per object file (gcc >= 9's gcov --json-format --stdout).
if ! (cd "$dir" && find . -name '*.gcda' -print0 | xargs -0 gcov --json-format --stdout >gcov.jsonl 2>gcov.err); then
  cat "$dir/gcov.err"
  echo "C++ line coverage: FAILED (gcov)"
  exit 1
fi

node - "$root" "$dir/gcov.jsonl" coverage-thresholds.json <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [root, jsonl, thresholds] = process.argv.slice(2);
const dirs = ['wasm/src/', 'wasm/include/'].map((d) => path.join(root, d));
const lines = new Map(); // "file:line" -> executed (in any translation unit)
for (const doc of fs.readFileSync(jsonl, 'utf8').split('\n')) {
  if (!doc.trim()) continue;
  const j = JSON.parse(doc);
  for (const f of j.files) {
    const file = path.resolve(j.current_working_directory, f.file);
    if (!dirs.some((d) => file.startsWith(d))) continue;
    for (const l of f.lines) {
      const key = `${path.relative(root, file)}:${l.line_number}`;
      lines.set(key, lines.get(key) || l.count > 0);
    }
  }
}
const total = lines.size;
const covered = [...lines.values()].filter(Boolean).length;
if (total === 0) {
  console.log('C++ line coverage: FAILED (no coverage data for wasm/src or wasm/include)');
  process.exit(1);
}
const pct = (100 * covered) / total;
const min = JSON.parse(fs.readFileSync(path.join(root, thresholds), 'utf8')).cpp;
console.log(`C++ line coverage: ${pct.toFixed(1)}% (${covered}/${total} lines, wasm/src + wasm/include)`);
if (typeof min !== 'number') {
  console.log(`C++ line coverage: FAILED (no numeric "cpp" threshold in ${thresholds})`);
  process.exit(1);
}
if (pct < min) {
  console.log(`C++ line coverage: FAILED (below the threshold of ${min}% in ${thresholds})`);
  process.exit(1);
}
EOF
