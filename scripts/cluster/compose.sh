#!/usr/bin/env bash
# Runs deploy/compose.yaml's services as the file writes them, without a
# container engine: each in a network namespace of its own on one bridge,
# with this machine's redis-server and PostgreSQL standing in for the
# images and JOTTER_BIN for the Jotter image (compose_netns.py says what
# is and is not exercised). Drives writes through both front ends, kills a
# worker, stops the Redis primary so the Sentinels fail over by host name,
# drains and checks PostgreSQL. Prints one RESULT line; needs root.
set -euo pipefail
source "$(dirname "$0")/binary.sh"
[ "$(id -u)" = 0 ] || { echo "network namespaces need root" >&2; exit 2; }
for tool in ip redis-server psql; do
    command -v "$tool" >/dev/null || { echo "$tool is needed on the PATH" >&2; exit 2; }
done
python3 -c 'import redis, yaml' 2>/dev/null || { echo "pip install redis pyyaml" >&2; exit 2; }
cd "$here"
exec python3 compose_netns.py
