#!/usr/bin/env python3
"""make bench: egressd against Debian's ndpiReader on the same captures, in
the same run, several rounds, the programs taking turns; the best round of
each counts (the one least disturbed by the rest of the machine). Also a
bare libpcap read loop over each capture as the floor, and the start-up
every run pays before its first packet: egressd on an empty capture, and
nDPI's own set-up and teardown alone (ndpiinit, next to PCAPREAD). The
captures (gen.py): mixed, every recorded fixture (floods and scans too: a
new flow every other packet); bulk, the conversations alone (few flows,
long transfers); 1M SYN flows; real, every capture of a directory of real
traffic (BENCH_PCAPS, else the public nDPI corpus beside the repository,
else the fixtures) copied at other addresses to about 500,000 packets;
real-bulk, the 40 of those captures with the most packets per flow, made
the same way. For real and real-bulk, one more run of each program under
`perf record` gives the share of its time spent inside libndpi.

usage: [BENCH_PCAPS=DIR] bench.py EGRESSD PCAPREAD WORKDIR [ROUNDS]"""
import glob
import os
import re
import subprocess
import sys
import time

import gen

HERE = os.path.dirname(os.path.abspath(__file__))
REAL_KINDS = ('real', 'real-bulk')


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


def make_real(work, kind, n, directory):
    """Makes WORK/KIND.pcap again when the captures of directory, the
    directory itself or the generator changed since."""
    path = os.path.join(work, kind + '.pcap')
    stamp = path + '.src'
    files = gen.real_files(directory)
    inputs = files + [os.path.join(HERE, f) for f in ('gen.py', 'capread.py')]
    newest = max(os.path.getmtime(f) for f in inputs)
    made_from = None
    if os.path.exists(stamp):
        with open(stamp) as f:
            made_from = f.read()
    source = '%s\n%d\n' % (directory or '', n)
    if (made_from != source or not os.path.exists(path) or
            os.path.getmtime(path) < newest):
        cmd = [sys.executable, os.path.join(HERE, 'gen.py'), kind, path,
               str(n)]
        subprocess.run(cmd + ([directory] if directory else []), check=True)
        with open(stamp, 'w') as f:
            f.write(source)


def perf_usable(work):
    """Whether perf can sample here. The time-based software event is used:
    a VM often has no hardware counters (`perf stat -e instructions true`
    says <not supported>), and the share of time is what is asked."""
    data = os.path.join(work, 'perf-probe.data')
    try:
        r = subprocess.run(['perf', 'record', '-q', '-e', 'cpu-clock', '-o',
                            data, '--', 'true'], capture_output=True)
    except OSError:
        return False
    return r.returncode == 0


def dso_shares(argv, data):
    """Runs argv under perf record; returns {shared object: percent of the
    samples}, the kernel's included."""
    with open(os.devnull, 'wb') as null:
        subprocess.run(['perf', 'record', '-q', '-e', 'cpu-clock', '-o', data,
                        '--'] + argv, stdout=null, stderr=null, check=True)
    out = subprocess.run(['perf', 'report', '-i', data, '--sort', 'dso',
                          '--stdio', '-q'], capture_output=True, text=True,
                         check=True).stdout
    shares = {}
    for line in out.splitlines():
        m = re.match(r'\s*([\d.]+)%\s+(\S+)', line)
        if m:
            shares[m.group(2)] = float(m.group(1))
    return shares


def share(shares, prefix):
    return sum(v for k, v in shares.items() if k.startswith(prefix))


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    egressd, pcapread, work = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) == 5 and sys.argv[4] else 5
    caps = (('mixed', 'mixed', 500000), ('bulk', 'bulk', 500000),
            ('1M SYN flows', 'syn', 1000000), ('real', 'real', 500000),
            ('real-bulk', 'real-bulk', 500000))
    real_dir = gen.real_dir(os.environ.get('BENCH_PCAPS'))
    if real_dir is not None and not os.path.isdir(real_dir):
        sys.exit('bench: BENCH_PCAPS=%s: not a directory' % real_dir)
    # A capture is made again when the fixtures or gen.py changed since.
    inputs = glob.glob(os.path.join(HERE, '..', 'golden', '*',
                                    'capture.pcap')) + [
        os.path.join(HERE, 'gen.py')]
    newest = max(os.path.getmtime(f) for f in inputs)
    for _, kind, n in caps:
        if kind in REAL_KINDS:
            make_real(work, kind, n, real_dir)
            continue
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
    for kind in ('mixed', 'bulk', 'syn') + REAL_KINDS:
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
    print('real captures: %s' % (real_dir or 'tests/golden/*/capture.pcap'))
    for kind in REAL_KINDS:
        name, n, e, d, f = res[kind]
        print('%-13s egressd is %.2fx ndpiReader\'s packets/s, %.2fx the '
              'libpcap floor\'s time; ndpiReader is %.2fx the floor' % (
                  name + ':', d[0] / e[0], e[0] / f[0], d[0] / f[0]))
    if not perf_usable(work):
        print('perf unavailable: no share of time inside libndpi')
        return
    for kind in REAL_KINDS:
        cap = os.path.join(work, kind + '.pcap')
        e = dso_shares([egressd, '-r', cap, '-o', os.devnull],
                       os.path.join(work, 'perf-%s-egressd.data' % kind))
        d = dso_shares(['ndpiReader', '-q', '-i', cap],
                       os.path.join(work, 'perf-%s-ndpireader.data' % kind))
        print('%-13s time inside libndpi (perf record -e cpu-clock, --sort '
              'dso): egressd %.1f%% (its own code %.1f%%, libc %.1f%%), '
              'ndpiReader %.1f%% (its own code %.1f%%, libc %.1f%%)' % (
                  kind + ':', share(e, 'libndpi'),
                  share(e, os.path.basename(egressd)), share(e, 'libc.'),
                  share(d, 'libndpi'), share(d, 'ndpiReader'),
                  share(d, 'libc.')))


if __name__ == '__main__':
    main()
