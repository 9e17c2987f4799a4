#!/usr/bin/env bash
# Benchmarks. Prints figures; asserts only that every contender produced the right result (same
# SHA-256 digest; every uploaded object stored whole).
#   SHA-256 throughput: the vs3 C++ core (native and WASM) beside hash-wasm and WebCrypto (and
#     node:crypto), on the same 256 MiB buffer, in Node and in headless Chromium.
#     VS3_BENCH_MIB (256) / VS3_BENCH_ROUNDS (3).
#   Browser upload: a VS3_BENCH_UPLOAD_MIB (1024) MiB file from headless Chromium to Ceph RGW on loopback:
#     vs3 vs a raw presigned PUT vs @aws-sdk/lib-storage, alternating over VS3_BENCH_UPLOAD_ROUNDS (2);
#     time and the page's renderer memory over idle. Uses VS3_S3_* if set (e.g. from scripts/rgw.sh),
#     else starts its own throwaway RGW (build/rgw-bench/, ports VS3_RGW_PORT 17580 / VS3_RGW_MON_PORT 16880).
#   Node upload: peak RSS and time of the Node client uploading VS3_BENCH_NODE_GIB ("1,6") GiB through
#     the handler's local driver (temporary files, deleted afterwards).
#   Presign: the handler's POST /presign end to end beside @aws-sdk's getSignedUrl alone, and part URLs
#     per second through POST /multipart/sign (no network). VS3_BENCH_PRESIGN_N / _ROUNDS / _CONCURRENCY.
#   Bundle sizes: vs3's client (+ worker, wasm), @vs3/react and drop-in script beside UploadThing's React
#     helpers and Uppy (core + aws-s3, @uppy/react), esbuild-minified and gzip -9 (tests/bench/bundle.mjs).
#   Images: a 12 MP JPEG to a 1920 px WebP q80 in headless Chromium, a worker each: vs3's processImage vs
#     canvas (createImageBitmap + OffscreenCanvas.convertToBlob) vs jSquash (jpeg + resize + webp); time,
#     WASM and renderer memory, WASM module sizes (gzip -9). VS3_BENCH_IMAGE_ROUNDS (3) (tests/bench/image.mjs).
# VS3_BENCH_ONLY=sha256|upload|upload-browser|upload-node|presign|bundle|image runs one group (default: all of them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
only=${VS3_BENCH_ONLY:-all}
case "$only" in
  all | sha256 | upload | upload-browser | upload-node | presign | bundle | image) ;;
  *) echo "bench.sh: VS3_BENCH_ONLY must be sha256, upload, upload-browser, upload-node, presign, bundle or image (got '$only')" >&2; exit 2 ;;
esac
want() { [ "$only" = all ] || [ "$only" = "$1" ] || { [ "$only" = upload ] && [[ "$1" == upload-* ]]; }; }

bash scripts/setup.sh test >/dev/null
bash scripts/build.sh >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
status=0

if want sha256; then
  echo
  build/native/vs3core_bench "${VS3_BENCH_MIB:-256}"
  echo
  node tests/bench/node.mjs || status=1
  echo
  node tests/bench/browser.mjs || status=1
  echo
  node tests/bench/parthash.mjs || status=1
fi

if want presign; then
  echo
  node --no-warnings tests/bench/presign.mjs || status=1
fi

if want bundle; then
  echo
  node tests/bench/bundle.mjs || status=1
fi

if want image; then
  echo
  node tests/bench/image.mjs || status=1
fi

if want upload-browser; then
  echo
  rgw_dir=""
  if [ -z "${VS3_S3_ENDPOINT:-}" ]; then
    rgw_dir=$root/build/rgw-bench
    export VS3_RGW_PORT=${VS3_RGW_PORT:-17580} VS3_RGW_MON_PORT=${VS3_RGW_MON_PORT:-16880}
    trap 'bash "$root/scripts/rgw.sh" stop "$rgw_dir" >/dev/null 2>&1 || true' EXIT
    eval "$(bash scripts/rgw.sh start "$rgw_dir")"
    # radosgw-admin gc between uploads: the memory-backed OSD holds a few GiB.
    export VS3_BENCH_RGW_CONF=$rgw_dir/ceph.conf
  fi
  node tests/bench/upload.mjs || status=1
  if [ -n "$rgw_dir" ]; then
    bash scripts/rgw.sh stop "$rgw_dir" >/dev/null 2>&1 || true
    trap - EXIT
  fi
fi

if want upload-node; then
  echo
  df -h "${VS3_BENCH_TMPDIR:-${TMPDIR:-/tmp}}" | awk 'NR==2 { print "free disk for the Node upload benchmark: " $4 " on " $6 }'
  node tests/bench/upload-node.mjs || status=1
fi
exit $status
