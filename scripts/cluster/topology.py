"""A whole scale-out cluster on this machine, on free ports, for the fault
harness: 3 redis-server (a primary and 2 replicas: appendonly yes,
min-replicas-to-write 1, noeviction), 3 Sentinels, a private PostgreSQL
(initdb into a temporary directory, pg_ctl on a free port, so stopping it
never touches another PostgreSQL), the `jotter serve --cluster` front ends
and the `jotter worker` pool.

Guarantee: `Topology.stop()` (also run at exit and on SIGINT/SIGTERM) stops
every process this module started and removes the temporary directory,
whatever happened before. It never touches a process it did not start.
"""

import atexit
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

MASTER = "jotter"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    """A port free now (the kernel's pick); 6379, 6380, 9380, 5432 never."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in (6379, 6380, 9380, 5432):
            return port


def wait_port(port, what, limit=20.0, host="127.0.0.1"):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} in {limit}s")


def pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"no {name} under /usr/lib/postgresql/*/bin: install PostgreSQL")
    return found[-1]


class Proc:
    """One process this harness started (its Popen and what it is)."""

    host = "127.0.0.1"

    def __init__(self, name, popen, port=None, admin=None):
        self.name, self.popen, self.port, self.admin = name, popen, port, admin

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.popen.pid, sig)


class Topology:
    def __init__(self, jotter, fsync="always", fronts=2, workers=3, claim_idle="3s",
                 max_deliveries=5, worker_config=None, before_workers=None):
        self.jotter = jotter
        self.fsync = fsync
        self.claim_idle = claim_idle
        self.max_deliveries = max_deliveries
        self.worker_config = worker_config  # TOML text for the workers, or None
        self.dir = tempfile.mkdtemp(prefix="jotter-cluster-")
        os.chmod(self.dir, 0o755)
        self.redis, self.sentinels, self.fronts, self.workers = [], [], [], []
        self.pg = None
        self.pg_port = None
        self.stopped = False
        atexit.register(self.stop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        self._start_redis()
        self._start_sentinels()
        self._start_postgres()
        if before_workers:
            before_workers(self)
        for _ in range(fronts):
            self.start_front()
        for _ in range(workers):
            self.start_worker()

    def _on_signal(self, signum, _frame):
        self.stop()
        sys.exit(128 + signum)

    # --- Redis and Sentinel -------------------------------------------------

    def _start_redis(self):
        primary = None
        for i in range(3):
            port = free_port()
            d = os.path.join(self.dir, f"redis{i}")
            os.makedirs(d)
            conf = [
                f"port {port}", "bind 127.0.0.1", f"dir {d}", "appendonly yes",
                "appendfsync everysec", "save ''", "min-replicas-to-write 1",
                "min-replicas-max-lag 10", "maxmemory-policy noeviction",
                f"logfile {d}/redis.log",
            ]
            if primary is not None:
                conf.append(f"replicaof 127.0.0.1 {primary}")
            self._spawn_redis(f"redis{i}", d, conf, port)
            if primary is None:
                primary = port
        # Replicas in sync before anything writes.
        r = redis.Redis(port=primary)
        deadline = time.time() + 20
        while r.info("replication").get("min_slaves_good_slaves", 0) < 2:
            if time.time() > deadline:
                raise RuntimeError("the replicas did not connect to the primary")
            time.sleep(0.1)

    def _spawn_redis(self, name, d, conf, port, sentinel=False):
        path = os.path.join(d, "redis.conf")
        with open(path, "w") as f:
            f.write("\n".join(conf) + "\n")
        args = ["redis-server", path] + (["--sentinel"] if sentinel else [])
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc = Proc(name, p, port)
        (self.sentinels if sentinel else self.redis).append(proc)
        wait_port(port, name)
        return proc

    def restart_redis(self, i):
        """Starts redis node i again on its port and directory (after a kill)."""
        old = self.redis[i]
        d = os.path.join(self.dir, f"redis{i}")
        p = subprocess.Popen(["redis-server", os.path.join(d, "redis.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.redis[i] = Proc(old.name, p, old.port)
        wait_port(old.port, old.name)

    def _start_sentinels(self):
        primary = self.redis[0].port
        for i in range(3):
            port = free_port()
            d = os.path.join(self.dir, f"sentinel{i}")
            os.makedirs(d)
            conf = [
                f"port {port}", "bind 127.0.0.1", f"dir {d}", f"logfile {d}/sentinel.log",
                f"sentinel monitor {MASTER} 127.0.0.1 {primary} 2",
                f"sentinel down-after-milliseconds {MASTER} 1000",
                f"sentinel failover-timeout {MASTER} 10000",
                f"sentinel parallel-syncs {MASTER} 1",
            ]
            self._spawn_redis(f"sentinel{i}", d, conf, port, sentinel=True)

    def url(self):
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis-sentinel://{MASTER}@{hosts}"

    def primary_index(self):
        """The index of the node the Sentinels name as primary now."""
        for s in self.sentinels:
            try:
                host, port = redis.Redis(port=s.port).execute_command(
                    "SENTINEL", "get-master-addr-by-name", MASTER)
                port = int(port)
                return next(i for i, r in enumerate(self.redis) if r.port == port)
            except Exception:
                continue
        raise RuntimeError("no Sentinel answers")

    def primary(self):
        return redis.Redis(port=self.redis[self.primary_index()].port)

    # --- PostgreSQL -----------------------------------------------------------

    def _start_postgres(self):
        d = os.path.join(self.dir, "pg")
        os.makedirs(d)
        shutil.chown(d, "postgres", "postgres") if os.geteuid() == 0 else None
        self.pg_dir = d
        self.pg_port = free_port()
        self._as_pg([pg_bin("initdb"), "-D", f"{d}/data", "-A", "trust", "-U", "postgres",
                     "--no-sync"], quiet=True)
        with open(f"{d}/data/postgresql.conf", "a") as f:
            f.write(f"port = {self.pg_port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{d}'\nfsync = on\nmax_connections = 100\n")
        self.pg_start()

    def _as_pg(self, args, quiet=False):
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--"] + args
        out = subprocess.DEVNULL if quiet else None
        subprocess.run(args, check=True, stdout=out, stderr=out)

    def pg_start(self):
        self._as_pg([pg_bin("pg_ctl"), "-D", f"{self.pg_dir}/data", "-l",
                     f"{self.pg_dir}/pg.log", "-w", "start"], quiet=True)

    def pg_stop(self, mode="fast"):
        self._as_pg([pg_bin("pg_ctl"), "-D", f"{self.pg_dir}/data", "-m", mode, "-w", "stop"],
                    quiet=True)

    def store_url(self):
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/postgres"

    def sql(self, text):
        """Runs SQL in the private PostgreSQL; its rows, '|'-separated lines."""
        out = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.store_url(), "-c", text],
            capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql refused {text[:80]!r}: {out.stderr.strip()}")
        return [line for line in out.stdout.splitlines() if line]

    # --- Jotter -----------------------------------------------------------------

    def _spawn_jotter(self, name, args):
        log = open(os.path.join(self.dir, f"{name}.log"), "ab")
        env = dict(os.environ, JOTTER_LOG="info")
        p = subprocess.Popen([self.jotter] + args, stdout=subprocess.PIPE, stderr=log, env=env)
        line = p.stdout.readline().decode()
        words = dict(w.split("=", 1) for w in line.split() if "=" in w)
        if "admin" not in words:
            p.kill()
            raise RuntimeError(f"{name} did not start: {line!r}; see {log.name}")
        # Keep draining stdout so the process never blocks on it.
        threading.Thread(target=p.stdout.read, daemon=True).start()
        port = int(words["resp"].rsplit(":", 1)[1]) if "resp" in words else None
        return Proc(name, p, port, words["admin"])

    def start_front(self, index=None):
        i = len(self.fronts) if index is None else index
        port = free_port() if index is None else self.fronts[i].port
        proc = self._spawn_jotter(f"front{i}", [
            "serve", "--cluster", self.url(), "--port", str(port), "--admin-port", "0",
            "--fsync", self.fsync])
        if index is None:
            self.fronts.append(proc)
        else:
            self.fronts[i] = proc
        return proc

    def start_worker(self, index=None):
        i = len(self.workers) if index is None else index
        args = ["worker", "--cluster", self.url(), "--store", self.store_url(),
                "--consumer", f"w{i}", "--admin-port", "0", "--flush-interval", "100ms",
                "--claim-idle", self.claim_idle, "--max-deliveries", str(self.max_deliveries)]
        if self.worker_config:
            path = os.path.join(self.dir, "worker.toml")
            with open(path, "w") as f:
                f.write(self.worker_config)
            args += ["--config", path]
        proc = self._spawn_jotter(f"w{i}", args)
        if index is None:
            self.workers.append(proc)
        else:
            self.workers[i] = proc
        return proc

    def front(self, i=0):
        return redis.Redis(port=self.fronts[i].port, socket_timeout=30)

    # --- The end ------------------------------------------------------------------

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        procs = self.workers + self.fronts + self.sentinels + self.redis
        for p in procs:
            try:
                p.signal(signal.SIGCONT)
                p.signal(signal.SIGKILL)
                p.popen.wait(timeout=10)
            except Exception as e:  # keep stopping the others
                print(f"cannot stop {p.name}: {e}", file=sys.stderr)
        if self.pg_port is not None:
            try:
                self.pg_stop(mode="immediate")
            except Exception:
                pass  # already stopped
        if os.environ.get("JOTTER_KEEP_CLUSTER_DIR"):
            print(f"logs kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
