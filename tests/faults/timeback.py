#!/usr/bin/env python3
"""Helpers of 09-time-back.sh (standard library only).

  timeback.py merge FIRST SECOND BACK OUT-FIRST OUT-SECOND OUT-MERGED
      writes FIRST as it is, SECOND moved in time so that it starts BACK
      seconds before FIRST ends, and the two one after the other in one
      file, as `mergecap -a` of two hosts' captures writes them
  timeback.py compare MERGED-EVENTS FIRST-EVENTS SECOND-EVENTS
      prints one "ok - ..." or "not ok - ..." line per property that must
      hold for the merged replay
"""
import collections
import datetime
import json
import struct
import sys


def read_pcap(path):
    """(linktype, snaplen, [(ts_us, wire_len, data)]) of a classic pcap."""
    with open(path, 'rb') as f:
        d = f.read()
    magic = d[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        sys.exit('%s: not a pcap file' % path)
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    snaplen, linktype = struct.unpack(e + 'II', d[16:24])
    recs, off = [], 24
    while off + 16 <= len(d):
        sec, frac, incl, orig = struct.unpack(e + 'IIII', d[off:off + 16])
        ts = sec * 1000000 + (frac // 1000 if nano else frac)
        recs.append((ts, orig, d[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, snaplen, recs


def write_pcap(path, linktype, snaplen, recs):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen,
                            linktype))
        for ts, orig, data in recs:
            f.write(struct.pack('<IIII', ts // 1000000, ts % 1000000,
                                len(data), orig))
            f.write(data)


def merge(first, second, back, out_first, out_second, out_merged):
    la, sa, a = read_pcap(first)
    lb, sb, b = read_pcap(second)
    if la != lb:
        sys.exit('%s and %s have different link types' % (first, second))
    shift = a[-1][0] - int(float(back) * 1000000) - b[0][0]
    b = [(ts + shift, orig, data) for ts, orig, data in b]
    snap = max(sa, sb)
    write_pcap(out_first, la, snap, a)
    write_pcap(out_second, la, snap, b)
    write_pcap(out_merged, la, snap, a + b)


def events(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def usec(stamp):
    t = datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ')
    t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000000 + t.microsecond


def flows(evs):
    return [e for e in evs if e['event_type'] == 'flow']


def flow_key(e):
    """A flow as a reader finds it again, whatever ended it."""
    return (e['src_ip'], e['src_port'], e['dest_ip'], e['dest_port'],
            e['proto'], e['pkts_toserver'], e['pkts_toclient'],
            e['bytes_toserver'], e['bytes_toclient'], e['start'], e['end'])


def verdict_key(e):
    return (e['category'], e['vm'], e['timestamp'])


def report(ok, what):
    print('%s - %s' % ('ok' if ok else 'not ok', what))
    return ok


def compare(merged_path, first_path, second_path):
    m, a, b = events(merged_path), events(first_path), events(second_path)
    good = True
    n, want = len(flows(m)), len(flows(a)) + len(flows(b))
    good &= report(n == want, 'merged replay: %d flows, as the two recordings '
                   'replayed apart (%d + %d)' % (n, len(flows(a)),
                                                   len(flows(b))))
    got = collections.Counter(flow_key(e) for e in flows(m))
    want = collections.Counter(flow_key(e) for e in flows(a) + flows(b))
    good &= report(got == want, 'merged replay: each flow with its packets, '
                   'bytes, start and end as replayed apart (%d differ)'
                   % sum(((got - want) + (want - got)).values()))
    got = collections.Counter(verdict_key(e) for e in m
                              if e['event_type'] == 'verdict')
    want = collections.Counter(verdict_key(e) for e in a + b
                               if e['event_type'] == 'verdict')
    good &= report(got == want and len(want) > 0,
                   'merged replay: the verdicts (category, VM, time) of the '
                   'two replayed apart: got %s, want %s'
                   % (sorted(got.elements()), sorted(want.elements())))
    # Each flow lies in one recording: none lasts longer than it.
    longest = max(max(usec(e['timestamp']) for e in r) -
                  min(usec(e['start']) for e in flows(r)) for r in (a, b))
    bad = [e for e in flows(m)
           if not 0 <= usec(e['end']) - usec(e['start']) <= longest]
    good &= report(not bad, 'merged replay: no flow lasts less than 0 or '
                   'longer than the recordings (%d do)' % len(bad))
    return good


def main():
    if len(sys.argv) == 8 and sys.argv[1] == 'merge':
        merge(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == 'compare':
        sys.exit(0 if compare(*sys.argv[2:]) else 1)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
