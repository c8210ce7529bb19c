#!/usr/bin/env bash
# Jotter's server against redis-server on this machine, at the same
# durability, with redis-benchmark: SET, GET and INCR at pipeline depths 1
# and 16, 50 clients. Each configuration runs A B A B (Redis, Jotter,
# Redis, Jotter) and the report gives each run and the ratio of the means.
#
#   scripts/bench-vs-redis.sh [REQUESTS]        (default 1000000)
#
# Needs redis-server and redis-benchmark (Debian's redis-server and
# redis-tools). Uses ports 16390 (Redis) and 16391 (Jotter) and temporary
# data directories; both servers are stopped at the end.
set -euo pipefail

REQUESTS=${1:-1000000}
KEYSPACE=100000
CLIENTS=50
REDIS_PORT=16390
JOTTER_PORT=16391
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release -p jotter-server --manifest-path "$ROOT/Cargo.toml" >&2
JOTTER="$ROOT/target/release/jotter"

wait_port() {
    for _ in $(seq 100); do
        redis-cli -p "$1" PING >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    return 1
}

start_redis() { # fsync
    rm -rf "$WORK/redis" && mkdir -p "$WORK/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly yes \
        --appendfsync "$1" --dir "$WORK/redis" --daemonize no --logfile "$WORK/redis.log" &
    PIDS+=($!)
    wait_port "$REDIS_PORT"
}

start_jotter() { # fsync
    rm -rf "$WORK/jotter" && mkdir -p "$WORK/jotter"
    "$JOTTER" serve --port "$JOTTER_PORT" --admin-port 0 --data-dir "$WORK/jotter" \
        --fsync "$1" >"$WORK/jotter.out" 2>"$WORK/jotter.log" &
    PIDS+=($!)
    wait_port "$JOTTER_PORT"
}

stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
}

# Prints "SET GET INCR" requests per second for one run.
bench() { # port pipeline
    redis-benchmark -p "$1" -t set,get,incr -n "$REQUESTS" -r "$KEYSPACE" -c "$CLIENTS" \
        -P "$2" -q 2>/dev/null | tr '\r' '\n' |
        awk '/requests per second/ { sub(":", "", $1); rps[$1] = $2 }
             END { printf "%s %s %s\n", rps["SET"], rps["GET"], rps["INCR"] }'
}

printf '# %s requests, %s keys, %s clients; requests per second\n' "$REQUESTS" "$KEYSPACE" "$CLIENTS"
printf '%-9s %-3s %-5s %12s %12s %12s %12s %7s\n' fsync P cmd redis-A jotter-A redis-B jotter-B ratio
for fsync in everysec always; do
    for pipeline in 1 16; do
        declare -A r1 j1 r2 j2
        for round in 1 2; do
            start_redis "$fsync"
            read -r s g i < <(bench "$REDIS_PORT" "$pipeline")
            stop_all
            start_jotter "$fsync"
            read -r js jg ji < <(bench "$JOTTER_PORT" "$pipeline")
            stop_all
            if [ "$round" = 1 ]; then
                r1=([SET]=$s [GET]=$g [INCR]=$i); j1=([SET]=$js [GET]=$jg [INCR]=$ji)
            else
                r2=([SET]=$s [GET]=$g [INCR]=$i); j2=([SET]=$js [GET]=$jg [INCR]=$ji)
            fi
        done
        for cmd in SET GET INCR; do
            ratio=$(awk -v a="${r1[$cmd]}" -v b="${j1[$cmd]}" -v c="${r2[$cmd]}" -v d="${j2[$cmd]}" \
                'BEGIN { printf "%.2f", (b + d) / (a + c) }')
            printf '%-9s %-3s %-5s %12s %12s %12s %12s %6sx\n' "$fsync" "$pipeline" "$cmd" \
                "${r1[$cmd]}" "${j1[$cmd]}" "${r2[$cmd]}" "${j2[$cmd]}" "$ratio"
        done
    done
done
