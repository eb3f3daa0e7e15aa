#!/usr/bin/env bash
# Runs every check CI runs, in order, and stops at the first failure with the step's name.
# The steps: set-up, formatting, lints, type checks, the front-end and Rust tests, the
# generated TypeScript bindings, the app build, the end-to-end tests of the real window, and
# the Linux packages (built, installed with apt-get, started under Xvfb, purged).
#
#   scripts/test.sh
#
# For Debian 12: scripts/setup-debian.sh --test installs what is missing first (root or sudo).
# The Rust and end-to-end tests run in a private D-Bus session with an unlocked keyring
# (scripts/with-keyring.sh), the end-to-end tests also under Xvfb. Screenshots and logs of
# failed end-to-end tests land in e2e/artifacts/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Seconds the end-to-end suite may run before it is stopped; it takes about five minutes.
E2E_TIMEOUT=900

steps_total=12
step_number=0
started_at=$SECONDS

# Runs one step: prints its name, runs the command, and on failure names the step and exits.
step() {
    local name=$1
    shift
    step_number=$((step_number + 1))
    local step_started=$SECONDS
    echo
    echo "==> [$step_number/$steps_total] $name"
    local status=0
    "$@" || status=$?
    if [ "$status" -ne 0 ]; then
        echo >&2
        echo "test.sh: FAILED at step $step_number/$steps_total, $name (exit status $status)" >&2
        exit "$status"
    fi
    echo "--- $name: ok ($((SECONDS - step_started)) s)"
}

# Fails when the Rust tests changed the committed bindings or wrote new ones.
check_bindings() {
    if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        echo "test.sh: not a git checkout, so the bindings cannot be compared; skipped"
        return 0
    fi
    if ! git diff --exit-code --stat -- ui/src/bindings; then
        echo "test.sh: ui/src/bindings differs from the commit after 'cargo test' regenerated it;" \
            "commit the regenerated files" >&2
        return 1
    fi
    local untracked
    untracked="$(git ls-files --others --exclude-standard -- ui/src/bindings)"
    if [ -n "$untracked" ]; then
        echo "test.sh: 'cargo test' wrote bindings that are not committed:" >&2
        echo "$untracked" >&2
        return 1
    fi
}

# `cargo test --workspace` already built target/debug/stream-emulator for the emulator's own
# integration tests. A separate `cargo build -p stream-emulator` compiled 42 crates (measured)
# again, because selecting one package changes the unified features of its dependencies.
ensure_emulator() {
    local binary="${CARGO_TARGET_DIR:-target}/debug/stream-emulator"
    if [ -x "$binary" ]; then
        echo "$binary is built"
    else
        cargo build -p stream-emulator
    fi
}

# Xvfb starts first, so the services that the private session bus starts on demand (the
# desktop portal, which the app's GTK calls) find the display too.
run_e2e() {
    timeout --kill-after=30 "$E2E_TIMEOUT" \
        xvfb-run -a scripts/with-keyring.sh node --test e2e/
}

step "set-up (scripts/setup-debian.sh --test)" bash scripts/setup-debian.sh --test
step "cargo fmt --all --check" cargo fmt --all --check -- --color=never
step "cargo clippy --workspace --all-targets -- -D warnings" \
    cargo clippy --workspace --all-targets -- -D warnings
step "npm run format:check" npm run --silent format:check
step "npm run typecheck" npm run --silent typecheck
step "npm test (Vitest)" npm test --silent
step "cargo test --workspace (private keyring)" scripts/with-keyring.sh cargo test --workspace
step "generated TypeScript bindings are committed" check_bindings
step "npx tauri build --debug --no-bundle" npx tauri build --debug --no-bundle
step "stream-emulator binary" ensure_emulator
step "end-to-end tests (Xvfb, private keyring)" run_e2e
step "Linux packages: build, install, launch, purge (scripts/package-test.sh)" \
    bash scripts/package-test.sh

elapsed=$((SECONDS - started_at))
echo
echo "test.sh: all $steps_total steps passed in $((elapsed / 60)) min $((elapsed % 60)) s"
