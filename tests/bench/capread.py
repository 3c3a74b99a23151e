"""Reads captures of any common kind for the benchmark's generator and makes
every packet an Ethernet frame, so that captures of many link types can be
played as one pcap by both egressd and ndpiReader (each reads one file, of
one link type).

read_capture(path) reads pcap (either byte order, microsecond or
nanosecond) and pcapng (every section and interface, each interface's own
link type and time resolution) and yields (ts_ns, dlt, data, wire_len).
to_ether(dlt, data, wire) strips the link header it understands (Ethernet,
kept as it is, VLAN and all; Linux cooked SLL and SLL2; NULL and LOOP;
raw IP; PPP; Cisco HDLC; PPI around any of these) and puts a made-up
Ethernet header in its place; it returns None for a packet it cannot
carry (another link type, or PPP's own control packets), which the caller
counts.

ip_patches(frame) finds the IP addresses of a frame (the outer header and
the inner one of IP-in-IP) for the generator's copies: each copy XORs its
number into the last byte of every unicast address, which keeps an
address in its /24 (or its IPv6 /120), so nDPI's address lists and
egressd's notion of local and remote see the same kind of address, while
each copy is other hosts and new flows. The checksums that cover an
address (IPv4 header; TCP, UDP and ICMPv6 pseudo-headers) are updated
incrementally (RFC 1624) as the byte changes."""
import struct

ETHER_SRC_DST = b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01'
ETH_IPV4 = b'\x08\x00'
ETH_IPV6 = b'\x86\xdd'

DLT_NULL, DLT_EN10MB, DLT_PPP, DLT_RAW, DLT_PPP_SERIAL = 0, 1, 9, 101, 50
DLT_C_HDLC, DLT_LINUX_SLL, DLT_LOOP, DLT_PPI = 104, 113, 108, 192
DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL2 = 228, 229, 276
DLT_RAW_OTHER = (12, 14)        # raw IP on some BSDs


class CaptureError(Exception):
    pass


def _read_pcap(f, hdr):
    magic = hdr[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    else:
        end = '>'
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    rest = f.read(20)
    if len(rest) < 20:
        raise CaptureError('short pcap header')
    dlt = struct.unpack(end + 'I', rest[16:20])[0] & 0xffff
    rec = struct.Struct(end + 'IIII')
    mult = 1 if nano else 1000
    while True:
        r = f.read(16)
        if len(r) < 16:
            return
        sec, frac, incl, orig = rec.unpack(r)
        if incl > 0x4000000:
            raise CaptureError('record of %d bytes' % incl)
        data = f.read(incl)
        if len(data) < incl:
            raise CaptureError('cut short in a packet')
        yield sec * 1000000000 + frac * mult, dlt, data, orig


def _tsresol_ns(v):
    """The if_tsresol option as (multiply, divide) to nanoseconds."""
    if v & 0x80:
        return 1000000000, 1 << (v & 0x7f)
    exp = v & 0x7f
    if exp <= 9:
        return 10 ** (9 - exp), 1
    return 1, 10 ** (exp - 9)


def _read_pcapng(f):
    end = '<'
    ifaces = []                     # (dlt, mul, div) per interface id
    last_ts = 0
    while True:
        head = f.read(8)
        if len(head) < 8:
            return
        btype = struct.unpack(end + 'I', head[:4])[0]
        if head[:4] == b'\x0a\x0d\x0d\x0a':
            bom = f.read(4)
            end = '<' if bom == b'\x4d\x3c\x2b\x1a' else '>'
            blen = struct.unpack(end + 'I', head[4:8])[0]
            body = bom + f.read(blen - 12)
            ifaces = []
            continue
        blen = struct.unpack(end + 'I', head[4:8])[0]
        if blen < 12 or blen > 0x4000000:
            raise CaptureError('block of %d bytes' % blen)
        body = f.read(blen - 8)
        if len(body) < blen - 8:
            raise CaptureError('cut short in a block')
        body = body[:-4]
        if btype == 1:                                  # interface
            dlt = struct.unpack(end + 'H', body[:2])[0]
            mul, div = 1000, 1
            opt = 8
            while opt + 4 <= len(body):
                code, olen = struct.unpack(end + 'HH', body[opt:opt + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    mul, div = _tsresol_ns(body[opt + 4])
                opt += 4 + ((olen + 3) & ~3)
            ifaces.append((dlt, mul, div))
        elif btype in (6, 2):                           # enhanced, obsolete
            if btype == 6:
                iface, hi, lo, incl, orig = struct.unpack(end + 'IIIII',
                                                          body[:20])
            else:
                iface, _, hi, lo, incl, orig = struct.unpack(end + 'HHIIII',
                                                             body[:20])
            if iface >= len(ifaces):
                raise CaptureError('packet of undeclared interface %d' % iface)
            dlt, mul, div = ifaces[iface]
            last_ts = ((hi << 32) | lo) * mul // div
            yield last_ts, dlt, body[20:20 + incl], orig
        elif btype == 3:                                # simple packet
            if not ifaces:
                raise CaptureError('packet before any interface')
            orig = struct.unpack(end + 'I', body[:4])[0]
            yield last_ts, ifaces[0][0], body[4:4 + orig], orig


def read_capture(path):
    """Yields (ts_ns, dlt, data, wire_len) of a pcap or pcapng file; raises
    CaptureError for a file of another format, a broken structure or a
    file cut short (after yielding the packets before, as libpcap would)."""
    with open(path, 'rb') as f:
        hdr = f.read(4)
        if hdr == b'\x0a\x0d\x0d\x0a':
            f.seek(0)
            yield from _read_pcapng(f)
        elif hdr in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4',
                     b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d'):
            yield from _read_pcap(f, hdr)
        else:
            raise CaptureError('not a pcap or pcapng file')


def _ether(ethertype, payload):
    return ETHER_SRC_DST + ethertype + payload


def _by_version(payload):
    if not payload:
        return None
    v = payload[0] >> 4
    if v == 4:
        return _ether(ETH_IPV4, payload)
    if v == 6:
        return _ether(ETH_IPV6, payload)
    return None


def _af(family, payload):
    if family == 2:
        return _ether(ETH_IPV4, payload)
    if family in (10, 24, 28, 30):      # AF_INET6 of Linux and the BSDs
        return _ether(ETH_IPV6, payload)
    return None


def _ppp(data):
    if data[:2] == b'\xff\x03':
        data = data[2:]
    if not data:
        return None
    if data[0] & 1:                     # protocol field compressed to a byte
        proto, payload = data[0], data[1:]
    else:
        if len(data) < 2:
            return None
        proto, payload = (data[0] << 8) | data[1], data[2:]
    if proto == 0x21:
        return _ether(ETH_IPV4, payload)
    if proto == 0x57:
        return _ether(ETH_IPV6, payload)
    return None


def _frame(dlt, data, depth=0):
    if dlt == DLT_EN10MB:
        return data if len(data) >= 14 else None
    if dlt in (DLT_RAW, DLT_IPV4, DLT_IPV6) + DLT_RAW_OTHER:
        return _by_version(data)
    if dlt == DLT_LINUX_SLL:
        if len(data) < 16 or data[14] < 0x06:   # not an Ethernet type
            return None
        return _ether(data[14:16], data[16:])
    if dlt == DLT_LINUX_SLL2:
        if len(data) < 20 or data[0] < 0x06:
            return None
        return _ether(data[0:2], data[20:])
    if dlt == DLT_NULL:
        if len(data) < 4:
            return None
        fam = struct.unpack('<I', data[:4])[0]
        if fam & 0xffff0000:
            fam = struct.unpack('>I', data[:4])[0]
        return _af(fam, data[4:])
    if dlt == DLT_LOOP:
        if len(data) < 4:
            return None
        return _af(struct.unpack('>I', data[:4])[0], data[4:])
    if dlt in (DLT_PPP, DLT_PPP_SERIAL):
        return _ppp(data)
    if dlt == DLT_C_HDLC:
        if len(data) < 4 or data[2] < 0x06:
            return None
        return _ether(data[2:4], data[4:])
    if dlt == DLT_PPI and depth == 0:
        if len(data) < 8:
            return None
        hlen, inner = struct.unpack('<HI', data[2:8])
        return _frame(inner, data[hlen:], 1)
    return None


# The largest frame a capture holds: a segment of 64 KiB that the sender's
# offload had not cut yet, with its headers.
MAX_WIRE = 262144


def to_ether(dlt, data, wire):
    """Returns (frame, wire_len) of the packet as an Ethernet frame, or None
    for a packet that cannot be carried. A wire length no link carries
    (over MAX_WIRE: a damaged record header) becomes the frame's own, as
    tcpreplay refuses such a record."""
    frame = _frame(dlt, data)
    if frame is None:
        return None
    wire += len(frame) - len(data)
    if wire > MAX_WIRE:
        wire = len(frame)
    return frame, max(len(frame), wire)


def _v4_unicast(a):
    return a[0] != 0 and a[0] < 224


def _v6_unicast(a):
    return a[0] != 0xff and any(a[:15])


def _l4(b, l4, proto, pseudo, out, depth):
    """Adds to out the checksum offset of the transport header at l4 that
    covers the addresses, and the inner IP header of IP-in-IP."""
    n = len(b)
    if proto == 6 and l4 + 18 <= n:
        pseudo.append(l4 + 16)
    elif proto == 17 and l4 + 8 <= n and b[l4 + 6:l4 + 8] != b'\0\0':
        pseudo.append(-(l4 + 6))        # negative: a UDP checksum
    elif proto == 58 and l4 + 4 <= n:
        pseudo.append(l4 + 2)
    elif proto in (4, 41) and depth == 0:
        _ip(b, l4, out, 1)


def _ip(b, o, out, depth=0):
    n = len(b)
    if o >= n:
        return None
    v = b[o] >> 4
    if v == 4 and o + 20 <= n:
        ihl = (b[o] & 0x0f) * 4
        pseudo = []
        first = (struct.unpack('!H', b[o + 6:o + 8])[0] & 0x1fff) == 0
        if first and ihl >= 20:
            _l4(b, o + ihl, b[o + 9], pseudo, out, depth)
        for a in (o + 12, o + 16):
            if _v4_unicast(b[a:a + 4]):
                out.append((a + 3, [o + 10] + pseudo))
        return b[o + 9], b[o + 12:o + 16], b[o + 16:o + 20], o + ihl
    if v == 6 and o + 40 <= n:
        nh, l4 = b[o + 6], o + 40
        while nh in (0, 43, 60, 44, 51) and l4 + 8 <= n:
            if nh == 44:
                if struct.unpack('!H', b[l4 + 2:l4 + 4])[0] & 0xfff8:
                    nh = 44
                    break               # not the first fragment
                nh, l4 = b[l4], l4 + 8
            elif nh == 51:
                nh, l4 = b[l4], l4 + (b[l4 + 1] + 2) * 4
            else:
                nh, l4 = b[l4], l4 + (b[l4 + 1] + 1) * 8
        pseudo = []
        if nh != 44:
            _l4(b, l4, nh, pseudo, out, depth)
        for a in (o + 8, o + 24):
            if _v6_unicast(b[a:a + 16]):
                out.append((a + 15, pseudo))
        return nh, b[o + 8:o + 24], b[o + 24:o + 40], l4
    return None


def ip_offset(frame):
    """The offset of the IP header in an Ethernet frame (through VLAN tags,
    MPLS labels and PPPoE), or None."""
    o, n = 12, len(frame)
    et = frame[12:14]
    while et in (b'\x81\x00', b'\x88\xa8', b'\x91\x00') and o + 6 <= n:
        o += 4
        et = frame[o:o + 2]
    o += 2
    if et == b'\x88\x47':                       # MPLS: to the bottom label
        while o + 4 <= n and not frame[o + 2] & 1:
            o += 4
        return o + 4 if o + 4 < n else None
    if et == b'\x88\x64':                       # PPPoE session
        if frame[o + 6:o + 8] in (b'\x00\x21', b'\x00\x57'):
            return o + 8
        return None
    if et in (ETH_IPV4, ETH_IPV6):
        return o
    return None


def ip_patches(frame):
    """Returns (patches, key): patches, for each unicast address, the offset
    of its last byte and the offsets of the checksums covering it (negative
    for a UDP checksum, which must not become 0); key, the outer header's
    (proto, src, dst, sport, dport), or None for a packet without IP."""
    o = ip_offset(frame)
    if o is None:
        return [], None
    patches = []
    r = _ip(frame, o, patches)
    if r is None:
        return [], None
    proto, src, dst, l4 = r
    sport = dport = 0
    if proto in (6, 17, 132) and l4 + 4 <= len(frame):
        sport, dport = struct.unpack('!HH', frame[l4:l4 + 4])
    return patches, (proto, bytes(src), bytes(dst), sport, dport)


def _fix(csum, old, new):
    s = (~csum & 0xffff) + (~old & 0xffff) + new
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def apply_patches(frame, patches, k):
    """Returns frame with k XORed into the last byte of each patched address
    and the checksums over it updated."""
    if not patches or k == 0:
        return frame
    b = bytearray(frame)
    for at, csums in patches:
        old = (b[at - 1] << 8) | b[at]
        new = old ^ k
        for c in csums:
            udp = c < 0
            c = -c if udp else c
            v = _fix((b[c] << 8) | b[c + 1], old, new)
            if udp and v == 0:
                v = 0xffff
            b[c] = v >> 8
            b[c + 1] = v & 0xff
        b[at] ^= k
    return bytes(b)


def map_addr(a, k):
    """The address a of copy k, as apply_patches writes it."""
    if k and (_v4_unicast(a) if len(a) == 4 else _v6_unicast(a)):
        return a[:-1] + bytes([a[-1] ^ k])
    return a
