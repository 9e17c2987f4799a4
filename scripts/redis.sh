#!/usr/bin/env bash
# Start / stop a throwaway redis-server on 127.0.0.1 (no persistence) for the Redis-backed store tests.
#   scripts/redis.sh start [DIR]   -> prints `export VS3_REDIS_URL=redis://127.0.0.1:PORT`
#   scripts/redis.sh stop  [DIR]
# Everything lives in DIR (default: .redis/ in the repo): pid file, log, port. The port is a free one
# picked at start (VS3_REDIS_PORT to choose it). Nothing touches /etc/redis or the system service.
set -euo pipefail
cmd=${1:-}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$root/.redis}

log() { echo "redis.sh: $*" >&2; }

stop() {
  local pid=""
  [ -f "$dir/redis.pid" ] && pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    # throwaway data: wait a moment for a clean exit, then force
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# PING over bash's /dev/tcp (needs no redis-cli): true when the answer is +PONG.
ping() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [ "${reply%$'\r'}" = "+PONG" ]
  ) 2>/dev/null
}

start() {
  command -v redis-server >/dev/null || { log "redis-server not installed (scripts/setup.sh test installs it)"; exit 1; }
  stop
  mkdir -p "$dir"
  local port=${VS3_REDIS_PORT:-}
  if [ -z "$port" ]; then port=$(free_port) || { log "no free port found"; exit 1; }; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port on 127.0.0.1 is in use; set VS3_REDIS_PORT"; stop; exit 1
  fi
  # Loopback only, no RDB/AOF files; --daemonize returns once the server forked (the pid file follows).
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null || {
    log "redis-server did not start:"; tail -n 5 "$dir/redis.log" 2>/dev/null | sed 's/^/  /' >&2 || true; stop; exit 1; }
  local i
  for i in $(seq 1 100); do
    if ping "$port" && [ -s "$dir/redis.pid" ]; then
      echo "$port" > "$dir/port"
      echo "export VS3_REDIS_URL=redis://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  log "redis-server on port $port did not answer PING; log:"
  tail -n 5 "$dir/redis.log" 2>/dev/null | sed 's/^/  /' >&2 || true
  stop
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
