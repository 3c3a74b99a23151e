#!/bin/sh
# Fault 4 of issue 16: slow local clients silence /healthz.
#
# The metrics server took every connection the kernel handed it, up to 16,
# and cut one only after 10 s without a byte. Sixteen clients that each
# trickle a header byte every few seconds then held every slot for good;
# the liveness probe of a DaemonSet was refused or timed out, and the
# kubelet would restart a healthy capture.
#
# Provoked here: egressd captures live on a veth in a namespace of its own
# with --metrics 127.0.0.1:9104. From 127.0.0.1, the probe's own address,
# clients trickle an endless request header one byte a second, and others
# connect and send nothing; a client cut comes back 50 ms later. First 48
# and 8 of them (fewer than the server's places), then 64 and 16 (more).
# Meanwhile a whole "GET /healthz" is sent every 0.4 s, and a whole
# "GET /metrics" every 2 s.
#
# What must hold: every probe is answered within 2 s, "200" and "ok" (and
# /metrics with its series); a trickling connection is cut 2 s after its
# accept (a deadline from the accept, not from the last byte), or sooner
# when a newer one needs its place; /metrics counts the connections cut;
# egressd's threads and descriptors do not grow with the attack.
#
#   tests/faults/04-healthz-slow-clients.sh EGRESSD
set -u

egressd=${1:?usage: 04-healthz-slow-clients.sh EGRESSD}
case "$egressd" in /*) ;; *) egressd=$(pwd)/$egressd ;; esac

ns=egf04-$$
if [ "$(id -u)" -ne 0 ] || ! command -v python3 >/dev/null 2>&1 ||
    ! ip netns add "$ns" 2>/dev/null; then
	echo "04-healthz-slow-clients: skipped: needs root, ip netns and" \
	    "python3" >&2
	exit 77
fi
t=$(mktemp -d /tmp/egressd-fault-04.XXXXXX)
epid=
cleanup() {
	[ -n "$epid" ] && kill -9 "$epid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ip link add egf04a type veth peer name egf04b
in_ns ip addr add 192.0.2.1/24 dev egf04a
in_ns ip addr add 192.0.2.2/24 dev egf04b
in_ns ip link set egf04a up
in_ns ip link set egf04b up

# Not through in_ns: $! must be egressd itself.
ip netns exec "$ns" "$egressd" -i egf04b -u nobody --stats-interval 0 \
    --metrics 127.0.0.1:9104 >"$t/events.json" 2>"$t/egressd.err" &
epid=$!

in_ns python3 - "$epid" 9104 <<'EOF'
import os, selectors, socket, sys, threading, time

pid, port = int(sys.argv[1]), int(sys.argv[2])
addr = ("127.0.0.1", port)
fails = 0

def say(ok, what):
    global fails
    if not ok:
        fails += 1
    print("%s - %s" % ("ok" if ok else "not ok", what), flush=True)

def fetch(path, limit=2.0):
    """A whole request sent at once; the reply within limit seconds, or
    the reason there was none."""
    start = time.monotonic()
    try:
        s = socket.create_connection(addr, timeout=limit)
    except OSError as e:
        return None, "connect: %s" % e
    data = b""
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Connection: close\r\n\r\n" % path.encode())
        while True:
            left = limit - (time.monotonic() - start)
            if left <= 0:
                return None, "no reply within %.1f s" % limit
            s.settimeout(left)
            b = s.recv(65536)
            if not b:
                break
            data += b
    except OSError as e:
        return None, "%s after %.2f s" % (e, time.monotonic() - start)
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    return (status, body), "%.2f s" % (time.monotonic() - start)

def proc_figures():
    with open("/proc/%d/status" % pid) as f:
        threads = next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
    return threads, len(os.listdir("/proc/%d/fd" % pid))

# egressd is up when /healthz answers.
deadline = time.monotonic() + 10
while True:
    r, why = fetch("/healthz", 1.0)
    if r is not None or time.monotonic() > deadline:
        break
    time.sleep(0.1)
say(r is not None and r[0].startswith("HTTP/1.1 200"),
    "egressd serves /healthz before the attack (%s)" % why)
if r is None:
    sys.exit(1)
threads0, fds0 = proc_figures()

# The attackers, on one thread: a trickler sends the next byte of an
# endless header every second; a silent client sends nothing. A client
# the server cuts comes back 50 ms later; how long each trickling
# connection lived is recorded.
HEADER = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + \
    b"X-Slow: a\r\n" * 100000

class Client:
    def __init__(self, trickle, phase):
        self.trickle, self.phase, self.s, self.back = trickle, phase, None, 0

    def open(self, sel, now):
        self.s = socket.socket()
        self.s.setblocking(False)
        self.s.connect_ex(addr)
        self.born, self.sent = now, 0
        self.next = now + self.phase
        sel.register(self.s, selectors.EVENT_READ, self)

    def cut(self, sel, now, lives):
        if self.trickle:
            lives.append(now - self.born)
        sel.unregister(self.s)
        self.s.close()
        self.s, self.back = None, now + 0.05

def attack(tricklers, silent, stop, lives, longest):
    sel = selectors.DefaultSelector()
    now = time.monotonic()
    clients = [Client(True, i / tricklers) for i in range(tricklers)] + \
        [Client(False, 0) for _ in range(silent)]
    for c in clients:
        c.open(sel, now)
    while not stop.is_set():
        for key, _ in sel.select(0.02):
            c = key.data
            try:
                gone = c.s.recv(4096) == b""
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            if gone:
                c.cut(sel, time.monotonic(), lives)
        now = time.monotonic()
        for c in clients:
            if c.s is None:
                if now >= c.back:
                    c.open(sel, now)
                continue
            if not c.trickle:
                continue
            longest[0] = max(longest[0], now - c.born)
            if now < c.next:
                continue
            c.next = now + 1.0
            try:
                c.sent += c.s.send(HEADER[c.sent:c.sent + 1])
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                c.cut(sel, now, lives)
    for c in clients:
        if c.s is not None:
            c.s.close()

def under_attack(tricklers, silent, seconds):
    """Probes while the attack runs; returns the trickling connections'
    lives, the longest of those still open, and egressd's threads and
    descriptors at the end."""
    stop, lives, longest = threading.Event(), [], [0.0]
    th = threading.Thread(target=attack,
                          args=(tricklers, silent, stop, lives, longest))
    th.start()
    time.sleep(1.5)     # every place the server has is taken by now
    what = "%d trickling and %d silent clients" % (tricklers, silent)
    probes, bad, mprobes, mbad = 0, [], 0, []
    start, n = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        t0 = time.monotonic()
        r, why = fetch("/healthz")
        probes += 1
        if r is None or not r[0].startswith("HTTP/1.1 200") or \
                r[1] != b"ok\n":
            bad.append(why if r is None else "%s %r" % (r[0], r[1][:40]))
        if n % 5 == 0:
            r, why = fetch("/metrics")
            mprobes += 1
            if r is None or not r[0].startswith("HTTP/1.1 200") or \
                    b"\negressd_up 1\n" not in r[1]:
                mbad.append(why if r is None else r[0])
        n += 1
        time.sleep(max(0, 0.4 - (time.monotonic() - t0)))
    figures = proc_figures()
    stop.set()
    th.join()
    say(not bad, "%s: %d of %d /healthz probes answered 200 ok within 2 s%s"
        % (what, probes - len(bad), probes,
           "; failed: " + "; ".join(bad[:3]) if bad else ""))
    say(not mbad, "%s: %d of %d /metrics requests answered within 2 s%s" %
        (what, mprobes - len(mbad), mprobes,
         "; failed: " + "; ".join(mbad[:3]) if mbad else ""))
    return lives, longest[0], figures

# Fewer clients than the server has places: each trickling one is cut
# when its header is not whole 2 s after the accept.
lives, longest, (threads1, fds1) = under_attack(48, 8, 4.0)
lives.sort()
say(lives and longest <= 3.5 and 1.5 <= lives[0] and lives[-1] <= 3.5,
    "56 clients: every trickling connection is cut 2 s after its accept "
    "(%d cut, %.1f to %.1f s; longest still open %.1f s)" %
    (len(lives), lives[0] if lives else 0, lives[-1] if lives else 0,
     longest))
# More clients than places: each new one takes the place of the oldest.
lives, longest, (threads2, fds2) = under_attack(64, 16, 8.0)
longest = max(lives + [longest])
say(longest <= 3.5, "80 clients: no trickling connection lives longer "
    "than 3.5 s (longest %.1f s, %d cut)" % (longest, len(lives)))

say(threads0 == threads1 == threads2, "egressd's threads stay %d (%d and "
    "%d under attack)" % (threads0, threads1, threads2))
# 64 connections waiting for a header, 32 in the library at most.
say(max(fds1, fds2) <= fds0 + 64 + 32, "egressd's descriptors stay "
    "bounded (%d, then %d and %d under attack)" % (fds0, fds1, fds2))
r, why = fetch("/metrics")
cut = {}
for line in (r[1] if r is not None else b"").decode().splitlines():
    if line.startswith("egressd_metrics_conn_"):
        name, value = line.split()
        cut[name] = int(value)
say(cut.get("egressd_metrics_conn_timeouts_total", 0) > 0 and
    cut.get("egressd_metrics_conn_dropped_total", 0) > 0,
    "/metrics counts the connections cut (%s)" %
    (", ".join("%s %d" % kv for kv in sorted(cut.items())) or why))
sys.exit(1 if fails else 0)
EOF
rc=$?

alive=0
kill -0 "$epid" 2>/dev/null && alive=1
if [ $alive -eq 1 ]; then
	echo "ok - egressd still runs"
else
	echo "not ok - egressd still runs"
	cat "$t/egressd.err" >&2
	rc=1
fi
[ $rc -eq 0 ] || exit 1
exit 0
