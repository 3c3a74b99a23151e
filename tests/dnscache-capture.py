#!/usr/bin/env python3
"""Writes a small capture for the DNS name cache test: the VM 192.0.2.10
asks 192.0.2.53 for NAME and is told ADDR, then opens a TCP connection to
ADDR:PORT with no name in it (no SNI, no Host). egressd must match host
rules for NAME against that connection. Documentation addresses only.

usage: tests/dnscache-capture.py OUT.pcap NAME ADDR PORT"""
import socket, struct, sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def ip4(src, dst, proto, l4):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return b'\x02\x00\xc0\x00\x02\x01\x02\x00\xc0\x00\x02\x0a\x08\x00' + h + l4


def udp(src, dst, sport, dport, data):
    return ip4(src, dst, 17, struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data)


def tcp(src, dst, sport, dport, flags, seq, ack):
    return ip4(src, dst, 6, struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4,
                                        flags, 65535, 0, 0))


def qname(name):
    return b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'


def main():
    out, name, addr, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    vm, dns = '192.0.2.10', '192.0.2.53'
    q = qname(name) + b'\x00\x01\x00\x01'
    query = struct.pack('!HHHHHH', 0x4242, 0x0100, 1, 0, 0, 0) + q
    answer = (struct.pack('!HHHHHH', 0x4242, 0x8180, 1, 1, 0, 0) + q +
              b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04' + socket.inet_aton(addr))
    frames = [udp(vm, dns, 40000, 53, query), udp(dns, vm, 53, 40000, answer),
              tcp(vm, addr, 40001, port, 0x02, 1000, 0),
              tcp(addr, vm, port, 40001, 0x12, 5000, 1001),
              tcp(vm, addr, 40001, port, 0x10, 1001, 5001)]
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1700000000, i * 1000, len(fr), len(fr)))
            f.write(fr)


if __name__ == '__main__':
    main()
