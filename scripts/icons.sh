#!/usr/bin/env bash
# Regenerates every icon the bundles ship from the single source image, icons/source.svg.
#
#   scripts/icons.sh
#
# `tauri icon` (the Tauri CLI from node_modules) renders the SVG and writes the PNG sizes, a
# Windows .ico and a macOS .icns into a temporary folder. Only the files that tauri.conf.json's
# bundle.icon lists are copied into icons/: the Android, iOS and Windows Store images are
# dropped, because Offstream ships no mobile app and no .appx package. Edit the SVG, run this
# script, and commit the SVG together with the regenerated files.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SOURCE=icons/source.svg
# Every generated file that the bundles use. Keep this list equal to bundle.icon. The Linux
# packages install each PNG into /usr/share/icons/hicolor/<size>/apps. The CLI's default
# 256-pixel image is named 128x128@2x.png, and the bundler installs that name as a 256x256@2
# (HiDPI) icon. So a plain 256x256.png is generated instead, which lands in the 256x256 folder.
DEFAULT_SET=(32x32.png 64x64.png 128x128.png icon.png icon.icns icon.ico)
EXTRA_PNG_SIZES=(256)

if [ ! -f "$SOURCE" ]; then
    echo "icons.sh: $SOURCE not found; the icons are generated from it" >&2
    exit 1
fi
if [ ! -x node_modules/.bin/tauri ]; then
    echo "icons.sh: node_modules/.bin/tauri not found; run 'npm ci' (or scripts/setup-debian.sh) first" >&2
    exit 1
fi

output="$(mktemp -d "${TMPDIR:-/tmp}/offstream-icons.XXXXXX")"
trap 'rm -rf "$output"' EXIT

# Runs `tauri icon` with the given arguments, printing the CLI's file list only when it fails.
generate() {
    local log
    if ! log="$(node_modules/.bin/tauri icon "$SOURCE" "$@" 2>&1)"; then
        echo "$log" >&2
        echo "icons.sh: 'tauri icon $SOURCE $*' failed; see the output above" >&2
        exit 1
    fi
}

# The default set (with the .ico and .icns), then the extra sizes, which `--png` writes alone.
generate --output "$output/default"
generate --output "$output/extra" --png "$(
    IFS=,
    echo "${EXTRA_PNG_SIZES[*]}"
)"

wanted=()
for name in "${DEFAULT_SET[@]}"; do
    wanted+=("default/$name")
done
for size in "${EXTRA_PNG_SIZES[@]}"; do
    wanted+=("extra/${size}x${size}.png")
done

for path in "${wanted[@]}"; do
    if [ ! -f "$output/$path" ]; then
        echo "icons.sh: 'tauri icon' did not write ${path#*/}; check the CLI version in package.json" >&2
        exit 1
    fi
    cp "$output/$path" "icons/${path#*/}"
done

echo "icons.sh: wrote $(printf '%s ' "${wanted[@]#*/}")into icons/ from $SOURCE"
