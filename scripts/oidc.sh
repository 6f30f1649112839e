#!/usr/bin/env bash
# The OpenID Connect provider (Keycloak stand-in, deploy/oidc-provider) on loopback, under .local/<name>/.
#   scripts/oidc.sh start NAME PORT [CONFIG]   prints OIDC_URL=http://127.0.0.1:PORT
#   scripts/oidc.sh stop NAME
# CONFIG defaults to deploy/oidc-provider/dev-realms.json. Needs Node.js 20+ and npm on the machine;
# node modules are installed with `npm ci` on first use.
set -euo pipefail
cmd=${1:-} name=${2:-}
if [ -z "$cmd" ] || [ -z "$name" ]; then
  echo "usage: $0 start NAME PORT [CONFIG] | stop NAME" >&2; exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.local/$name
app=$root/deploy/oidc-provider
pidfile=$dir/oidc.pid log=$dir/oidc.log argsfile=$dir/oidc.args

# Our server is running when the pid file names a live `node .../server.mjs` process.
running() {
  [ -f "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  [ ! -r "/proc/$pid/cmdline" ] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'server\.mjs'
}

stop() {
  if running; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile" "$argsfile"
}

case $cmd in
start)
  port=${3:?usage: $0 start NAME PORT [CONFIG]}
  config=${4:-$app/dev-realms.json}
  [ -f "$config" ] || { echo "$0: config $config not found" >&2; exit 1; }
  config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
  for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$0: '$tool' not found. The OIDC provider needs Node.js 20 or later with npm on the machine." >&2
      exit 1
    fi
  done
  if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    echo "$0: Node.js $(node -v) is too old; the OIDC provider needs Node.js 20 or later." >&2
    exit 1
  fi
  mkdir -p "$dir"
  if [ ! -d "$app/node_modules" ]; then
    if ! (cd "$app" && npm ci --no-audit --no-fund) >"$dir/npm-ci.log" 2>&1; then
      cat "$dir/npm-ci.log" >&2
      echo "$0: npm ci in $app failed" >&2
      exit 1
    fi
  fi
  realm=$(node -p 'Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).realms)[0]' "$config")
  url=http://127.0.0.1:$port
  probe=$url/realms/$realm/.well-known/openid-configuration
  # Running already with other arguments: restart.
  if running && [ "$(cat "$argsfile" 2>/dev/null)" != "$port $config" ]; then stop; fi
  if ! running; then
    echo "$port $config" >"$argsfile"
    nohup node "$app/server.mjs" --port "$port" --config "$config" >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
  fi
  ready=""
  for _ in $(seq 300); do
    if ! running; then break; fi
    # Ready when discovery answers and the answering process is ours (not another one on the port).
    if curl -sf -o /dev/null "$probe" \
      && curl -sf "$url/health" | grep -q "\"pid\":$(cat "$pidfile")[,}]"; then
      ready=1; break
    fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "$0: the OIDC provider did not become ready at $probe (it exited, or no answer within 30 s); its log ($log):" >&2
    cat "$log" >&2 || true
    stop
    exit 1
  fi
  echo "OIDC_URL=$url"
  ;;
stop) stop ;;
*) echo "usage: $0 start NAME PORT [CONFIG] | stop NAME" >&2; exit 2 ;;
esac
