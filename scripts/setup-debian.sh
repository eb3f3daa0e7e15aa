#!/usr/bin/env bash
# Installs what a Debian 12 machine lacks to build and run Offstream, and with --test also what
# the tests need. Safe to re-run: it installs only missing Debian packages, runs `npm ci` only
# when node_modules is missing or older than package-lock.json, and installs tauri-driver only
# when it is not there yet.
#
#   scripts/setup-debian.sh          # build and run the app
#   scripts/setup-debian.sh --test   # also the test tools (WebKitWebDriver, Xvfb, tauri-driver, ...)
#
# Runs apt-get through sudo when not root. Downloads only from Debian, crates.io and the npm
# registry. Rust (cargo 1.88 or newer) and Node.js 20.19 or newer must come from elsewhere,
# and the script prints how to get them when they are missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Oldest Node.js that the front end's tools (Vite 8, Vitest 4) accept.
NODE_MIN=20.19.0
# tauri-driver version known to work with WebKitWebDriver 2.50 and this test suite.
TAURI_DRIVER_VERSION=2.1.0

# Build: the WebKitGTK webview, GTK and the libraries of Tauri's Linux dependencies.
BUILD_PACKAGES=(
    libwebkit2gtk-4.1-dev build-essential file pkg-config libxdo-dev libssl-dev
    libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev
)
# Run: MP4 playback in the webview (demuxer, H.264/AAC decoders, playbin, GL video sink) and
# a Secret Service for the keychain.
RUN_PACKAGES=(
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav gstreamer1.0-gl
    gnome-keyring dbus dbus-x11
)
# Test: the WebDriver for WebKitGTK, a virtual display, secret-tool, and ffmpeg for
# samples/generate.sh. scripts/package-test.sh finds the installed app's window with xdotool,
# takes and measures its screenshot with ImageMagick (import, identify), and reads the .rpm
# with rpm.
TEST_PACKAGES=(webkit2gtk-driver xvfb xauth libsecret-tools ffmpeg xdotool imagemagick rpm)

with_test=false
for argument in "$@"; do
    case "$argument" in
        --test) with_test=true ;;
        -h | --help)
            sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "setup-debian.sh: unknown option '$argument'; use --test or --help" >&2
            exit 2
            ;;
    esac
done

say() {
    echo "setup-debian.sh: $*"
}

fail() {
    echo "setup-debian.sh: $*" >&2
    exit 1
}

# Runs a command as root: directly when root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        fail "installing packages needs root, and sudo is not installed; run this script as root"
    fi
}

# Prints the packages of the arguments that are not installed.
missing_packages() {
    local package status
    for package in "$@"; do
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)"
        if [ "${status:0:2}" != "ii" ]; then
            echo "$package"
        fi
    done
}

apt_updated=false
apt_install() {
    if [ "$apt_updated" = false ]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=true
    fi
    say "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Prints the version of the installed Node.js without the leading "v", or nothing.
node_version() {
    if command -v node >/dev/null 2>&1; then
        node --version 2>/dev/null | sed 's/^v//'
    fi
}

version_at_least() {
    dpkg --compare-versions "$1" ge "$2"
}

node_help() {
    cat >&2 <<EOF
setup-debian.sh: Offstream's front end needs Node.js $NODE_MIN or newer, and this machine has ${1:-none}.
  Debian 12's own nodejs package is version 18, which is too old. Either:
  - add NodeSource's Debian repository for Node.js 20 LTS (see https://github.com/nodesource/distributions)
    and run: apt-get install nodejs
  - or install Node.js 20 for your user with nvm: nvm install 20
  Then run this script again.
EOF
    exit 1
}

# 1. Debian packages.
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    fail "this script is for Debian 12 (bookworm) and needs apt-get; install the packages listed in it by hand elsewhere"
fi
wanted=("${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}")
if [ "$with_test" = true ]; then
    wanted+=("${TEST_PACKAGES[@]}")
fi
mapfile -t missing < <(missing_packages "${wanted[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
else
    say "Debian packages: all ${#wanted[@]} installed"
fi

# 2. Node.js and npm. Debian's nodejs is installed only when its candidate is new enough, for
#    example from a NodeSource repository that is already configured.
current_node="$(node_version)"
if [ -z "$current_node" ]; then
    candidate="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')"
    candidate="${candidate#*:}"
    if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && version_at_least "$candidate" "$NODE_MIN"; then
        apt_install nodejs
        current_node="$(node_version)"
    fi
fi
if [ -z "$current_node" ] || ! version_at_least "$current_node" "$NODE_MIN"; then
    node_help "$current_node"
fi
if ! command -v npm >/dev/null 2>&1; then
    # NodeSource's nodejs ships npm; with another nodejs, Debian's npm package adds it.
    apt_install npm
fi
say "Node.js $current_node, npm $(npm --version)"

# 3. Rust.
if ! command -v cargo >/dev/null 2>&1; then
    fail "cargo not found: install Rust 1.88 or newer with rustup (https://rustup.rs), then run this script again"
fi

# 4. The front end's packages, from package-lock.json. npm writes node_modules/.package-lock.json
#    on every install, so a lockfile newer than it means node_modules is stale.
if [ ! -f node_modules/.package-lock.json ] ||
    [ package-lock.json -nt node_modules/.package-lock.json ] ||
    [ package.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --prefer-offline --no-audit --no-fund
else
    say "node_modules is up to date"
fi

# 5. tauri-driver, the WebDriver proxy for the end-to-end tests.
if [ "$with_test" = true ]; then
    if command -v tauri-driver >/dev/null 2>&1 || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
        say "tauri-driver is installed"
    else
        say "cargo install tauri-driver $TAURI_DRIVER_VERSION"
        cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION"
    fi
fi

say "done"
