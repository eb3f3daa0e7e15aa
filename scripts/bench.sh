#!/usr/bin/env bash
# Builds the release binaries, runs the benchmarks against the local Stream emulator and
# writes the results page docs/benchmarks.md.
#
#   scripts/bench.sh            # full run: about 30 minutes, needs about 3 GiB of free disk
#   scripts/bench.sh --quick    # smoke run with small sizes and 100 videos, a few minutes
#
# Further options go to offstream-bench (see `target/release/offstream-bench --help`), such
# as --work-dir DIR to put the downloads on another disk or --videos N to cap the bulk run.
# Needs curl and GNU coreutils (dd, sync). The downloads go to a temporary folder that is
# removed at the end, also after an error or Ctrl-C.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in cargo curl dd sync; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench.sh: $tool was not found on PATH; install it and run again" >&2
        exit 1
    fi
done

echo "bench.sh: cargo build --release -p offstream-cli -p offstream-bench" >&2
cargo build --release -p offstream-cli -p offstream-bench

target_dir="${CARGO_TARGET_DIR:-target}"
output="docs/benchmarks.md"
for argument in "$@"; do
    if [ "$argument" = "--quick" ]; then
        # A smoke run must not replace the page with figures from small sizes.
        output="${TMPDIR:-/tmp}/offstream-benchmarks-quick.md"
    fi
done

exec "$target_dir/release/offstream-bench" \
    --offstream "$target_dir/release/offstream" \
    --output "$output" "$@"
