#!/usr/bin/env python3
"""Soak: the recorded fixtures, round after round (each round other VM
addresses and later times, so every round is new flows), streamed into
`egressd -r -` for MINUTES; egressd's RSS is sampled every 5 s and must be
flat once the tables have filled: the last sample at most 10% above the
one at the end of the first minute.

usage: tests/soak.py EGRESSD [MINUTES]"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'bench'))
import gen  # noqa: E402  (tests/bench/gen.py)
import glob  # noqa: E402
import subprocess  # noqa: E402


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def main():
    egressd = sys.argv[1]
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    files = sorted(f for f in glob.glob(os.path.join(gen.CAPS, '*.pcap'))
                   if os.path.basename(f) != 'demo.pcap')
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
            samples.append((now - start, rss_kib(p.pid)))
            print('soak: %5.0f s, %9d packets, %6d rounds, RSS %6d KiB' % (
                now - start, packets, k, samples[-1][1]), flush=True)
            next_sample += 5
    out.close()
    rc = p.wait()
    warm = [r for s, r in samples if s >= 60] or [samples[-1][1]]
    first, last, peak = warm[0], samples[-1][1], max(r for _, r in samples)
    ok = rc == 0 and last <= first * 1.10
    print('soak: %s: %.1f min, %d packets, RSS at 1 min %d KiB, at the end %d '
          'KiB, peak %d KiB, exit %d' % ('PASS' if ok else 'FAIL', minutes,
                                         packets, first, last, peak, rc))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
