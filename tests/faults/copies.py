#!/usr/bin/env python3
"""Writes N copies of a capture's IPv4 traffic, one after another, each
copy a new set of flows: the peer that is not the VM is moved to another
TEST-NET address and the VM's ports are shifted, so every copy's flows
are new to a classifier. Time goes on from copy to copy.

usage: copies.py IN.pcap OUT.pcap N VM_ADDRESS [LAST]

With LAST, each copy is cut after its IPv4 packet number LAST (from 0),
and that packet of every copy is held back to the end of the file, one
microsecond apart: when LAST is the packet a verdict is made on, every
copy's verdict is made in the input's last N packets.

Only Ethernet captures in the classic pcap format (microseconds) are
read; frames that are not IPv4 (ARP) are copied once, at the start."""
import ipaddress
import struct
import sys


def peer_address(k):
    """The k-th TEST-NET address for a copy's peer (198.51.100.0/24, then
    203.0.113.0/24, hosts 1 to 254), repeating after 508 copies: the VM's
    shifted ports keep those flows apart."""
    k %= 508
    net = 0xC6336400 if k < 254 else 0xCB007100
    return struct.pack('!I', net + 1 + k % 254)


def main():
    src, dst, n, vm = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    last = int(sys.argv[5]) if len(sys.argv) > 5 else None
    vm = ipaddress.IPv4Address(vm).packed
    data = open(src, 'rb').read()
    magic, = struct.unpack('<I', data[:4])
    if magic != 0xa1b2c3d4:
        sys.exit('copies.py: %s: not a little-endian microsecond pcap' % src)
    if struct.unpack('<I', data[20:24])[0] != 1:
        sys.exit('copies.py: %s: not Ethernet' % src)
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack('<IIII', data[off:off + 16])
        recs.append((sec * 1000000 + usec, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    t0 = recs[0][0]
    span = recs[-1][0] - t0 + 1000
    out = open(dst, 'wb')
    out.write(data[:24])

    def put(ts, frame, orig):
        out.write(struct.pack('<IIII', ts // 1000000, ts % 1000000,
                              len(frame), orig) + frame)

    for ts, frame, orig in recs:
        if frame[12:14] != b'\x08\x00':
            put(ts, frame, orig)
    held = []
    for k in range(n):
        nip = 0
        for ts, frame, orig in recs:
            if frame[12:14] != b'\x08\x00' or frame[23] not in (6, 17):
                continue
            nip += 1
            if last is not None and nip > last + 1:
                break
            f = bytearray(frame)
            ihl = (f[14] & 15) * 4
            l4 = 14 + ihl
            srcip, dstip = bytes(f[26:30]), bytes(f[30:34])
            if srcip == vm:
                f[30:34] = peer_address(k)
                sport, = struct.unpack('!H', f[l4:l4 + 2])
                f[l4:l4 + 2] = struct.pack('!H', 1024 + (sport + k) % 64000)
            elif dstip == vm:
                f[26:30] = peer_address(k)
                dport, = struct.unpack('!H', f[l4 + 2:l4 + 4])
                f[l4 + 2:l4 + 4] = struct.pack('!H', 1024 + (dport + k) % 64000)
            else:
                continue
            if last is not None and nip == last + 1:
                held.append((bytes(f), orig))
                continue
            put(t0 + k * span + (ts - t0), bytes(f), orig)
    end = t0 + n * span
    for i, (f, orig) in enumerate(held):
        put(end + i, f, orig)
    out.close()


if __name__ == '__main__':
    main()
