#!/usr/bin/env python3
"""dc-pty.py [--timeout SECS] [--screen FILE] CONTROL_FILE CMD [ARG...]

Drives a terminal Direct Connect client for tests/e2e/exchanges/dc.sh:
Debian's ncdc (ncurses) and microdc2 (readline) take their commands only
from a terminal, so this runs CMD on a pseudo-terminal (120x40,
TERM=xterm, a UTF-8 locale) and types into it every line that is appended
to CONTROL_FILE (the recording script writes "/set nick ...", "/open ...",
"/browse ...", "/quit" or "connect ...", "exit" there), each followed by
Return -- what `tmux send-keys` would do, without a tmux server that could
outlive the recording.  A line "@keys TEXT" types TEXT without Return, with
Python escapes: "@keys \\x1b2" is Alt+2 (ncdc: go to tab 2).
Everything the client draws is read and written to --screen FILE (at most
1 MiB, for the script's checks and for debugging) or thrown away.

It exits with the client's status when the client exits, or kills it
(SIGTERM, then SIGKILL) and exits 124 after --timeout seconds (default 60)
or on SIGTERM/SIGINT, so it never outlives a recording.  It speaks no
protocol itself: every byte on the wire comes from the client.
"""

import argparse
import codecs
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--screen", default=os.devnull)
    ap.add_argument("control")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if not args.cmd:
        ap.error("no command")

    env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(args.cmd[0], args.cmd, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

    stop = {"sig": None}

    def on_signal(signum, _frame):
        stop["sig"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    screen = open(args.screen, "ab", buffering=0)
    sent = 0          # bytes of CONTROL_FILE already typed
    deadline = time.monotonic() + args.timeout
    status = None
    while stop["sig"] is None and time.monotonic() < deadline:
        try:
            r, _, _ = select.select([fd], [], [], 0.05)
        except InterruptedError:
            continue
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:   # EIO: the client closed the terminal
                data = b""
            if not data:
                break
            if screen.tell() < (1 << 20):
                screen.write(data)
        try:
            with open(args.control, "rb") as f:
                f.seek(sent)
                new = f.read()
        except FileNotFoundError:
            new = b""
        # Only whole lines, one at a time.
        while b"\n" in new:
            line, new = new.split(b"\n", 1)
            sent += len(line) + 1
            if line.startswith(b"@keys "):
                os.write(fd, codecs.escape_decode(line[6:])[0])
            else:
                os.write(fd, line + b"\r")
            time.sleep(0.1)
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
    screen.close()
    if status is None:
        for sig, tries in ((signal.SIGTERM, 30), (signal.SIGKILL, 50)):
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
                break
            os.kill(pid, sig)
            for _ in range(tries):
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
                    break
                time.sleep(0.1)
            if status is not None:
                break
        # Killed by us (or gone on its own after the terminal closed).
        if stop["sig"] is not None or time.monotonic() >= deadline:
            return 124
    return os.waitstatus_to_exitcode(status) if status is not None else 124


if __name__ == "__main__":
    sys.exit(main())
