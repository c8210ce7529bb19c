#!/usr/bin/env python3
"""Opens CONNECTIONS connections to a running server at once (non-blocking
connects, all started before any completes) and prints how long the slowest
took to be established: a connection that finds the listen queue
(`tcp-backlog`) full is retried by the kernel after a second.

    jotter serve --tcp-backlog 128 --port 6380 &
    scripts/connect-burst.py [port] [connections] [rounds]
"""

import errno
import selectors
import socket
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 6380
CONNECTIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 400
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def burst():
    sel = selectors.DefaultSelector()
    started = {}
    start = time.monotonic()
    for _ in range(CONNECTIONS):
        s = socket.socket()
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", PORT))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, "connect")
        started[s] = time.monotonic()
        sel.register(s, selectors.EVENT_WRITE)
    slowest = 0.0
    left = CONNECTIONS
    while left:
        for key, _ in sel.select(timeout=10):
            s = key.fileobj
            sel.unregister(s)
            slowest = max(slowest, time.monotonic() - started[s])
            left -= 1
    took = time.monotonic() - start
    for s in started:
        s.close()
    return slowest, took


def main():
    worst = []
    for _ in range(ROUNDS):
        slowest, _ = burst()
        worst.append(slowest)
        time.sleep(0.5)
    print(
        f"{CONNECTIONS} connections at once, {ROUNDS} rounds: slowest connect per round "
        + ", ".join(f"{w * 1000:.0f} ms" for w in worst)
    )


if __name__ == "__main__":
    main()
