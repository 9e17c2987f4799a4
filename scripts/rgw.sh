#!/usr/bin/env bash
# Start / stop a throwaway single-node Ceph cluster (1 mon, 1 memstore OSD, radosgw/beast) on 127.0.0.1.
#   scripts/rgw.sh start [DIR]   -> prints shell exports (VS3_S3_*) for the test user and endpoint
#   scripts/rgw.sh stop  [DIR]
# Everything lives in DIR (default: .rgw/ in the repo); nothing touches /etc/ceph or /var/lib/ceph.
set -euo pipefail
cmd=${1:-}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$root/.rgw}
mon_port=${VS3_RGW_MON_PORT:-16789}
rgw_port=${VS3_RGW_PORT:-17480}
access_key=vs3testaccesskey
secret_key=vs3testsecretkey0123456789abcdef
conf=$dir/ceph.conf

log() { echo "rgw.sh: $*" >&2; }

stop() {
  for p in "$dir"/run/*.pid; do
    [ -f "$p" ] || continue
    pid=$(cat "$p" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  # throwaway data: wait a moment for a clean exit, then force
  for _ in $(seq 1 5); do
    alive=0
    for p in "$dir"/run/*.pid; do
      [ -f "$p" ] || continue
      pid=$(cat "$p" 2>/dev/null || true)
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "$dir"/run/*.pid; do
    [ -f "$p" ] || continue
    pid=$(cat "$p" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  # Anything still running on this cluster's config (e.g. a daemon whose pid file was never written).
  pkill -9 -f -- "-c $conf" 2>/dev/null || true
  rm -rf "$dir"
}

start_once() {
  mkdir -p "$dir"/{run,log,mon,osd0,rgw} || return 1
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  cat > "$conf" <<CONF || return 1
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
mon data avail warn = 1
mon data avail crit = 0
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms bind msgr2 = false
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
paxos propose interval = 0.1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
keyring = $dir/keyring
[mon.a]
mon data = $dir/mon
[osd.0]
osd objectstore = memstore
osd data = $dir/osd0
memstore device bytes = 4294967296
osd max object size = 134217728
# The OSD would otherwise send CRUSH commands at boot, sometimes before it has the monmap
# ("wrong fsid" race); the script places it in the CRUSH map itself.
osd crush update on start = false
osd class update on start = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
rgw dns name = localhost
rgw enable usage log = false
rgw thread pool size = 64
# Server-side encryption for the tests, over plain HTTP on loopback: SSE-C, and SSE-KMS with RGW's
# "testing" KMS (static keys from this file; never for real data). Key: 32 bytes, base64.
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = vs3-test-key=dnMzLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTI=
CONF
  : > "$dir/keyring" || return 1
  monmaptool --create --clobber --addv a "[v1:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null || return 1
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >/dev/null 2>"$dir/log/mkfs-mon.err" || return 1
  ceph-mon -c "$conf" -i a 2>>"$dir/log/mon-start.err" || return 1
  local osd_uuid; osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  timeout 30 ceph -c "$conf" --connect-timeout 20 osd new "$osd_uuid" 0 >/dev/null 2>>"$dir/log/cli.err" || return 1
  timeout 30 ceph -c "$conf" osd crush add osd.0 1.0 root=default host=vs3 >/dev/null 2>>"$dir/log/cli.err" || return 1
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>"$dir/log/mkfs-osd.err" || return 1
  ceph-osd -c "$conf" -i 0 2>>"$dir/log/osd-start.err" || return 1
  radosgw -c "$conf" -n client.rgw 2>>"$dir/log/rgw-start.err" || return 1
  local i
  for i in $(seq 1 150); do
    if curl -s -o /dev/null "http://127.0.0.1:$rgw_port/"; then break; fi
    [ "$i" = 150 ] && return 1
    sleep 0.2
  done
  timeout 60 radosgw-admin -c "$conf" -n client.admin user create --uid=vs3 --display-name=vs3 \
    --access-key="$access_key" --secret-key="$secret_key" >/dev/null 2>>"$dir/log/cli.err" || return 1
  # RGW is serving S3: the anonymous ListBuckets answers 200 (an empty list), not 5xx.
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rgw_port/")" = 200 ] || return 1
  return 0
}

start() {
  command -v ceph-mon >/dev/null && command -v radosgw >/dev/null || { log "ceph-mon/radosgw not installed (scripts/setup.sh installs them)"; exit 1; }
  stop
  for port in "$mon_port" "$rgw_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "port $port on 127.0.0.1 is in use (another cluster?); set VS3_RGW_MON_PORT / VS3_RGW_PORT"; exit 1
    fi
  done
  local attempt
  for attempt in 1 2 3; do
    if start_once; then
      cat <<OUT
export VS3_S3_ENDPOINT=http://127.0.0.1:$rgw_port
export VS3_S3_REGION=us-east-1
export VS3_S3_ACCESS_KEY_ID=$access_key
export VS3_S3_SECRET_ACCESS_KEY=$secret_key
export VS3_S3_FORCE_PATH_STYLE=1
OUT
      return 0
    fi
    log "start attempt $attempt failed; logs:"
    tail -n 5 "$dir"/log/*.err "$dir"/log/*.log 2>/dev/null | sed 's/^/  /' >&2 || true
    stop
  done
  log "could not start Ceph RGW"
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
