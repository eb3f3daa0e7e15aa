#!/usr/bin/env bash
# Builds the Linux packages of the desktop app, a .deb and an .rpm, with the release profile.
#
#   scripts/package.sh               # or: npm run package
#   scripts/package.sh --verbose     # further arguments go to `tauri build`
#
# The packages land in target/release/bundle/deb/ and target/release/bundle/rpm/ (under
# $CARGO_TARGET_DIR when that is set). Both folders are emptied first, so after a run they hold
# only this build's packages. `tauri build` runs beforeBuildCommand (`npm run build`) first,
# so the packages always carry the current front end. Needs what scripts/setup-debian.sh
# installs. scripts/package-test.sh checks, installs and launches the result.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bundle_dir="${CARGO_TARGET_DIR:-target}/release/bundle"

if [ ! -x node_modules/.bin/tauri ]; then
    echo "package.sh: node_modules/.bin/tauri not found; run scripts/setup-debian.sh (or 'npm ci') first" >&2
    exit 1
fi

# Packages of an older version would otherwise stay next to the new ones.
rm -rf "$bundle_dir/deb" "$bundle_dir/rpm"

started_at=$SECONDS
node_modules/.bin/tauri build --bundles deb,rpm "$@"
elapsed=$((SECONDS - started_at))

echo
echo "package.sh: built in $((elapsed / 60)) min $((elapsed % 60)) s:"
shopt -s nullglob
packages=("$bundle_dir"/deb/*.deb "$bundle_dir"/rpm/*.rpm)
if [ "${#packages[@]}" -eq 0 ]; then
    echo "package.sh: 'tauri build' wrote no .deb or .rpm into $bundle_dir; see its output above" >&2
    exit 1
fi
for package in "${packages[@]}"; do
    bytes="$(stat -c %s "$package")"
    printf '  %s  %s bytes (%s MB)\n' "$package" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1000000 }')"
done
