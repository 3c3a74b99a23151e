#!/usr/bin/env python3
"""stratum-miner.py [--xmrig] [--timeout SECS] HOST PORT

A scripted mining client, written for egressd's tests: Debian packages no
miner, so tests/e2e/record-captures.sh runs this one against
tests/e2e/stratum-pool.py while it records test captures.  It connects only
to the HOST:PORT given on the command line (a private test namespace) and
does no hashing: it replays what a real miner says.

Default mode is a stratum v1 miner (cpuminer's user agent): mining.subscribe,
mining.authorize as worker.1, wait for mining.notify, submit two shares,
close.  --xmrig is an XMRig Monero miner: login with a wallet address, take
the job, submit one result, wait for the next pushed job, close.

Exits 0 only when the pool answered everything as a pool should; gives up
after --timeout seconds (default 10).
"""

import argparse
import hashlib
import json
import socket
import sys
import time

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def hexof(label, nbytes):
    """Deterministic, random-looking hex of NBYTES bytes (stable captures)."""
    out = b""
    while len(out) < nbytes:
        out += hashlib.sha256(("%s/%d" % (label, len(out))).encode()).digest()
    return out[:nbytes].hex()


def wallet():
    """A string shaped like a 95-character Monero primary address."""
    digest = bytes.fromhex(hexof("wallet", 93))
    return "4A" + "".join(B58[b % 58] for b in digest)


class Conn:
    def __init__(self, host, port, deadline):
        self.deadline = deadline
        self.sock = socket.create_connection((host, port),
                                             timeout=deadline - time.monotonic())
        self.buf = b""
        self.pending = []  # notifications read while awaiting a reply

    def send(self, obj):
        self.sock.sendall(json.dumps(obj, separators=(",", ":")).encode() + b"\n")

    def recv(self):
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline reached")
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("pool closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def reply(self, mid):
        """Wait for the answer to request MID; notifications are kept."""
        while True:
            msg = self.recv()
            if msg.get("id") == mid and "method" not in msg:
                return msg
            self.pending.append(msg)

    def notification(self, method):
        while True:
            msg = self.pending.pop(0) if self.pending else self.recv()
            if msg.get("method") == method:
                return msg

    def close(self):
        self.sock.close()


def check(cond, what):
    if not cond:
        raise RuntimeError(what)


def mine_stratum(conn):
    conn.send({"id": 1, "method": "mining.subscribe",
               "params": ["cpuminer/2.5.1"]})
    sub = conn.reply(1)
    check(sub.get("error") is None and len(sub["result"]) == 3,
          "bad subscribe answer: %r" % sub)
    en2_size = sub["result"][2]
    conn.send({"id": 2, "method": "mining.authorize",
               "params": ["worker.1", "x"]})
    check(conn.reply(2).get("result") is True, "not authorized")
    job = conn.notification("mining.notify")["params"]
    job_id, ntime = job[0], job[7]
    for n, mid in ((1, 4), (2, 5)):
        en2 = hexof("extranonce2-%d" % n, en2_size)
        nonce = hexof("nonce-%d" % n, 4)
        conn.send({"id": mid, "method": "mining.submit",
                   "params": ["worker.1", job_id, en2, ntime, nonce]})
        check(conn.reply(mid).get("result") is True, "share %d rejected" % n)


def mine_xmrig(conn):
    conn.send({"id": 1, "jsonrpc": "2.0", "method": "login", "params": {
        "login": wallet(), "pass": "x",
        "agent": "XMRig/6.19.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0",
        "algo": ["rx/0", "cn/r"]}})
    res = conn.reply(1).get("result") or {}
    check(res.get("status") == "OK" and len(res["job"]["blob"]) == 152,
          "bad login answer: %r" % res)
    session, job = res["id"], res["job"]
    conn.send({"id": 2, "jsonrpc": "2.0", "method": "submit", "params": {
        "id": session, "job_id": job["job_id"],
        "nonce": hexof("xmr-nonce", 4), "result": hexof("xmr-result", 32)}})
    check((conn.reply(2).get("result") or {}).get("status") == "OK",
          "result rejected")
    check(len(conn.notification("job")["params"]["blob"]) == 152,
          "bad pushed job")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--xmrig", action="store_true",
                    help="speak XMRig's Monero stratum instead of stratum v1")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    args = ap.parse_args()
    conn = Conn(args.host, args.port, time.monotonic() + args.timeout)
    try:
        (mine_xmrig if args.xmrig else mine_stratum)(conn)
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as e:
        print("stratum-miner: %s" % e, file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
