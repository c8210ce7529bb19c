#!/usr/bin/env bash
# A long crash soak, outside the default test run: kill -9 of a real
# process writing through the log, ROUNDS times per fsync policy (default
# 500), then a check that every acknowledged write is in the store.
# JOTTER_CRASH_SEED replays a failing run.
set -euo pipefail
cd "$(dirname "$0")/.."
export JOTTER_CRASH_ROUNDS="${1:-500}"
cargo test --release -p jotter --test crash -- --nocapture --test-threads=1
