#!/usr/bin/env bash
# OParl list latency: p50/p99 and requests per second of OParl pages of a 2,000-paper body (the
# `city` demo: four years, about 2,400 papers) next to the same pages of the `small` demo
# (about 120 papers) served by the same process in the same run, and the time a client needs
# to walk the whole paper list. Load generator: wrk, on loopback.
#
#   scripts/bench-oparl.sh
#
# Environment:
#   BIN=target/release/plenum   the plenum binary to measure
#   DURATION=10                 seconds each wrk run measures (after a 2 s warm-up)
#   THREADS=2 CONNECTIONS=8     wrk's -t and -c
#   PG_PORT=54369 REDIS_PORT=63829   the private PostgreSQL/Redis (scripts/services.sh, name `bench-oparl`)
#   PORT=18091                  where plenum listens on 127.0.0.1
#
# Installs wrk from Debian packages when missing (needs root). The two demo tenants are kept in
# .local/bench-oparl between runs. Prints the table and writes it to target/bench-oparl.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BIN=${BIN:-target/release/plenum}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
PG_PORT=${PG_PORT:-54369}
REDIS_PORT=${REDIS_PORT:-63829}
PORT=${PORT:-18091}
NAME=bench-oparl
OUT=target/bench-oparl.md
case $BIN in /*) ;; *) BIN=$root/$BIN ;; esac

tmp=$(mktemp -d /tmp/plenum-bench-oparl.XXXXXX)
pid=
log() { printf '%s\n' "bench-oparl: $*" >&2; }
die() { log "$*"; exit 1; }
cleanup() {
  local status=$?
  set +e
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  scripts/services.sh stop "$NAME" >/dev/null 2>&1
  log "logs are in $tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT

status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$1" || true; }

# wrk's duration (812.00us, 1.23ms, 2.01s) in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
    if (f < 0) { print "?"; exit }
    printf "%.2f", n * f
  }'
}

[ -x "$BIN" ] || die "no plenum binary at $BIN (cargo build --release --bin plenum, or set BIN)"
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >"$tmp/apt.log" 2>&1 ||
    { apt-get update >>"$tmp/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >>"$tmp/apt.log" 2>&1; } ||
    die "installing wrk failed; see $tmp/apt.log"
fi
[ "$(status_of "http://127.0.0.1:$PORT/")" = 000 ] || die "port $PORT is in use"

vars=$(scripts/services.sh start "$NAME" "$PG_PORT" "$REDIS_PORT")
eval "$vars"
export PLENUM_DATABASE__URL=$DATABASE_URL
"$BIN" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; die "migrate failed"; }
for scale in small city; do
  started=$SECONDS
  "$BIN" demo --tenant "$scale" --scale "$scale" >"$tmp/demo-$scale.log" 2>&1 ||
    { cat "$tmp/demo-$scale.log" >&2; die "demo $scale failed"; }
  log "demo $scale: $(tail -n 1 "$tmp/demo-$scale.log") ($((SECONDS - started)) s)"
done

mkdir -p "$tmp/search" "$tmp/documents" "$tmp/work"
env -u PLENUM_REDIS__URL \
  PLENUM_SERVER__LISTEN="127.0.0.1:$PORT" \
  PLENUM_SERVER__PUBLIC_BASE_URL="http://127.0.0.1:$PORT/" \
  PLENUM_SEARCH__DIR="$tmp/search" \
  PLENUM_DOCUMENTS__ROOT="$tmp/documents" \
  PLENUM_DOCUMENTS__WORK_DIR="$tmp/work" \
  PLENUM_RATE_LIMIT__ENABLED=false \
  PLENUM_TELEMETRY__LOG_FILTER=warn \
  "$BIN" run >"$tmp/plenum.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ "$(status_of "http://127.0.0.1:$PORT/readyz")" = 200 ] && break
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$tmp/plenum.log" >&2; die "plenum exited"; }
  sleep 0.2
done

base=http://127.0.0.1:$PORT/t
# Walks a list with curl; prints "PAGES OBJECTS SECONDS LAST_PAGE_URL".
walk() {
  python3 - "$1" <<'PY'
import json, sys, time, urllib.request
url, pages, objects, last = sys.argv[1], 0, 0, sys.argv[1]
started = time.monotonic()
while url:
    with urllib.request.urlopen(url, timeout=120) as r:
        page = json.load(r)
    pages += 1
    objects += len(page["data"])
    last = url
    url = page["links"].get("next")
print(pages, objects, f"{time.monotonic() - started:.2f}", last)
PY
}

rows=()
declare -A p50s
measure() {
  local label=$1 url=$2 out r p50 p99
  [ "$(status_of "$url")" = 200 ] || die "$url answered $(status_of "$url")"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$url" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")
  printf '%s\n\n' "== $label: $url" "$out" >>"$tmp/wrk.log"
  grep -qE 'Non-2xx|Socket errors' <<<"$out" && log "$label: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | xargs)"
  r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  p50s[$label]=$p50
  rows+=("| $label | $r | $p50 | $p99 |")
  log "$label: $r req/s, p50 $p50 ms, p99 $p99 ms"
}

read -r city_pages city_papers city_secs city_last <<<"$(walk "$base/city/oparl/v1.1/papers")"
read -r small_pages small_papers small_secs small_last <<<"$(walk "$base/small/oparl/v1.1/papers")"
log "walk: city $city_papers papers in $city_pages pages, $city_secs s; small $small_papers in $small_pages pages"
paper=$(curl -s "$base/city/oparl/v1.1/papers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')

measure "small: papers, first page (100)" "$base/small/oparl/v1.1/papers"
measure "city: papers, first page (100)" "$base/city/oparl/v1.1/papers"
measure "city: papers, last page" "$city_last"
measure "city: papers, modified_since (sync)" "$base/city/oparl/v1.1/papers?modified_since=2000-01-01T00%3A00%3A00%2B01%3A00&omit_internal=true"
measure "city: meetings, first page (100)" "$base/city/oparl/v1.1/meetings"
measure "city: one paper" "$paper"

ratio=$(awk -v a="${p50s["city: papers, first page (100)"]}" -v b="${p50s["small: papers, first page (100)"]}" 'BEGIN { printf "%.2f", a / b }')
{
  echo "OParl list latency ($(date -u +%Y-%m-%d), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, one all-in-one plenum, $(nproc) cores)"
  echo
  echo "| page | req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "p50 ratio city/small, first paper page: $ratio"
  echo "walk of the whole paper list (one client, 100 per page): city $city_papers papers in $city_pages pages, $city_secs s; small $small_papers papers, $small_secs s"
} | tee "$OUT"
