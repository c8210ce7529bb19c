#!/usr/bin/env bash
# The README's dashboard screenshot, made from a real server under load:
# builds the server (debug; RELEASE=1 for a release build), starts it with a
# store paced at 300 writes a second, writes a burst of 1,500 keys and then
# 400 a second from three clients (so the queue is over the warning level
# and grows), opens http://ADMIN/ in headless Chromium, lets the page
# collect SECONDS of history and saves a 1280x900 PNG.
#
# Chromium is driven over the DevTools protocol on a pipe rather than with
# `--screenshot`, which takes the picture at once or in virtual time, where
# every rate the page computes would read zero.
#
# Usage: scripts/dashboard-screenshot.sh [OUT=docs/dashboard.png] [SECONDS=40]
# SERVER_ARGS adds flags to the server, e.g. a store that cannot be reached
# to show an outage: SERVER_ARGS="--store postgres://postgres@127.0.0.1:1/x".
# Needs: chromium (apt-get install chromium), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-docs/dashboard.png}"
SECONDS_OF_HISTORY="${2:-40}"

PROFILE=debug
if [ "${RELEASE:-0}" = 1 ]; then PROFILE=release; fi
echo "building the $PROFILE server..." >&2
if [ "$PROFILE" = release ]; then
  cargo build -q -p jotter-server --release
else
  cargo build -q -p jotter-server
fi
BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/jotter"

exec python3 - "$BIN" "$OUT" "$SECONDS_OF_HISTORY" ${SERVER_ARGS:-} <<'PY'
import base64, json, os, socket, subprocess, sys, tempfile, threading, time

binary, out, history, extra = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
work = tempfile.mkdtemp(prefix="jotter-dashboard-")
server = subprocess.Popen(
    [binary, "serve", "--port", "0", "--admin-port", "0", "--data-dir", work + "/data",
     "--max-store-writes-per-sec", "300", "--batch-size", "50", "--max-pending", "50000", *extra],
    stdout=subprocess.PIPE, stderr=open(work + "/server.log", "w"), text=True)
line = server.stdout.readline()
fields = dict(w.split("=", 1) for w in line.split() if "=" in w)
resp_host, resp_port = fields["resp"].rsplit(":", 1)
admin = fields["admin"]
print("server:", line.strip(), file=sys.stderr)

def command(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

stop = threading.Event()

def writer(name, burst, per_second):
    s = socket.create_connection((resp_host, int(resp_port)))
    threading.Thread(target=lambda: [None for _ in iter(lambda: s.recv(65536), b"")], daemon=True).start()
    s.sendall(b"".join(command(b"SET", b"%s:burst:%d" % (name, i), b"x" * 200) for i in range(burst)))
    i = 0
    while not stop.is_set():
        s.sendall(command(b"SET", b"%s:%d" % (name, i), b"v" * 300))
        i += 1
        time.sleep(1 / per_second)

for n in range(3):
    threading.Thread(target=writer, args=(b"client%d" % n, 500, 133), daemon=True).start()

# Chromium's DevTools pipe is file descriptors 3 (in) and 4 (out).
chrome = subprocess.Popen(
    ["bash", "-c", 'exec chromium --headless --no-sandbox --disable-gpu --disable-quic '
     '--no-first-run --disable-background-networking --disable-component-update --disable-sync '
     '--hide-scrollbars --remote-debugging-pipe --user-data-dir="$1" about:blank '
     '3<&0 4>&1 0</dev/null 1>/dev/null', "-", tempfile.mkdtemp()],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
pending, next_id = b"", 0

def call(method, params=None, session=None):
    global pending, next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    chrome.stdin.write(json.dumps(message).encode() + b"\0")
    chrome.stdin.flush()
    while True:
        while b"\0" not in pending:
            chunk = os.read(chrome.stdout.fileno(), 1 << 20)
            if not chunk:
                sys.exit("chromium closed the pipe")
            pending += chunk
        reply, pending = pending.split(b"\0", 1)
        reply = json.loads(reply)
        if reply.get("id") == next_id:
            if "error" in reply:
                sys.exit(f"{method}: {reply['error']}")
            return reply["result"]

try:
    target = call("Target.createTarget", {"url": f"http://{admin}/"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Emulation.setDeviceMetricsOverride",
         {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
    print(f"collecting {history:.0f} s of history...", file=sys.stderr)
    time.sleep(history)
    shot = call("Page.captureScreenshot", {"format": "png"}, session)
    with open(out, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print("wrote", out, file=sys.stderr)
finally:
    stop.set()
    try:
        call("Browser.close")
    except Exception:
        pass
    chrome.kill()
    server.kill()  # the data directory is thrown away
    server.wait()
PY
