#!/usr/bin/env bash
# Installs what the browser end-to-end test (e2e/run.sh) needs: Debian's Chromium at /usr/bin/chromium and the npm
# packages of e2e/ (playwright-core, which never downloads a browser). Idempotent and quiet; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >/dev/null
  as_root apt-get install -y -qq "$@" >/dev/null
}
if [ ! -x /usr/bin/chromium ]; then
  echo "install-e2e-deps: installing chromium (apt-get)"
  apt_install chromium
fi
if ! command -v npm >/dev/null; then
  echo "install-e2e-deps: installing nodejs and npm (apt-get)"
  apt_install nodejs npm
fi
# npm ci only when the locked packages are not installed yet (or the lock file changed since)
if [ ! -f e2e/node_modules/.package-lock.json ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
