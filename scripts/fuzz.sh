#!/usr/bin/env bash
# The image decoders (and the core's sniffer) under libFuzzer, natively, with ASan + UBSan:
#   1. scripts/image-libs.sh fuzz     the codec libraries instrumented (build/image-libs/fuzz, cached)
#   2. compile                        wasm/src/image/*.cpp, wasm/src/sniff.cpp and fuzz/*.cpp with
#                                     clang++-14 -fsanitize=fuzzer,address,undefined (build/fuzz/obj,
#                                     rebuilt when a source or header changes)
#   3. seeds                          fuzz/make_seeds.cpp writes small valid JPEG/PNG/WebP/EXIF/sniff
#                                     inputs into build/fuzz/corpus/<name>/ (regenerated each run)
#   4. fuzz                           each harness for VS3_FUZZ_SECONDS (default 30) with
#                                     -max_len=65536 -rss_limit_mb=2048 -timeout=10; the inputs it
#                                     finds go to build/fuzz/found/<name>/, emptied first unless
#                                     VS3_FUZZ_KEEP=1 (a growing corpus would eat into a timed run)
# Fails on any crash, sanitizer report, leak, timeout or out-of-memory, printing the reproducer
# (kept in build/fuzz/crashes/) and the report; prints the executions per harness either way.
#   scripts/fuzz.sh                      all harnesses: jpeg png webp exif sniff
#   scripts/fuzz.sh png sniff            some of them
#   VS3_FUZZ_SECONDS=300 scripts/fuzz.sh longer runs
#   build/fuzz/bin/fuzz_png <file>       reproduce one input
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${VS3_FUZZ_SECONDS:-30}
all=(jpeg png webp exif sniff)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for n in "${names[@]}"; do
  [[ " ${all[*]} " == *" $n "* ]] || { echo "fuzz: unknown harness '$n' (have: ${all[*]})" >&2; exit 2; }
done

t_start=$(date +%s)
elapsed() { echo "$(($(date +%s) - $1)) s"; }

# The pipeline is another part of issue 8; without it there is nothing to fuzz but the sniffer.
image_src=(wasm/src/image/*.cpp)
if [ ! -f wasm/include/vs3/image/image.hpp ] || [ ! -f "${image_src[0]}" ]; then
  echo "fuzz: the image pipeline is not in this checkout (wasm/include/vs3/image/image.hpp and" >&2
  echo "      wasm/src/image/*.cpp, with vs3::image::probe/process): nothing to fuzz" >&2
  exit 1
fi

# --- 1. instrumented codec libraries ---------------------------------------------------------------
t0=$(date +%s)
out=build/fuzz
mkdir -p "$out/logs"
echo "fuzz: codec libraries (scripts/image-libs.sh fuzz, log in $out/logs/image-libs.log)"
if ! bash scripts/image-libs.sh fuzz >"$out/logs/image-libs.log" 2>&1; then
  tail -n 30 "$out/logs/image-libs.log" >&2
  echo "fuzz: building the instrumented codec libraries failed" >&2
  exit 1
fi
grep -E '^  [a-z0-9-]+ +fuzz +(built|cached)' "$out/logs/image-libs.log" || true
libs_dir=build/image-libs/fuzz
codec_libs=()
for l in jpeg webpmux webpdemux webp sharpyuv png16 z; do
  [ -f "$libs_dir/lib/lib$l.a" ] && codec_libs+=("$libs_dir/lib/lib$l.a")
done
echo "fuzz: libraries ready in $(elapsed "$t0")"

# --- 2. compile ------------------------------------------------------------------------------------
t0=$(date +%s)
obj=$out/obj
bin=$out/bin
mkdir -p "$obj" "$bin" "$out/crashes"
cxx=clang++-14
# Coverage for libFuzzer, ASan, UBSan; -O1 -g as the libraries. UBSan stays recoverable at build
# time and is made fatal at run time (halt_on_error), for the libraries' code as for ours.
cxxflags=(-std=c++17 -O1 -g -fno-omit-frame-pointer "-fsanitize=fuzzer-no-link,address,undefined" -Wall -Wextra
  -Iwasm/include -isystem "$libs_dir/include")
flags_stamp=$obj/flags
if [ ! -f "$flags_stamp" ] || [ "$(cat "$flags_stamp")" != "$cxx ${cxxflags[*]}" ]; then
  rm -f "$obj"/*.o "$obj"/*.d
  echo "$cxx ${cxxflags[*]}" >"$flags_stamp"
fi
# A source needs compiling when its object is missing or older than anything in its .d file.
stale() {
  local o=$1 d=${1%.o}.d f
  [ -f "$o" ] && [ -f "$d" ] || return 0
  # shellcheck disable=SC2013  # .d files list paths separated by spaces and continuation lines
  for f in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$d"); do
    [ "$f" -nt "$o" ] && return 0
  done
  return 1
}
sources=("${image_src[@]}" wasm/src/sniff.cpp fuzz/fuzz_jpeg.cpp fuzz/fuzz_png.cpp fuzz/fuzz_webp.cpp
  fuzz/fuzz_exif.cpp fuzz/fuzz_sniff.cpp fuzz/make_seeds.cpp tests/cpp/image_helpers.cpp)
todo=()
for s in "${sources[@]}"; do
  o=$obj/$(basename "${s%.cpp}").o
  stale "$o" && todo+=("$s")
done
if [ ${#todo[@]} -gt 0 ]; then
  echo "fuzz: compiling ${#todo[@]} file(s) with $cxx -fsanitize=fuzzer-no-link,address,undefined (-j2)"
  # sh -c '...' <source> <obj dir> <compiler and flags...>
  # shellcheck disable=SC2016
  printf '%s\n' "${todo[@]}" | xargs -P 2 -I{} sh -c \
    'src=$0 o="$1/$(basename "$0" .cpp).o"; shift; exec "$@" -MMD -MF "${o%.o}.d" -c "$src" -o "$o"' \
    {} "$obj" "$cxx" "${cxxflags[@]}" || { echo "fuzz: compile failed" >&2; exit 1; }
fi
image_objs=()
for s in "${image_src[@]}"; do image_objs+=("$obj/$(basename "${s%.cpp}").o"); done
link() {  # link <output> <-fsanitize=...> <objects...>: relinks when an input is newer
  local target=$1 san=$2 f newer=0
  shift 2
  for f in "$@" "${codec_libs[@]}"; do [ "$f" -nt "$target" ] && newer=1; done
  [ -x "$target" ] && [ "$newer" = 0 ] && return 0
  "$cxx" -fsanitize="$san" "$@" "${codec_libs[@]}" -lm -o "$target"
}
for n in jpeg png webp exif; do
  link "$bin/fuzz_$n" fuzzer,address,undefined "$obj/fuzz_$n.o" "${image_objs[@]}"
done
link "$bin/fuzz_sniff" fuzzer,address,undefined "$obj/fuzz_sniff.o" "$obj/sniff.o"
link "$bin/make_seeds" fuzzer-no-link,address,undefined "$obj/make_seeds.o" "$obj/image_helpers.o"
echo "fuzz: harnesses built in $(elapsed "$t0") (build/fuzz/bin)"

# --- 3. seed corpus ----------------------------------------------------------------------------------
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:symbolize=1
rm -rf "$out/corpus"
mkdir -p "$out/corpus"/{jpeg,png,webp,exif,sniff}
"$bin/make_seeds" "$out/corpus" | sed 's/^/  /'

# --- 4. fuzz ---------------------------------------------------------------------------------------
failed=()
report=()
for n in "${names[@]}"; do
  log=$out/logs/$n.log
  [ "${VS3_FUZZ_KEEP:-0}" = 1 ] || rm -rf "$out/found/$n"
  mkdir -p "$out/found/$n"
  echo "fuzz: $n for ${seconds} s (log in $log)"
  set +e
  # found/ first: libFuzzer adds the inputs it finds to the first directory; corpus/ holds the seeds.
  "$bin/fuzz_$n" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$out/crashes/$n-" "$out/found/$n" "$out/corpus/$n" >"$log" 2>&1
  rc=$?
  set -e
  # (|| true: a crashed run has no final stats, and a grep that finds nothing fails the pipeline)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  if [ -z "$execs" ]; then  # stopped before the final stats: the last status line's count
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  fi
  line=$(printf '%-6s %9s execs (%s/s), %s' "$n" "${execs:-?}" "${speed:-?}" "${cov:-no coverage line}")
  if [ "$rc" = 0 ]; then
    report+=("ok      $line")
    continue
  fi
  failed+=("$n")
  report+=("FAILED  $line, exit $rc")
  crash=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //' || true)
  echo "fuzz: $n FAILED (exit $rc); reproducer: ${crash:-none written}"
  [ -n "$crash" ] && echo "      reproduce: $bin/fuzz_$n $crash"
  # The report: from the first sanitizer / libFuzzer / harness error line to its SUMMARY, without
  # libFuzzer's and libc's own frames.
  awk '/ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|vs3 fuzz:|==[0-9]+== ?ERROR/ { on = 1 }
       on && /in fuzzer::|__libc_start|in _start |in main .*fuzz_/ { next }
       on { sub(/ \(BuildId: [0-9a-f]+\)/, ""); print "      " $0; if (++n >= 60) exit }
       on && /^SUMMARY:/ { exit }' "$log"
done

echo "fuzz: executions in ${seconds} s per harness (ASan+UBSan, -O1)"
printf '  %s\n' "${report[@]}"
echo "fuzz: total $(elapsed "$t_start") (libraries, build, seeds and ${#names[@]} x ${seconds} s of fuzzing)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (crash inputs in build/fuzz/crashes/, logs in build/fuzz/logs/)"
  exit 1
fi
echo "fuzz: ok"
