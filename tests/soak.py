#!/usr/bin/env python3
"""Soak: the recorded fixtures, round after round (each round other VM
addresses and later times, so every round is new flows), streamed into
`egressd -r -` for MINUTES; egressd's memory is sampled every 5 s. Every
table is allocated at start and its pages are touched as entries fill, so
RSS rises towards the allocation and stops there; what must not grow is
the allocation itself: VmData at the end within 1% of VmData at one
minute (and RSS never above VmData).

usage: tests/soak.py EGRESSD [MINUTES]"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'bench'))
import gen  # noqa: E402  (tests/bench/gen.py)
import subprocess  # noqa: E402


def mem_kib(pid):
    """(VmRSS, VmData) of pid, in KiB."""
    got = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(('VmRSS:', 'VmData:')):
                got[line.split(':')[0]] = int(line.split()[1])
    return got.get('VmRSS', 0), got.get('VmData', 0)


def main():
    egressd = sys.argv[1]
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    files = gen.fixture_files()
    fixtures = [list(gen.read_pcap(f)) for f in files]
    p = subprocess.Popen([egressd, '-r', '-', '-o', os.devnull],
                         stdin=subprocess.PIPE)
    out = p.stdin
    out.write(gen.PCAP_HDR)
    t = 1767225600 * 1000000
    start = time.monotonic()
    end = start + minutes * 60
    samples, k, packets, next_sample = [], 0, 0, start
    while time.monotonic() < end:
        for recs in fixtures:
            base = recs[0][0]
            for ts, data, wire in recs:
                gen.write_rec(out, t + ts - base, gen.remap(data, k % 65536), wire)
            packets += len(recs)
            t += recs[-1][0] - base + 1000000
        k += 1
        now = time.monotonic()
        if now >= next_sample:
            rss, data = mem_kib(p.pid)
            samples.append((now - start, rss, data))
            print('soak: %5.0f s, %9d packets, %6d rounds, RSS %6d KiB, '
                  'VmData %6d KiB' % (now - start, packets, k, rss, data),
                  flush=True)
            next_sample += 5
    out.close()
    rc = p.wait()
    warm = [x for x in samples if x[0] >= 60] or [samples[-1]]
    d0, d1 = warm[0][2], samples[-1][2]
    r0, r1 = warm[0][1], samples[-1][1]
    ok = rc == 0 and d1 <= d0 * 1.01 and all(r <= d for _, r, d in samples)
    print('soak: %s: %.1f min, %d packets; at 1 min RSS %d KiB, VmData %d KiB; '
          'at the end RSS %d KiB, VmData %d KiB; exit %d' % (
              'PASS' if ok else 'FAIL', minutes, packets, r0, d0, r1, d1, rc))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
