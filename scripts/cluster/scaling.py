"""Flush throughput of the worker pool: for 1, 2 and 4 workers, a fresh
cluster (topology.py) gets a fixed backlog of distinct keys through a front
end while no worker runs, then the workers start and the time until
`JOTTER.FLUSH` passes gives rows per second into PostgreSQL. Beside it, in
the same run and the same private PostgreSQL, the database's own ceiling
for the same rows: one client upserting them into a copy of the table in
one statement. Prints one RESULT line per measurement.
"""

import os
import subprocess
import sys
import time

from load import drain
from topology import Topology

JOTTER = os.environ["JOTTER_BIN"]
BACKLOG = int(os.environ.get("JOTTER_SCALING_KEYS", "50000"))
VALUE = "v" * 100


def fill(t):
    front = t.front(0)
    for start in range(0, BACKLOG, 1000):
        pipe = front.pipeline(transaction=False)
        for i in range(start, min(start + 1000, BACKLOG)):
            pipe.set(f"bk:{i}", VALUE)
        pipe.execute()


def measure(workers):
    t = Topology(JOTTER, fsync="everysec", fronts=1, workers=0)
    try:
        fill(t)
        started = time.time()
        for _ in range(workers):
            t.start_worker()
        drain(t)
        seconds = time.time() - started
        rows = int(t.sql("SELECT count(*) FROM jotter_strings WHERE key >= 'bk:'::bytea")[0])
        print(f"RESULT workers={workers} rows={rows} seconds={seconds:.1f} "
              f"rows_per_s={rows / seconds:.0f}", flush=True)
        if workers == 1:
            ceiling(t)
        return rows == BACKLOG
    finally:
        t.stop()


def ceiling(t):
    t.sql("CREATE TABLE ceiling (LIKE jotter_strings INCLUDING ALL)")
    sql = ("INSERT INTO ceiling (key, value, version) "
           "SELECT convert_to('bk:' || i, 'UTF8'), convert_to(repeat('v', 100), 'UTF8'), i "
           f"FROM generate_series(0, {BACKLOG - 1}) AS i "
           "ON CONFLICT ((substr(key, 1, 512)), "
           "(CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END)) DO UPDATE SET value = excluded.value, version = excluded.version "
           "WHERE ceiling.version < excluded.version")
    started = time.time()
    t.sql(sql)
    seconds = time.time() - started
    print(f"RESULT postgres-ceiling rows={BACKLOG} seconds={seconds:.2f} "
          f"rows_per_s={BACKLOG / seconds:.0f} (one client, one INSERT ... ON CONFLICT)", flush=True)


if __name__ == "__main__":
    counts = [int(n) for n in sys.argv[1:]] or [1, 2, 4]
    if not all([measure(n) for n in counts]):
        sys.exit("a run did not store every key of the backlog")
