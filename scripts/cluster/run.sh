#!/usr/bin/env bash
# The scale-out fault harness: scripts/cluster/run.sh SCENARIO... | all
# Starts a whole cluster on free ports (3 redis-server, 3 Sentinels, a
# private PostgreSQL, 2 front ends, 3 workers) for each scenario, injects the
# fault during a load through both front ends, drains, checks PostgreSQL
# against every acknowledged write and prints one RESULT line per scenario.
# Everything it started is stopped at the end, whatever happens.
# JOTTER_BIN picks the binary (default: the release build);
# JOTTER_KEEP_CLUSTER_DIR=1 keeps the processes' logs.
set -euo pipefail
source "$(dirname "$0")/binary.sh"
command -v redis-server >/dev/null || { echo "redis-server is needed on the PATH" >&2; exit 2; }
python3 -c 'import redis' 2>/dev/null || { echo "pip install redis" >&2; exit 2; }
cd "$here"
exec python3 scenarios.py "${@:-all}"
