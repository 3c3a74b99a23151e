#!/usr/bin/env python3
"""What one flow costs in memory, measured from the outside.

Writes a capture of N distinct DNS flows (query and answer: nDPI's detection
is final on the first packet, so its state is freed at once and only the
compact record stays), replays it with a table large enough and idle
timeouts long enough to keep every flow, and compares egressd's peak RSS
with that of a replay of a single flow. The difference over N is the
cost of a classified flow, hash bucket and allocator overhead included.
The same with N one-packet flows of unknown payload, which nDPI keeps
examining, gives the cost of a flow still in detection.

egressd asks for transparent huge pages for its large tables, which makes
RSS grow 2 MB at a time; the replays here run with huge pages disabled
(PR_SET_THP_DISABLE, inherited across exec) so that RSS counts 4 kB pages
and the difference is exact. The bytes a flow costs are the same either way.

usage: tests/flowcost.py EGRESSD [N]"""
import ctypes, os, resource, struct, subprocess, sys, tempfile

PR_SET_THP_DISABLE = 41


def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def ipv4_udp(src, dst, sport, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x00\x00\x5e\x00\x53\x01\x00\x00\x5e\x00\x53\x02\x08\x00' + ip + udp


def dns(qid, answer):
    q = b'\x07example\x04test\x00\x00\x01\x00\x01'
    if not answer:
        return struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q
    a = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x63'
    return struct.pack('!HHHHHH', qid, 0x8180, 1, 1, 0, 0) + q + a


def write_capture(path, n, unknown=False):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000
        for i in range(n):
            vm = struct.pack('!I', 0x0a000000 + (i >> 14))
            srv = bytes([192, 0, 2, 53])
            port = 1024 + (i & 0x3fff)
            if unknown:
                frames = (ipv4_udp(vm, srv, port, 40000, struct.pack('!I', i) * 8),)
            else:
                frames = (ipv4_udp(vm, srv, port, 53, dns(i & 0xffff, False)),
                          ipv4_udp(srv, vm, 53, port, dns(i & 0xffff, True)))
            for frame in frames:
                us = i * 10
                f.write(struct.pack('<IIII', t + us // 1000000, us % 1000000, len(frame), len(frame)))
                f.write(frame)


def peak_rss_kib(cmd):
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execv(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f'{cmd} failed: {status}')
    return ru.ru_maxrss


def main():
    egressd = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    opts = ['--max-flows', str(n + 16), '--udp-idle-timeout', '24h']
    with tempfile.TemporaryDirectory() as d:
        for kind, unknown in (('classified', False), ('in_detection', True)):
            small, big = os.path.join(d, 'one.pcap'), os.path.join(d, 'many.pcap')
            write_capture(small, 1, unknown)
            write_capture(big, n, unknown)
            base = peak_rss_kib([egressd, '-r', small] + opts)
            full = peak_rss_kib([egressd, '-r', big] + opts)
            per = (full - base) * 1024 / n
            print(f'{kind}: flows={n} peak_rss_one_flow={base}KiB '
                  f'peak_rss_all={full}KiB bytes_per_flow={per:.0f}')


if __name__ == '__main__':
    main()
