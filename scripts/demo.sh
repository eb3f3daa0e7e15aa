#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds the app, and starts it in demo mode: an embedded Stream
# emulator with three sample videos, so no Cloudflare account is needed.
#
#   scripts/demo.sh
#
# Needs a graphical session (DISPLAY or WAYLAND_DISPLAY). The first build takes several minutes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    cat >&2 <<'MESSAGE'
demo.sh: no display: DISPLAY and WAYLAND_DISPLAY are empty, so the app window cannot open.
  Run this script from a terminal in a desktop session, or over SSH with X forwarding (ssh -X).
  On a headless machine, scripts/test.sh still builds and tests the app under a virtual display.
MESSAGE
    exit 1
fi

bash scripts/setup-debian.sh

echo "demo.sh: npx tauri build --debug --no-bundle"
npx tauri build --debug --no-bundle

target_dir="${CARGO_TARGET_DIR:-target}"
echo "demo.sh: starting $target_dir/debug/offstream-desktop --demo"
exec "$target_dir/debug/offstream-desktop" --demo "$@"
