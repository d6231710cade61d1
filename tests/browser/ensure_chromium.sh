#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser/), installed when missing. Never
# Playwright's own download (`playwright install`): it cannot work on these machines.
# This script never fails the build: when Chromium cannot be installed, it says why here,
# and the browser tests are skipped with the same message at the end of the pytest run.
set -uo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
LOG=${TMPDIR:-/tmp}/omieshare-apt-chromium.log

say() { echo "[ensure_chromium] $*"; }
loud() {
  {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!! [ensure_chromium] $*"
    echo "!! The browser tests (tests/browser/) will be SKIPPED."
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  } >&2
  exit 0
}

if [ -x "$CHROMIUM" ]; then
  say "Chromium ready: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$CHROMIUM" != /usr/bin/chromium ]; then
  loud "CHROMIUM_PATH=$CHROMIUM does not exist (unset it to use Debian's /usr/bin/chromium)."
fi
command -v apt-get >/dev/null || loud "Chromium is missing and apt-get is not available to install it."
[ "$(id -u)" = 0 ] || loud "Chromium is missing; installing it needs root: sudo apt-get install -y chromium"

say "Chromium is missing: installing Debian's package (apt-get update; apt-get install -y chromium)"
apt-get update -qq >"$LOG" 2>&1 || loud "apt-get update failed (see $LOG): $(tail -n 3 "$LOG" | tr '\n' ' ')"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$LOG" 2>&1 \
  || loud "apt-get install -y chromium failed (see $LOG): $(tail -n 3 "$LOG" | tr '\n' ' ')"
[ -x "$CHROMIUM" ] || loud "apt-get installed chromium, but $CHROMIUM is still missing."
say "Chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
