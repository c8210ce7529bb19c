#!/usr/bin/env bash
# Flush throughput with 1, 2 and 4 workers (or the counts given), beside
# PostgreSQL's own ceiling for the same rows: scripts/cluster/scaling.sh [N...]
# JOTTER_SCALING_KEYS sets the backlog (default 50000 keys); JOTTER_BIN the
# binary (default: the release build).
set -euo pipefail
source "$(dirname "$0")/binary.sh"
cd "$here"
exec python3 scaling.py "$@"
