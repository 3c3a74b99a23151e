#!/usr/bin/env python3
"""notify-listen.py SOCKET LOG: stands in for systemd's notification socket.

Binds an AF_UNIX datagram socket at SOCKET (writable by anyone: egressd
sends after dropping to its user) and appends one line per datagram to LOG:
the monotonic seconds since start, a blank, the message with its newlines
written as '|'. Runs until killed; exits by itself after 10 minutes so a
test that died cannot leave it behind.
"""
import os
import socket
import sys
import time

path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path + '.tmp')
os.chmod(path + '.tmp', 0o666)
os.rename(path + '.tmp', path)     # the test waits for the name
s.settimeout(1.0)
start = time.monotonic()
with open(log, 'a', buffering=1) as out:
    while time.monotonic() - start < 600:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        msg = data.decode('utf-8', 'replace').rstrip('\n').replace('\n', '|')
        out.write('%.2f %s\n' % (time.monotonic() - start, msg))
