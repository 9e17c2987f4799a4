#!/usr/bin/env bash
# Installs what is missing, builds the WASM core and the TypeScript package, and serves the demo on
# http://127.0.0.1:${VS3_PORT:-5173}/ with local-disk storage (.demo-data/). Set VS3_S3_ENDPOINT,
# VS3_S3_BUCKET, VS3_S3_ACCESS_KEY_ID, VS3_S3_SECRET_ACCESS_KEY (VS3_S3_REGION) to use S3 instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh demo
bash scripts/build.sh wasm
exec node demo/server.mjs
