#!/usr/bin/env python3
"""Writes a capture for the port-guess test: the VM 192.0.2.10 sends bytes
of no known protocol to the ports of well-known services (TCP 3389, RDP's;
UDP 1194, OpenVPN's; UDP 500, IKE's) and gets bytes back. nDPI 4.2 names
each by its port; egressd must make no verdict of it. Documentation
addresses only.

usage: tests/portguess-capture.py OUT.pcap"""
import os, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
dc = __import__('dnscache-capture')


def tcp_data(src, dst, sport, dport, flags, seq, ack, data=b''):
    return dc.ip4(src, dst, 6, struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4,
                                           flags, 65535, 0, 0) + data)


def main():
    vm, srv = '192.0.2.10', '192.0.2.1'
    # Bytes of no protocol: a fixed pattern, short, mostly not printable.
    req = bytes((0x90 + 7 * i) & 0xff for i in range(24))
    rsp = bytes((0x91 + 5 * i) & 0xff for i in range(20))
    frames = [tcp_data(vm, srv, 40100, 3389, 0x02, 1000, 0),
              tcp_data(srv, vm, 3389, 40100, 0x12, 5000, 1001),
              tcp_data(vm, srv, 40100, 3389, 0x10, 1001, 5001),
              tcp_data(vm, srv, 40100, 3389, 0x18, 1001, 5001, req),
              tcp_data(srv, vm, 3389, 40100, 0x18, 5001, 1001 + len(req), rsp)]
    for port in (1194, 500):
        frames += [dc.udp(vm, srv, 40200 + port % 100, port, req),
                   dc.udp(srv, vm, port, 40200 + port % 100, rsp)]
    with open(sys.argv[1], 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1700000000, i * 1000, len(fr), len(fr)))
            f.write(fr)


if __name__ == '__main__':
    main()
