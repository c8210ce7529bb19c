"""The fault scenarios of the scale-out harness, one fault each, selectable
by name (`run.sh NAME`, or `all`). Each starts a whole cluster
(`topology.py`), runs the load driver through both front ends, injects its
fault during the load, drains with `JOTTER.FLUSH` and checks PostgreSQL
against every acknowledged write (`load.py`). It prints one `RESULT` line
(acknowledged, found, lost, unexpected, drain time) and exits 1 when a
scenario that must lose nothing lost or invented something.
"""

import os
import signal
import sys
import time

import redis

from load import Load, check, drain
from topology import Topology

CLAIM_IDLE = 3


def run(name, fault, fsync="always", seconds=12, must_hold=True, keys=500, **topology):
    t = Topology(JOTTER, fsync=fsync, claim_idle=f"{CLAIM_IDLE}s", **topology)
    try:
        load = Load(t, keys=keys).start()
        started = time.time()
        notes = fault(t) or {}
        time.sleep(max(0.0, seconds - (time.time() - started)))
        load.stop()
        drain_s = drain(t)
        result = check(load, t)
        sent, ok, errors = load.writes()
        extra = notes.pop("after", None)
        if extra:
            notes.update(extra(t) or {})
        line = (f"RESULT scenario={name} fsync={fsync} writes_sent={sent} writes_acked={ok} "
                f"write_errors={errors} ({load.error_kinds()}) keys_acked={result['acked']} found={result['found']} "
                f"lost={result['lost']} unexpected={result['unexpected']} "
                f"redis_differs={result['redis_differs']} drain_s={drain_s:.1f}")
        for k, v in notes.items():
            line += f" {k}={v}"
        print(line, flush=True)
        if result["lost"] or result["unexpected"]:
            print(f"  lost (key, last acked, stored): {result['lost_sample']}")
            print(f"  unexpected (key, stored): {result['unexpected_sample']}")
        bad = result["unexpected"] or result["redis_differs"] or (must_hold and result["lost"]) or notes.get("failed")
        return not bad
    finally:
        t.stop()


def worker_kill(t):
    time.sleep(3)
    t.workers[0].signal(signal.SIGKILL)
    return {"killed": "w0"}


def worker_stop(t):
    time.sleep(2)
    t.workers[0].signal(signal.SIGSTOP)
    time.sleep(CLAIM_IDLE + 3)
    t.workers[0].signal(signal.SIGCONT)
    return {"stopped_s": CLAIM_IDLE + 3}


def primary_kill(t):
    """The replicas and the workers frozen (SIGSTOP) for 1 s, so the primary
    alone holds the writes of that second (behind 24 MB written straight
    to it, which fill the replication sockets), then the primary killed and the
    others resumed: what the promoted replica lacks is what the failover
    loses. Under fsync = always no such write was acknowledged (WAIT 1 could
    not pass). The load goes on 1 s after the promotion, then stops (each
    writer has 20,000 keys: few keys are written again after the failover,
    so a loss stays visible)."""
    time.sleep(3)
    old = t.primary_index()
    frozen = [r for i, r in enumerate(t.redis) if i != old] + t.workers
    for p in frozen:
        p.signal(signal.SIGSTOP)
    # 24 MB the frozen replicas cannot take fill the sockets' buffers, so the
    # writes after it wait in the primary's own memory, which dies with it
    # (on loopback the kernel would otherwise hand them over after the kill).
    primary = t.primary()
    for i in range(3):
        primary.set(f"filler:{i}", b"x" * (8 << 20))
    time.sleep(1)
    t.redis[old].signal(signal.SIGKILL)
    for p in frozen:
        p.signal(signal.SIGCONT)
    killed = time.time()
    while True:
        try:
            if t.primary_index() != old:
                break
        except RuntimeError:
            pass
        time.sleep(0.1)
    failover = time.time() - killed
    time.sleep(1)

    def after(t):
        """The killed node started again: the Sentinels make it a replica."""
        t.restart_redis(old)
        started = time.time()
        node = redis.Redis(port=t.redis[old].port)
        while time.time() - started < 60:
            info = node.info("replication")
            if info.get("role") == "slave" and info.get("master_link_status") == "up":
                return {"rejoined_as_replica_s": f"{time.time() - started:.1f}"}
            time.sleep(0.2)
        return {"rejoined_as_replica_s": "never", "failed": True}

    return {"failover_s": f"{failover:.1f}", "killed": t.redis[old].name, "after": after}


def postgres_stop(t):
    time.sleep(2)
    t.pg_stop()
    time.sleep(30)
    t.pg_start()
    return {"pg_down_s": 30}


POISON_TABLE = "CREATE TABLE poison (id text PRIMARY KEY, v text NOT NULL CHECK (v NOT LIKE 'bad%'))"
POISON_CONFIG = """
[[mapping]]
keys = "p:*"
table = "poison"
key-column = "id"
kind = "string"
value-column = "v"
columns = { v = "text" }
"""


def poison(t):
    front = t.front(1)
    for i in range(200):
        front.set(f"p:ok:{i}", f"ok{i}")
        if i % 20 == 0:
            front.set(f"p:bad:{i}", f"bad{i}")

    def after(t):
        good = int(t.sql("SELECT count(*) FROM poison WHERE v LIKE 'ok%'")[0])
        bad = int(t.sql("SELECT count(*) FROM poison WHERE v LIKE 'bad%'")[0])
        dead = t.primary().xlen("{jotter}:dead")
        return {"mapped_ok_rows": f"{good}/200", "mapped_bad_rows": bad,
                "dead_letters": f"{dead}/10", "failed": good != 200 or bad != 0 or dead != 10}

    return {"after": after}


def sigterm_all(t):
    time.sleep(3)
    procs = t.workers + t.fronts
    for p in procs:
        p.signal(signal.SIGTERM)
    codes = []
    for p in procs:
        try:
            codes.append(p.popen.wait(timeout=20))
        except Exception:
            codes.append("hung")
    time.sleep(1)
    for i in range(len(t.fronts)):
        t.start_front(index=i)
    for i in range(len(t.workers)):
        t.start_worker(index=i)
    return {"exit_codes": ",".join(map(str, codes)),
            "failed": any(c != 0 for c in codes)}


SCENARIOS = {
    "worker-kill": lambda: run("worker-kill", worker_kill),
    "worker-stop": lambda: run("worker-stop", worker_stop, seconds=14),
    "primary-kill-wait": lambda: run("primary-kill-wait", primary_kill, seconds=0, keys=20000),
    "primary-kill-nowait": lambda: run("primary-kill-nowait", primary_kill, fsync="everysec",
                                       seconds=0, keys=20000, must_hold=False),
    "postgres-stop": lambda: run("postgres-stop", postgres_stop, seconds=36),
    "poison": lambda: run("poison", poison, max_deliveries=3, worker_config=POISON_CONFIG,
                          before_workers=lambda t: t.sql(POISON_TABLE)),
    "sigterm-all": lambda: run("sigterm-all", sigterm_all),
}


def checker_selftest():
    """The checker catches an injected loss: a short load, the drain, then one
    acknowledged row deleted and one row never written inserted."""
    t = Topology(JOTTER, fsync="everysec", claim_idle=f"{CLAIM_IDLE}s")
    try:
        load = Load(t).start()
        time.sleep(3)
        load.stop()
        drain(t)
        clean = check(load, t)
        key = next(iter(load.writers[0].acked))
        t.sql(f"DELETE FROM jotter_strings WHERE key = convert_to('{key}', 'UTF8')")
        t.sql("INSERT INTO jotter_strings (key, value, version) "
              "VALUES (convert_to('k9.9:1', 'UTF8'), convert_to('1', 'UTF8'), 1)")
        injected = check(load, t)
        ok = (clean["lost"], clean["unexpected"], injected["lost"], injected["unexpected"]) == (0, 0, 1, 1)
        print(f"RESULT scenario=checker-selftest keys_acked={clean['acked']} "
              f"before: lost={clean['lost']} unexpected={clean['unexpected']} "
              f"after deleting 1 row and inserting 1: lost={injected['lost']} "
              f"unexpected={injected['unexpected']} -> {'caught' if ok else 'MISSED'}", flush=True)
        return ok
    finally:
        t.stop()


SCENARIOS["checker-selftest"] = checker_selftest

if __name__ == "__main__":
    JOTTER = os.environ["JOTTER_BIN"]
    names = sys.argv[1:] or ["all"]
    if names == ["all"]:
        names = list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario {unknown}; one of: all {' '.join(SCENARIOS)}")
    failed = [n for n in names if not SCENARIOS[n]()]
    if failed:
        sys.exit(f"FAILED: {' '.join(failed)}")
