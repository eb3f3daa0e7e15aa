#!/usr/bin/env bash
# Builds the Linux packages and tests the .deb the way a user gets it: install it with apt-get,
# start the installed app, take a screenshot of its first window, and purge it again.
#
#   scripts/package-test.sh              # build with scripts/package.sh, then test
#   scripts/package-test.sh --no-build   # test the packages a previous build left
#
# The checks, in order:
#   1. the .deb is at most 10 MB and declares the GStreamer plugins that playback needs;
#   2. its .desktop entry, icons and binary are where the desktop expects them;
#   3. `apt-get install ./X.deb` installs every file of the package;
#   4. the installed binary (from /usr/bin, never target/) starts in demo mode under Xvfb, in a
#      private D-Bus session and a throwaway HOME, and its first window renders a page. The
#      demo samples are compiled into the binary, so this also shows the package is complete;
#   5. `apt-get purge` removes every file again and dpkg no longer lists the package;
#   6. when the `rpm` tool is installed, the .rpm's metadata, requirements and file list.
#
# Evidence lands in e2e/artifacts/, next to the end-to-end artifacts: the screenshot
# installed-first-window.png, the app's output in installed-app.log, the output of the Xvfb and
# D-Bus session in installed-session.log, and the package metadata in installed-package.txt.
#
# Installing needs root, so apt-get runs through sudo when the caller is not root; the app
# itself runs as the caller. An installed copy of the package stops the test before anything
# changes, because purging it would remove someone's installation (on CI it is purged first).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Maximum size of the .deb, in bytes (10 MB).
MAX_DEB_BYTES=10000000
# What the .deb must declare. Depends: the webview, and the GStreamer plugins that play the
# library's MP4 and M4A files (demuxer, H.264 and AAC decoders, playbin, GL video sink).
# Recommends: a Secret Service for the keychain. The app runs without one, because it can keep
# the credentials for one run only.
REQUIRED_DEPENDS=(
    libwebkit2gtk-4.1-0 libgtk-3-0
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav gstreamer1.0-gl
)
REQUIRED_RECOMMENDS=(gnome-keyring)
# The same for the .rpm, with Fedora's package names.
REQUIRED_RPM_REQUIRES=(gstreamer1-plugins-base gstreamer1-plugins-good gstreamer1-plugin-libav)
REQUIRED_RPM_RECOMMENDS=(gnome-keyring)
# The categories the .desktop entry must carry, so menus list the app under video.
REQUIRED_CATEGORIES=(AudioVideo Video)

# Seconds to wait for the app's window to appear, then for its page to render.
WINDOW_TIMEOUT=60
RENDER_TIMEOUT=90
# A screenshot with fewer distinct colours counts as blank: an empty webview is one flat
# colour, while any rendered text is anti-aliased into dozens.
MIN_COLOURS=16
# Size of the virtual screen, larger than the window's default 1180x760.
SCREEN=1400x900x24

ARTIFACTS=e2e/artifacts
SCREENSHOT="$ARTIFACTS/installed-first-window.png"
APP_LOG="$ARTIFACTS/installed-app.log"
SESSION_LOG="$ARTIFACTS/installed-session.log"
PACKAGE_INFO="$ARTIFACTS/installed-package.txt"

say() {
    echo "package-test.sh: $*"
}

fail() {
    echo "package-test.sh: FAILED: $*" >&2
    exit 1
}

# Runs a command as root: directly when root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        fail "installing the .deb needs root, and sudo is not installed; run this script as root"
    fi
}

require_tools() {
    local tool missing=()
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        fail "missing tools: ${missing[*]}; run scripts/setup-debian.sh --test"
    fi
}

# Prints the package names of a control field such as Depends, one per line, without version
# constraints. Each alternative of "a | b" counts.
field_names() {
    awk -v RS='[,|]' '{
        sub(/\(.*\)/, ""); sub(/:any/, ""); gsub(/^[ \t\n]+|[ \t\n]+$/, "")
        if ($0 != "") print
    }' <<<"$1"
}

# Fails, naming WHAT and the EVIDENCE file, unless every NAME occurs in LIST (one per line).
# Arguments: WHAT LIST EVIDENCE NAME...
require_names() {
    local what=$1 list=$2 evidence=$3
    shift 3
    local name
    for name in "$@"; do
        if ! grep -qxF "$name" <<<"$list"; then
            fail "$what lacks '$name' (it has: $(tr '\n' ' ' <<<"$list")); evidence: $evidence"
        fi
    done
}

# Prints the value of KEY in the [Desktop Entry] group of a .desktop file. Arguments: FILE KEY.
desktop_value() {
    local file=$1 key=$2
    awk -F= -v key="$key" '
        /^\[/ { in_entry = ($0 == "[Desktop Entry]") }
        in_entry && $1 == key { sub(/^[^=]*=/, ""); print; exit }
    ' "$file"
}

# ---------------------------------------------------------------------------------------------
# Inner mode: runs inside Xvfb and a private D-Bus session (see step 4 below). Starts
# the installed binary, waits for its window and a rendered page, saves the screenshot and
# stops the app. Arguments: BINARY SCREENSHOT LOG.
# ---------------------------------------------------------------------------------------------
run_inner() {
    local binary=$1 screenshot=$2 log=$3

    "$binary" --demo >"$log" 2>&1 &
    local app_pid=$!
    # The app is stopped on every way out of this function, by its process id only.
    trap 'stop_app '"$app_pid" EXIT

    # 1. The window: the first visible X window that belongs to the app's process.
    local window="" deadline=$((SECONDS + WINDOW_TIMEOUT))
    while [ -z "$window" ]; do
        if ! kill -0 "$app_pid" 2>/dev/null; then
            wait "$app_pid" && status=0 || status=$?
            fail "the installed app $binary exited during start-up with status $status; see $log"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "no window of the installed app $binary appeared within $WINDOW_TIMEOUT s; see $log"
        fi
        window="$(xdotool search --onlyvisible --pid "$app_pid" 2>/dev/null | head -n 1 || true)"
        [ -n "$window" ] || sleep 0.5
    done
    echo "package-test.sh: window $window of $binary (pid $app_pid) is visible"

    # 2. A rendered page: poll screenshots until one is not blank, then take the final one a
    #    moment later, so a page caught half-drawn is not what gets saved.
    local candidate="$screenshot.partial.png" colours=0
    deadline=$((SECONDS + RENDER_TIMEOUT))
    while :; do
        if ! kill -0 "$app_pid" 2>/dev/null; then
            fail "the installed app $binary exited before its page rendered; see $log"
        fi
        if import -silent -window "$window" "png:$candidate" 2>/dev/null; then
            colours="$(identify -format '%k' "$candidate" 2>/dev/null || echo 0)"
            [ "$colours" -ge "$MIN_COLOURS" ] && break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            mv -f -- "$candidate" "$screenshot" 2>/dev/null || true
            fail "the window of $binary stayed blank ($colours colours) for $RENDER_TIMEOUT s; see $screenshot and $log"
        fi
        sleep 1
    done
    sleep 3
    import -silent -window "$window" "png:$screenshot" ||
        fail "could not take the screenshot of window $window; see $log"
    rm -f "$candidate"
    colours="$(identify -format '%k' "$screenshot")"
    if [ "$colours" -lt "$MIN_COLOURS" ]; then
        fail "the final screenshot is blank ($colours colours); see $screenshot and $log"
    fi
    echo "package-test.sh: saved $screenshot ($(identify -format '%wx%h' "$screenshot"), $colours colours)"
}

# Stops the app: SIGTERM, then SIGKILL after ten seconds.
stop_app() {
    local pid=$1 _
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    echo "package-test.sh: the app (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

if [ "${1:-}" = "--inner" ]; then
    shift
    run_inner "$@"
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# Outer mode.
# ---------------------------------------------------------------------------------------------
build=true
for argument in "$@"; do
    case "$argument" in
        --no-build) build=false ;;
        -h | --help)
            sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "package-test.sh: unknown option '$argument'; use --no-build or --help" >&2
            exit 2
            ;;
    esac
done

require_tools dpkg-deb dpkg-query apt-get node xvfb-run xdotool import identify \
    dbus-run-session gnome-keyring-daemon

if [ "$build" = true ]; then
    bash scripts/package.sh
fi

bundle_dir="${CARGO_TARGET_DIR:-target}/release/bundle"
mkdir -p "$ARTIFACTS"
rm -f "$SCREENSHOT" "$APP_LOG" "$SESSION_LOG" "$PACKAGE_INFO"

# The one .deb and .rpm of this build (scripts/package.sh empties the folders first).
shopt -s nullglob
debs=("$bundle_dir"/deb/*.deb)
rpms=("$bundle_dir"/rpm/*.rpm)
shopt -u nullglob
if [ "${#debs[@]}" -ne 1 ]; then
    fail "expected one .deb in $bundle_dir/deb, found ${#debs[@]}; run scripts/package.sh"
fi
deb="$(realpath "${debs[0]}")"
package="$(dpkg-deb -f "$deb" Package)"
version="$(node -p 'require("./tauri.conf.json").version')"
short_description="$(node -p 'require("./tauri.conf.json").bundle.shortDescription')"
say "testing $deb (package $package)"
{
    echo "# dpkg-deb -I $deb"
    dpkg-deb -I "$deb"
    echo
    echo "# dpkg-deb -c $deb"
    dpkg-deb -c "$deb"
} >"$PACKAGE_INFO"

# 1. Size and control fields.
bytes="$(stat -c %s "$deb")"
if [ "$bytes" -gt "$MAX_DEB_BYTES" ]; then
    fail "$deb is $bytes bytes, more than the $MAX_DEB_BYTES allowed; see docs/packaging.md on the release profile"
fi
say "size: $bytes bytes (limit $MAX_DEB_BYTES)"
deb_version="$(dpkg-deb -f "$deb" Version)"
if [ "$deb_version" != "$version" ]; then
    fail "the .deb has version '$deb_version', tauri.conf.json has '$version'; evidence: $PACKAGE_INFO"
fi
depends="$(field_names "$(dpkg-deb -f "$deb" Depends)")"
recommends="$(field_names "$(dpkg-deb -f "$deb" Recommends)")"
require_names "Depends of $deb" "$depends" "$PACKAGE_INFO" "${REQUIRED_DEPENDS[@]}"
require_names "Recommends of $deb" "$recommends" "$PACKAGE_INFO" "${REQUIRED_RECOMMENDS[@]}"
say "Depends: $(tr '\n' ' ' <<<"$depends")"
say "Recommends: $(tr '\n' ' ' <<<"$recommends")"

# 2. Contents: the .desktop entry, the binary it starts and the icons it names.
contents="$(mktemp -d "${TMPDIR:-/tmp}/offstream-deb.XXXXXX")"
profile=""
installed=false
cleanup() {
    if [ "$installed" = true ]; then
        echo "package-test.sh: purging $package after the failure" >&2
        as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null || true
    fi
    rm -rf "$contents"
    if [ -n "$profile" ]; then
        rm -rf "$profile"
    fi
}
trap cleanup EXIT
dpkg-deb -x "$deb" "$contents"

shopt -s nullglob
desktop_files=("$contents"/usr/share/applications/*.desktop)
shopt -u nullglob
if [ "${#desktop_files[@]}" -ne 1 ]; then
    fail "expected one .desktop file in /usr/share/applications of the .deb, found ${#desktop_files[@]}; evidence: $PACKAGE_INFO"
fi
desktop="${desktop_files[0]}"
desktop_path="/${desktop#"$contents"/}"
name="$(desktop_value "$desktop" Name)"
comment="$(desktop_value "$desktop" Comment)"
categories="$(desktop_value "$desktop" Categories)"
exec_line="$(desktop_value "$desktop" Exec)"
icon="$(desktop_value "$desktop" Icon)"
[ "$name" = "Offstream" ] || fail "$desktop_path has Name='$name', expected 'Offstream'"
[ "$comment" = "$short_description" ] ||
    fail "$desktop_path has Comment='$comment', expected bundle.shortDescription '$short_description'"
for category in "${REQUIRED_CATEGORIES[@]}"; do
    if ! tr ';' '\n' <<<"$categories" | grep -qxF "$category"; then
        fail "$desktop_path has Categories='$categories', which lacks $category"
    fi
done
binary_name="${exec_line%% *}"
binary="/usr/bin/${binary_name##*/}"
if [ ! -x "$contents$binary" ]; then
    fail "$desktop_path starts '$exec_line', but the .deb has no executable $binary; evidence: $PACKAGE_INFO"
fi
shopt -s nullglob
icons=("$contents"/usr/share/icons/hicolor/*/apps/"$icon".png)
shopt -u nullglob
icon_sizes="$(for file in "${icons[@]}"; do basename "$(dirname "$(dirname "$file")")"; done | sort -V | tr '\n' ' ')"
for size in 32x32 128x128 256x256 512x512; do
    if [[ " $icon_sizes" != *" $size "* ]]; then
        fail "the .deb has no $size icon '$icon' (it has: $icon_sizes); evidence: $PACKAGE_INFO"
    fi
done
say "$desktop_path: Name=$name, Categories=$categories, Exec=$exec_line, icon sizes: $icon_sizes"

# Every regular file and link of the package, as installed paths.
# Tar members may start with "./", "/" or neither.
mapfile -t package_files < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { path = $6; sub(/^\.?\//, "", path); print "/" path }')
[ "${#package_files[@]}" -gt 0 ] || fail "dpkg-deb -c lists no files in $deb"

# 3. Install.
# On CI (CI=true) a copy left by a run that was killed before its purge is removed first,
# because no one else's installation lives on a CI machine.
status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)"
if [ "${status:0:2}" = "ii" ] || [ "${status:1:1}" = "c" ]; then
    if [ "${CI:-}" != "true" ]; then
        fail "$package is already installed (dpkg status '$status'); this test installs and purges it, so remove it first: apt-get purge $package"
    fi
    say "CI: purging $package (dpkg status '$status'), left by an earlier run"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null ||
        fail "apt-get purge of the leftover $package failed; see its output above"
fi
if [ -e "$binary" ]; then
    fail "$binary exists although dpkg does not list $package; remove it, because the test must start the packaged binary"
fi
say "apt-get install -y $deb"
installed=true
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null ||
    fail "apt-get install $deb failed; see its output above"
status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$package")"
[ "${status:0:2}" = "ii" ] || fail "after apt-get install, dpkg lists $package as '$status', not 'ii'"
for file in "${package_files[@]}"; do
    [ -e "$file" ] || [ -L "$file" ] || fail "apt-get install did not put $file in place; evidence: $PACKAGE_INFO"
done
say "installed ${#package_files[@]} files; $binary is $(stat -c %s "$binary") bytes"

# 4. Launch the installed binary under Xvfb, in a private D-Bus session with an unlocked keyring
#    (scripts/with-keyring.sh) and a throwaway HOME, so no real profile is read or written.
profile="$(mktemp -d "${TMPDIR:-/tmp}/offstream-installed.XXXXXX")"
mkdir -p "$profile/home" "$profile/config" "$profile/cache" "$profile/state"
# The session's own services (dbus-daemon, the desktop portal) write to stderr, which goes to
# $SESSION_LOG. Its last lines are printed when the launch fails.
say "starting $binary --demo under Xvfb"
artifacts_path="$(realpath "$ARTIFACTS")"
if ! HOME="$profile/home" \
    XDG_CONFIG_HOME="$profile/config" \
    XDG_CACHE_HOME="$profile/cache" \
    XDG_STATE_HOME="$profile/state" \
    xvfb-run -a -s "-screen 0 $SCREEN" \
    scripts/with-keyring.sh bash "${BASH_SOURCE[0]}" --inner "$binary" \
    "$artifacts_path/${SCREENSHOT##*/}" "$artifacts_path/${APP_LOG##*/}" 2>"$SESSION_LOG"; then
    tail -n 20 "$SESSION_LOG" >&2
    fail "launching the installed app failed (last lines above); see $SESSION_LOG, $APP_LOG and $SCREENSHOT"
fi

# 5. Purge, then nothing of the package may remain.
say "apt-get purge -y $package"
as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null ||
    fail "apt-get purge $package failed; see its output above"
installed=false
status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)"
if [ -n "$status" ] && [ "${status:1:1}" != "n" ]; then
    fail "after apt-get purge, dpkg still lists $package as '$status'"
fi
for file in "${package_files[@]}"; do
    if [ -e "$file" ] || [ -L "$file" ]; then
        fail "$file is still there after apt-get purge $package"
    fi
done
say "purged: none of the ${#package_files[@]} files remain and dpkg no longer lists $package"

# 6. The .rpm, read with the rpm tool where it is installed (Debian's package `rpm`).
if [ "${#rpms[@]}" -ne 1 ]; then
    fail "expected one .rpm in $bundle_dir/rpm, found ${#rpms[@]}; run scripts/package.sh"
fi
rpm_file="${rpms[0]}"
if command -v rpm >/dev/null 2>&1; then
    {
        echo
        echo "# rpm -qpi $rpm_file"
        rpm -qpi "$rpm_file"
        echo
        echo "# rpm -qpR $rpm_file"
        rpm -qpR "$rpm_file"
        echo
        echo "# rpm -qp --recommends $rpm_file"
        rpm -qp --recommends "$rpm_file"
        echo
        echo "# rpm -qpl $rpm_file"
        rpm -qpl "$rpm_file"
    } >>"$PACKAGE_INFO" 2>&1 || fail "rpm could not read $rpm_file; see $PACKAGE_INFO"
    rpm_version="$(rpm -qp --queryformat '%{VERSION}' "$rpm_file")"
    [ "$rpm_version" = "$version" ] ||
        fail "the .rpm has version '$rpm_version', tauri.conf.json has '$version'; evidence: $PACKAGE_INFO"
    requires="$(rpm -qpR "$rpm_file" | awk '{ print $1 }')"
    rpm_recommends="$(rpm -qp --recommends "$rpm_file" | awk '{ print $1 }')"
    require_names "Requires of $rpm_file" "$requires" "$PACKAGE_INFO" "${REQUIRED_RPM_REQUIRES[@]}"
    require_names "Recommends of $rpm_file" "$rpm_recommends" "$PACKAGE_INFO" "${REQUIRED_RPM_RECOMMENDS[@]}"
    rpm_files="$(rpm -qpl "$rpm_file")"
    for file in "$binary" "$desktop_path"; do
        grep -qxF "$file" <<<"$rpm_files" || fail "the .rpm lacks $file; evidence: $PACKAGE_INFO"
    done
    say "$rpm_file: version $rpm_version, Requires and Recommends as expected, $(wc -l <<<"$rpm_files") files"
else
    say "the rpm tool is not installed, so $rpm_file was not inspected (apt-get install rpm)"
fi

say "all checks passed; screenshot: $SCREENSHOT"
