#!/usr/bin/env python3
"""Live capture with 1 and with 2 workers: how fast each drains its rings.

On a 2-core machine tcpreplay cannot send faster than egressd reads (both
want a core), so the sender's rate says nothing about egressd's. Instead
egressd is stopped (SIGSTOP) while tcpreplay fills its kernel rings with the
mixed capture, ROUNDS times over, inside a namespace made here; then it is
continued (SIGCONT) and timed until its threads go idle, by the CPU time in
/proc/PID/stat. Packets taken / drain time is its rate with no sender
competing; the kernel's drop count must stay 0 (the rings are sized to hold
everything).

usage: live.py EGRESSD MIXED.pcap [ROUNDS]"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

NS = 'egd-bench-%d' % os.getpid()


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def cpu_ticks(pid):
    total = 0
    for tid in os.listdir('/proc/%d/task' % pid):
        with open('/proc/%d/task/%s/stat' % (pid, tid)) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        total += int(fields[11]) + int(fields[12])    # utime + stime
    return total


def run(egressd, cap, rounds, workers, tmp):
    out = os.path.join(tmp, 'w%d.json' % workers)
    err = open(os.path.join(tmp, 'w%d.err' % workers), 'w')
    p = subprocess.Popen(['ip', 'netns', 'exec', NS, egressd, '-i', 'vB',
                          '--workers', str(workers), '--vm-networks',
                          '10.0.0.0/8', '--buffer-size', str(1 << 30),
                          '--snaplen', '262144', '--stats-interval', '0',
                          '-o', out, '-v'], stderr=err)
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
    start_ticks = cpu_ticks(p.pid)
    start = time.monotonic()
    os.kill(p.pid, signal.SIGCONT)
    hz = os.sysconf('SC_CLK_TCK')
    last, idle = start_ticks, 0
    while True:
        time.sleep(0.02)
        now = cpu_ticks(p.pid)
        # Idle: under 10% of one core over the last 20 ms, twice running.
        if now - last <= 0.1 * 0.02 * hz:
            idle += 1
            if idle == 2:
                break
        else:
            idle = 0
            stop = time.monotonic()
        last = now
    drain = stop - start
    cpu = (last - start_ticks) / hz
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    err.close()
    with open(out) as f:
        stats = [json.loads(l) for l in f if '"stats"' in l][-1]['stats']
    got = stats['capture']['packets']
    drops = stats['capture']['kernel_drops']
    return sent, got, drops, drain, cpu


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    egressd, cap = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 3
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
            sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', dev, 'up')
        with tempfile.TemporaryDirectory() as tmp:
            res = {}
            for w in (1, 2):
                res[w] = run(egressd, cap, rounds, w, tmp)
                sent, got, drops, drain, cpu = res[w]
                print('live, %d worker%s: %d packets sent, %d taken, %d kernel '
                      'drops; rings drained in %.3f s = %.0f packets/s (%.2f s '
                      'CPU)' % (w, '' if w == 1 else 's', sent, got, drops,
                                drain, got / drain, cpu))
            r1 = res[1][1] / res[1][3]
            r2 = res[2][1] / res[2][3]
            print('live: 2 workers take %.2fx the packets/s of one (target >= 1.7)'
                  % (r2 / r1))
    finally:
        subprocess.run(['ip', 'netns', 'del', NS])


if __name__ == '__main__':
    main()
