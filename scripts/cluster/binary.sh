# Sourced by the cluster scripts: `here` (this folder) and JOTTER_BIN (the
# release build unless set), which must be executable.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export JOTTER_BIN="${JOTTER_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/jotter}"
[ -x "$JOTTER_BIN" ] || {
    echo "no $JOTTER_BIN: cargo build --release -p jotter-server (or set JOTTER_BIN)" >&2
    exit 2
}
