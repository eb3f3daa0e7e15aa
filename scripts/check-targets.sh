#!/usr/bin/env bash
# Lints the Rust workspace for Windows and macOS from a Linux machine, so that code selected
# with `cfg` for another OS keeps compiling. It runs `cargo clippy -- -D warnings` (type checks
# plus lints), and nothing is linked or run.
#
#   scripts/check-targets.sh                         # every target below
#   scripts/check-targets.sh x86_64-pc-windows-gnu   # only the targets named
#
# What each target needs, and what is checked:
# - x86_64-pc-windows-gnu: its rust-std (rustup target add x86_64-pc-windows-gnu) and MinGW's
#   C compiler (apt-get install gcc-mingw-w64-x86-64) for the C in build scripts (SQLite in
#   libsqlite3-sys, ring). The whole workspace is checked, the desktop app included.
# - aarch64-apple-darwin, x86_64-apple-darwin: their rust-std. C code for macOS needs the macOS
#   SDK and a C compiler for it, which Linux lacks, so by default only the crates that build no
#   C are checked. Those that do are listed as skipped. Set CC_<target> (for example
#   CC_aarch64_apple_darwin=aarch64-apple-darwin23-clang from osxcross) to check them all.
#
# A target whose rust-std or C compiler is missing is skipped with a message and does not fail
# the run. The builds go to $OFFSTREAM_CROSS_TARGET_DIR (default: target/cross), so they do not
# wait for the build lock of the normal target folder. The first run of all targets took about
# 27 minutes on a 2-core machine (19 of them for Windows), and a run after a small change took
# under a minute.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEFAULT_TARGETS=(x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin)

export CARGO_TARGET_DIR="${OFFSTREAM_CROSS_TARGET_DIR:-$PWD/target/cross}"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=("${DEFAULT_TARGETS[@]}")
fi

failed=()
skipped=()
passed=()
# Set by a check function that finds a missing tool, so the target counts as skipped.
target_skipped=false

# Returns success when the standard library of target $1 is installed.
has_rust_std() {
    [ -d "$(rustc --print sysroot)/lib/rustlib/$1/lib" ]
}

# Prints the C compiler that the cc crate would use for target $1 from CC_<target>, or nothing.
configured_c_compiler() {
    local underscored=${1//-/_}
    local by_dash="CC_$1"
    local by_underscore="CC_$underscored"
    # The cc crate reads CC_<target> with dashes or with underscores.
    printenv "$by_dash" || printenv "$by_underscore" || true
}

# Prints the workspace members, one name a line.
workspace_members() {
    cargo tree --workspace --depth 0 --prefix none --edges normal |
        awk 'NF >= 2 && $2 ~ /^v[0-9]/ { print $1 }' | sort -u
}

# Prints the packages that compile C in their build script for target $1: those that depend
# on the cc crate directly.
c_packages() {
    local dependents
    # cargo tree fails when no package depends on cc, and then the list is empty.
    dependents="$(cargo tree --workspace --target "$1" --edges normal,build,dev --invert cc \
        --depth 1 --prefix none 2>/dev/null)" || return 0
    awk 'NF >= 2 && $1 != "cc" { print $1 }' <<<"$dependents" | sort -u
}

# Returns success when package $1, with the dependency kinds $3, needs none of the packages in
# the newline-separated list $4 for target $2.
builds_no_c() {
    local package=$1 target=$2 edges=$3 c_list=$4
    local dependencies
    [ -n "$c_list" ] || return 0
    dependencies="$(cargo tree --package "$package" --target "$target" --edges "$edges" \
        --prefix none | awk '{ print $1 }' | sort -u)"
    ! grep -qxF -f <(printf '%s\n' "$c_list") <<<"$dependencies"
}

# Prints the package names in a list of `--package NAME` arguments on one line.
packages_named() {
    local names=()
    while [ "$#" -gt 0 ]; do
        names+=("$2")
        shift 2
    done
    echo "${names[*]:-none}"
}

# Runs clippy for target $1 with the remaining arguments selecting packages and targets.
run_clippy() {
    local target=$1
    shift
    cargo clippy --target "$target" "$@" -- -D warnings
}

check_windows() {
    local target=$1
    if [ -z "$(configured_c_compiler "$target")" ] && ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
        echo "skipped $target: x86_64-w64-mingw32-gcc not found; install it with: apt-get install gcc-mingw-w64-x86-64"
        target_skipped=true
        return 0
    fi
    run_clippy "$target" --workspace --all-targets
}

check_macos() {
    local target=$1
    if [ -n "$(configured_c_compiler "$target")" ]; then
        run_clippy "$target" --workspace --all-targets
        return
    fi

    # This function runs on the left of `||`, where set -e is off, so failures return by hand.
    local c_list members
    c_list="$(c_packages "$target")" || return
    members="$(workspace_members)" || return
    local whole=() libraries=() left_out=()
    local member
    while read -r member; do
        if builds_no_c "$member" "$target" normal,build,dev "$c_list"; then
            whole+=(--package "$member")
        elif builds_no_c "$member" "$target" normal,build "$c_list"; then
            # Only the tests and examples need C (such as an HTTP client with ring's TLS).
            libraries+=(--package "$member")
            left_out+=("$member (tests)")
        else
            left_out+=("$member")
        fi
    done <<<"$members"

    echo "$target: no CC_${target//-/_} is set, so crates that build C for macOS are not checked:"
    echo "  C packages: $(paste -sd ' ' <<<"$c_list")"
    echo "  checked: $(packages_named "${whole[@]}")"
    echo "  checked without tests: $(packages_named "${libraries[@]}")"
    echo "  not checked: ${left_out[*]:-none}"
    if [ "${#whole[@]}" -gt 0 ]; then
        run_clippy "$target" "${whole[@]}" --all-targets || return
    fi
    if [ "${#libraries[@]}" -gt 0 ]; then
        run_clippy "$target" "${libraries[@]}" --lib --bins || return
    fi
}

for target in "${targets[@]}"; do
    echo
    echo "==> $target"
    started=$SECONDS
    if ! has_rust_std "$target"; then
        echo "skipped $target: its rust-std is not installed; install it with: rustup target add $target"
        skipped+=("$target")
        continue
    fi

    status=0
    target_skipped=false
    case "$target" in
        *-windows-gnu) check_windows "$target" || status=$? ;;
        *-apple-darwin) check_macos "$target" || status=$? ;;
        *)
            echo "check-targets.sh: unknown target $target; use one of: ${DEFAULT_TARGETS[*]}" >&2
            status=1
            ;;
    esac

    elapsed=$((SECONDS - started))
    if [ "$status" -ne 0 ]; then
        failed+=("$target (exit status $status)")
    elif [ "$target_skipped" = true ]; then
        skipped+=("$target")
    else
        passed+=("$target (${elapsed} s)")
    fi
done

echo
echo "passed: ${passed[*]:-none}"
echo "skipped: ${skipped[*]:-none}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
