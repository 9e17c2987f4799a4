#!/usr/bin/env bash
# Builds the image codecs for issue 8 from Debian's source packages (Debian-patched), as static
# libraries, twice: natively (Release, -fPIC) and with Emscripten. Nothing third-party is committed:
# sources go to build/image-src/, results to build/image-libs/{native,wasm}/{include,lib}.
#   scripts/image-libs.sh          -> fetch sources, build what is not built yet, run the smoke check
#   scripts/image-libs.sh fetch    -> only add deb-src and run apt-get source (no compiling)
#   scripts/image-libs.sh clean    -> remove build/image-libs (keeps the downloaded sources)
#   scripts/image-libs.sh fuzz     -> only the libFuzzer build (scripts/fuzz.sh): the same libraries
#                                     with clang-14, -fsanitize=fuzzer-no-link,address,undefined -g -O1,
#                                     into build/image-libs/fuzz/ (never part of the default run)
# Libraries: zlib (libpng needs it; built from Debian's zlib source rather than Emscripten's
# USE_ZLIB port, which downloads at build time and cannot write to Debian's frozen cache),
# libjpeg-turbo (libjpeg + TurboJPEG APIs), libwebp (libwebp, libwebpdemux, libsharpyuv), libpng1.6.
# A stamp per library and target (build/image-libs/stamps/) holds the source version and the build
# configuration; a re-run with nothing changed only runs the smoke check. See docs/images.md.
set -euo pipefail
mode=${1:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export NODE_PATH=/usr/share/nodejs   # Debian's emscripten needs its node modules (acorn)

src_dir=$root/build/image-src
out_dir=$root/build/image-libs
stamps=$out_dir/stamps
jobs=2
# Source packages (Debian names) and the directory prefix apt-get source unpacks them to.
packages=(zlib libjpeg-turbo libwebp libpng1.6)

sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo

if [ "$mode" = clean ]; then
  rm -rf "$out_dir"
  echo "image-libs: removed build/image-libs"
  exit 0
fi

# --- tools -----------------------------------------------------------------------------------------
# dpkg-dev: dpkg-source (apt-get source unpacks and applies Debian's patches with it).
# nasm: libjpeg-turbo's x86-64 SIMD (native build only). cmake, make, emscripten: the builds.
need=(dpkg-dev nasm cmake make g++ emscripten)
[ "$mode" = fuzz ] && need+=(clang-14)   # clang-14 ships libFuzzer and the sanitizer runtimes
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "image-libs: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- deb-src ---------------------------------------------------------------------------------------
# apt-get source needs a deb-src entry. If none is configured, mirror every Debian "deb" entry
# (one-line sources.list format or deb822 .sources) as deb-src in a file of our own.
apt_files=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && apt_files+=("$f")
done
have_src() {
  grep -qsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' "${apt_files[@]}"
}
if ! have_src; then
  added=0
  oneline=$(for f in "${apt_files[@]}"; do
    case $f in *.list) awk '$1 == "deb" && $0 ~ /debian/ { sub(/^deb/, "deb-src"); print }' "$f" ;; esac
  done)
  if [ -n "$oneline" ]; then
    printf '# added by vs3 scripts/image-libs.sh (apt-get source)\n%s\n' "$oneline" |
      $sudo tee /etc/apt/sources.list.d/vs3-deb-src.list >/dev/null
    added=1
  fi
  deb822=$(for f in "${apt_files[@]}"; do
    case $f in
      *.sources)
        # One stanza per paragraph; keep those of type deb pointing at a Debian archive.
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Types:[^\n]*deb/ && /(^|\n)URIs:[^\n]*debian/ {
               gsub(/(^|\n)#[^\n]*/, ""); sub(/^\n/, "")
               sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" ;;
    esac
  done)
  if [ -n "$deb822" ]; then
    printf '# added by vs3 scripts/image-libs.sh (apt-get source)\n%s\n' "$deb822" |
      $sudo tee /etc/apt/sources.list.d/vs3-deb-src.sources >/dev/null
    added=1
  fi
  if [ "$added" = 0 ]; then
    echo "image-libs: no Debian deb entry found in /etc/apt/sources.list{,.d/*} to mirror as deb-src" >&2
    exit 1
  fi
  echo "image-libs: added deb-src entries (/etc/apt/sources.list.d/vs3-deb-src.*), apt-get update"
  $sudo apt-get update -qq
fi

# --- sources ---------------------------------------------------------------------------------------
mkdir -p "$src_dir"
srcdir_of() {   # the unpacked source tree of package $1 (newest if several)
  local d
  d=$(find "$src_dir" -maxdepth 1 -mindepth 1 -type d -name "$1-*" | sort -V | tail -n 1)
  [ -n "$d" ] && [ -d "$d/debian" ] && echo "$d"
}
for p in "${packages[@]}"; do
  if ! srcdir_of "$p" >/dev/null; then
    # Newest version first; if the mirror lacks its files (seen: bookworm-security listed
    # libpng1.6 1.6.39-2+deb12u6 whose .dsc answered 404), fall back to the next one.
    for v in $(apt-cache showsrc --only-source "$p" | awk '/^Version:/ { print $2 }' | sort -u -r -V); do
      echo "image-libs: apt-get source $p=$v"
      # As root, apt downloads unsandboxed (a notice, not an error); -qq keeps dpkg-source quiet.
      (
        cd "$src_dir"
        apt-get source -qq --only-source "$p=$v" 2>&1 |
          grep -v -e 'unsandboxed as root' -e '^dpkg-source: info' -e '^W: Download is performed'
      ) || true
      srcdir_of "$p" >/dev/null && break
    done
    srcdir_of "$p" >/dev/null || { echo "image-libs: apt-get source $p failed" >&2; exit 1; }
  fi
done
# One change to Debian's libjpeg-turbo, for wasm32 only (idempotent, applied in place): its Huffman
# decoder's bit buffer is 64 bits wide where size_t is, and on x32 (32-bit pointers, 64-bit
# registers) by a branch of its own; wasm32 is the same kind of target but falls to the 32-bit
# buffer, which refills twice as often. Extending the x32 branch to __wasm__ decodes the bench's
# 12 MP JPEG ~5 ms (6%) faster under V8. Natively (x86-64 LP64) the first branch is taken, as before.
# The encoder (jchuff.c) is left as it is.
jpeg_src=$(srcdir_of libjpeg-turbo)
sed -i 's/#\(el\)\{0,1\}if defined(__x86_64__) && defined(__ILP32__)$/#\1if (defined(__x86_64__) || defined(__wasm__)) \&\& defined(__ILP32__)/' \
  "$jpeg_src/jdhuff.h"
sed -i 's/ || (defined(__x86_64__) && defined(__ILP32__))$/ || ((defined(__x86_64__) || defined(__wasm__)) \&\& defined(__ILP32__))/' \
  "$jpeg_src/jdhuff.c"
for f in jdhuff.h jdhuff.c; do
  grep -q '__wasm__' "$jpeg_src/$f" || { echo "image-libs: cannot patch $f for wasm32" >&2; exit 1; }
done

version_of() {  # Debian version of the unpacked source package $1, e.g. 1:2.1.5-2
  dpkg-parsechangelog -l "$(srcdir_of "$1")/debian/changelog" -S Version
}
if [ "$mode" = fetch ]; then
  for p in "${packages[@]}"; do echo "image-libs: $p $(version_of "$p") in $(srcdir_of "$p")"; done
  exit 0
fi

# --- builds ----------------------------------------------------------------------------------------
# Configuration that goes into every stamp: change a flag here and the affected builds rerun.
native_cflags="-O2 -fPIC"
wasm_cflags="-O3"
# For libFuzzer: coverage instrumentation without libFuzzer's main (the harnesses link it), ASan and
# UBSan (recoverable, so a run can suppress a benign report; scripts/fuzz.sh makes them fatal).
fuzz_cflags="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined"
cfg_version=3

summary=()
built_any=0
# The repository's package.json says "type": "module"; Emscripten's .js output (CMake's try_run
# programs under obj/, the smoke check) is CommonJS, so node would fail on it (exit 1, which
# CheckTypeSize read as "sizeof(size_t) == 1"). This marks everything under build/image-libs/.
mkdir -p "$out_dir"
echo '{ "type": "commonjs" }' >"$out_dir/package.json"
# run_build <lib> <target> <key> <function> <output>: runs <function> unless the stamp matches <key>
# and <output> (a library under build/image-libs/<target>/lib/) is there.
run_build() {
  local lib=$1 target=$2 key=$3 fn=$4 output=$out_dir/$2/lib/$5 stamp=$stamps/$1-$2.stamp t0 t1
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && [ -f "$output" ]; then
    summary+=("$(printf '%-14s %-6s cached   %-7s  (%s)' "$lib" "$target" "" "$(cut -d ' ' -f 2 <<<"$key")")")
    return 0
  fi
  t0=$(date +%s.%N)
  local log=$out_dir/logs/$lib-$target.log
  mkdir -p "$out_dir/logs" "$stamps"
  rm -f "$stamp"
  echo "image-libs: building $lib ($target), log in ${log#"$root"/}"
  # A subshell with its own set -e, not part of an if/&&/|| (where bash ignores errexit inside).
  local rc
  set +e
  ( set -e; "$fn" "$target" ) >"$log" 2>&1
  rc=$?
  set -e
  if [ "$rc" != 0 ]; then
    echo "image-libs: $lib ($target) failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  echo "$key" >"$stamp"
  built_any=1
  summary+=("$(printf '%-14s %-6s built   %5.1f s  (%s)' "$lib" "$target" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$(cut -d ' ' -f 2 <<<"$key")")")
}

prefix_of() { echo "$out_dir/$1"; }
# cmake with the right wrapper for the target; build trees live in build/image-libs/obj/.
cmake_for() {
  local target=$1; shift
  # try_run (CheckTypeSize in Emscripten's CMake modules runs the test program) uses node as the
  # emulator; the default adds --experimental-wasm-threads, which Node 20 rejects (exit 9, read
  # as "sizeof(size_t) == 9"), and Emscripten 3.1.6's glue breaks on Node's own fetch.
  if [ "$target" = wasm ]; then
    emcmake cmake -DCMAKE_CROSSCOMPILING_EMULATOR="$(command -v node);--no-experimental-fetch" "$@"
  elif [ "$target" = fuzz ]; then
    cmake -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 "$@"
  else
    cmake "$@"
  fi
}
cflags_for() {
  case $1 in wasm) echo "$wasm_cflags" ;; fuzz) echo "$fuzz_cflags" ;; *) echo "$native_cflags" ;; esac
}

# zlib: 15 C files; compiled directly (its CMakeLists renames zconf.h inside the source tree and
# builds examples), the same way Emscripten's own zlib port does.
build_zlib() {
  local target=$1 prefix src obj cc ar
  prefix=$(prefix_of "$target"); src=$(srcdir_of zlib); obj=$out_dir/obj/zlib-$target
  case $target in wasm) cc="emcc" ar="emar" ;; fuzz) cc="clang-14" ar="ar" ;; *) cc="cc" ar="ar" ;; esac
  rm -rf "$obj"; mkdir -p "$obj" "$prefix/include" "$prefix/lib"
  local files=(adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate
    inftrees trees uncompr zutil)
  # shellcheck disable=SC2046
  printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} \
    $cc $(cflags_for "$target") -DNDEBUG -DHAVE_UNISTD_H -DHAVE_STDARG_H -D_LARGEFILE64_SOURCE=1 \
    -w -I"$src" -c "$src/{}.c" -o "$obj/{}.o"
  local objs=()
  for o in "${files[@]}"; do objs+=("$obj/$o.o"); done
  rm -f "$prefix/lib/libz.a"
  $ar rcs "$prefix/lib/libz.a" "${objs[@]}"
  cp "$src/zlib.h" "$src/zconf.h" "$prefix/include/"
}

# libjpeg-turbo: static libjpeg and libturbojpeg only (no shared libs, tools, tests or Java: only
# the two library targets are built, their headers installed by hand). SIMD: NASM x86-64 natively;
# none for wasm (2.1.x has no WebAssembly SIMD code, and its x86 SIMD is assembly, not intrinsics),
# nor for fuzz (the C paths the wasm build runs, all of them instrumented). fuzz builds libjpeg
# only: the pipeline and the seed generator use the libjpeg API, and turbojpeg-static compiles every
# libjpeg source a second time (half of the fuzz libraries' build time).
build_jpeg() {
  local target=$1 prefix src obj simd=ON libs=(jpeg-static turbojpeg-static)
  prefix=$(prefix_of "$target"); src=$(srcdir_of libjpeg-turbo); obj=$out_dir/obj/jpeg-$target
  [ "$target" != native ] && simd=OFF
  [ "$target" = fuzz ] && libs=(jpeg-static)
  rm -rf "$obj"
  cmake_for "$target" -S "$src" -B "$obj" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="$(cflags_for "$target")" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DENABLE_SHARED=OFF -DENABLE_STATIC=ON -DWITH_TURBOJPEG=ON -DWITH_JAVA=OFF \
    -DWITH_SIMD=$simd -DREQUIRE_SIMD=$simd -DWITH_JPEG8=OFF -DWITH_ARITH_ENC=ON -DWITH_ARITH_DEC=ON
  cmake --build "$obj" -j "$jobs" --target "${libs[@]}"
  mkdir -p "$prefix/include" "$prefix/lib"
  cp "$obj/libjpeg.a" "$prefix/lib/"
  [ "$target" = fuzz ] || cp "$obj/libturbojpeg.a" "$prefix/lib/"
  # jpegint.h: the raw YCbCr decode sets the chroma IDCT as TurboJPEG's YUV decoder does.
  cp "$obj/jconfig.h" "$src/jpeglib.h" "$src/jmorecfg.h" "$src/jerror.h" "$src/turbojpeg.h" "$src/jpegint.h" \
    "$prefix/include/"
}

# libwebp: libwebp, libwebpdemux and libwebpmux (the pipeline writes an ICC profile into WebP output
# with WebPMux); 1.2.4 compiles sharpyuv into libwebp, from 1.3 it is its own libsharpyuv. No tools,
# no libwebpdecoder (a decode-only copy of libwebp), no WebP-JS demo; only the library targets are
# built, headers installed by hand. wasm: no threads (workers are the JS side's job); SIMD on:
# WEBP_ENABLE_SIMD=ON makes libwebp's cmake/cpu.cmake compile the *_sse2.c and *_sse41.c files with
# "-msimd128 -msse2" / "-msimd128 -msse4.1", which Emscripten maps to WebAssembly SIMD, and its
# cpu.c (EMSCRIPTEN branch) then reports those features from the WEBP_HAVE_SSE2/SSE41 defines.
build_webp() {
  local target=$1 prefix src obj extra=()
  prefix=$(prefix_of "$target"); src=$(srcdir_of libwebp); obj=$out_dir/obj/webp-$target
  [ "$target" = wasm ] && extra=(-DWEBP_USE_THREAD=OFF -DWEBP_ENABLE_SIMD=ON)
  [ "$target" = fuzz ] && extra=(-DWEBP_USE_THREAD=OFF)   # as in wasm; SSE2 intrinsics stay (instrumented C)
  rm -rf "$obj"
  cmake_for "$target" -S "$src" -B "$obj" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="$(cflags_for "$target")" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DBUILD_SHARED_LIBS=OFF \
    -DWEBP_BUILD_ANIM_UTILS=OFF -DWEBP_BUILD_CWEBP=OFF -DWEBP_BUILD_DWEBP=OFF \
    -DWEBP_BUILD_GIF2WEBP=OFF -DWEBP_BUILD_IMG2WEBP=OFF -DWEBP_BUILD_VWEBP=OFF \
    -DWEBP_BUILD_WEBPINFO=OFF -DWEBP_BUILD_WEBPMUX=OFF -DWEBP_BUILD_EXTRAS=OFF \
    -DWEBP_BUILD_WEBP_JS=OFF -DWEBP_BUILD_LIBWEBPMUX=ON "${extra[@]}"
  cmake --build "$obj" -j "$jobs" --target webp webpdemux libwebpmux
  if [ "$target" = wasm ]; then
    # Fail rather than silently ship a scalar build: the SSE2 objects must be in libwebp.a.
    grep -q 'WEBP_HAVE_SSE2 1' "$obj/src/webp/config.h"
    [ "$(emnm "$obj/libwebp.a" | grep -c ' T VP8DspInitSSE2$')" -ge 1 ]   # -c: no SIGPIPE under pipefail
  fi
  mkdir -p "$prefix/include/webp" "$prefix/lib"
  cp "$obj/libwebp.a" "$obj/libwebpdemux.a" "$obj/libwebpmux.a" "$prefix/lib/"
  cp "$src"/src/webp/{decode,encode,types,demux,mux,mux_types}.h "$prefix/include/webp/"
  if [ -f "$obj/libsharpyuv.a" ]; then
    cp "$obj/libsharpyuv.a" "$prefix/lib/"
    mkdir -p "$prefix/include/webp/sharpyuv"; cp "$src"/sharpyuv/sharpyuv*.h "$prefix/include/webp/sharpyuv/"
  fi
}

# libpng: static only, no tools or tests, against the zlib built above; no SSE2/NEON filter code
# in wasm (PNG_HARDWARE_OPTIMIZATIONS would pick x86 code for Emscripten's x86-looking target) nor
# in fuzz (the C filters the wasm build runs).
build_png() {
  local target=$1 prefix src obj hw=ON
  prefix=$(prefix_of "$target"); src=$(srcdir_of libpng1.6); obj=$out_dir/obj/png-$target
  [ "$target" != native ] && hw=OFF
  rm -rf "$obj"
  cmake_for "$target" -S "$src" -B "$obj" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="$(cflags_for "$target")" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DPNG_SHARED=OFF -DPNG_STATIC=ON -DPNG_TESTS=OFF -DPNG_EXECUTABLES=OFF -DPNG_FRAMEWORK=OFF \
    -DPNG_HARDWARE_OPTIMIZATIONS=$hw -DSKIP_INSTALL_PROGRAMS=ON \
    -DZLIB_INCLUDE_DIR="$prefix/include" -DZLIB_LIBRARY="$prefix/lib/libz.a"
  cmake --build "$obj" -j "$jobs" --target png_static
  mkdir -p "$prefix/include" "$prefix/lib"
  cp "$obj/libpng16.a" "$prefix/lib/"
  ln -sf libpng16.a "$prefix/lib/libpng.a"
  cp "$src/png.h" "$src/pngconf.h" "$obj/pnglibconf.h" "$prefix/include/"
}

targets=(native wasm)
[ "$mode" = fuzz ] && targets=(fuzz)
for target in "${targets[@]}"; do
  case $target in
    wasm) tc="emcc $(emcc --version | head -n 1 | sed 's/.* \([0-9][0-9.]*\) .*/\1/') $wasm_cflags" ;;
    fuzz) tc="clang $(clang-14 -dumpversion) $fuzz_cflags" ;;
    *) tc="cc $(cc -dumpfullversion) $native_cflags" ;;
  esac
  zkey="zlib $(version_of zlib) cfg$cfg_version $tc"
  run_build zlib "$target" "$zkey" build_zlib libz.a
  jpeg_out=libturbojpeg.a; [ "$target" = fuzz ] && jpeg_out=libjpeg.a
  # jpeg2: + jpegint.h, 64-bit Huffman bit buffer in wasm32.
  run_build libjpeg-turbo "$target" "libjpeg-turbo $(version_of libjpeg-turbo) cfg$cfg_version jpeg2 $tc" \
    build_jpeg "$jpeg_out"
  # webp4: + libwebpmux, wasm SIMD (bumps only this stamp; the other libraries stay cached).
  run_build libwebp "$target" "libwebp $(version_of libwebp) cfg$cfg_version webp4 $tc" build_webp libwebpmux.a
  run_build libpng "$target" "libpng1.6 $(version_of libpng1.6) cfg$cfg_version $tc; $zkey" \
    build_png libpng16.a
done

# --- smoke check -----------------------------------------------------------------------------------
# scripts/image-libs-smoke.c links all of them, round-trips a tiny image through each codec and
# prints the versions; natively and under node for the wasm build.
smoke_src=$root/scripts/image-libs-smoke.c
# Full paths, not -l: the linker must not pick the system's (native) libz or libjpeg instead.
libs_of() {
  local l d=$out_dir/$1/lib
  for l in turbojpeg jpeg webpmux webpdemux webp sharpyuv png16 z; do
    [ -f "$d/lib$l.a" ] && echo "$d/lib$l.a"
  done
}
# fuzz: no smoke check here (it calls TurboJPEG, not built for fuzz); scripts/fuzz.sh's seed
# generator encodes with every library and the harnesses decode the result.
if [ "$mode" = fuzz ]; then
  echo "image-libs: summary"
  printf '  %s\n' "${summary[@]}"
  echo "image-libs: static libraries for libFuzzer (bytes)"
  for a in "$out_dir"/fuzz/lib/*.a; do
    [ -L "$a" ] || printf '  %-6s %-18s %9s\n' fuzz "$(basename "$a")" "$(stat -c %s "$a")"
  done
  exit 0
fi
mapfile -t native_libs < <(libs_of native)
mapfile -t wasm_libs < <(libs_of wasm)
if [ "$built_any" = 1 ] || [ ! -x "$out_dir/native/smoke" ] || [ "$smoke_src" -nt "$out_dir/native/smoke" ]; then
  cc -O2 -Wall -Wextra -I"$out_dir/native/include" "$smoke_src" "${native_libs[@]}" -lm \
    -o "$out_dir/native/smoke"
fi
# WASM_ASYNC_COMPILATION=0: Emscripten 3.1.6's async loader calls Node's global fetch on a file
# path and fails; synchronous instantiation reads the .wasm with fs, so plain `node smoke.js` works.
if [ "$built_any" = 1 ] || [ ! -f "$out_dir/wasm/smoke.js" ] || [ "$smoke_src" -nt "$out_dir/wasm/smoke.js" ]; then
  emcc -O2 -Wall -Wextra -I"$out_dir/wasm/include" "$smoke_src" "${wasm_libs[@]}" \
    -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node -sWASM_ASYNC_COMPILATION=0 -o "$out_dir/wasm/smoke.js"
fi

echo "image-libs: summary"
printf '  %s\n' "${summary[@]}"
echo "image-libs: static libraries (bytes)"
for target in native wasm; do
  for a in "$out_dir/$target"/lib/*.a; do
    [ -L "$a" ] && continue
    printf '  %-6s %-18s %9s\n' "$target" "$(basename "$a")" "$(stat -c %s "$a")"
  done
done
echo "image-libs: smoke (native)"
"$out_dir/native/smoke" | sed 's/^/  /'
echo "image-libs: smoke (wasm, node build/image-libs/wasm/smoke.js)"
node "$out_dir/wasm/smoke.js" | sed 's/^/  /'
