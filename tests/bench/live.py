#!/usr/bin/env python3
"""Live capture with 1 and with 2 workers: how fast each drains its rings.

On a 2-core machine tcpreplay cannot send faster than egressd reads (both
want a core), so the sender's rate says nothing about egressd's. Instead
egressd is stopped (SIGSTOP) while tcpreplay fills its kernel rings with the
capture (make bench gives it the real one, of many hosts), ROUNDS times over, inside a namespace made here; then it is
continued (SIGCONT) and timed until its threads go idle, by their run time
in /proc/PID/task/*/schedstat (nanoseconds), read every 5 ms. Packets taken
/ drain time is its rate with no sender competing; the kernel's drop count
must stay 0 (the rings are sized to hold everything). Each worker count is
run RUNS times and the best run counts, as in bench.py: the one least
disturbed by the rest of the machine.

usage: live.py EGRESSD CAPTURE [ROUNDS [RUNS]]"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

NS = 'egd-bench-%d' % os.getpid()
# Every private address is a VM, as on a host whose VMs have private
# addresses: the workers split the traffic by VM (capture/live.c), so a
# capture of few VMs cannot keep two workers busy.
VM_NETWORKS = '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16'


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, **kw)


class RunTime:
    """Run time of all of a process's threads, in nanoseconds, from
    /proc/PID/task/*/schedstat, kept open: a look costs a few reads, so
    the watcher takes next to nothing from the two cores it watches."""

    def __init__(self, pid):
        self.fds = []
        for tid in os.listdir('/proc/%d/task' % pid):
            self.fds.append(os.open('/proc/%d/task/%s/schedstat' % (pid, tid),
                                    os.O_RDONLY))

    def ns(self):
        return sum(int(os.pread(fd, 64, 0).split()[0]) for fd in self.fds)

    def close(self):
        for fd in self.fds:
            os.close(fd)


def run(egressd, cap, rounds, workers, tmp):
    """One timed drain; egressd never outlives it, stopped or not."""
    out = os.path.join(tmp, 'w%d.json' % workers)
    err = open(os.path.join(tmp, 'w%d.err' % workers), 'w')
    p = subprocess.Popen(['ip', 'netns', 'exec', NS, egressd, '-i', 'vB',
                          '--workers', str(workers), '--vm-networks',
                          VM_NETWORKS, '--buffer-size', str(1 << 30),
                          '--snaplen', '262144', '--stats-interval', '0',
                          '-o', out, '-v'], stderr=err)
    try:
        return drain_once(p, cap, rounds, out, err)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait()


def drain_once(p, cap, rounds, out, err):
    deadline = time.monotonic() + 20
    while 'capturing on' not in open(err.name).read():
        if time.monotonic() > deadline or p.poll() is not None:
            sys.exit('live bench: egressd did not start: ' + open(err.name).read())
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(p.pid, signal.SIGSTOP)
    sent = 0
    for _ in range(rounds):
        r = sh('ip', 'netns', 'exec', NS, 'tcpreplay', '-i', 'vA', '--topspeed',
               cap, capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.strip().startswith('Actual:'):
                sent += int(line.split()[1])
    time.sleep(0.5)
    clock = RunTime(p.pid)
    start_ns = clock.ns()
    start = time.monotonic()
    os.kill(p.pid, signal.SIGCONT)
    last, prev, idle, stop = start_ns, start, 0, None
    while time.monotonic() - start < 120:
        time.sleep(0.005)
        t = time.monotonic()
        now = clock.ns()
        # Idle: under 10% of one core since the last look, 4 times running
        # (20 ms), once the drain has begun.
        if now - last <= 0.1 * (t - prev) * 1e9:
            idle += 1
            if idle == 4 and stop is not None:
                break
        else:
            idle = 0
            stop = t
        last, prev = now, t
    clock.close()
    if stop is None:
        sys.exit('live bench: egressd never ran after SIGCONT')
    drain = stop - start
    cpu = (last - start_ns) / 1e9
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    err.close()
    with open(out) as f:
        stats = [json.loads(l) for l in f if '"stats"' in l][-1]['stats']
    got = stats['capture']['packets']
    drops = stats['capture']['kernel_drops']
    return sent, got, drops, drain, cpu, stats['decoder']['fragment']


def ceiling(egressd, cap, runs):
    """What two cores give here when nothing is shared: two separate
    replays of cap at once against one alone (2 x its time / their time).
    Cores that share a cache, memory bandwidth or a physical core with
    another guest give less than 2, whatever the program."""
    argv = [egressd, '-r', cap, '-o', os.devnull]

    def timed(n):
        start = time.monotonic()
        ps = [subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) for _ in range(n)]
        for p in ps:
            if p.wait() != 0:
                sys.exit('live bench: %s failed' % ' '.join(argv))
        return time.monotonic() - start

    one = min(timed(1) for _ in range(runs))
    two = min(timed(2) for _ in range(runs))
    return 2 * one / two


def main():
    if len(sys.argv) not in (3, 4, 5):
        sys.exit(__doc__)
    egressd, cap = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) >= 4 and sys.argv[3] else 3
    runs = int(sys.argv[4]) if len(sys.argv) == 5 and sys.argv[4] else 3
    if os.geteuid() != 0:
        print('live bench: skipped (needs root)')
        return
    sh('ip', 'netns', 'add', NS)
    try:
        sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'add', 'vA', 'type', 'veth',
           'peer', 'name', 'vB')
        sh('ip', 'netns', 'exec', NS, 'sysctl', '-qw',
           'net.ipv6.conf.all.disable_ipv6=1')
        for dev in ('vA', 'vB'):
            # real captures hold frames of offloaded segments, up to 64 KiB
            sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', dev, 'mtu',
               '65535', 'up')
        with tempfile.TemporaryDirectory() as tmp:
            best = {}
            for i in range(runs):
                for w in (1, 2):
                    sent, got, drops, drain, cpu, frags = run(
                        egressd, cap, rounds, w, tmp)
                    print('live, %d worker%s, run %d: %d packets sent, %d taken, '
                          '%d kernel drops; rings drained in %.3f s = %.0f '
                          'packets/s (%.2f s CPU)' % (
                              w, '' if w == 1 else 's', i + 1, sent, got, drops,
                              drain, sent / drain, cpu))
                    # With workers the kernel reassembles IP fragments
                    # before it chooses one (capture/live.c): each
                    # datagram's fragments arrive as one packet.
                    if w == 1:
                        fragments = frags
                    if drops != 0 or got > sent or got < sent - fragments:
                        sys.exit('live bench: packets lost')
                    best[w] = max(best.get(w, 0), sent / drain)
            print('live: best of %d runs: 1 worker %.0f packets/s, 2 workers %.0f'
                  % (runs, best[1], best[2]))
            print('live: 2 workers take %.2fx the packets/s of one (target >= 1.8)'
                  % (best[2] / best[1]))
            print('live: this machine\'s ceiling: two replays of the capture '
                  'at once take %.2fx the packets/s of one alone (best of %d)'
                  % (ceiling(egressd, cap, runs), runs))
    finally:
        subprocess.run(['ip', 'netns', 'del', NS])


if __name__ == '__main__':
    main()
