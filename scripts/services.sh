#!/usr/bin/env bash
# Private PostgreSQL and Redis on loopback, under .local/<name>/, on non-default ports.
#   scripts/services.sh start NAME PG_PORT REDIS_PORT [fresh]   prints shell variables
#   scripts/services.sh stop NAME
# PostgreSQL refuses to run as root, so as root its server runs as the `postgres` system user.
set -euo pipefail
cmd=$1 name=$2
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.local/$name
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg=()
pgdir=$dir/pg sockdir=$dir/sock
if [ "$(id -u)" = 0 ]; then
  as_pg=(runuser -u postgres --)
  # The postgres user must reach the data directory; a checkout under /root cannot be reached.
  mkdir -p "$dir"
  if ! runuser -u postgres -- test -x "$dir"; then
    alt=/tmp/plenum-$name-$(printf %s "$root" | md5sum | cut -c1-8)
    pgdir=$alt/pg sockdir=$alt/sock
  fi
fi

stop() {
  if [ -f "$pgdir/PG_VERSION" ]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/redis.pid" ]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -f "$dir/redis.pid"
  fi
}

case $cmd in
start)
  pg_port=$3 redis_port=$4 fresh=${5:-}
  if [ "$fresh" = fresh ]; then stop; rm -rf "$dir" "$pgdir" "$sockdir"; fi
  mkdir -p "$dir"
  if [ ! -f "$pgdir/PG_VERSION" ]; then
    mkdir -p "$pgdir" "$sockdir"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$pgdir" "$sockdir"
    "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1
  fi
  if ! "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir" status >/dev/null 2>&1; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir" -l "$pgdir/server.log" -w -t 60 \
      -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$sockdir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
  fi
  if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
    for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  fi
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
  echo "REDIS_URL=redis://127.0.0.1:$redis_port/"
  ;;
stop) stop ;;
*) echo "usage: $0 start|stop NAME ..." >&2; exit 2 ;;
esac
