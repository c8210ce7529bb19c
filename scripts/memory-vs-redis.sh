#!/usr/bin/env bash
# Resident memory of Jotter and of redis-server holding the same keys (strings,
# or hashes with KIND=hashes), every key resident: Jotter's clean cache is large enough that nothing is
# evicted, and every write is flushed (JOTTER.FLUSH) before RSS is read.
# Not part of the test run; results go to docs/BENCHMARKS.md.
#
#   scripts/memory-vs-redis.sh [KEYS] [VALUE_BYTES]
#   scripts/memory-vs-redis.sh 200000 64
#   JOTTER_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 scripts/memory-vs-redis.sh
#     (the same run with Jotter on another malloc, without rebuilding)
#   SETTINGS='max-pending-bytes = "4gb"' scripts/memory-vs-redis.sh 1000000 64
#     (SETTINGS adds lines to Jotter's config file)
#   KIND=hashes scripts/memory-vs-redis.sh 100000 16
#     (100,000 hashes of FIELDS fields, 10 unless given, of 16-byte values)
#
# Strings: both servers are loaded by `redis-benchmark -t set -d VALUE_BYTES
# -r KEYS -n 3xKEYS -P 16` (50 clients), so about 95 % of the KEYS distinct
# keys are written (16-byte keys `key:__rand_int__`). Hashes: one
# `HSET hash:N field:0 VALUE ... field:F-1 VALUE` per key, N from 0 to KEYS-1
# (keys of 11-12 bytes, fields of 7), generated here and sent with
# `redis-cli --pipe`. Jotter runs on SQLite with
# cache-bytes 2 GB, redis-server with no persistence; both on ephemeral ports.
# RSS is read SETTLE seconds (12 unless given) after the load and the flush,
# on both servers: jemalloc, which both use, returns freed pages to the
# system about 10 s after they are freed (its decay time), so a reading
# taken at once counts what the load freed as still held (after a flush of
# 100,000 hashes Jotter's RSS still fell until about 18 s: SETTLE=30 reads
# both servers at their steady RSS).
# Prints per server: keys, RSS, RSS per key, and the RSS split into
# anonymous memory (the heap, stacks) and file pages (the binary's code and
# data, the shared libraries' pages mapped in): a fixed cost, about 15 MB for
# Jotter against 10 MB for redis-server. Needs redis-server,
# redis-benchmark and redis-cli; builds the release binary unless JOTTER_BIN
# names one.
set -euo pipefail

keys=${1:-200000}
value=${2:-64}
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release-binary.sh
source "$root/scripts/release-binary.sh"

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

rss() { awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$1/status"; }
# RSS of anonymous memory and of file pages, in MB.
rss_split() { awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { printf "anon %.1f MB, file %.1f MB", a * 1024 / 1e6, f * 1024 / 1e6 }' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
kind=${KIND:-strings}
fields=${FIELDS:-10}
settle=${SETTLE:-12}
# One HSET a hash, in RESP, all the hashes' fields with the same value.
hashes() {
    python3 - "$keys" "$fields" "$value" <<'PY'
import sys
keys, fields, size = (int(a) for a in sys.argv[1:])
value = b"v" * size
def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
names = [b"field:%d" % f for f in range(fields)]
pairs = [x for name in names for x in (name, value)]
w = sys.stdout.buffer
for k in range(keys):
    w.write(command(b"HSET", b"hash:%d" % k, *pairs))
PY
}
load() {
    case $kind in
    strings) redis-benchmark -p "$1" -t set -d "$value" -r "$keys" -n $((keys * 3)) -P 16 -q >/dev/null 2>&1 ;;
    hashes) hashes | redis-cli -p "$1" --pipe >/dev/null ;;
    *) echo "KIND is strings or hashes" >&2 && exit 2 ;;
    esac
}
report() { # name pid port before
    local n r s
    r=$(rss "$2")
    s=$(rss_split "$2")
    n=$(redis-cli -p "$3" DBSIZE)
    awk -v name="$1" -v n="$n" -v r="$r" -v b="$4" -v s="$s" 'BEGIN {
        printf "%-7s keys %d, RSS %.1f MB (%.1f MB at start), %.0f B a key; %s\n", name, n, r / 1e6, b / 1e6, r / n, s
    }'
}

# Jotter.
cat >"$work/jotter.toml" <<TOML
cache-bytes = "2gb"
${SETTINGS:-}
TOML
LD_PRELOAD=${JOTTER_PRELOAD:-} "$bin" serve --config "$work/jotter.toml" --port 0 --admin-port 0 \
    --data-dir "$work/data" >"$work/stdout" 2>"$work/server.log" &
jotter_pid=$!
pids+=("$jotter_pid")
for _ in $(seq 100); do
    grep -q 'resp=' "$work/stdout" 2>/dev/null && break
    sleep 0.1
done
port=$(grep -o 'resp=[^ ]*' "$work/stdout" | sed 's/.*://')
before=$(rss "$jotter_pid")
load "$port"
redis-cli -p "$port" JOTTER.FLUSH >/dev/null
sleep "$settle"
report jotter "$jotter_pid" "$port" "$before"
kill "$jotter_pid"

# redis-server.
rport=$(free_port)
redis-server --port "$rport" --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
for _ in $(seq 100); do
    redis-cli -p "$rport" PING >/dev/null 2>&1 && break
    sleep 0.1
done
before=$(rss "$redis_pid")
load "$rport"
sleep "$settle"
report redis "$redis_pid" "$rport" "$before"
