#!/usr/bin/env python3
"""make bench: egressd against Debian's ndpiReader on the same captures, in
the same run, several rounds; the best round of each counts (the one least
disturbed by the rest of the machine). Also a bare libpcap read loop over
the mixed capture as the floor, and the memory one classified flow costs.

usage: bench.py EGRESSD PCAPREAD WORKDIR [ROUNDS]"""
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(argv):
    """Runs argv with output discarded; returns (seconds, peak RSS bytes)."""
    start = time.monotonic()
    with open(os.devnull, 'wb') as null:
        p = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        err = p.stderr.read().decode(errors='replace')
        p.stderr.close()
    took = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit('bench: %s failed: %s' % (' '.join(argv), err.strip()))
    return took, ru.ru_maxrss * 1024


def count_packets(pcapread, cap):
    out = subprocess.run([pcapread, cap], capture_output=True, text=True,
                         check=True).stdout
    return int(out.split()[0])


def best(argv, rounds):
    runs = [run(argv) for _ in range(rounds)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    egressd, pcapread, work = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) == 5 and sys.argv[4] else 3
    mixed = os.path.join(work, 'mixed.pcap')
    syn = os.path.join(work, 'syn.pcap')
    if not os.path.exists(mixed):
        subprocess.run([sys.executable, os.path.join(HERE, 'gen.py'), 'mixed',
                        mixed, '500000'], check=True)
    if not os.path.exists(syn):
        subprocess.run([sys.executable, os.path.join(HERE, 'gen.py'), 'syn',
                        syn, '1000000'], check=True)
    print('machine: %s, %d CPUs; %d rounds each, best round shown' % (
        os.uname().release, os.cpu_count(), rounds))
    rows = []
    for name, cap in (('mixed', mixed), ('1M SYN flows', syn)):
        n = count_packets(pcapread, cap)
        e = best([egressd, '-r', cap, '-o', os.devnull], rounds)
        d = best(['ndpiReader', '-q', '-i', cap], rounds)
        rows.append((name, n, e, d))
    floor = best([pcapread, mixed], rounds)
    print('%-14s %9s %-11s %9s %11s %9s' % ('capture', 'packets', 'program',
                                           'seconds', 'packets/s', 'peak RSS'))
    for name, n, e, d in rows:
        for prog, (s, rss) in (('egressd', e), ('ndpiReader', d)):
            print('%-14s %9d %-11s %9.3f %11.0f %6.0f MiB' % (
                name, n, prog, s, n / s, rss / 1048576))
    n = rows[0][1]
    print('%-14s %9d %-11s %9.3f %11.0f %6.0f MiB' % (
        'mixed', n, 'libpcap read', floor[0], n / floor[0], floor[1] / 1048576))
    print()
    (mn, _, me, md), (sn, _, se, sd) = rows
    print('mixed:        egressd is %.2fx ndpiReader\'s packets/s (target >= 3), '
          '%.2fx the libpcap floor\'s time (target <= 2)' % (md[0] / me[0],
                                                            me[0] / floor[0]))
    print('1M SYN flows: egressd is %.2fx ndpiReader\'s packets/s (target >= 10), '
          'peak RSS %.0f MiB (target <= 512), ndpiReader %.0f MiB' % (
              sd[0] / se[0], se[1] / 1048576, sd[1] / 1048576))


if __name__ == '__main__':
    main()
