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
  gen.py real OUT N [DIR]        every capture of DIR (pcap or pcapng, any
                                 link type capread.py knows) in the order of
                                 their first packets, copied K times at
                                 other addresses, K making about N packets;
                                 DIR defaults to the public nDPI corpus
                                 (../shared/corpus/ndpi-dev/pcap from the
                                 repository root) when it exists, else the
                                 fixtures
  gen.py real-bulk OUT N [DIR]   the same with the 40 captures of DIR that
                                 have the most packets per flow

real and real-bulk: every packet becomes an Ethernet frame (capread.py
strips the link header it knows and puts a made-up Ethernet header in its
place; the packets of other link types are left out and counted). The
captures play one after the other, 1 s apart, in the order of their first
packets' times, each keeping its own gaps between packets, but a gap
longer than an hour is cut to an hour (longer than any idle timeout of
either program, so it still expires every flow, and a capture with broken
times cannot push the clock past 2106) and a packet older than the one
before it takes that one's time: time only goes forward. Copy k (0 is the
captures as recorded) XORs k into the last byte of every unicast address
(capread.ip_patches), so each copy is other hosts and new flows for both
programs, and starts 1 s after the previous one ended.

IPv4 header checksums are recomputed after a rewrite; TCP and UDP checksums
are left as they were (nothing here checks them)."""
import glob
import os
import struct
import sys

import capread

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, '..', 'golden')
CORPUS = os.path.join(HERE, '..', '..', '..', 'shared', 'corpus', 'ndpi-dev',
                      'pcap')
# real-bulk: this many captures, those with the most packets per flow.
BULK_CAPTURES = 40
MAX_GAP_US = 3600 * 1000000
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


def real_dir(arg=None):
    """The captures real and real-bulk read: arg, else the nDPI corpus when
    it is there, else the fixtures' directory (None: tests/golden/*/)."""
    if arg:
        return arg
    if os.path.isdir(CORPUS):
        return os.path.normpath(CORPUS)
    return None


def real_files(directory):
    if directory is None:
        return fixture_files()
    if not os.path.isdir(directory):
        sys.exit('gen.py: %s: not a directory' % directory)
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if os.path.isfile(os.path.join(directory, f)))


def flow_key(key, k):
    """The 5-tuple of a packet's key in copy k, the same in both
    directions."""
    proto, src, dst, sport, dport = key
    a = (capread.map_addr(src, k), sport)
    b = (capread.map_addr(dst, k), dport)
    return (proto,) + ((a, b) if a <= b else (b, a))


def load_real(files):
    """Reads every capture; returns the captures as lists of (ts_us, frame,
    wire, patches, key), with what was left out counted."""
    caps, skipped, broken = [], {}, []
    for path in files:
        recs = []
        try:
            for ts, dlt, data, wire in capread.read_capture(path):
                r = capread.to_ether(dlt, data, wire)
                if r is None:
                    skipped[dlt] = skipped.get(dlt, 0) + 1
                    continue
                patches, key = capread.ip_patches(r[0])
                recs.append((ts // 1000, r[0], r[1], patches, key))
        except capread.CaptureError as e:
            broken.append('%s (%s)' % (os.path.basename(path), e))
        except OSError as e:
            broken.append('%s (%s)' % (os.path.basename(path), e.strerror))
        if recs:
            caps.append((path, recs))
    return caps, skipped, broken


def packets_per_flow(recs):
    flows = {flow_key(r[4], 0) for r in recs if r[4] is not None}
    return len(recs) / max(1, len(flows))


def real(path, target, directory, bulk=False):
    files = real_files(directory)
    caps, skipped, broken = load_real(files)
    if not caps:
        sys.exit('gen.py: no packets in the captures of %s' % directory)
    if bulk:
        caps.sort(key=lambda c: -packets_per_flow(c[1]))
        caps = caps[:BULK_CAPTURES]
    caps.sort(key=lambda c: (c[1][0][0], c[0]))
    per_copy = sum(len(recs) for _, recs in caps)
    copies = max(1, round(target / per_copy))
    if copies > 255:
        copies = 255                    # k must fit in an address byte
    n = 0
    flows = set()
    t = 1767225600 * 1000000
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for k in range(copies):
            for _, recs in caps:
                prev = recs[0][0]
                for ts, frame, wire, patches, key in recs:
                    t += min(max(ts - prev, 0), MAX_GAP_US)
                    prev = max(prev, ts)
                    write_rec(out, t, capread.apply_patches(frame, patches, k),
                              wire)
                    if key is not None:
                        flows.add(flow_key(key, k))
                    n += 1
                t += 1000000
    where = directory or 'tests/golden/*/capture.pcap'
    print('%s: %d packets, %d flows (5-tuples): %d captures of %s (%d '
          'packets) copied %d times' % (path, n, len(flows), len(caps), where,
                                        per_copy, copies))
    if skipped:
        print('%s: left out, not made Ethernet frames (too short, not IP, '
              'or an unknown link type): %s' % (path, ', '.join(
                  '%d of link type %d' % (c, d)
                  for d, c in sorted(skipped.items()))))
    if broken:
        print('%s: unreadable or cut short: %s' % (path, '; '.join(broken)))


def main():
    real_kinds = ('real', 'real-bulk')
    if (len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[1] not
                                        in real_kinds) or sys.argv[1] not in
            ('mixed', 'bulk', 'syn', 'vms') + real_kinds):
        sys.exit(__doc__)
    kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind in real_kinds:
        real(out, n, real_dir(sys.argv[4] if len(sys.argv) == 5 else None),
             bulk=kind == 'real-bulk')
    elif kind == 'syn':
        syn(out, n)
    elif kind == 'vms':
        vms(out, n)
    else:
        mixed(out, n, bulk=kind == 'bulk')


if __name__ == '__main__':
    main()
