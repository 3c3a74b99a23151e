#!/usr/bin/env python3
"""dc-nmdc-hub.py [--timeout SECS] [--name NAME] HOST PORT

A SPEC-BUILT PEER, not a real hub: a tiny NMDC (the original "Neo-Modus"
Direct Connect) hub written for egressd's tests from the public NMDC
protocol description, because Debian 12 packages no NMDC hub (its uhub
speaks ADC only).  tests/e2e/exchanges/dc.sh runs it in the server
namespace while real Debian clients (ncdc, microdc2) log in and talk
through it; the client side of every exchange is the real program.

What it does, in NMDC's "|"-terminated commands:
  on connect      $Lock EXTENDEDPROTOCOL_egd_nmdc_hub Pk=egd-nmdc-hub|
  $Supports ...   answered $Supports NoHello NoGetINFO UserIP2|
  $Key K          checked against the key computed from the lock (logged)
  $ValidateNick N $HubName NAME|, $Hello N| (or $ValidateDenide N| when
                  N is taken), and $UserIP2 "$UserIP N IP|" if asked for
  $MyINFO $ALL N  stored and broadcast to everyone (N included); on the
                  first one, users without NoHello get "$Hello N|" first
  $GetNickList    every other logged-in user's $MyINFO (NoGetINFO) or a
                  $NickList of all (without it); no $OpList (no operators)
  $GetINFO N ME   N's $MyINFO
  <N> text        chat, broadcast to everyone (N must be the sender)
  $To: T From: N  private message, passed to T
  $Search ...     broadcast to everyone but the sender
  $SR ...\\x05T    search result of a passive search, passed to T without
                  the trailing \\x05T
  $ConnectToMe T ADDR, $RevConnectToMe N T
                  passed to T unchanged
  $Version, $MyPass, anything else: ignored
On disconnect the others are sent $Quit N|.  It listens only on HOST:PORT
(a private test namespace), opens no connection of its own, and exits
after --timeout seconds (default 60) whatever happens.
"""

import argparse
import select
import socket
import sys
import time

LOCK = b"EXTENDEDPROTOCOL_egd_nmdc_hub"
PK = b"egd-nmdc-hub"


def lock2key(lock):
    """The NMDC $Key for LOCK (the lock text between "$Lock " and " Pk=")."""
    n = len(lock)
    key = bytearray(n)
    for i in range(1, n):
        key[i] = lock[i] ^ lock[i - 1]
    key[0] = lock[0] ^ lock[n - 1] ^ lock[n - 2] ^ 5
    out = b""
    for c in key:
        c = ((c << 4) & 0xF0) | ((c >> 4) & 0x0F)
        if c in (0, 5, 36, 96, 124, 126):
            out += b"/%%DCN%03d%%/" % c
        else:
            out += bytes([c])
    return out


def log(*a):
    print("hub:", *a, file=sys.stderr, flush=True)


class Client:
    def __init__(self, sock, addr):
        self.sock = sock
        self.addr = addr
        self.buf = b""
        self.out = b""
        self.nick = None
        self.supports = set()
        self.myinfo = None
        self.hello = False


class Hub:
    def __init__(self, name):
        self.name = name.encode()
        self.clients = {}

    def users(self):
        return [c for c in self.clients.values() if c.myinfo is not None]

    def by_nick(self, nick):
        for c in self.clients.values():
            if c.hello and c.nick == nick:
                return c
        return None

    def send(self, c, data):
        c.out += data

    def broadcast(self, data, but=None):
        for c in self.clients.values():
            if c.hello and c is not but:
                c.out += data

    def user_list(self, c):
        if "NoGetINFO" in c.supports:
            for u in self.users():
                if u is not c:
                    self.send(c, u.myinfo + b"|")
        else:
            names = b"".join(u.nick + b"$$" for u in self.users())
            self.send(c, b"$NickList " + names + b"|")

    def command(self, c, cmd):
        if cmd.startswith(b"<"):
            # Chat: "<nick> text".
            if c.hello and cmd.startswith(b"<" + c.nick + b"> "):
                self.broadcast(cmd + b"|")
            return
        word, _, rest = cmd.partition(b" ")
        if word == b"$Supports":
            c.supports = {s.decode("latin-1") for s in rest.split()}
            self.send(c, b"$Supports NoHello NoGetINFO UserIP2|")
        elif word == b"$Key":
            log(c.addr, "key", "ok" if rest == lock2key(LOCK) else "WRONG")
        elif word == b"$ValidateNick":
            if not rest or self.by_nick(rest) is not None:
                self.send(c, b"$ValidateDenide " + rest + b"|")
                return
            c.nick = rest
            c.hello = True
            self.send(c, b"$HubName " + self.name + b"|")
            self.send(c, b"$Hello " + c.nick + b"|")
            if "UserIP2" in c.supports:
                self.send(c, b"$UserIP " + c.nick + b" " +
                          c.addr[0].encode() + b"|")
            log(c.addr, "nick", c.nick.decode("latin-1"))
        elif word == b"$MyINFO" and c.hello:
            if not rest.startswith(b"$ALL " + c.nick + b" "):
                return
            first = c.myinfo is None
            c.myinfo = cmd
            if first:
                # Clients without NoHello learn of a new user from $Hello.
                for u in self.clients.values():
                    if u.hello and u is not c and "NoHello" not in u.supports:
                        self.send(u, b"$Hello " + c.nick + b"|")
            self.broadcast(cmd + b"|")
        elif word == b"$GetNickList" and c.hello:
            self.user_list(c)
        elif word == b"$GetINFO" and c.hello:
            u = self.by_nick(rest.split(b" ")[0])
            if u is not None and u.myinfo is not None:
                self.send(c, u.myinfo + b"|")
        elif word == b"$To:" and c.hello:
            target = rest.split(b" ")[0]
            u = self.by_nick(target)
            if u is not None:
                self.send(u, cmd + b"|")
        elif word == b"$Search" and c.hello:
            self.broadcast(cmd + b"|", but=c)
        elif word == b"$SR" and c.hello:
            body, sep, target = cmd.rpartition(b"\x05")
            u = self.by_nick(target) if sep else None
            if u is not None:
                self.send(u, body + b"|")
        elif word == b"$ConnectToMe" and c.hello:
            u = self.by_nick(rest.split(b" ")[0])
            if u is not None:
                self.send(u, cmd + b"|")
        elif word == b"$RevConnectToMe" and c.hello:
            parts = rest.split(b" ")
            if len(parts) == 2 and parts[0] == c.nick:
                u = self.by_nick(parts[1])
                if u is not None:
                    self.send(u, cmd + b"|")

    def drop(self, c):
        del self.clients[c.sock]
        c.sock.close()
        if c.hello:
            log(c.addr, "quit", c.nick.decode("latin-1"))
            self.broadcast(b"$Quit " + c.nick + b"|")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--name", default="egd nmdc test hub")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    args = ap.parse_args()

    hub = Hub(args.name)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(16)
    log("listening on", args.host, args.port)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        socks = [lsock] + list(hub.clients)
        wsocks = [s for s, c in hub.clients.items() if c.out]
        r, w, _ = select.select(socks, wsocks, [], 0.2)
        for s in w:
            c = hub.clients.get(s)
            if c is None:
                continue
            try:
                n = s.send(c.out)
                c.out = c.out[n:]
            except OSError:
                hub.drop(c)
        for s in r:
            if s is lsock:
                cs, addr = lsock.accept()
                c = Client(cs, addr)
                hub.clients[cs] = c
                log(addr, "connected")
                hub.send(c, b"$Lock " + LOCK + b" Pk=" + PK + b"|")
                continue
            c = hub.clients.get(s)
            if c is None:
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                hub.drop(c)
                continue
            c.buf += data
            while b"|" in c.buf:
                cmd, c.buf = c.buf.split(b"|", 1)
                if cmd:
                    hub.command(c, cmd)
    log("timeout, exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
