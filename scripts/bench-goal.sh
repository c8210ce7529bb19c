#!/usr/bin/env bash
# Jotter against redis-server, and write-behind against write-through into
# PostgreSQL, each in one run of `jotter bench`. Not part of the test run;
# results go to docs/BENCHMARKS.md.
#
#   scripts/bench-goal.sh [OUT] [DURATION] [ROUNDS]     (default bench-goal 10s 3)
#   scripts/bench-goal.sh /tmp/goal 2s 1                (a short run)
#   PG=postgres://postgres@127.0.0.1:5432/test scripts/bench-goal.sh
#
# 1. OUT/redis: SET, GET, INCR, HSET (one hash), ZADD (one sorted set) and
#    MULTI/EXEC of two SETs, at -P 1 and -P 16, 50 clients, 64-byte values,
#    keys over 100,000, at fsync always, everysec and no: the bench starts
#    redis-server (appendonly yes at that appendfsync; appendonly no for
#    `no`) and Jotter (--fsync of the level, SQLite) afresh for each level,
#    and runs them A B A B for ROUNDS rounds of DURATION per row.
# 2. OUT/postgres: SET at -P 1 and -P 16, 50 clients, on a Jotter server
#    whose store is PostgreSQL (the schema jotter_bench of PG, made afresh),
#    write-behind against JOTTER.THROUGH SET (--through), A B A B.
# 3. OUT/stores: SET at -P 1 and -P 16 on two Jotter servers side by side,
#    one on SQLite, one on PostgreSQL, each also written through: does
#    flushing into PostgreSQL slow the front? The report names each server
#    by its address; the script prints which store is at which.
#
# Each folder gets REPORT.md (tables, ratios, plots) and results.json; the
# ratio tables are printed at the end. Needs redis-server on PATH, psql for
# part 2 (skipped, said loudly, when PG cannot be reached); builds the
# release binary unless JOTTER_BIN names one.
set -euo pipefail

out=${1:-bench-goal}
duration=${2:-10s}
rounds=${3:-3}
pg=${PG:-postgres://postgres@127.0.0.1:5432/test}
schema=jotter_bench
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=release-binary.sh
source "$root/scripts/release-binary.sh"

common=(-c 50 -d 64 -r 100000 --duration "$duration" --rounds "$rounds")
mkdir -p "$out/redis" "$out/postgres" "$out/stores"

"$bin" bench --start jotter,redis --fsync always,everysec,no \
    --workload set,get,incr,hset,zadd,multi -P 1,16 "${common[@]}" \
    --report "$out/redis" --json >"$out/redis/results.json"

if psql "$pg" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null; then
    "$bin" bench --start jotter --store "$pg?options=-csearch_path%3D$schema" --through \
        --workload set -P 1,16 "${common[@]}" \
        --report "$out/postgres" --json >"$out/postgres/results.json"
    # Part 3: the script starts both servers (the bench starts one Jotter).
    pids=() dirs=()
    trap 'kill "${pids[@]}" 2>/dev/null || true; wait; rm -rf "${dirs[@]}"' EXIT
    start() { # STORE VAR: starts a server on STORE, sets VAR to its RESP port
        local dir
        dir=$(mktemp -d)
        dirs+=("$dir")
        "$bin" serve --port 0 --admin-port 0 --fsync everysec --data-dir "$dir/data" \
            --store "$1" >"$dir/out" 2>"$dir/log" &
        pids+=($!)
        for _ in $(seq 100); do
            grep -q 'resp=' "$dir/out" 2>/dev/null && break
            sleep 0.1
        done
        printf -v "$2" '%s' "$(sed -n 's/.*resp=[^ ]*:\([0-9]*\).*/\1/p' "$dir/out")"
    }
    psql "$pg" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
    start "sqlite:jotter.db" sqlite_port
    start "$pg?options=-csearch_path%3D$schema" pg_port
    echo "stores: SQLite at 127.0.0.1:$sqlite_port, PostgreSQL at 127.0.0.1:$pg_port" | tee "$out/stores/PORTS"
    "$bin" bench --target "jotter=127.0.0.1:$sqlite_port" --target "jotter=127.0.0.1:$pg_port" \
        --through --workload set -P 1,16 "${common[@]}" \
        --report "$out/stores" --json >"$out/stores/results.json"
else
    echo "!!!!! SKIPPED: write-behind against write-through: PostgreSQL at $pg is unreachable" >&2
    rm -rf "$out/postgres" "$out/stores"
fi

for report in "$out"/*/REPORT.md; do
    echo "== $report"
    # The ratio table: from its heading to the next one.
    sed -n '/^## Ratios/,/^## [^R]/p' "$report" | sed '$d'
done
