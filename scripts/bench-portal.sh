#!/usr/bin/env bash
# Portal throughput: requests per second and p50/p99 latency of four anonymous pages of the
# `large` demo tenant (start page, calendar month, a meeting with about 30 agenda items, a
# paper), each from a Plenum with the page cache and from one without, next to nginx serving a
# saved copy of the same meeting page as a static file. Load generator: wrk, on loopback.
#
#   scripts/bench-portal.sh
#
# Environment:
#   BIN=target/release/plenum   the plenum binary to measure
#   SCALE=large                 demo size (small, city, large); `small` for a quick try
#   DURATION=10                 seconds each wrk run measures (after a 2 s warm-up)
#   THREADS=2 CONNECTIONS=16    wrk's -t and -c
#   PG_PORT=54359 REDIS_PORT=63819   the private PostgreSQL/Redis (scripts/services.sh, name `bench`)
#
# Installs wrk and nginx from Debian packages when missing (needs root). The demo tenant `bench`
# is kept in .local/bench between runs and reloaded only when SCALE changes. Prints the table and
# writes it to target/bench-portal.md; the servers' logs stay in the temp dir printed at the end.
# Ports 18081 (cached), 18082 (uncached) and 18083 (nginx) on 127.0.0.1 must be free.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BIN=${BIN:-target/release/plenum}
SCALE=${SCALE:-large}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
PG_PORT=${PG_PORT:-54359}
REDIS_PORT=${REDIS_PORT:-63819}
WARMUP=2
TENANT=bench
CACHED_PORT=18081
UNCACHED_PORT=18082
NGINX_PORT=18083
OUT=target/bench-portal.md

case $BIN in /*) ;; *) BIN=$root/$BIN ;; esac

tmp=$(mktemp -d /tmp/plenum-bench-portal.XXXXXX)
# nginx's workers run as nobody and must read the saved page.
chmod 755 "$tmp"
pids=()
services_started=

log() { printf '%s\n' "bench-portal: $*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
  local status=$?
  set +e
  if [ -f "$tmp/nginx.pid" ]; then
    kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
  fi
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null
  done
  if [ -n "$services_started" ]; then
    scripts/services.sh stop "$TENANT"
  fi
  log "logs and the saved page are in $tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  local pkgs=()
  for m in "${missing[@]}"; do
    case $m in
      wrk) pkgs+=(wrk) ;;
      nginx) pkgs+=(nginx-light) ;;
    esac
  done
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${pkgs[@]}" >"$tmp/apt.log" 2>&1 ||
    { apt-get update >>"$tmp/apt.log" 2>&1 &&
      apt-get install -y --no-install-recommends "${pkgs[@]}" >>"$tmp/apt.log" 2>&1; } ||
    { # Newer Debian has no nginx-light.
      apt-get install -y --no-install-recommends "${pkgs[@]/nginx-light/nginx}" >>"$tmp/apt.log" 2>&1; } ||
    die "installing ${pkgs[*]} failed; see $tmp/apt.log"
}

nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

# HTTP status of a GET, 000 when nothing answers.
status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$1" || true; }

check_ports_free() {
  for port in $CACHED_PORT $UNCACHED_PORT $NGINX_PORT; do
    [ "$(status_of "http://127.0.0.1:$port/")" = 000 ] || die "port $port is in use"
  done
}

# PostgreSQL, migrations and the demo tenant. A marker records the scale loaded last; another
# scale starts from an empty database (the demo leaves a tenant with council data alone).
prepare_database() {
  local marker=$root/.local/$TENANT/demo-scale fresh=
  if [ "$(cat "$marker" 2>/dev/null)" != "$SCALE" ]; then fresh=fresh; fi
  services_started=1
  local vars
  vars=$(scripts/services.sh start "$TENANT" "$PG_PORT" "$REDIS_PORT" $fresh)
  eval "$vars"
  export PLENUM_DATABASE__URL=$DATABASE_URL
  log "migrating"
  "$BIN" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; die "migrate failed"; }
  log "loading the $SCALE demo into tenant $TENANT${fresh:+ (fresh database)}"
  local started=$SECONDS
  "$BIN" demo --tenant "$TENANT" --scale "$SCALE" >"$tmp/demo.log" 2>&1 ||
    { cat "$tmp/demo.log" >&2; die "demo failed"; }
  log "demo: $(tail -n 1 "$tmp/demo.log") ($((SECONDS - started)) s)"
  echo "$SCALE" >"$marker"
}

# start_plenum NAME PORT [VAR=VALUE ...]: a plenum with every role, no Redis, logs in $tmp/NAME.log.
start_plenum() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$tmp/$name/search" "$tmp/$name/documents" "$tmp/$name/work"
  env -u PLENUM_REDIS__URL \
    PLENUM_DATABASE__URL="$PLENUM_DATABASE__URL" \
    PLENUM_SERVER__LISTEN="127.0.0.1:$port" \
    PLENUM_SERVER__PUBLIC_BASE_URL="http://127.0.0.1:$port/" \
    PLENUM_SEARCH__DIR="$tmp/$name/search" \
    PLENUM_DOCUMENTS__ROOT="$tmp/$name/documents" \
    PLENUM_DOCUMENTS__WORK_DIR="$tmp/$name/work" \
    PLENUM_RATE_LIMIT__ENABLED=false \
    PLENUM_TELEMETRY__LOG_FILTER=warn \
    "$@" "$BIN" run >"$tmp/$name.log" 2>&1 &
  pids+=($!)
}

wait_ready() {
  local name=$1 port=$2 pid=$3
  for _ in $(seq 600); do
    [ "$(status_of "http://127.0.0.1:$port/readyz")" = 200 ] && return
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$tmp/$name.log" >&2; die "plenum $name exited"; }
    sleep 0.2
  done
  tail -n 30 "$tmp/$name.log" >&2
  die "plenum $name not ready after 120 s"
}

# Prints `MEETING_ID ITEMS MONTH`: the past meeting whose agenda is closest to 30 items (among
# the latest 200), and the Germany-local month with the most of those meetings.
pick_meeting() {
  python3 - "http://127.0.0.1:$CACHED_PORT/t/$TENANT/graphql" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" <<'PY'
import collections, datetime, json, sys, urllib.request, zoneinfo
url, now = sys.argv[1], sys.argv[2]
berlin = zoneinfo.ZoneInfo("Europe/Berlin")
nodes, after = [], None
# 100 a page keeps the query under the gateway's complexity limit.
while len(nodes) < 200:
    cursor = f', after: {json.dumps(after)}' if after else ''
    query = ('{ meetings(first: 100, sortBy: DATE, descending: true, startUntil: %s%s) '
             '{ nodes { id startAt agendaItems { id } } pageInfo { hasNextPage endCursor } } }'
             % (json.dumps(now), cursor))
    req = urllib.request.Request(url, json.dumps({"query": query}).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        body = json.load(resp)
    if body.get("errors"):
        sys.exit(f"graphql: {body['errors']}")
    page = body["data"]["meetings"]
    nodes += page["nodes"]
    if not page["pageInfo"]["hasNextPage"]:
        break
    after = page["pageInfo"]["endCursor"]
if not nodes:
    sys.exit("graphql: no meetings before now")
best = min(nodes, key=lambda m: abs(len(m["agendaItems"]) - 30))
def month(m):
    at = datetime.datetime.fromisoformat(m["startAt"].replace("Z", "+00:00"))
    return at.astimezone(berlin).strftime("%Y-%m")
busiest = collections.Counter(month(m) for m in nodes).most_common(1)[0][0]
print(best["id"], len(best["agendaItems"]), busiest)
PY
}

start_nginx() {
  chmod -R a+rX "$tmp/www"
  cat >"$tmp/nginx.conf" <<EOF
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events {}
http {
  access_log off;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $tmp/www;
    location / { default_type text/html; }
  }
}
EOF
  "$(nginx_bin)" -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" -p "$tmp" ||
    die "nginx did not start; see $tmp/nginx-error.log"
  for _ in $(seq 50); do
    [ "$(status_of "http://127.0.0.1:$NGINX_PORT/meeting.html")" = 200 ] && return
    sleep 0.1
  done
  die "nginx does not serve the saved page"
}

# wrk's duration (e.g. 812.00us, 1.23ms, 2.01s, 1.00m) in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
    if (f < 0) { print "?"; exit }
    printf "%.2f", n * f
  }'
}

rows=()
warnings=()
declare -A rps

# measure PAGE SERVER URL: a warm-up, then one wrk run; appends a table row.
measure() {
  local page=$1 server=$2 url=$3 out
  local status
  status=$(status_of "$url")
  [ "$status" = 200 ] || die "$url answered $status"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")
  printf '%s\n\n' "== $page / $server: $url" "$out" >>"$tmp/wrk.log"
  local r p50 p99
  r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    warnings+=("$page / $server: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | xargs)")
  fi
  rps["$page|$server"]=$r
  rows+=("$page|$server|$r|$p50|$p99")
  log "$page / $server: $r req/s, p50 $p50 ms, p99 $p99 ms"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }'; }

main() {
  local started=$SECONDS
  [ -x "$BIN" ] || die "no plenum binary at $BIN (build it or set BIN)"
  install_tools
  check_ports_free
  prepare_database

  log "starting plenum (cached :$CACHED_PORT, uncached :$UNCACHED_PORT)"
  start_plenum cached $CACHED_PORT
  local cached_pid=${pids[-1]}
  start_plenum uncached $UNCACHED_PORT PLENUM_PORTAL__CACHE_TTL_SECS=0
  local uncached_pid=${pids[-1]}
  wait_ready cached $CACHED_PORT "$cached_pid"
  wait_ready uncached $UNCACHED_PORT "$uncached_pid"

  local meeting items month paper
  read -r meeting items month < <(pick_meeting) || die "no meeting found"
  [ -n "$meeting" ] || die "no meeting found"
  curl -fsS "http://127.0.0.1:$CACHED_PORT/t/$TENANT/sitzungen/$meeting" -o "$tmp/meeting.html"
  paper=$(grep -oE '/vorlagen/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' \
    "$tmp/meeting.html" | head -n 1 | cut -d/ -f3 || true)
  [ -n "$paper" ] || die "meeting $meeting links no paper"

  local -a names=(start calendar meeting paper)
  declare -A paths=(
    [start]="t/$TENANT/"
    [calendar]="t/$TENANT/sitzungen?monat=$month"
    [meeting]="t/$TENANT/sitzungen/$meeting"
    [paper]="t/$TENANT/vorlagen/$paper"
  )

  mkdir -p "$tmp/www"
  cp "$tmp/meeting.html" "$tmp/www/meeting.html"
  start_nginx

  local -A sizes
  for n in "${names[@]}"; do
    sizes[$n]=$(curl -fsS "http://127.0.0.1:$CACHED_PORT/${paths[$n]}" | wc -c)
  done

  for n in "${names[@]}"; do
    measure "$n" cached "http://127.0.0.1:$CACHED_PORT/${paths[$n]}"
    measure "$n" uncached "http://127.0.0.1:$UNCACHED_PORT/${paths[$n]}"
  done
  measure meeting nginx "http://127.0.0.1:$NGINX_PORT/meeting.html"

  local base=${rps[meeting|nginx]}
  {
    echo "# Portal benchmark"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM"
    echo "- plenum: $BIN"
    echo "- demo scale: $SCALE; load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s after ${WARMUP}s warm-up, loopback, anonymous, no compression"
    echo "- cached: default page cache (:$CACHED_PORT); uncached: PLENUM_PORTAL__CACHE_TTL_SECS=0 (:$UNCACHED_PORT); nginx: $("$(nginx_bin)" -v 2>&1 | sed 's/^nginx version: //'), saved copy of the meeting page"
    for n in "${names[@]}"; do
      local extra=
      [ "$n" = meeting ] && extra=", $items agenda items"
      echo "- $n: /${paths[$n]} (${sizes[$n]} bytes$extra)"
    done
    echo
    echo "| page | server | req/s | p50 ms | p99 ms | req/s ÷ nginx |"
    echo "|---|---|---:|---:|---:|---:|"
    for row in "${rows[@]}"; do
      IFS='|' read -r page server r p50 p99 <<<"$row"
      echo "| $page | $server | $r | $p50 | $p99 | $(ratio "$r" "$base") |"
    done
    echo
    echo "Cached meeting page vs nginx (same HTML): $(ratio "${rps[meeting|cached]}" "$base") of nginx's req/s; uncached: $(ratio "${rps[meeting|uncached]}" "$base")."
    if [ ${#warnings[@]} -gt 0 ]; then
      echo
      for w in "${warnings[@]}"; do echo "- warning: $w"; done
    fi
  } | tee "$OUT"
  log "wrote $OUT in $((SECONDS - started)) s"
}

main "$@"
