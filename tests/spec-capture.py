#!/usr/bin/env python3
"""Writes a capture of protocols that no Debian 12 or npm package speaks,
each built from the protocol's own specification or documentation, and the
category egressd must give each flow.

Every exchange goes from the VM 192.0.2.10 to its own documentation
address 198.51.100.N, on a port that is not the protocol's usual one where
the protocol has one, so that only the bytes can name it:

  soulseek-login   Soulseek's server Login (code 1: user, password, version,
                   MD5 of both in hex, minor version), nicotine-plus's
                   doc/SLSKPROTOCOL.md
  soulseek-peer    Soulseek's PeerInit (user, type "P", token)
  nmdc-hub         a Direct Connect hub's "$Lock ... Pk=...|" (NMDC), the
                   client's $Supports, $Key and $ValidateNick
  adc-hub          ADC's "HSUP ADBASE ADTIGR" and the hub's ISUP, ISID
  softether-pack   SoftEther's PACK serialisation (Mayaqua Pack.c) in a
                   datagram, and the NAT-T server's "IP=...,PORT=..." answer
  ultrasurf        UltraSurf's TCP opening, whose first 8 bytes are fixed
                   (cc 1c 30 41 5b a4 38 66, as nDPI's ultrasurf.c keys on),
                   then random bytes
  hans             hans (IP over ICMP): echo requests whose data opens with
                   the client's magic "hanc" and a message type, replies
                   with "hans" (hans src/worker.h TunnelHeader)
  tailscale-disco  a Tailscale disco ping: "TS" and the UTF-8 speech
                   balloon, the sender's key, a nonce, the sealed box
  teamviewer       TeamViewer's TCP protocol, every message opening with
                   0x17 0x24, on 443 (nDPI's teamviewer.c)
  socks4           a SOCKS4 CONNECT (version 4, command 1, port, address,
                   user id, NUL) and its granted reply (0, 90)
  libp2p           multistream-select's header (libp2p's spec)
  nomachine        the NX client's NXSH- banner
  tls-NAME         a TLS ClientHello (RFC 8446 4.1.2, RFC 6066 3, RFC 7301)
                   naming a remote-access or tunnel service, for the host
                   and ALPN rules of signatures/

usage: tests/spec-capture.py OUT.pcap OUT.tsv

OUT.tsv has one line per exchange, fields separated by a space: name, destination address, protocol,
the category egressd must give the flow."""
import os, random, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
dc = __import__('dnscache-capture')
ln = __import__('longname-capture')

VM = '192.0.2.10'
rng = random.Random(20261206)


def rand(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


class Capture:
    def __init__(self):
        self.frames = []
        self.t = 0

    def add(self, frame):
        self.t += 1000
        self.frames.append((self.t, frame))

    def tcp(self, dst, dport, messages, sport=None):
        """A TCP connection from the VM: handshake, then each (dir, bytes)
        of messages with the right sequence numbers, then FINs."""
        sport = sport or 40000 + len(self.frames) % 20000
        cseq, sseq = 1000, 5000
        self.add(ln.tcp_data(VM, dst, sport, dport, 0x02, cseq, 0))
        self.add(ln.tcp_data(dst, VM, dport, sport, 0x12, sseq, cseq + 1))
        cseq += 1
        sseq += 1
        self.add(ln.tcp_data(VM, dst, sport, dport, 0x10, cseq, sseq))
        for d, data in messages:
            if d == 0:
                self.add(ln.tcp_data(VM, dst, sport, dport, 0x18, cseq, sseq, data))
                cseq += len(data)
            else:
                self.add(ln.tcp_data(dst, VM, dport, sport, 0x18, sseq, cseq, data))
                sseq += len(data)
        self.add(ln.tcp_data(VM, dst, sport, dport, 0x11, cseq, sseq))
        self.add(ln.tcp_data(dst, VM, dport, sport, 0x11, sseq, cseq + 1))
        self.add(ln.tcp_data(VM, dst, sport, dport, 0x10, cseq + 1, sseq + 1))

    def udp(self, dst, dport, messages, sport=None):
        sport = sport or 40000 + len(self.frames) % 20000
        for d, data in messages:
            if d == 0:
                self.add(dc.udp(VM, dst, sport, dport, data))
            else:
                self.add(dc.udp(dst, VM, dport, sport, data))

    def icmp_echo(self, dst, ident, messages):
        for seq, (d, data) in enumerate(messages):
            typ = 8 if d == 0 else 0
            body = struct.pack('!BBHHH', typ, 0, 0, ident, seq // 2 + 1) + data
            body = body[:2] + struct.pack('!H', dc.csum(body)) + body[4:]
            src, dst2 = (VM, dst) if d == 0 else (dst, VM)
            self.add(dc.ip4(src, dst2, 1, body))

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, fr in self.frames:
                f.write(struct.pack('<IIII', 1700000000 + t // 1000000, t % 1000000,
                                    len(fr), len(fr)))
                f.write(fr)


# ---- Soulseek (little-endian lengths) ----

def slsk_str(s):
    b = s.encode()
    return struct.pack('<I', len(b)) + b


def slsk_login():
    body = (struct.pack('<I', 1) + slsk_str('vmuser') + slsk_str('hunter2') +
            struct.pack('<I', 160) + slsk_str('0b1a4ea4a3c2e9d1f0c7a5b6e8d9f011') +
            struct.pack('<I', 1))
    return struct.pack('<I', len(body)) + body


def slsk_login_reply():
    body = (struct.pack('<I', 1) + b'\x01' + slsk_str('Welcome') +
            struct.pack('<I', 0x0a000005) + slsk_str('0b1a4ea4a3c2e9d1f0c7a5b6e8d9f011') +
            b'\x00')
    return struct.pack('<I', len(body)) + body


def slsk_peer_init():
    body = b'\x01' + slsk_str('vmuser') + slsk_str('P') + struct.pack('<I', 77)
    return struct.pack('<I', len(body)) + body


# ---- SoftEther PACK (big-endian) ----

def se_elem(name, typ, values):
    out = struct.pack('!I', len(name) + 1) + name.encode() + struct.pack('!II', typ, len(values))
    for v in values:
        if typ == 0:
            out += struct.pack('!I', v)
        elif typ == 4:
            out += struct.pack('!Q', v)
        elif typ == 3:
            b = v.encode() + b'\x00'
            out += struct.pack('!I', len(b)) + b
        else:
            b = v if isinstance(v, bytes) else v.encode()
            out += struct.pack('!I', len(b)) + b
    return out


def se_pack(elems):
    return struct.pack('!I', len(elems)) + b''.join(se_elem(*e) for e in elems)


# ---- TLS ----

def client_hello(sni, alpn=None):
    """A TLS 1.3 ClientHello with server_name, groups, versions and, when
    given, ALPN (RFC 7301)."""
    name = sni.encode()
    exts = struct.pack('!HHHBH', 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    exts += struct.pack('!HHH', 10, 4, 2) + b'\x00\x1d'
    exts += struct.pack('!HHB', 43, 3, 2) + b'\x03\x04'
    if alpn:
        ids = b''.join(bytes([len(a)]) + a.encode() for a in alpn)
        exts += struct.pack('!HHH', 16, len(ids) + 2, len(ids)) + ids
    body = (b'\x03\x03' + rand(32) + b'\x20' + rand(32) + b'\x00\x04\x13\x01\x13\x02' +
            b'\x01\x00' + struct.pack('!H', len(exts)) + exts)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


TLS_SERVICES = [
    # name, SNI, ALPN, category
    ('tls-teamviewer', 'master3.teamviewer.com', None, 'remote_access'),
    ('tls-anydesk-alpn', 'boot.example', ['anydesk/7.1.11/linux'], 'remote_access'),
    ('tls-anydesk', 'relay-9f2c01aa.net.anydesk.com', None, 'remote_access'),
    ('tls-rustdesk', 'rs-ny.rustdesk.com', None, 'remote_access'),
    ('tls-chrome-remote-desktop', 'remotedesktop-pa.googleapis.com', None, 'remote_access'),
    ('tls-vscode-tunnel', 'x7k2p9-8000.euw.devtunnels.ms', None, 'proxy'),
    ('tls-ngrok', 'connect.ngrok-agent.com', None, 'proxy'),
    ('tls-cloudflared', 'region1.v2.argotunnel.com', None, 'proxy'),
    ('tls-localtunnel', 'quiet-owl-42.loca.lt', None, 'proxy'),
    ('tls-serveo', 'abc123.serveo.net', None, 'proxy'),
    ('tls-bore', 'bore.pub', None, 'proxy'),
    ('tls-tailscale-derp', 'derp4.tailscale.com', None, 'proxy'),
    ('tls-syncthing-relay', 'relay.example', ['bep-relay'], 'p2p'),
]


def main():
    out, tsv = sys.argv[1], sys.argv[2]
    cap = Capture()
    rows = []
    n = [0]

    def dst(name, proto, category):
        n[0] += 1
        a = '198.51.100.%d' % n[0]
        rows.append((name, a, proto, category))
        return a

    cap.tcp(dst('soulseek-login', 'TCP', 'p2p'), 2416,
            [(0, slsk_login()), (1, slsk_login_reply())])
    cap.tcp(dst('soulseek-peer', 'TCP', 'p2p'), 50123,
            [(0, slsk_peer_init()), (0, struct.pack('<II', 4, 4))])
    cap.tcp(dst('nmdc-hub', 'TCP', 'p2p'), 4012,
            [(1, b'$Lock EXTENDEDPROTOCOL_hub_8Vq7 Pk=version1.0|'),
             (0, b'$Supports NoGetINFO NoHello UserIP2|$Key \x14\x95\x35|'
                 b'$ValidateNick vmuser|'),
             (1, b'$Hello vmuser|')])
    cap.tcp(dst('adc-hub', 'TCP', 'p2p'), 4112,
            [(0, b'HSUP ADBASE ADTIGR ADPING\n'),
             (1, b'ISUP ADBASE ADTIGR ADPING\nISID AAAB\nIINF CT32 NIhub\n')])
    cap.udp(dst('softether-pack', 'UDP', 'proxy'), 5004,
            [(0, se_pack([('opcode', 2, ['nat_t_connect_request']),
                          ('tran_id', 4, [0x1122334455667788]),
                          ('client_name', 3, ['vm-01']),
                          ('client_port', 0, [40212])])),
             (1, b'IP=192.0.2.10,PORT=40212')])
    cap.tcp(dst('ultrasurf', 'TCP', 'proxy'), 443,
            [(0, b'\xcc\x1c\x30\x41\x5b\xa4\x38\x66' + rand(120)), (1, rand(200)),
             (0, rand(80))])
    hans_dst = dst('hans', 'ICMP', 'proxy')
    cap.icmp_echo(hans_dst, 0x4242,
                  [(0, b'hanc\x02' + b'\x0a\x02\x00\x64'), (1, b'hans\x03' + rand(32)),
                   (0, b'hanc\x04' + rand(20)), (1, b'hans\x05' + b'\x0a\x02\x00\x64'),
                   (0, b'hanc\x08'), (1, b'hans\x07' + rand(84))])
    cap.udp(dst('tailscale-disco', 'UDP', 'proxy'), 41999,
            [(0, b'TS\xf0\x9f\x92\xac' + rand(32) + rand(24) + rand(16 + 1 + 12 + 32)),
             (1, b'TS\xf0\x9f\x92\xac' + rand(32) + rand(24) + rand(16 + 1 + 12 + 18))])
    tv = lambda cmd, n: b'\x17\x24' + bytes([cmd]) + struct.pack('<I', n) + rand(n)
    cap.tcp(dst('teamviewer', 'TCP', 'remote_access'), 443,
            [(0, tv(0x0a, 30)), (1, tv(0x0b, 40)), (0, tv(0x0c, 20)), (1, tv(0x0d, 60))])
    cap.tcp(dst('socks4', 'TCP', 'proxy'), 1090,
            [(0, b'\x04\x01\x01\xbb\xc0\x00\x02\x63vm\x00'),
             (1, b'\x00\x5a\x00\x00\x00\x00\x00\x00'),
             (0, b'GET / HTTP/1.1\r\nHost: example.test\r\n\r\n')])
    # libp2p (IPFS, Filecoin, Ethereum's consensus layer): multistream-select
    # 1.0.0, each message a varint length, the protocol id and a newline.
    cap.tcp(dst('libp2p', 'TCP', 'p2p'), 4101,
            [(0, b'\x13/multistream/1.0.0\n'), (1, b'\x13/multistream/1.0.0\n'),
             (0, b'\x07/noise\n'), (1, b'\x07/noise\n'), (0, rand(80))])
    # NoMachine's nxd: the client's "NXSH-<version>" banner.
    cap.tcp(dst('nomachine', 'TCP', 'remote_access'), 4400,
            [(0, b'NXSH-8.10.1\n')])
    for name, sni, alpn, cat in TLS_SERVICES:
        cap.tcp(dst(name, 'TCP', cat), 443, [(0, client_hello(sni, alpn))])
    cap.write(out)
    with open(tsv, 'w') as f:
        for r in rows:
            f.write(' '.join(r) + '\n')


if __name__ == '__main__':
    main()
