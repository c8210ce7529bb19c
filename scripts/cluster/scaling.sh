#!/usr/bin/env bash
# Flush throughput with 1, 2 and 4 workers (or the counts given), beside
# PostgreSQL's own ceiling for the same rows: scripts/cluster/scaling.sh [N...]
# JOTTER_SCALING_KEYS sets the backlog (default 50000 keys); JOTTER_BIN the
# binary (default: the release build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export JOTTER_BIN="${JOTTER_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/jotter}"
[ -x "$JOTTER_BIN" ] || { echo "no $JOTTER_BIN: cargo build --release -p jotter-server" >&2; exit 2; }
cd "$here"
exec python3 scaling.py "$@"
