#!/usr/bin/env python3
"""make bench: egressd against Debian's ndpiReader on the same captures, in
the same run, several rounds, the programs taking turns; the best round of
each counts (the one least disturbed by the rest of the machine). Also a
bare libpcap read loop over each capture as the floor, and the start-up
every run pays before its first packet: egressd on an empty capture, and
nDPI's own set-up and teardown alone (ndpiinit, next to PCAPREAD). The
captures (gen.py): mixed, every recorded fixture (floods and scans too: a
new flow every other packet); bulk, the conversations alone (few flows,
long transfers); 1M SYN flows.

usage: bench.py EGRESSD PCAPREAD WORKDIR [ROUNDS]"""
import glob
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


def best(argvs, rounds):
    """Runs each of argvs once per round, interleaved, so that a slow spell
    of the machine falls on all of them alike; returns, for each, the best
    time and the largest peak RSS."""
    runs = [[] for _ in argvs]
    for _ in range(rounds):
        for i, argv in enumerate(argvs):
            runs[i].append(run(argv))
    return [(min(r[0] for r in rs), max(r[1] for r in rs)) for rs in runs]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    egressd, pcapread, work = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) == 5 and sys.argv[4] else 5
    caps = (('mixed', 'mixed', 500000), ('bulk', 'bulk', 500000),
            ('1M SYN flows', 'syn', 1000000))
    # A capture is made again when the fixtures or gen.py changed since.
    inputs = glob.glob(os.path.join(HERE, '..', 'golden', '*',
                                    'capture.pcap')) + [
        os.path.join(HERE, 'gen.py')]
    newest = max(os.path.getmtime(f) for f in inputs)
    for _, kind, n in caps:
        path = os.path.join(work, kind + '.pcap')
        if not os.path.exists(path) or os.path.getmtime(path) < newest:
            subprocess.run([sys.executable, os.path.join(HERE, 'gen.py'), kind,
                            path, str(n)], check=True)
    print('machine: %s, %d CPUs; %d rounds each, programs interleaved, '
          'best round shown' % (
        os.uname().release, os.cpu_count(), rounds))
    res = {}
    for name, kind, _ in caps:
        cap = os.path.join(work, kind + '.pcap')
        n = count_packets(pcapread, cap)
        argvs = [[egressd, '-r', cap, '-o', os.devnull],
                 ['ndpiReader', '-q', '-i', cap]]
        if kind != 'syn':
            argvs.append([pcapread, cap])
        r = best(argvs, rounds)
        res[kind] = (name, n, r[0], r[1], r[2] if kind != 'syn' else None)
    empty = os.path.join(work, 'empty.pcap')
    with open(empty, 'wb') as out:
        out.write(bytes.fromhex('d4c3b2a1020004000000000000000000ffff000001000000'))
    start, ndpi = (r[0] for r in best(
        [[egressd, '-r', empty, '-o', os.devnull],
         [os.path.join(os.path.dirname(pcapread), 'ndpiinit')]], rounds))
    print('%-14s %9s %-12s %9s %11s %9s' % ('capture', 'packets', 'program',
                                            'seconds', 'packets/s', 'peak RSS'))
    for kind in ('mixed', 'bulk', 'syn'):
        name, n, e, d, f = res[kind]
        for prog, r in (('egressd', e), ('ndpiReader', d), ('libpcap read', f)):
            if r is not None:
                print('%-14s %9d %-12s %9.3f %11.0f %6.0f MiB' % (
                    name, n, prog, r[0], n / r[0], r[1] / 1048576))
    print()
    for kind in ('mixed', 'bulk'):
        name, n, e, d, f = res[kind]
        print('%-13s egressd is %.2fx ndpiReader\'s packets/s (target >= 3), '
              '%.2fx the libpcap floor\'s time (target <= 2); ndpiReader is '
              '%.2fx the floor' % (name + ':', d[0] / e[0], e[0] / f[0],
                                  d[0] / f[0]))
    f = res['mixed'][4][0]
    print('start-up:     egressd on an empty capture %.3f s, of which nDPI\'s '
          'set-up and teardown alone %.3f s (ndpiReader pays that too): '
          '%.2fx and %.2fx the mixed floor\'s time before the first packet' % (
              start, ndpi, start / f, ndpi / f))
    name, n, e, d, f = res['syn']
    print('%-13s egressd is %.2fx ndpiReader\'s packets/s (target >= 10), '
          'peak RSS %.0f MiB (target <= 512), ndpiReader %.0f MiB' % (
              name + ':', d[0] / e[0], e[1] / 1048576, d[1] / 1048576))


if __name__ == '__main__':
    main()
