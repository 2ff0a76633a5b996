#!/usr/bin/env bash
# The browser end-to-end test of ./draggan edit: starts the editor on a small built-in model and a free port, runs
# editor.test.mjs in Debian's Chromium (/usr/bin/chromium, driven by playwright-core; no browser is ever downloaded),
# stops the server, and exits non-zero on failure. ./draggan test runs it after the Maven tests.
#   DRAGGAN_E2E=skip          skip it (e.g. on a machine without Chromium)
#   DRAGGAN_E2E_MODEL=SPEC    the model (default random:64:1024, whose steps take milliseconds)
# Needs: .ci/install-e2e-deps.sh (Chromium via apt-get, npm ci here). Output: e2e/test-results/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
if [ "${DRAGGAN_E2E:-}" = skip ]; then echo "e2e: skipped (DRAGGAN_E2E=skip)"; exit 0; fi
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "e2e: $CHROMIUM is missing; install it with .ci/install-e2e-deps.sh (or set DRAGGAN_E2E=skip)" >&2
  exit 1
fi
if ! command -v node >/dev/null; then echo "e2e: node is missing (Node.js 20 or newer)" >&2; exit 1; fi
if [ ! -d node_modules/playwright-core ]; then PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent; fi

mkdir -p test-results
LOG="$HERE/test-results/server.log"
: > "$LOG"
"$HERE/../draggan" edit --model "${DRAGGAN_E2E_MODEL:-random:64:1024}" --port 0 >"$LOG" 2>&1 &
SERVER=$!
stop_server() {
  if kill -0 "$SERVER" 2>/dev/null; then
    kill "$SERVER" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER" 2>/dev/null || true
  fi
  wait "$SERVER" 2>/dev/null || true
}
trap stop_server EXIT

# the launcher may build the programs first
URL=""
for _ in $(seq 1 900); do
  URL="$(grep -o 'serving on http://[^ ]*' "$LOG" | head -1 | sed 's/^serving on //')" || true
  [ -n "$URL" ] && break
  if ! kill -0 "$SERVER" 2>/dev/null; then echo "e2e: the editor did not start:" >&2; cat "$LOG" >&2; exit 1; fi
  sleep 1
done
if [ -z "$URL" ]; then echo "e2e: the editor printed no address within 15 minutes:" >&2; cat "$LOG" >&2; exit 1; fi
echo "e2e: editor at $URL"

status=0
DRAGGAN_URL="$URL" DRAGGAN_SCREENSHOT="$HERE/test-results/editor.png" CHROMIUM="$CHROMIUM" node editor.test.mjs || status=$?
if [ "$status" -ne 0 ]; then echo "e2e: server log:" >&2; tail -n 40 "$LOG" >&2; fi
exit "$status"
