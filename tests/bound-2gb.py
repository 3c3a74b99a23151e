#!/usr/bin/env python3
"""One TCP flow of 2 GB: memory stays flat and the byte count is exact.

Writes a capture of one connection (handshake, then 1,431,656 full-size
segments of 1,500 bytes each way from the VM, 96 bytes of each kept, as
tcpdump -s 96 would) -- 2,147,484,000 bytes on the wire in one flow -- and
replays it with --flows. The flow event must count every byte, the peak
RSS must stay under 200 MiB (a classified flow is a few hundred bytes; the
rest is nDPI and the tables, as for any capture), and it must finish.

usage: tests/bound-2gb.py EGRESSD"""
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile


def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, sport, dport, seq, ack, flags, paylen):
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40 + paylen, 0, 0x4000, 64, 6,
                     0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 0x50, flags,
                      64240, 0, 0)
    eth = b'\x02\x00\xc0\x00\x02\x01\x02\x00\xc0\x00\x02\x0a\x08\x00'
    return eth + ip + tcp


def main():
    egressd = sys.argv[1]
    vm, srv = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 9])
    n = 1431656
    seg = 1460
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, 'big.pcap')
        with open(cap, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 96, 1))
            t = 1767225600 * 1000000

            def rec(data, wire):
                nonlocal t
                t += 10
                f.write(struct.pack('<IIII', t // 1000000, t % 1000000,
                                    min(len(data), 96), wire))
                f.write(data[:96])
            syn = frame(vm, srv, 40000, 443, 1, 0, 0x02, 0)
            rec(syn, len(syn))
            sa = frame(srv, vm, 443, 40000, 9, 2, 0x12, 0)
            rec(sa, len(sa))
            # Data segments: 54 header bytes + 1460 of payload = 1514 on
            # the wire; the payload is zeros (nothing to recognise).
            body = frame(vm, srv, 40000, 443, 2, 10, 0x18, seg) + bytes(42)
            for i in range(n):
                rec(body, 54 + seg)
            fin = frame(vm, srv, 40000, 443, 2, 10, 0x11, 0)
            rec(fin, len(fin))
        wire = len(syn) + len(sa) + n * (54 + seg) + len(fin)
        p = subprocess.Popen([egressd, '-r', cap, '--flows'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        flows = [json.loads(l) for l in out.decode().splitlines()
                 if '"event_type":"flow"' in l]
        got = sum(e['bytes_toserver'] + e['bytes_toclient'] for e in flows)
        rss = ru.ru_maxrss // 1024
        fails = 0
        for name, ok in (
                ('exit 0', p.returncode == 0),
                ('one flow', len(flows) == 1),
                ('%d wire bytes counted (want %d)' % (got, wire), got == wire),
                ('peak RSS %d MiB < 200 MiB' % rss, rss < 200)):
            print('%s bound-2gb: %s' % ('PASS' if ok else 'FAIL', name))
            fails += not ok
        if p.returncode != 0:
            print(err.decode())
        sys.exit(1 if fails else 0)


if __name__ == '__main__':
    main()
