#!/usr/bin/env python3
"""One million one-packet SYN flows: the behaviour detectors' memory stays
within their configured bound and the flood is still reported.

Writes a capture of 1,000,000 SYNs from the VM 192.0.2.10, each with its own
pair of ports (a new flow every packet), 900,000 of them to one target
(198.51.100.7, the flood) and 100,000 to as many other addresses of
198.18.0.0/15 (churn for every table), over 100 s of packet time. Replays it
with small tables and checks the stats and the verdict.

usage: tests/synflood-1m.py EGRESSD"""
import json, os, random, struct, subprocess, sys, tempfile


def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def main():
    egressd = sys.argv[1]
    entries = 1024
    rng = random.Random(7)
    vm = bytes([192, 0, 2, 10])
    flood = bytes([198, 51, 100, 7])
    eth = b'\x02\x00\xc0\x00\x02\x01\x02\x00\xc0\x00\x02\x0a\x08\x00'
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, 'syn.pcap')
        with open(cap, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 96, 1))
            for i in range(1000000):
                if i % 10 == 9:
                    n = i // 10
                    dst = bytes([198, 18 + (n >> 16), (n >> 8) & 0xff, n & 0xff])
                else:
                    dst = flood
                # Every (port, port) pair once: a new flow every packet.
                sport = 1024 + (i % 64000)
                dport = 80 + (i // 64000)
                ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, vm, dst)
                tcp = struct.pack('!HHIIBBHHH', sport, dport, rng.getrandbits(32), 0, 0x50, 0x02,
                                  1024, 0, 0)
                fr = eth + ip + tcp
                us = i * 100
                f.write(struct.pack('<IIII', 1700000000 + us // 1000000, us % 1000000, len(fr), len(fr)))
                f.write(fr)
        p = subprocess.run([egressd, '-r', cap, '--vm-networks', '192.0.2.10',
                            '--behave-max-entries', str(entries), '--max-flows', '65536'],
                           capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f'egressd failed: {p.stderr}')
    events = [json.loads(l) for l in p.stdout.splitlines()]
    stats = [e for e in events if e['event_type'] == 'stats'][-1]['stats']
    floods = [e for e in events if e['event_type'] == 'verdict' and
              e['evidence'].get('detector') == 'syn_flood' and
              e['evidence'].get('target') == '198.51.100.7']
    b = stats['behaviour']
    print(f"packets={stats['capture']['packets']} flows={stats['flow']['created']} "
          f"flow_evictions={stats['flow']['evicted']} behaviour_entries={b['entries']} "
          f"behaviour_evicted={b['evicted']} behaviour_bytes={b['bytes']} "
          f"syn_flood_verdicts={len(floods)}")
    ok = True
    if not floods:
        print('FAIL: the flood to 198.51.100.7 was not reported')
        ok = False
    if b['entries'] > 4 * entries:
        print(f'FAIL: {b["entries"]} entries in use, bound {4 * entries}')
        ok = False
    if b['evicted'] == 0:
        print('FAIL: no evictions: the churn did not reach the bound')
        ok = False
    print(f"synflood-1m: {1 if ok else 0} passed, {0 if ok else 1} failed")
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
