#!/usr/bin/env bash
# Bytes of resident memory per pending key, next to the raw size of the key
# and value, with the store unreachable (the SQLite file is held under an
# exclusive lock by another process, so every flush fails as busy and every
# write stays pending).
#
#   scripts/memory-per-key.sh [KEYS] [VALUE_BYTES] [extra serve flags...]
#   scripts/memory-per-key.sh 1000000 64
#   scripts/memory-per-key.sh 100000 1024
#   REQUESTS=10000000 SETTINGS='maxmemory = "256mb"
#   full-policy = "reject"' scripts/memory-per-key.sh 100000000 64
#     (10 million writes of distinct keys, as good as: maxmemory holds)
#
# Keys are redis-benchmark's `key:__rand_int__` (16 bytes), written by
# `redis-benchmark -t set -d VALUE_BYTES -r KEYS`, 50 clients, no pipeline
# (one request per read: the case where a kept slice of a read buffer would
# pin that whole buffer). The requests sent are 3 x KEYS (or REQUESTS), so
# about 95 % of the KEYS distinct keys are written; SETTINGS adds lines to
# the server's config file; the figures are per pending key, read
# from the server (INFO writebehind). Needs redis-benchmark, redis-cli and
# sqlite3; builds the release binary unless JOTTER_BIN names one.
set -euo pipefail

keys=${1:-1000000}
value=${2:-64}
shift $(( $# > 2 ? 2 : $# ))
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release-binary.sh
source "$root/scripts/release-binary.sh"

work=$(mktemp -d)
server_pid=
lock_pid=
cleanup() {
    [[ -n $lock_pid ]] && kill "$lock_pid" 2>/dev/null || true
    [[ -n $server_pid ]] && kill -9 "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Bounds far above what the run writes: this measures what is held, not
# what a bound refuses.
cat >"$work/jotter.toml" <<EOF
max-pending = 100000000
max-pending-bytes = "64gb"
flush-interval = "100ms"
${SETTINGS:-}
EOF
"$bin" serve --config "$work/jotter.toml" --port 0 --admin-port 0 \
    --data-dir "$work/data" "$@" >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q 'resp=' "$work/stdout" 2>/dev/null && break
    sleep 0.1
done
port=$(grep -o 'resp=[^ ]*' "$work/stdout" | sed 's/.*://')

# Hold the database: flushes fail as busy (transient) and are retried.
mkfifo "$work/lock"
sqlite3 "$work/data/jotter.db" <"$work/lock" >/dev/null 2>&1 &
lock_pid=$!
exec 3>"$work/lock"
echo "BEGIN EXCLUSIVE;" >&3

rss() { awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$server_pid/status"; }
info() { redis-cli -p "$port" INFO "$1" | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }

before=$(rss)
requests=${REQUESTS:-$((keys * 3))}
redis-benchmark -p "$port" -t set -d "$value" -r "$keys" -n "$requests" -c 50 -q >/dev/null 2>&1 || true
sleep 1
after=$(rss)
peak=$(awk '/^VmHWM/ { print $2 * 1024 }' "/proc/$server_pid/status")
pending=$(info writebehind pending_entries)
counted=$(info writebehind pending_bytes)
raw=$((16 + value))
accepted=$(info writebehind writes_accepted)
maxmemory=$(info memory maxmemory)
echo "requests $requests, writes accepted $accepted, refused $((requests - accepted)) (maxmemory $maxmemory)"
awk -v k="$pending" -v b="$before" -v a="$after" -v p="$peak" -v c="$counted" -v raw="$raw" -v v="$value" 'BEGIN {
    printf "value %d B, pending keys %d\n", v, k
    printf "RSS before %.1f MB, after %.1f MB (peak %.1f MB)\n", b / 1e6, a / 1e6, p / 1e6
    printf "RSS per pending key: %.0f B (raw key + value: %d B, counted per key: %.0f B)\n", (a - b) / k, raw, c / k
    printf "counted pending bytes %.1f MB; RSS / (1.5 x counted + 64 MB) = %.2f\n", c / 1e6, a / (1.5 * c + 64 * 1048576)
}'
