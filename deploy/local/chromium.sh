#!/usr/bin/env bash
# Install Debian's chromium-headless-shell (chromium's lightweight headless build: the browser tests
# take ~40 % less browser CPU than in the full chromium) and Japanese fonts, so screenshots show
# text, when missing. Idempotent; never downloads a browser from anywhere else.
source "$(dirname "$0")/common.sh"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium-headless-shell}"
if [ -x "$CHROMIUM" ]; then
  log "browser present at $CHROMIUM"
else
  log "installing Debian's chromium-headless-shell"
  apt_install chromium-headless-shell fonts-noto-cjk
fi
# Japanese glyphs for the screenshots (cheap when already there)
if command -v fc-list >/dev/null && ! fc-list :lang=ja | grep -q .; then
  log "installing Japanese fonts"
  apt_install fonts-noto-cjk || log "no Japanese fonts: screenshots will show boxes"
fi
"$CHROMIUM" --version >&2
