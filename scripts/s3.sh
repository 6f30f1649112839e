#!/usr/bin/env bash
# An S3-compatible server (moto, from PyPI) on loopback, under .local/<name>/, with one bucket.
#   scripts/s3.sh start NAME PORT   prints S3_URL=http://127.0.0.1:PORT S3_BUCKET=plenum
#   scripts/s3.sh stop NAME
# Keys are not checked by moto; use test/test. It keeps objects in memory only.
set -euo pipefail
cmd=${1:-} name=${2:-}
if [ -z "$cmd" ] || [ -z "$name" ]; then
  echo "usage: $0 start NAME PORT | stop NAME" >&2; exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.local/$name
venv=$root/.local/s3-venv
pidfile=$dir/s3.pid log=$dir/s3.log
MOTO_VERSION=5.2.5

running() {
  [ -f "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  [ ! -r "/proc/$pid/cmdline" ] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'moto_server'
}

stop() {
  if running; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case $cmd in
start)
  port=${3:?usage: $0 start NAME PORT}
  mkdir -p "$dir"
  if [ ! -x "$venv/bin/moto_server" ] || ! "$venv/bin/pip" show moto 2>/dev/null | grep -q "^Version: $MOTO_VERSION$"; then
    echo "installing moto $MOTO_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
  fi
  stop
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
    running || { cat "$log" >&2; echo "$0: moto did not start" >&2; exit 1; }
    sleep 0.2
  done
  "$venv/bin/python" - "$port" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}",
                  aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
s3.create_bucket(Bucket="plenum")
PY
  echo "S3_URL=http://127.0.0.1:$port"
  echo "S3_BUCKET=plenum"
  ;;
stop) stop ;;
*) echo "usage: $0 start NAME PORT | stop NAME" >&2; exit 2 ;;
esac
