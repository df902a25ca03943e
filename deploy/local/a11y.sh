#!/usr/bin/env bash
# The browser tests' accessibility checker: axe-core from the npm registry (pinned in
# tests/web/a11y/package-lock.json) into tests/web/a11y/node_modules. Idempotent.
source "$(dirname "$0")/common.sh"
DIR="$ROOT/tests/web/a11y"
if [ -f "$DIR/node_modules/axe-core/axe.min.js" ]; then
  log "axe-core present"
  exit 0
fi
if ! command -v npm >/dev/null; then
  log "installing Debian's nodejs and npm"
  apt_install nodejs npm
fi
log "installing axe-core (npm ci)"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
