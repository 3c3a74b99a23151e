#!/usr/bin/env python3
"""stratum-pool.py [--xmrig] [--timeout SECS] HOST PORT

A tiny mining pool, written for egressd's tests: Debian packages no stratum
pool, so tests/e2e/record-captures.sh runs this one as the protocol peer of
tests/e2e/stratum-miner.py while it records test captures.  It listens only
on the HOST:PORT given on the command line (a private test namespace), serves
a single miner and never opens a connection of its own.

Default mode speaks Bitcoin-style stratum v1: newline-delimited JSON-RPC
where the miner calls mining.subscribe, mining.authorize and mining.submit,
and the pool pushes mining.set_difficulty and mining.notify.  --xmrig speaks
the Monero flavour XMRig uses: JSON-RPC 2.0 "login" answered with a job,
"submit" answered with status OK, then a pushed "job".

The pool exits when the miner disconnects, or after --timeout seconds
(default 20) whatever happens, so it can never outlive a recording.
"""

import argparse
import hashlib
import json
import socket
import sys
import time


def hexof(label, nbytes):
    """Deterministic, random-looking hex of NBYTES bytes (stable captures)."""
    out = b""
    while len(out) < nbytes:
        out += hashlib.sha256(("%s/%d" % (label, len(out))).encode()).digest()
    return out[:nbytes].hex()


class Conn:
    """Newline-delimited JSON over a socket, bounded by a deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buf = b""

    def send(self, obj):
        self.sock.sendall(json.dumps(obj, separators=(",", ":")).encode() + b"\n")

    def recv(self):
        """Next JSON message, or None once the peer has closed."""
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline reached")
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


# ------------------------------------------------------------ stratum v1 --

SUB_ID = hexof("subscription", 8)
EXTRANONCE1 = hexof("extranonce1", 4)
JOB = [
    "5e1f",  # job id
    # previous block hash, as stratum sends it (8 little-endian words)
    "4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000",
    # coinbase part 1: version, one input, the start of the coinbase script
    "01000000010000000000000000000000000000000000000000000000000000000000"
    "000000ffffffff20020862062f503253482f04b8864e5008",
    # coinbase part 2: the rest of the script, sequence and the payout output
    "072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7"
    "a9688ef9903327048ed988ac00000000",
    [hexof("branch", 32), hexof("branch2", 32)],  # merkle branch
    "20000000",  # block version
    "1a0377ae",  # nbits
    "65a4f3c1",  # ntime
    True,  # clean_jobs
]


def serve_stratum(conn):
    while True:
        msg = conn.recv()
        if msg is None:
            return
        mid, method = msg.get("id"), msg.get("method")
        if method == "mining.subscribe":
            conn.send({"id": mid, "result": [
                [["mining.set_difficulty", SUB_ID], ["mining.notify", SUB_ID]],
                EXTRANONCE1, 4], "error": None})
        elif method == "mining.authorize":
            conn.send({"id": mid, "result": True, "error": None})
            conn.send({"id": None, "method": "mining.set_difficulty",
                       "params": [16384]})
            conn.send({"id": None, "method": "mining.notify", "params": JOB})
        elif method == "mining.submit":
            conn.send({"id": mid, "result": True, "error": None})
        elif method == "mining.extranonce.subscribe":
            conn.send({"id": mid, "result": True, "error": None})
        else:
            conn.send({"id": mid, "result": None,
                       "error": [20, "Unsupported method", None]})


# ---------------------------------------------------------------- xmrig --

SESSION = "%s-%s-%s" % (hexof("session", 4), hexof("session2", 2),
                        hexof("session3", 2))


def monero_job(n):
    # A hashing blob is 76 bytes: major and minor version, timestamp
    # varint, previous block id, nonce (zero), merkle root, tx count.
    blob = ("1010" + "c1e7fea906" + hexof("prev%d" % n, 32) + "00000000"
            + hexof("root%d" % n, 32) + "2b")
    assert len(blob) == 152
    return {"blob": blob, "job_id": hexof("job%d" % n, 12)[:16],
            "target": "b88d0600", "algo": "rx/0", "height": 3101233 + n,
            "seed_hash": hexof("seed", 32), "id": SESSION}


def serve_xmrig(conn):
    while True:
        msg = conn.recv()
        if msg is None:
            return
        mid, method = msg.get("id"), msg.get("method")
        if method == "login":
            conn.send({"id": mid, "jsonrpc": "2.0", "error": None, "result": {
                "id": SESSION, "job": monero_job(1),
                "extensions": ["algo", "nicehash", "connect", "tls",
                               "keepalive"],
                "status": "OK"}})
        elif method == "submit":
            conn.send({"id": mid, "jsonrpc": "2.0", "error": None,
                       "result": {"status": "OK"}})
            conn.send({"jsonrpc": "2.0", "method": "job",
                       "params": monero_job(2)})
        elif method == "keepalived":
            conn.send({"id": mid, "jsonrpc": "2.0", "error": None,
                       "result": {"status": "KEEPALIVED"}})
        else:
            conn.send({"id": mid, "jsonrpc": "2.0", "result": None,
                       "error": {"code": -1, "message": "Unknown method"}})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--xmrig", action="store_true",
                    help="speak XMRig's Monero stratum instead of stratum v1")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(1)
    lsock.settimeout(args.timeout)
    try:
        sock, _ = lsock.accept()
    except (TimeoutError, socket.timeout):
        print("stratum-pool: no miner came", file=sys.stderr)
        return 1
    finally:
        lsock.close()
    with sock:
        conn = Conn(sock, deadline)
        try:
            (serve_xmrig if args.xmrig else serve_stratum)(conn)
        except (TimeoutError, socket.timeout):
            print("stratum-pool: timed out", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
