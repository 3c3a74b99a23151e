#!/usr/bin/env python3
"""ws-bridge.py [--timeout SECS] [--pidfile FILE] URL

A WebSocket client that bridges its standard input and output to one
WebSocket connection, written for egressd's tests: what chisel, wstunnel or
websockify's own clients do for a TCP stream, made small enough to run as
OpenSSH's ProxyCommand.  tests/e2e/exchanges/overlay.sh runs it with
Debian's /usr/bin/python3 and python3-websockets (10.4) against websockify
in front of an sshd, in a private test namespace; it only connects to the
ws:// URL given on the command line.

The opening handshake offers the subprotocol "binary" (the
Sec-WebSocket-Protocol websockify's own clients send) and no extension (no
permessage-deflate); websockets' keepalive pings are off.  Every read from
standard input goes out as one binary frame (masked, as from any client);
the payload of every binary frame received is written to standard output.
End of input, SIGHUP (what ssh sends its ProxyCommand when it is done) or
SIGTERM close the WebSocket with a Close frame (1000) and exit; so does the
server's Close.  Gives up after --timeout seconds (default 20).

Exits 0 when the server accepted the connection with the "binary"
subprotocol and the connection ended with a clean close.
"""

import argparse
import asyncio
import os
import signal
import sys

import websockets


async def bridge(url, pidfile):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGHUP, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if pidfile:
        with open(pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    async with websockets.connect(url, subprotocols=["binary"],
                                  compression=None, ping_interval=None,
                                  close_timeout=2, max_size=None) as ws:
        if ws.subprotocol != "binary":
            print("ws-bridge: server chose subprotocol %r" % ws.subprotocol,
                  file=sys.stderr)
            return 1
        inq = asyncio.Queue()
        os.set_blocking(0, False)

        def readable():
            try:
                data = os.read(0, 65536)
            except BlockingIOError:
                return
            if not data:
                loop.remove_reader(0)
            inq.put_nowait(data)
        loop.add_reader(0, readable)

        async def upstream():
            while True:
                data = await inq.get()
                if not data:
                    return
                await ws.send(data)

        async def downstream():
            async for msg in ws:
                if isinstance(msg, str):
                    msg = msg.encode()
                os.write(1, msg)

        tasks = [asyncio.create_task(upstream()),
                 asyncio.create_task(downstream()),
                 asyncio.create_task(stop.wait())]
        _, pending = await asyncio.wait(tasks,
                                        return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        loop.remove_reader(0)
        await ws.close()
        return 0 if ws.close_code in (1000, 1005) else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--pidfile")
    ap.add_argument("url")
    a = ap.parse_args()
    try:
        rc = asyncio.run(asyncio.wait_for(bridge(a.url, a.pidfile),
                                          a.timeout))
    except asyncio.TimeoutError:
        print("ws-bridge: timed out", file=sys.stderr)
        rc = 1
    finally:
        if a.pidfile:
            try:
                os.unlink(a.pidfile)
            except FileNotFoundError:
                pass
    sys.exit(rc)


if __name__ == "__main__":
    main()
