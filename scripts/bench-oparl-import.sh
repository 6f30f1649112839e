#!/usr/bin/env bash
# OParl import: time, throughput and peak memory of `plenum import oparl` on the Hürtgenwald
# crawl (17,332 objects, 6,947 files; tests/fixtures/oparl), in the same run:
#   1. from the crawl directory, metadata only (the baseline);
#   2. over HTTP from tests/oparl/crawl_server.py, metadata only;
#   3. over HTTP with --files download (each file a 24 kB PDF the crawl server makes up);
#   4. the same again: nothing new, every file already stored.
#
#   scripts/bench-oparl-import.sh
#
# Environment:
#   BIN=target/release/plenum        the plenum binary to measure
#   PG_PORT=54379 REDIS_PORT=63839   the private PostgreSQL/Redis (scripts/services.sh, `bench-import`)
#   PYTHON=.local/py-venv/bin/python (scripts/pytools.sh) or python3
#
# Each run imports into a fresh tenant, except the re-run. Prints the table and writes it to
# target/bench-oparl-import.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BIN=${BIN:-target/release/plenum}
PG_PORT=${PG_PORT:-54379}
REDIS_PORT=${REDIS_PORT:-63839}
NAME=bench-import
OUT=target/bench-oparl-import.md
CRAWL=tests/fixtures/oparl/huertgenwald-sdnet-1.0.tar.gz
case $BIN in /*) ;; *) BIN=$root/$BIN ;; esac
if [ -z "${PYTHON:-}" ]; then
  if [ -x .local/py-venv/bin/python ]; then PYTHON=.local/py-venv/bin/python; else PYTHON=python3; fi
fi

tmp=$(mktemp -d /tmp/plenum-bench-import.XXXXXX)
server=
log() { printf '%s\n' "bench-oparl-import: $*" >&2; }
die() { log "$*"; exit 1; }
cleanup() {
  local status=$?
  set +e
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  scripts/services.sh stop "$NAME" >/dev/null 2>&1
  log "logs are in $tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT

[ -x "$BIN" ] || die "no plenum binary at $BIN (cargo build --release --bin plenum, or set BIN)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"

vars=$(scripts/services.sh start "$NAME" "$PG_PORT" "$REDIS_PORT")
eval "$vars"
export PLENUM_DATABASE__URL=$DATABASE_URL
export PLENUM_DOCUMENTS__ROOT=$tmp/files PLENUM_DOCUMENTS__WORK_DIR=$tmp/work
unset PLENUM_REDIS__URL
"$BIN" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; die "migrate failed"; }
mkdir -p "$tmp/crawl"
tar xzf "$CRAWL" -C "$tmp/crawl"

"$PYTHON" tests/oparl/crawl_server.py "$CRAWL" --files >"$tmp/crawl-server.out" &
server=$!
for _ in $(seq 100); do [ -s "$tmp/crawl-server.out" ] && break; sleep 0.1; done
system=$(head -n 1 "$tmp/crawl-server.out")
[ -n "$system" ] || die "the crawl server did not start"

rows=()
# run LABEL TENANT SOURCE [ARGS…]: imports and records wall time, objects/s, files and peak RSS.
run() {
  local label=$1 tenant=$2 source=$3
  shift 3
  "$BIN" tenant list --json >"$tmp/tenants.json"
  grep -q "\"$tenant\"" "$tmp/tenants.json" || "$BIN" tenant create "$tenant" --name "$tenant" >/dev/null
  /usr/bin/time -f '%e %M' -o "$tmp/$tenant.time" \
    "$BIN" import oparl "$source" --tenant "$tenant" --fresh --json "$@" >"$tmp/$tenant.json" 2>"$tmp/$tenant.err" || true
  local secs rss objects files bytes
  read -r secs rss < <(tail -n 1 "$tmp/$tenant.time")
  read -r objects files bytes < <("$PYTHON" - "$tmp/$tenant.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(sum(r["written"].values()), r["files"]["downloaded"], r["files"]["bytes"])
PY
)
  local rate
  rate=$(awk -v n="$objects" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  local file_rate
  file_rate=$(awk -v n="$files" -v s="$secs" -v b="$bytes" 'BEGIN { if (n > 0) printf "%.0f files/s, %.1f MB/s", n / s, b / s / 1e6; else print "-" }')
  rows+=("| $label | $secs | $rate | $files | $file_rate | $((rss / 1024)) |")
  eval "secs_$tenant=$secs"
  log "$label: $secs s, $rate objects/s, $files files ($file_rate), peak RSS $((rss / 1024)) MB"
}

# Fresh tenants per run of this script: the crawl server's port, and so every object's id
# (derived from its URL), changes from one run to the next.
id=$(date +%s)
run "directory, metadata only (baseline)" "dir$id" "$tmp/crawl"
run "HTTP, metadata only" "http$id" "$system"
run "HTTP, --files download" "download$id" "$system" --files download
run "HTTP, --files download again (all stored)" "download$id" "$system" --files download

ratio=$(eval "awk -v a=\"\$secs_download$id\" -v b=\"\$secs_http$id\" 'BEGIN { printf \"%.2f\", a / b }'")
{
  echo "OParl import of the Hürtgenwald crawl ($(date -u +%Y-%m-%d), $(nproc) cores, files on the local file system)"
  echo
  echo "| run | seconds | objects/s | files stored | file throughput | peak RSS MB |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "re-run with every file stored / HTTP metadata-only run: $ratio"
} | tee "$OUT"
