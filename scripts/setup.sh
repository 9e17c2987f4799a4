#!/usr/bin/env bash
# Installs what vs3 needs on a Debian machine. Safe to re-run: installs only what is missing.
#   scripts/setup.sh demo   -> toolchain for building and running the demo
#   scripts/setup.sh test   -> plus GoogleTest, Chromium, Ceph (RGW) and Redis for the test suites
set -euo pipefail
profile=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

pkgs=(ca-certificates curl g++ make cmake emscripten libxxhash-dev nodejs npm)
if [ "$profile" = test ]; then
  pkgs+=(googletest libgtest-dev chromium ceph-mon ceph-osd radosgw clang-format clang-tidy redis-server)
fi

missing=()
for p in "${pkgs[@]}"; do
  # nodejs/npm may come from elsewhere (e.g. a newer Node on PATH): accept the commands.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is needed (found $(node --version))" >&2
  exit 1
fi

# npm packages: reinstall only when package-lock.json changed since the last install.
stamp=node_modules/.vs3-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
