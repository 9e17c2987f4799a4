#!/usr/bin/env bash
# Builds the native GoogleTest suite with AddressSanitizer + UndefinedBehaviorSanitizer in its own tree
# (build/asan; the wasm build is not touched) and runs it through ctest. Any finding aborts the test
# that hit it, so the script fails. Safe to re-run: a second run rebuilds nothing.
#   scripts/sanitize.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=build/asan
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# Also in force while building: gtest_discover_tests runs the instrumented test binary to list its tests.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Configure once; cmake re-runs itself when CMakeLists.txt changes. (The xxhash.h copy into the build
# tree's third_party_include is done at configure time, so a clean clone builds.)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
fi
# Only the test binary (not the bench).
cmake --build "$dir" -j2 --target vs3core_tests >/dev/null

set +e
ctest --test-dir "$dir" --output-on-failure -j2 >"$dir/ctest.log" 2>&1
rc=$?
set -e
summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$dir/ctest.log" || true)
if [ "$rc" = 0 ] && [ -n "$summary" ]; then
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$summary")
  echo "sanitizers (ASan+UBSan): $total tests passed"
else
  # The failing tests' output (sanitizer reports included), then ctest's list of failures.
  grep -vE "^ *Start |Test +#[0-9]+: .* Passed" "$dir/ctest.log" | tail -80
  echo "sanitizers (ASan+UBSan): FAILED (${summary:-ctest did not run}; full log: $dir/ctest.log)"
  exit 1
fi
