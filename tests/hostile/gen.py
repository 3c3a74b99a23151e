#!/usr/bin/env python3
"""gen.py KIND OUT [BASE]: writes one hostile input for tests/hostile/run.sh.

Captures are little-endian microsecond pcaps (or pcapng where the case is
about pcapng); BASE is a valid capture from tests/golden/*/ for the cases
that start from one. Random bytes come from a fixed seed, so every run sees
the same inputs."""
import random
import struct
import sys

RNG = random.Random(20261122)


def pcap_header(linktype=1, snaplen=262144, version=(2, 4)):
    return struct.pack('<IHHiIII', 0xa1b2c3d4, version[0], version[1], 0, 0,
                       snaplen, linktype)


def record(data, ts=1700000000, caplen=None, wirelen=None):
    caplen = len(data) if caplen is None else caplen
    wirelen = len(data) if wirelen is None else wirelen
    return struct.pack('<IIII', ts, 0, caplen, wirelen) + data


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(payload, etype=0x0800):
    return (b'\x02\x00\x00\x00\x00\x02' + b'\x52\x54\x00\x12\x34\x56' +
            struct.pack('!H', etype) + payload)


def ipv4(payload, proto=6, src=b'\x0a\x00\x00\x05', dst=b'\xc6\x33\x64\x07',
         ident=1, frag=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, frag,
                    64, proto, 0, src, dst)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def tcp_syn(sport=40000, dport=443):
    return struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 0x02, 65535,
                       0, 0)


def read_records(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if struct.unpack('<I', raw[:4])[0] != 0xa1b2c3d4:
        sys.exit('gen.py: %s: not a little-endian microsecond pcap' % path)
    off, recs = 24, []
    while off + 16 <= len(raw):
        caplen = struct.unpack('<I', raw[off + 8:off + 12])[0]
        recs.append(raw[off:off + 16 + caplen])
        off += 16 + caplen
    return raw[:24], recs


def gen(kind, base):
    if kind == 'empty':
        return b''
    if kind == 'rand24':
        return bytes(RNG.getrandbits(8) for _ in range(24))
    if kind == 'rand1m':
        return RNG.randbytes(1 << 20)
    if kind == 'hdr10':
        return pcap_header()[:10]
    if kind == 'lastcut':
        # A valid capture whose last record stops halfway through its data.
        hdr, recs = read_records(base)
        last = recs[-1]
        return hdr + b''.join(recs[:-1]) + last[:16 + (len(last) - 16) // 2]
    if kind == 'oversnap':
        # Header snaplen 96, one record of 1000 bytes (caplen > snaplen).
        pkt = eth(ipv4(tcp_syn() + b'A' * (1000 - 54)))
        return pcap_header(snaplen=96) + record(pkt)
    if kind == 'huge':
        # caplen 300000: over libpcap's 262144 limit for Ethernet.
        pkt = eth(ipv4(tcp_syn() + b'B' * (65535 - 40)))
        pkt += b'\0' * (300000 - len(pkt))
        return pcap_header() + record(eth(ipv4(tcp_syn()))) + record(pkt)
    if kind == 'capgtwire':
        # caplen 1000 > wire length 60.
        pkt = eth(ipv4(tcp_syn() + b'C' * (1000 - 54)))
        return pcap_header() + record(pkt, wirelen=60)
    if kind in ('dlt147', 'dlt9999'):
        return pcap_header(linktype=int(kind[3:])) + record(eth(ipv4(tcp_syn())))
    if kind == 'ng_shbtrail':
        # A lone SHB of 28 bytes whose trailing length says 32.
        return struct.pack('<IIIHHqI', 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, -1, 32)
    if kind == 'ng_badtrail':
        # SHB fine, then an IDB of 20 bytes whose trailing length says 24.
        shb = struct.pack('<IIIHHqI', 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, -1, 28)
        idb = struct.pack('<IIHHII', 1, 20, 1, 0, 0, 24)
        return shb + idb
    if kind == 'ng_notmult4':
        # SHB fine, then an IDB whose block length (21) is not a multiple of 4.
        shb = struct.pack('<IIIHHqI', 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, -1, 28)
        idb = struct.pack('<IIHHI', 1, 21, 1, 0, 0) + b'\0' + struct.pack('<I', 21)
        return shb + idb + b'\0' * 3
    if kind == 'vlan300':
        inner = ipv4(tcp_syn())
        tags = b''.join(struct.pack('!HH', 100 + i, 0x8100) for i in range(299))
        tags += struct.pack('!HH', 399, 0x0800)
        return pcap_header() + record(eth(tags + inner, etype=0x8100))
    if kind == 'v6ext200':
        t = tcp_syn()
        exts = b''
        for i in range(200):
            # Hop-by-hop (0) first, then destination options (60); each
            # 8-byte header names the next one (TCP after the last).
            nxt = 6 if i == 199 else 60
            exts += struct.pack('!BB', nxt, 0) + b'\x01\x04\0\0\0\0'
        payload = exts + t
        ip6 = struct.pack('!IHBB16s16s', 6 << 28, len(payload), 0, 64,
                          bytes.fromhex('20010db8000000000000000000000005'),
                          bytes.fromhex('20010db8000000000000000000000099')) + payload
        return pcap_header() + record(eth(ip6, etype=0x86dd))
    if kind == 'frag100k':
        out = [pcap_header()]
        for i in range(100000):
            src = bytes([10, 0, 1 + i // 65536, 5])
            # Non-zero offset (185 * 8) with MF set: a middle fragment.
            out.append(record(eth(ipv4(b'F' * 16, proto=17, src=src,
                                       ident=i % 65536, frag=0x2000 | 185)),
                              ts=1700000000 + i // 1000))
        return b''.join(out)
    if kind == 'rand10k':
        out = [pcap_header()]
        protos = [6, 17, 1, 4, 41, 47, 58, 132]
        for i in range(10000):
            proto = protos[i % len(protos)] if i % 3 else RNG.getrandbits(8)
            junk = RNG.randbytes(RNG.randrange(0, 200))
            out.append(record(eth(ipv4(junk, proto=proto,
                                       src=bytes([10, 0, i >> 8 & 255, i & 255]),
                                       ident=i & 0xffff)),
                              ts=1700000000 + i // 100))
        return b''.join(out)
    if kind == 'tunnel100':
        # 100 nested tunnels, GRE and IP-in-IP in turn, around IPv4/TCP.
        pkt = ipv4(tcp_syn())
        for i in range(100):
            if i % 2:
                pkt = ipv4(pkt, proto=4)
            else:
                pkt = ipv4(struct.pack('!HH', 0, 0x0800) + pkt, proto=47)
        return pcap_header() + record(eth(pkt))
    if kind == 'garbage':
        # 4 KiB of binary on one line: no newline, CR or NUL, and a first
        # byte that starts no comment.
        body = bytes(b for b in RNG.randbytes(8192) if b not in (0, 10, 13))
        return b'\xff' + body[:4095] + b'\n'
    sys.exit('gen.py: unknown kind %s' % kind)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit('usage: gen.py KIND OUT [BASE]')
    data = gen(sys.argv[1], sys.argv[3] if len(sys.argv) == 4 else None)
    with open(sys.argv[2], 'wb') as f:
        f.write(data)


if __name__ == '__main__':
    main()
