#!/usr/bin/env python3
"""Writes a capture for the long-name test: for each LENGTH, the VM
192.0.2.10 sends a TLS ClientHello whose server_name is a name of exactly
LENGTH bytes ending in SUFFIX (to 198.51.100.N:443), an HTTP request with
that name as Host (to 198.51.100.N:8080), and a DNS query for it (to
192.0.2.53). The ClientHello is laid out as RFC 8446 section 4.1.2 and
RFC 6066 section 3 define it. Documentation addresses only.

usage: tests/longname-capture.py OUT.pcap SUFFIX LENGTH..."""
import os, socket, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
dc = __import__('dnscache-capture')


def tcp_data(src, dst, sport, dport, flags, seq, ack, data=b''):
    return dc.ip4(src, dst, 6, struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4,
                                           flags, 65535, 0, 0) + data)


def name_of(length, suffix):
    """A name of exactly length bytes: labels of at most 63 bytes, then suffix."""
    left = length - len(suffix) - 1
    labels = []
    while left > 0:
        n = min(63, left)
        if left - n == 1:       # no empty label: leave 2 for the next one
            n -= 1
        labels.append('a' * n if len(labels) % 2 == 0 else 'b' * n)
        left -= n + 1
    name = '.'.join(labels + [suffix])
    assert len(name) == length and all(len(l) <= 63 for l in name.split('.')), name
    return name


def client_hello(name):
    sni = name.encode()
    ext_sni = struct.pack('!HHHBH', 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    ext_groups = struct.pack('!HHH', 10, 4, 2) + b'\x00\x1d'
    ext_versions = struct.pack('!HHB', 43, 3, 2) + b'\x03\x04'
    exts = ext_sni + ext_groups + ext_versions
    body = (b'\x03\x03' + bytes(range(32)) + b'\x20' + bytes(32) +
            b'\x00\x04\x13\x01\x13\x02' + b'\x01\x00' + struct.pack('!H', len(exts)) + exts)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


def main():
    out, suffix, lengths = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    vm, dns = '192.0.2.10', '192.0.2.53'
    frames = []
    for i, length in enumerate(lengths):
        name = name_of(length, suffix)
        srv = '198.51.100.%d' % (10 + i)
        for port, data in ((443, client_hello(name)),
                           (8080, ('GET / HTTP/1.1\r\nHost: %s:8080\r\nAccept: */*\r\n\r\n'
                                   % name).encode())):
            sp = 41000 + 10 * i + (port == 8080)
            frames += [tcp_data(vm, srv, sp, port, 0x02, 1000, 0),
                       tcp_data(srv, vm, port, sp, 0x12, 5000, 1001),
                       tcp_data(vm, srv, sp, port, 0x10, 1001, 5001),
                       tcp_data(vm, srv, sp, port, 0x18, 1001, 5001, data)]
        q = dc.qname(name) + b'\x00\x01\x00\x01'
        frames.append(dc.udp(vm, dns, 42000 + i, 53,
                             struct.pack('!HHHHHH', 0x4300 + i, 0x0100, 1, 0, 0, 0) + q))
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1700000000, i * 1000, len(fr), len(fr)))
            f.write(fr)


if __name__ == '__main__':
    main()
