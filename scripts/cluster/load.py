"""The load driver and the checker of the fault harness.

The driver writes `SET key seq` through every front end, one writer thread
per key range (a key has exactly one writer, so "its last acknowledged
value" is well defined); each value is the writer's sequence number, which
only grows. It records, per key, the last acknowledged sequence number and
every one sent after it without an answer (a write whose reply was lost in
a failover may still have been applied).

The checker, after the drain (`JOTTER.FLUSH` on a front end), reads what
PostgreSQL holds and guarantees to report: an acknowledged key missing, or
holding a value older than its last acknowledged one, as lost; a row for a
key never written, or with a value never sent, as unexpected; a key whose
value in Redis (read through a front end) is not the stored one, as
differing.
"""

import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


class Writer(threading.Thread):
    def __init__(self, host, port, prefix, keys):
        super().__init__(daemon=True)
        self.host, self.port, self.prefix, self.keys = host, port, prefix, keys
        self.acked = {}  # key -> last acknowledged seq
        self.unacked = {}  # key -> seqs sent after it without an answer
        self.errors = 0
        self.kinds = {}  # error class and first word -> count
        self.ok = 0
        self.seq = 0
        self.stopping = threading.Event()

    def run(self):
        client = None
        while not self.stopping.is_set():
            key = f"{self.prefix}:{self.seq % self.keys}"
            self.seq += 1
            try:
                if client is None:
                    # No retries inside the client: a failed attempt must be seen here.
                    client = redis.Redis(host=self.host, port=self.port, socket_timeout=5, socket_connect_timeout=2,
                                         retry=Retry(NoBackoff(), 0))
                client.set(key, str(self.seq))
                self.acked[key] = self.seq
                self.ok += 1
                self.unacked.pop(key, None)
            except (redis.RedisError, OSError) as e:
                self.errors += 1
                kind = f"{type(e).__name__}:{str(e).split(' ')[0]}"
                self.kinds[kind] = self.kinds.get(kind, 0) + 1
                self.unacked.setdefault(key, set()).add(self.seq)
                client = None
                time.sleep(0.05)


class Load:
    """Writers on every front end of `topology`, `per_front` on each."""

    def __init__(self, topology, per_front=2, keys=500, prefix="k"):
        self.writers = [
            Writer(f.host, f.port, f"{prefix}{i}.{j}", keys)
            for i, f in enumerate(topology.fronts)
            for j in range(per_front)
        ]

    def start(self):
        for w in self.writers:
            w.start()
        return self

    def stop(self):
        for w in self.writers:
            w.stopping.set()
        for w in self.writers:
            w.join()

    def acked(self):
        return sum(len(w.acked) for w in self.writers)

    def error_kinds(self):
        """The errors the writers got, as 'Class:FirstWord=count,...'."""
        total = {}
        for w in self.writers:
            for k, n in w.kinds.items():
                total[k] = total.get(k, 0) + n
        return ",".join(f"{k}={n}" for k, n in sorted(total.items())) or "none"

    def writes(self):
        """(writes sent, acknowledged, answered with an error)."""
        return (sum(w.seq for w in self.writers), sum(w.ok for w in self.writers),
                sum(w.errors for w in self.writers))


def drain(topology, limit=300):
    """JOTTER.FLUSH through a front end that answers; seconds it took."""
    start = time.time()
    while True:
        for i in range(len(topology.fronts)):
            if not topology.fronts[i].alive():
                continue
            try:
                topology.front(i).execute_command("JOTTER.FLUSH")
                return time.time() - start
            except (redis.RedisError, OSError) as e:
                last = e
        if time.time() - start > limit:
            raise RuntimeError(f"the drain did not end in {limit}s: {last}")
        time.sleep(0.5)


def stored(topology, prefix):
    """key -> value of the string keys under `prefix` in PostgreSQL."""
    rows = topology.sql(
        "SELECT convert_from(key, 'UTF8') || '|' || convert_from(value, 'UTF8') "
        f"FROM jotter_strings WHERE key >= '\\x{prefix.encode().hex()}'::bytea")
    return dict(r.split("|", 1) for r in rows if r.startswith(prefix))


def check(load, topology, prefix="k"):
    """Compares PostgreSQL with what was acknowledged; the counts."""
    rows = stored(topology, prefix)
    acked, found, lost, unexpected = 0, 0, [], []
    sent = {}
    for w in load.writers:
        for key, seq in w.acked.items():
            acked += 1
            value = rows.get(key)
            ok = value is not None and value.isdigit() and (
                int(value) == seq or int(value) in w.unacked.get(key, ()))
            if ok:
                found += 1
            else:
                lost.append((key, seq, value))
        for key, seqs in w.unacked.items():
            if key not in w.acked:
                sent[key] = seqs
    known = {k for w in load.writers for k in w.acked}
    for key, value in rows.items():
        if key in known:
            continue
        if key not in sent or not value.isdigit() or int(value) not in sent[key]:
            unexpected.append((key, value))
    differs = redis_differs(topology, rows, {k for w in load.writers for k in w.acked})
    return {"acked": acked, "found": found, "redis_differs": differs, "lost": len(lost), "unexpected": len(unexpected),
            "lost_sample": lost[:5], "unexpected_sample": unexpected[:5]}


def redis_differs(topology, rows, keys):
    """Keys whose value read through a front end is not the one PostgreSQL
    holds, over `keys` and every stored row: after the drain the two agree."""
    front = next(i for i, f in enumerate(topology.fronts) if f.alive())
    client = topology.front(front)
    names = sorted(set(keys) | set(rows))
    differs = 0
    for start in range(0, len(names), 1000):
        chunk = names[start:start + 1000]
        for key, value in zip(chunk, client.mget(chunk)):
            if (value.decode() if value is not None else None) != rows.get(key):
                differs += 1
    return differs
