#!/usr/bin/env python3
"""Writes the benchmark's input captures.

  gen.py mixed OUT MIN_PACKETS   the recorded fixtures (the golden cases'
                                 tests/golden/*/capture.pcap) concatenated
                                 round after round until MIN_PACKETS; round k
                                 moves 192.0.2.0/24 to 10.k/256.k%256.0/24,
                                 so every round is other VMs and new flows,
                                 and starts where the previous one ended
  gen.py bulk OUT MIN_PACKETS    the same with only the fixtures that are
                                 conversations (no flood, scan or password
                                 guessing): few flows, most packets in long
                                 transfers, as most of a VM's egress is
  gen.py syn OUT N               N one-packet TCP SYN flows from 16 VMs to
                                 one server, each with its own port pair
  gen.py vms OUT N               N VMs, each playing the short fixtures that
                                 end in a verdict (round k as in mixed), for
                                 a forensic report of many VMs

IPv4 header checksums are recomputed after a rewrite; TCP and UDP checksums
are left as they were (nothing here checks them)."""
import glob
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, '..', 'golden')
PCAP_HDR = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def read_pcap(path):
    """Yields (ts_us, data, wire_len) of a little-endian microsecond pcap."""
    with open(path, 'rb') as f:
        hdr = f.read(24)
        magic, = struct.unpack('<I', hdr[:4])
        if magic != 0xa1b2c3d4:
            sys.exit('%s: not a little-endian microsecond pcap' % path)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, usec, incl, orig = struct.unpack('<IIII', rec)
            yield sec * 1000000 + usec, f.read(incl), orig


def ip_csum(h):
    s = sum(struct.unpack('!%dH' % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def remap(data, k):
    """Moves 192.0.2.x to 10.a.b.x in an untagged Ethernet IPv4 frame."""
    if len(data) < 34 or data[12:14] != b'\x08\x00':
        return data
    ihl = (data[14] & 0x0f) * 4
    if len(data) < 14 + ihl:
        return data
    b = bytearray(data)
    new = bytes([10, k >> 8, k & 0xff])
    changed = False
    for off in (26, 30):
        if b[off:off + 3] == b'\xc0\x00\x02':
            b[off:off + 3] = new
            changed = True
    if changed:
        b[24:26] = b'\x00\x00'
        b[24:26] = struct.pack('!H', ip_csum(bytes(b[14:14 + ihl])))
    return bytes(b)


def write_rec(out, ts, data, wire):
    out.write(struct.pack('<IIII', ts // 1000000, ts % 1000000, len(data), wire))
    out.write(data)


# Fixtures of many short flows: left out of the bulk capture.
FLOODS = ('addrscan', 'dnsamp', 'httpmany', 'hydra', 'icmpflood', 'portscan',
          'synflood', 'udpflood')


def fixture_files():
    """The recorded fixtures: every golden case's capture, in path order."""
    return sorted(glob.glob(os.path.join(GOLDEN, '*', 'capture.pcap')))


def mixed(path, minimum, bulk=False):
    files = [f for f in fixture_files() if not
             (bulk and os.path.basename(os.path.dirname(f)) in FLOODS)]
    fixtures = [list(read_pcap(f)) for f in files]
    n = 0
    t = 1767225600 * 1000000          # 2026-01-01, then onwards
    with open(path, 'wb') as out:
        out.write(PCAP_HDR)
        k = 0
        while n < minimum:
            for recs in fixtures:
                if not recs:
                    continue
                base = recs[0][0]
                for ts, data, wire in recs:
                    write_rec(out, t + ts - base, remap(data, k), wire)
                    n += 1
                t += recs[-1][0] - base + 1000000
            k += 1
    print('%s: %d packets, %d rounds of %d fixtures' % (path, n, k, len(files)))


def short_verdict_fixtures(limit=400):
    """The IPv4 fixtures of at most limit packets whose expect names a
    category: the verdicts of one VM, when each round is another VM."""
    out = []
    for f in fixture_files():
        d = os.path.dirname(f)
        with open(os.path.join(d, 'expect')) as e:
            if e.read().strip() == 'none':
                continue
        recs = list(read_pcap(f))
        if len(recs) <= limit and any(remap(r[1], 1) != r[1] for r in recs):
            out.append(recs)
    return out


def vms(path, count):
    fixtures = short_verdict_fixtures()
    n = 0
    t = 1767225600 * 1000000
    with open(path, 'wb') as out:
        out.write(PCAP_HDR)
        for k in range(1, count + 1):
            for recs in fixtures:
                base = recs[0][0]
                for ts, data, wire in recs:
                    write_rec(out, t + ts - base, remap(data, k), wire)
                    n += 1
                t += recs[-1][0] - base + 1000000
    print('%s: %d packets, %d VMs of %d fixtures' % (path, n, count,
                                                      len(fixtures)))


def syn(path, count):
    eth = b'\x02\x00\xc0\x00\x02\x01\x02\x00\xc0\x00\x02\x0a\x08\x00'
    server = bytes([198, 51, 100, 7])
    t = 1767225600 * 1000000
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 96, 1))
        for i in range(count):
            vm = bytes([10, 1, 0, 1 + i % 16])
            sport = 1024 + (i // 16) % 64000
            dport = 1 + (i // (16 * 64000))
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, i & 0xffff, 0x4000,
                             64, 6, 0, vm, server)
            ip = ip[:10] + struct.pack('!H', ip_csum(ip)) + ip[12:]
            tcp = struct.pack('!HHIIBBHHH', sport, dport, i, 0, 0x50, 0x02,
                              64240, 0, 0)
            frame = eth + ip + tcp
            write_rec(out, t + i * 10, frame, len(frame))
    print('%s: %d one-packet SYN flows' % (path, count))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ('mixed', 'bulk', 'syn', 'vms'):
        sys.exit(__doc__)
    kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == 'syn':
        syn(out, n)
    elif kind == 'vms':
        vms(out, n)
    else:
        mixed(out, n, bulk=kind == 'bulk')


if __name__ == '__main__':
    main()
