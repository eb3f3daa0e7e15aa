#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, so tests can use
# the real Secret Service on a headless machine (CI, containers, SSH sessions).
#
#   scripts/with-keyring.sh cargo test -p offstream-credentials
#
# The session gets its own XDG_RUNTIME_DIR and XDG_DATA_HOME in a temporary folder (mode 0700),
# so the user's own keyrings are never touched, and the folder is removed afterwards. The
# keyring password is random for each run. OFFSTREAM_KEYCHAIN_TESTS=1 is exported, which turns
# on the keychain integration tests.
#
# Needs the Debian packages dbus (dbus-run-session, dbus-send) and gnome-keyring; the tests also
# use secret-tool from libsecret-tools.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGUMENT...]" >&2
    exit 2
fi

for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool not found; install it with: apt-get install dbus gnome-keyring libsecret-tools" >&2
        exit 127
    fi
done

if [ -z "${OFFSTREAM_WITH_KEYRING_INNER:-}" ]; then
    # Outer run: make the private folders, then run this script again inside a new session bus.
    session_dir="$(mktemp -d "${TMPDIR:-/tmp}/offstream-keyring.XXXXXX")"
    # GTK apps (the desktop app among them) start xdg-document-portal on the session bus. It
    # mounts a FUSE file system at $XDG_RUNTIME_DIR/doc and unmounts it only after the bus is
    # gone, so removal is retried for a few seconds. A folder left behind is reported but never
    # fails the run: the command's own exit status is what counts.
    remove_session_dir() {
        local _
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            if rm -rf "$session_dir" 2>/dev/null; then
                return 0
            fi
            fusermount -u "$session_dir/runtime/doc" 2>/dev/null || true
            sleep 0.5
        done
        echo "$0: could not remove $session_dir; delete it by hand" >&2
        return 0
    }
    trap remove_session_dir EXIT
    mkdir -m 0700 "$session_dir/runtime" "$session_dir/data"
    chmod 0700 "$session_dir"

    status=0
    XDG_RUNTIME_DIR="$session_dir/runtime" \
        XDG_DATA_HOME="$session_dir/data" \
        OFFSTREAM_WITH_KEYRING_INNER=1 \
        dbus-run-session -- bash "${BASH_SOURCE[0]}" "$@" || status=$?
    exit "$status"
fi

# Inner run: start the daemon on this session's bus. --unlock reads the password from stdin and
# creates the login keyring with it, so no prompt is ever needed. The daemon prints
# NAME=VALUE lines for its control socket, which clients may use.
password="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
daemon_env="$(printf '%s' "$password" | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
while IFS='=' read -r name value; do
    case "$name" in
        GNOME_KEYRING_CONTROL | SSH_AUTH_SOCK) export "$name=$value" ;;
    esac
done <<<"$daemon_env"
unset password daemon_env

# The daemon does not always quit when the session bus goes away, so ask the bus for its pid
# and stop it when the command is done. The daemon may claim its bus name a moment after
# --daemonize returns, so the lookup is retried for up to five seconds.
daemon_pid=""
for _ in $(seq 50); do
    daemon_pid="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
        awk '/uint32/ { print $2 }')" || true
    [ -n "$daemon_pid" ] && break
    sleep 0.1
done
if [ -z "$daemon_pid" ]; then
    echo "$0: gnome-keyring-daemon did not register org.freedesktop.secrets on the session bus" >&2
    exit 1
fi
stop_daemon() {
    kill "$daemon_pid" 2>/dev/null || true
}
trap stop_daemon EXIT

export OFFSTREAM_KEYCHAIN_TESTS=1
status=0
"$@" || status=$?
exit "$status"
