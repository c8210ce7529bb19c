"""deploy/compose.yaml run as written, on a machine without a container
engine: each service of the file runs its own command, with its own
environment, dependencies and restart policy, in a network namespace of its
own on one bridge, where every service's name resolves to its address
(/etc/netns/NS/hosts), as on compose's default network. Each service has a
private /tmp and works in a directory of its own.

The images are replaced by this machine's programs: `redis:7.0` by
redis-server, `postgres:15` by this machine's PostgreSQL (initialised as the
image does from POSTGRES_PASSWORD and POSTGRES_DB), and the Jotter image by
JOTTER_BIN (the image's entrypoint is `jotter`). Not exercised: the image
build (deploy/Dockerfile), published ports (the load reaches each front end
at its service address) and volumes kept across runs.

The check: writers through both front ends (load.py), a flush worker killed
with SIGKILL mid-load (its restart policy brings it back, as compose
would), then the Redis primary stopped as `docker compose stop` stops it
(SIGTERM, not restarted), so the Sentinels fail over by host name; then the
drain (JOTTER.FLUSH) and PostgreSQL compared with every acknowledged write.
It also checks that each front end's admin port asks for the token the file
gives it. One RESULT line; exit 1 on a lost or invented write.

Needs root (network namespaces). Everything it made, it removes at exit.
"""

import atexit
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import redis
import yaml

from load import Load, check, drain
from topology import pg_bin, wait_port

HERE = os.path.dirname(os.path.abspath(__file__))
COMPOSE = os.path.join(HERE, "..", "..", "deploy", "compose.yaml")
BRIDGE = "jcbr0"
NET = "10.231.0"
PREFIX = "jc-"


def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def interpolate(value, env):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$."""
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if not isinstance(value, str):
        return value

    def one(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        got = env.get(name)
        if op == ":-" and not got:
            return arg
        if op == ":?" and not got:
            raise SystemExit(f"compose.yaml: {name}: {arg}")
        return got or ""

    value = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}", one, value)
    return value.replace("$$", "$")


def order(services):
    """Service names, each after what it depends on."""
    done, out = set(), []

    def visit(name):
        if name in done:
            return
        done.add(name)
        deps = services[name].get("depends_on") or []
        for dep in (deps if isinstance(deps, list) else list(deps)):
            visit(dep)
        out.append(name)

    for name in services:
        visit(name)
    return out


class Service:
    """One service: its namespace, address, command and restart loop."""

    def __init__(self, run, name, spec, index):
        self.run, self.name, self.spec = run, name, spec
        self.ns = PREFIX + name
        self.host = f"{NET}.{10 + index}"
        self.index = index
        self.dir = os.path.join(run.dir, name)
        os.makedirs(self.dir)
        self.popen = None
        self.restarts = -1
        self.stopping = False
        self.port = 6380  # a front end's RESP port, for load.py

    def command(self):
        command = self.spec.get("command") or []
        return shlex.split(command) if isinstance(command, str) else command

    def is_jotter(self):
        return "build" in self.spec or self.spec.get("image", "").startswith("jotter")

    def argv(self):
        command = self.command()
        image = self.spec.get("image", "")
        if self.is_jotter():
            return [self.run.jotter] + command
        if image.startswith("redis:"):
            return command or ["redis-server"]
        raise SystemExit(f"compose.yaml: {self.name}: no stand-in for image {image!r}")

    def env(self):
        env = self.spec.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        base = {"PATH": os.environ["PATH"], "HOME": self.dir, "JOTTER_LOG": "info"}
        return dict(base, **{k: str(v) for k, v in env.items()})

    def spawn(self, argv, env=None, user=None):
        # `ip netns exec` gives the command a mount namespace of its own:
        # /tmp there is private, the hosts file is the namespace's.
        inner = 'mount -t tmpfs tmpfs /tmp && cd "$0" && exec "$@"'
        if user:
            # setpriv execs (runuser would stay the parent, and a kill of it
            # would leave the server running).
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"] + argv
        log = open(os.path.join(self.dir, "out.log"), "ab")
        return subprocess.Popen(["ip", "netns", "exec", self.ns, "sh", "-c", inner, self.dir] + argv,
                                stdout=log, stderr=log, env=env or self.env())

    def start(self):
        if self.spec.get("image", "").startswith("postgres:"):
            self.start_postgres()
            return
        threading.Thread(target=self.supervise, daemon=True).start()

    def supervise(self):
        policy = self.spec.get("restart", "no")
        while not self.stopping:
            self.popen = self.spawn(self.argv())
            self.restarts += 1
            code = self.popen.wait()
            if self.stopping or policy == "no" or (policy == "on-failure" and code == 0):
                return
            time.sleep(1)

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """`docker compose stop`: the signal, and no restart."""
        self.stopping = True
        if self.alive():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    # What the postgres image's entrypoint does, with this machine's server.
    def start_postgres(self):
        env = self.env()
        self.pg_password = env.get("POSTGRES_PASSWORD", "")
        self.pg_db = env.get("POSTGRES_DB", "postgres")
        data = os.path.join(self.dir, "data")
        pw = os.path.join(self.dir, "pw")
        with open(pw, "w") as f:
            f.write(self.pg_password + "\n")
        shutil.chown(self.dir, "postgres", "postgres")
        shutil.chown(pw, "postgres", "postgres")
        subprocess.run(["runuser", "-u", "postgres", "--", pg_bin("initdb"), "-D", data, "-U",
                        "postgres", f"--pwfile={pw}", "--auth-local=trust",
                        "--auth-host=scram-sha-256", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = '*'\nport = 5432\nunix_socket_directories = '{self.dir}'\n")
        with open(os.path.join(data, "pg_hba.conf"), "a") as f:
            f.write("host all all all scram-sha-256\n")
        self.popen = self.spawn([pg_bin("postgres"), "-D", data], env={"PATH": os.environ["PATH"]},
                                user="postgres")
        wait_port(5432, self.name, host=self.host)
        if self.pg_db != "postgres":
            self.psql("postgres", f'CREATE DATABASE "{self.pg_db}"')

    def psql(self, db, text):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                              "-U", "postgres", "-d", db, "-c", text],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql refused {text[:80]!r}: {out.stderr.strip()}")
        return [line for line in out.stdout.splitlines() if line]


class ComposeRun:
    """The file's services on one bridge; what load.py needs of a cluster."""

    def __init__(self, jotter):
        self.jotter = jotter
        # Not under /tmp, which each service gets empty.
        self.dir = tempfile.mkdtemp(prefix="jotter-compose-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        self.env = dict(os.environ)
        self.env.setdefault("JOTTER_ADMIN_TOKEN", secrets.token_hex(16))
        with open(COMPOSE) as f:
            spec = yaml.safe_load(f)
        services = {k: interpolate(v, self.env) for k, v in spec["services"].items()}
        self.services = {name: Service(self, name, services[name], i)
                         for i, name in enumerate(order(services))}
        self.stopped = False
        atexit.register(self.stop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda s, _f: (self.stop(), sys.exit(128 + s)))
        self.network()
        for service in self.services.values():
            service.start()

    def network(self):
        self.unnetwork()
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{NET}.1/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        hosts = "127.0.0.1 localhost\n" + "".join(
            f"{s.host} {s.name}\n" for s in self.services.values())
        for s in self.services.values():
            os.makedirs(f"/etc/netns/{s.ns}", exist_ok=True)
            with open(f"/etc/netns/{s.ns}/hosts", "w") as f:
                f.write(hosts)
            outer, inner = f"jcv{s.index}", f"jcp{s.index}"
            sh("ip", "netns", "add", s.ns)
            sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
            sh("ip", "link", "set", outer, "master", BRIDGE, "up")
            sh("ip", "link", "set", inner, "netns", s.ns)
            sh("ip", "-n", s.ns, "addr", "add", f"{s.host}/24", "dev", inner)
            sh("ip", "-n", s.ns, "link", "set", inner, "up")
            sh("ip", "-n", s.ns, "link", "set", "lo", "up")

    def unnetwork(self):
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        for line in listed.splitlines():
            ns = line.split()[0] if line.split() else ""
            if ns.startswith(PREFIX):
                sh("ip", "netns", "del", ns, check=False)
                shutil.rmtree(f"/etc/netns/{ns}", ignore_errors=True)
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        for name in re.findall(r"^\d+: (jcv\d+)@", links, re.M):
            sh("ip", "link", "del", name, check=False)
        sh("ip", "link", "del", BRIDGE, check=False)

    def jotters(self, subcommand):
        return [s for s in self.services.values()
                if s.is_jotter() and s.command()[:1] == [subcommand]]

    @property
    def fronts(self):
        return self.jotters("serve")

    @property
    def workers(self):
        return self.jotters("worker")

    def primary_name(self):
        """The host name the Sentinels give for the primary now."""
        for s in self.services.values():
            if s.name.startswith("sentinel"):
                try:
                    return redis.Redis(host=s.host, port=26379, socket_timeout=5).execute_command(
                        "SENTINEL", "get-master-addr-by-name", "jotter")[0].decode()
                except (redis.RedisError, OSError):
                    continue
        return "none"

    def front(self, i=0):
        return redis.Redis(host=self.fronts[i].host, port=6380, socket_timeout=30)

    def sql(self, text):
        pg = self.services["postgres"]
        return pg.psql(pg.pg_db, text)

    def stop(self):
        if self.stopped:
            return
        for service in reversed(list(self.services.values())):
            try:
                service.stop(signal.SIGKILL)
            except Exception as e:  # keep stopping the others
                print(f"cannot stop {service.name}: {e}", file=sys.stderr)
        self.stopped = True
        self.unnetwork()
        if os.environ.get("JOTTER_KEEP_CLUSTER_DIR"):
            print(f"logs kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def admin_token_checked(run):
    """Each front end's /metrics: 401 without the token, 200 with it."""
    token = run.env["JOTTER_ADMIN_TOKEN"]
    for front in run.fronts:
        url = f"http://{front.host}:9380/metrics"
        try:
            urllib.request.urlopen(url, timeout=5)
            return False
        except urllib.error.HTTPError as e:
            if e.code != 401:
                return False
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as reply:
            if reply.status != 200 or b"jotter_" not in reply.read():
                return False
    return True


def main():
    jotter = os.environ["JOTTER_BIN"]
    run = ComposeRun(jotter)
    for front in run.fronts:
        wait_port(6380, front.name, limit=60, host=front.host)
    load = Load(run, keys=500, prefix="c").start()
    time.sleep(4)
    worker = run.workers[0]
    worker.popen.send_signal(signal.SIGKILL)
    time.sleep(4)
    primary = run.services["redis-1"]
    primary.stop()
    # Sentinel's down-after (5 s), the failover, and writes on the new primary.
    time.sleep(20)
    load.stop()
    drain_s = drain(run)
    result = check(load, run, prefix="c")
    sent, ok, errors = load.writes()
    token_ok = admin_token_checked(run)
    print(f"RESULT compose services={len(run.services)} writes_sent={sent} writes_acked={ok} "
          f"write_errors={errors} ({load.error_kinds()}) keys_acked={result['acked']} "
          f"found={result['found']} lost={result['lost']} unexpected={result['unexpected']} "
          f"redis_differs={result['redis_differs']} drain_s={drain_s:.1f} "
          f"worker_restarts={worker.restarts} primary_after={run.primary_name()} "
          f"admin_token={'checked' if token_ok else 'FAILED'}", flush=True)
    bad = result["lost"] or result["unexpected"] or result["redis_differs"] or not token_ok
    run.stop()
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
