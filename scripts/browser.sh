#!/usr/bin/env bash
# The browser tests' packages (tests/browser: playwright-core, pinned) for Debian's Chromium,
# which scripts/deps.sh installs. Prints PLENUM_TEST_CHROMIUM=<path>.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
chromium=${PLENUM_TEST_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "Chromium is missing at $chromium: run scripts/deps.sh" >&2; exit 1; }
if [ ! -d "$root/tests/browser/node_modules/playwright-core" ] || [ ! -d "$root/tests/browser/node_modules/axe-core" ]; then
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund >/dev/null)
fi
echo "PLENUM_TEST_CHROMIUM=$chromium"
