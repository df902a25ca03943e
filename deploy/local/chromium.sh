#!/usr/bin/env bash
# Install Debian's chromium (and Japanese fonts, so screenshots show text) for the browser tests,
# when /usr/bin/chromium is missing. Idempotent; never downloads a browser from anywhere else.
source "$(dirname "$0")/common.sh"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  log "chromium present at $CHROMIUM"
else
  log "installing Debian's chromium"
  apt_install chromium fonts-noto-cjk
fi
# Japanese glyphs for the screenshots (cheap when already there)
if command -v fc-list >/dev/null && ! fc-list :lang=ja | grep -q .; then
  log "installing Japanese fonts"
  apt_install fonts-noto-cjk || log "no Japanese fonts: screenshots will show boxes"
fi
"$CHROMIUM" --version >&2
