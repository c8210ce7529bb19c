"""End-to-end check of pub/sub and client-side caching with redis-py.

Usage: pubsub_e2e.py HOST PORT. Exits 0 when every check passes; any
failure raises (a non-zero exit with the traceback). Exits 3 when redis-py
is not installed, so the caller can tell a skip from a failure.
"""

import sys
import time

try:
    import redis
except ImportError:
    sys.exit(3)

HOST, PORT = sys.argv[1], int(sys.argv[2])


def client(protocol=2, single=False):
    return redis.Redis(
        host=HOST, port=PORT, protocol=protocol, single_connection_client=single, socket_timeout=10
    )


def next_message(pubsub, kinds):
    """The next message of one of `kinds`, within ten seconds."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1)
        if message is not None and message["type"] in kinds:
            return message
    raise AssertionError(f"no {kinds} message within 10s")


def pubsub_consumer():
    consumer = client().pubsub()
    consumer.subscribe("news")
    consumer.psubscribe("ord*")
    assert next_message(consumer, {"subscribe"})["channel"] == b"news"
    assert next_message(consumer, {"psubscribe"})["channel"] == b"ord*"
    publisher = client()
    assert publisher.publish("news", "hello") == 1
    assert publisher.publish("orders", "o1") == 1
    assert publisher.pubsub_numsub("news") == [(b"news", 1)]
    assert publisher.pubsub_numpat() == 1
    message = next_message(consumer, {"message"})
    assert (message["channel"], message["data"]) == (b"news", b"hello"), message
    message = next_message(consumer, {"pmessage"})
    assert (message["pattern"], message["channel"], message["data"]) == (
        b"ord*",
        b"orders",
        b"o1",
    ), message
    consumer.close()


class TrackedCache:
    """A local cache of GETs, dropped key by key as the server invalidates."""

    def __init__(self):
        self.values = {}
        self.conn = client(protocol=3, single=True)
        self.conn.connection._parser.set_invalidation_push_handler(self.invalidate)
        self.conn.client_tracking_on()

    def invalidate(self, push):
        _, keys = push
        for key in keys or list(self.values):
            self.values.pop(key if isinstance(key, bytes) else key.encode(), None)

    def get(self, key):
        self.conn.ping()  # reads any invalidation waiting
        if key not in self.values:
            self.values[key] = self.conn.get(key)
        return self.values[key]


def client_tracking():
    writer = client()
    writer.set("user:1", "alice")
    cache = TrackedCache()
    assert cache.get(b"user:1") == b"alice"
    writer.set("user:1", "bob")
    deadline = time.monotonic() + 10
    while cache.get(b"user:1") != b"bob":
        assert time.monotonic() < deadline, "the cached value was never invalidated"
        time.sleep(0.05)

    # RESP2: invalidations redirected to a connection subscribed to
    # __redis__:invalidate.
    listener = client(single=True)
    listener_id = listener.client_id()
    listener.execute_command("SUBSCRIBE", "__redis__:invalidate")
    tracked = client(single=True)
    tracked.client_tracking_on(clientid=listener_id)
    assert tracked.get("user:1") == b"bob"
    writer.set("user:1", "carol")
    message = listener.connection.read_response()
    assert message == [b"message", b"__redis__:invalidate", [b"user:1"]], message


pubsub_consumer()
client_tracking()
print("ok")
