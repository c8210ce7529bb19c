#!/usr/bin/env bash
# A PostgreSQL outage under load, measured: the release server writes behind
# into a private PostgreSQL cluster on an ephemeral port; the cluster is
# stopped, redis-benchmark drives SETs for the whole outage, the cluster is
# started again, and the script prints what the outage cost and how the
# server recovered:
#   - RSS of the server per pending key (RSS from /proc/PID/status against
#     pending_entries from INFO writebehind), queue depth, oldest pending age;
#   - the time from the restore (PostgreSQL accepting connections again) to
#     the first batch flushed, and to the backlog drained;
#   - that nothing was lost: 50,000 numbered keys written during the outage
#     are all rows, and the rows equal DBSIZE.
#
# Usage: scripts/outage.sh [OUTAGE_SECONDS=60] [CLIENTS=50]
# Needs: initdb/pg_ctl (/usr/lib/postgresql/*/bin), psql, redis-benchmark,
# redis-cli. Run as root, the cluster runs as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTAGE="${1:-60}"
CLIENTS="${2:-50}"
MARKED=50000

PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "building the release server..." >&2
cargo build -q -p jotter-server --release
BIN="${CARGO_TARGET_DIR:-target}/release/jotter"

WORK="$(mktemp -d /tmp/jotter-outage.XXXXXX)"
chmod 755 "$WORK"
PGDATA="$WORK/pg"
mkdir -p "$PGDATA" && [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
PGPORT="$(free_port)"; PORT="$(free_port)"; ADMIN="$(free_port)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust >/dev/null
pg_start() {
    pg "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/log" \
        -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1" start >/dev/null
}
pg_start
URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
sql() { psql -X -q -A -t "$URL" -c "$1"; }

"$BIN" serve --port "$PORT" --admin-port "$ADMIN" --data-dir "$WORK/data" \
    --store "$URL" >"$WORK/stdout" 2>"$WORK/server.log" &
SERVER_PID=$!
until grep -q listening "$WORK/stdout" 2>/dev/null; do sleep 0.1; done

info() { redis-cli -p "$PORT" INFO writebehind | tr -d '\r' | awk -F: -v k="$1" '$1==k {print $2}'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b-a}'; }

echo "outage: ${OUTAGE}s, redis-benchmark -t set -d 64 -r 200000 -c $CLIENTS" >&2
pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null
START=$(now)
timeout "$OUTAGE" redis-benchmark -p "$PORT" -t set -d 64 -r 200000 -n 1000000000 \
    -c "$CLIENTS" -q >"$WORK/bench" 2>&1 || true
seq 1 "$MARKED" | awk '{printf "*3\r\n$3\r\nSET\r\n$%d\r\noutage:%d\r\n$1\r\nv\r\n", length("outage:" $1), $1}' \
    | redis-cli -p "$PORT" --pipe >/dev/null
OUTAGE_TOOK=$(since "$START")

PENDING=$(info pending_entries)
PENDING_BYTES=$(info pending_bytes)
OLDEST=$(info oldest_pending_age_ms)
ACCEPTED=$(info writes_accepted)
RSS=$(rss_kb)
STORE_UP=$(info store_up)
BEFORE=$(info store_writes)

pg_start
RESTORED=$(now)
until [ "$(info store_writes)" -gt "$BEFORE" ]; do sleep 0.02; done
FIRST=$(since "$RESTORED")
until [ "$(info pending_entries)" = 0 ]; do sleep 0.1; done
DRAINED=$(since "$RESTORED")

ROWS=$(sql "SELECT count(*) FROM jotter_strings")
MARKED_ROWS=$(sql "SELECT count(*) FROM jotter_strings WHERE key >= 'outage:'::bytea AND key < 'outage;'::bytea")
DBSIZE=$(redis-cli -p "$PORT" DBSIZE | tr -d '\r')
OUTAGE_LINES=$(grep -c "unavailable" "$WORK/server.log" || true)

echo "--- PostgreSQL outage of ${OUTAGE_TOOK}s under redis-benchmark -c $CLIENTS (release build)"
awk -v n="$ACCEPTED" -v t="$OUTAGE_TOOK" 'BEGIN {
    printf "writes accepted:             %d (%.0f a second through the outage)\n", n, n/t }'
echo "store_up during the outage:  $STORE_UP"
echo "pending at the end:          $PENDING entries, $PENDING_BYTES bytes counted"
echo "oldest pending age:          ${OLDEST} ms"
echo "RSS at the end:              $((RSS / 1024)) MB"
awk -v r="$RSS" -v p="$PENDING" -v b="$PENDING_BYTES" 'BEGIN {
    printf "RSS per pending key:         %.0f bytes (counted %.0f bytes per key)\n", r*1024/p, b/p }'
echo "restore -> first batch:      ${FIRST} s"
echo "restore -> backlog drained:  ${DRAINED} s"
echo "rows in PostgreSQL:          $ROWS (DBSIZE $DBSIZE)"
echo "numbered keys landed:        $MARKED_ROWS of $MARKED"
echo "log lines about the outage:  $OUTAGE_LINES"
if [ "$MARKED_ROWS" = "$MARKED" ] && [ "$ROWS" = "$DBSIZE" ]; then
    echo "nothing lost"
else
    echo "LOST WRITES" && exit 1
fi
