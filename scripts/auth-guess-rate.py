#!/usr/bin/env python3
"""Measures how many wrong passwords one client address can try against a
running jotter: CONNECTIONS connections from 127.0.0.1 each pipeline 1000
`AUTH wrong` commands and wait SECONDS seconds; prints the passwords the
server checked (its auth_failures counter, INFO stats, read with the right
password from 127.0.0.2, which is not throttled) and the rate.

    jotter serve --requirepass right --port 6380 &
    scripts/auth-guess-rate.py [port] [seconds] [connections]
"""

import selectors
import socket
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 6380
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
CONNECTIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 50
GUESS = b"*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n"
PIPELINE = 1000


def info_stats():
    s = socket.create_connection(("127.0.0.1", PORT), source_address=("127.0.0.2", 0))
    s.sendall(b"*2\r\n$4\r\nAUTH\r\n$5\r\nright\r\n*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")
    data = b""
    s.settimeout(30)
    while b"auth_throttled" not in data:
        data += s.recv(65536)
    s.close()
    stats = {}
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("auth_"):
            key, _, value = line.partition(":")
            stats[key] = int(value)
    return stats


def main():
    sel = selectors.DefaultSelector()
    for _ in range(CONNECTIONS):
        s = socket.create_connection(("127.0.0.1", PORT))
        s.setblocking(False)
        s.sendall(GUESS * PIPELINE)
        sel.register(s, selectors.EVENT_READ)
    # The server answers a pipeline once it has run the whole read, so the
    # replies are not counted here: the server's own counter of failures is.
    start = time.monotonic()
    while time.monotonic() - start < SECONDS:
        for key, _ in sel.select(timeout=0.1):
            key.fileobj.recv(1 << 20)
    took = time.monotonic() - start
    stats = info_stats()
    failures = stats.get("auth_failures", 0)
    print(
        f"{failures} wrong passwords checked in {took:.1f} s over {CONNECTIONS} connections "
        f"from one address: {failures / took:.1f} guesses/s "
        f"(auth_failures={failures} auth_throttled={stats.get('auth_throttled')})"
    )


if __name__ == "__main__":
    main()
