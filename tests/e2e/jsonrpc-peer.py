#!/usr/bin/env python3
"""jsonrpc-peer.py server|client [--timeout SECS] HOST PORT

Both ends of a benign JSON-RPC 2.0 conversation, written for egressd's
tests: tests/e2e/record-captures.sh records it as a negative for the mining
detection (newline-delimited JSON-RPC over raw TCP that is not stratum).  It
only listens on, or connects to, the HOST:PORT given on the command line (a
private test namespace).

"server" answers like an Ethereum node's raw-TCP JSON-RPC endpoint
(eth_blockNumber, net_version, web3_clientVersion, eth_chainId,
eth_getBalance) plus an application's "login" call; it serves one client and
exits when that client leaves or after --timeout seconds (default 20).
"client" makes those calls one after another, checks every answer and
closes; it gives up after --timeout seconds (default 10).
"""

import argparse
import json
import socket
import sys
import time

ANSWERS = {
    "eth_blockNumber": "0x12b9a3f",
    "net_version": "1",
    "web3_clientVersion": "Geth/v1.13.14-stable-2bd6bd01/linux-amd64/go1.21.7",
    "eth_chainId": "0x1",
    "eth_getBalance": "0x1bc16d674ec80000",
}
ACCOUNT = "0x8ba1f109551bd432803012645ac136ddd64dba72"


def answer(msg):
    method, params = msg.get("method"), msg.get("params")
    out = {"jsonrpc": "2.0", "id": msg.get("id")}
    if method in ANSWERS:
        out["result"] = ANSWERS[method]
    elif method == "login" and isinstance(params, dict) and params.get("user"):
        out["result"] = {"user": params["user"], "session": "c2b7e0d91a4f4e55",
                         "expires_in": 3600}
    else:
        out["error"] = {"code": -32601, "message": "the method %s does not "
                        "exist/is not available" % method}
    return out


class Conn:
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


def server(host, port, timeout):
    deadline = time.monotonic() + timeout
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(1)
    lsock.settimeout(timeout)
    try:
        sock, _ = lsock.accept()
    finally:
        lsock.close()
    with sock:
        conn = Conn(sock, deadline)
        while (msg := conn.recv()) is not None:
            conn.send(answer(msg))


def client(host, port, timeout):
    deadline = time.monotonic() + timeout
    calls = [
        ("web3_clientVersion", []),
        ("net_version", []),
        ("eth_chainId", []),
        ("eth_blockNumber", []),
        ("eth_getBalance", [ACCOUNT, "latest"]),
        ("login", {"user": "alice", "password": "correct horse battery"}),
    ]
    with socket.create_connection((host, port), timeout=timeout) as sock:
        conn = Conn(sock, deadline)
        for mid, (method, params) in enumerate(calls, 1):
            conn.send({"jsonrpc": "2.0", "id": mid, "method": method,
                       "params": params})
            got = conn.recv()
            if got is None or got.get("id") != mid or "result" not in got:
                raise RuntimeError("bad answer to %s: %r" % (method, got))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("server", "client"))
    ap.add_argument("--timeout", type=float)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    args = ap.parse_args()
    try:
        if args.mode == "server":
            server(args.host, args.port, args.timeout or 20.0)
        else:
            client(args.host, args.port, args.timeout or 10.0)
    except (OSError, RuntimeError, ValueError) as e:
        print("jsonrpc-peer %s: %s" % (args.mode, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
