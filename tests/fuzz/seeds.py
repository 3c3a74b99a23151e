#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets from the repository's own
data: capture files, frames cut out of them (re-wrapped in every link type
fuzz_decode.c knows, selector byte first), signature files, config files and
a few inventory CSVs.

usage: seeds.py REPO_ROOT CORPUS_DIR
"""
import glob
import os
import struct
import sys

# Index of each link type in fuzz_decode.c's fuzz_dlts[].
SEL_EN10MB, SEL_RAW, SEL_IPV4, SEL_IPV6, SEL_SLL, SEL_SLL2, SEL_NULL, \
    SEL_LOOP, SEL_PPP, SEL_C_HDLC, SEL_PPI = range(11)

CAPTURE_SEED_MAX = 16384     # bytes of one capture seed, about
FRAMES_PER_CAPTURE = 8
WRAPPED_PER_CAPTURE = 2


def read_pcap(path):
    """Returns (header, linktype, [(rechdr, frame)]) of a classic pcap."""
    with open(path, "rb") as f:
        b = f.read()
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    linktype = struct.unpack(e + "I", b[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(b):
        caplen = struct.unpack(e + "I", b[off + 8:off + 12])[0]
        if off + 16 + caplen > len(b):
            break
        recs.append((b[off:off + 16], b[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return b[:24], linktype, recs, e


def wrap(frame):
    """Every link-layer wrapping of an Ethernet frame carrying IP."""
    if len(frame) < 14:
        return {}
    etype = frame[12:14]
    ip = frame[14:]
    if etype not in (b"\x08\x00", b"\x86\xdd"):
        return {}
    v6 = etype == b"\x86\xdd"
    mac = frame[6:12]
    af_le = struct.pack("<I", 10 if v6 else 2)
    af_be = struct.pack(">I", 24 if v6 else 2)
    pppproto = b"\x00\x57" if v6 else b"\x00\x21"
    return {
        SEL_RAW: ip,
        SEL_IPV6 if v6 else SEL_IPV4: ip,
        SEL_SLL: struct.pack(">HHH", 0, 1, 6) + mac + b"\0\0" + etype + ip,
        SEL_SLL2: etype + b"\0\0" + struct.pack(">IHBB", 2, 1, 0, 6) + mac
        + b"\0\0" + ip,
        SEL_NULL: af_le + ip,
        SEL_LOOP: af_be + ip,
        SEL_PPP: b"\xff\x03" + pppproto + ip,
        SEL_C_HDLC: b"\x0f\x00" + etype + ip,
        SEL_PPI: struct.pack("<BBHI", 0, 0, 8, 1) + frame,
    }


def put(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    root, corpus = sys.argv[1], sys.argv[2]
    # Every golden case's capture (named after its case) and the demo's.
    paths = glob.glob(os.path.join(root, "tests/golden/*/capture.pcap"))
    paths.append(os.path.join(root, "tests/captures/demo.pcap"))
    for path in sorted(paths):
        if os.path.basename(path) == "capture.pcap":
            base = os.path.basename(os.path.dirname(path))
        else:
            base = os.path.splitext(os.path.basename(path))[0]
        r = read_pcap(path)
        if r is None:
            continue
        header, linktype, recs, e = r
        # capture: the file's head, small enough to run many times a second
        size, head = 24, []
        for rh, fr in recs:
            if head and size + 16 + len(fr) > CAPTURE_SEED_MAX:
                break
            head.append((rh, fr))
            size += 16 + len(fr)
        with open(path, "rb") as f:
            raw = f.read(size)
        put(os.path.join(corpus, "fuzz_capture"), base + ".pcap", raw)
        if linktype == 1:
            # the same packets as LINKTYPE_RAW (101), Ethernet header cut off
            out = bytearray(header[:20] + struct.pack(e + "I", 101))
            for rh, fr in head:
                w = wrap(fr)
                if SEL_RAW not in w:
                    continue
                ip = w[SEL_RAW]
                wl = struct.unpack(e + "I", rh[12:16])[0]
                out += rh[:8] + struct.pack(e + "II", len(ip), max(wl - 14, 0))
                out += ip
            put(os.path.join(corpus, "fuzz_capture"), base + "-raw.pcap",
                bytes(out))
        # decode: some frames of each capture, spread over it
        if not recs:
            continue
        step = max(1, len(recs) // FRAMES_PER_CAPTURE)
        picked = recs[::step][:FRAMES_PER_CAPTURE]
        for i, (rh, fr) in enumerate(picked):
            if linktype == 1:
                put(os.path.join(corpus, "fuzz_decode"),
                    "%s-%d-eth" % (base, i), bytes([SEL_EN10MB]) + fr)
                if i < WRAPPED_PER_CAPTURE:
                    for sel, data in wrap(fr).items():
                        put(os.path.join(corpus, "fuzz_decode"),
                            "%s-%d-sel%d" % (base, i, sel),
                            bytes([sel]) + data)
    # rules: each file whole, and in chunks of 20 lines
    for path in sorted(glob.glob(os.path.join(root, "signatures/*.rules"))):
        base = os.path.basename(path)
        with open(path, "rb") as f:
            data = f.read()
        put(os.path.join(corpus, "fuzz_rules"), base, data)
        lines = data.splitlines(True)
        for i in range(0, len(lines), 20):
            put(os.path.join(corpus, "fuzz_rules"), "%s-%d" % (base, i),
                b"".join(lines[i:i + 20]))
    for rel in ("deploy/egressd.conf", "tests/golden/golden.conf",
                "tests/demo.conf"):
        path = os.path.join(root, rel)
        if os.path.exists(path):
            with open(path, "rb") as f:
                put(os.path.join(corpus, "fuzz_config"),
                    rel.replace("/", "-"), f.read())
    inv = {
        "plain.csv": b"10.1.2.3,vm-7f3a,acme,tier=free;gpu\n"
                     b"52:54:00:12:34:56,vm-9b1c,globex,\n",
        "header.csv": b"address,vm,tenant,labels\n"
                      b"192.0.2.10,vm-1,t1,a;b;c\n"
                      b"2001:db8::1,vm-2,t2,\n"
                      b"\"10.0.0.7\",\"vm-3\",\"te,nant\",\"x=\"\"y\"\"\"\n",
        "macs.csv": b"# comment\nmac,vm,tenant,labels\n"
                    b"52:54:00:00:00:01,vm-a,,\n"
                    b"52-54-00-00-00-02,vm-b,t,l\r\n"
                    b"::ffff:10.9.8.7,vm-c,t,\n",
        "dup.csv": b"10.0.0.1,vm-1,,\n10.0.0.1,vm-2,,\n",
    }
    for name, data in inv.items():
        put(os.path.join(corpus, "fuzz_inventory"), name, data)
    # fuzz_fleet: a summary as a host publishes it, NUL, a host verdict.
    row = (b'{"vm":"vm-1","vm_ip":"198.51.100.11","tenant":"acme","target":"203.0.113.9",'
           b'"proto":"TCP","port":80,"pkts":300,"bytes":16200,"syns":300,"answered":0,'
           b'"replies":0,"logins":3,"login_port":22,"unanswered_ports":2,'
           b'"ports_sketch":"' + b'0' * 127 + b'3","pkts_b":[150,150],"syns_b":[150,150]}')
    row2 = row.replace(b'vm-1', b'vm-2').replace(b'.11"', b'.12"')
    summary = (b'{"type":"egressd.summary","summary_id":"1796620190000000-1-0",'
               b'"start_us":1796620190000000,"interval_us":10000000,"bucket_us":1000000,'
               b'"chunk":0,"chunks":1,"rows":[' + row + b',' + row2 + b'],"dropped":0,"host":"hostA"}')
    verdict = (b'{"timestamp":"2026-12-07T05:09:55.000000Z","tenant":"acme","category":"dos",'
               b'"evidence":{"target":"203.0.113.9"}}')
    put(os.path.join(corpus, "fuzz_fleet"), "summary", summary + b'\0' + verdict)
    put(os.path.join(corpus, "fuzz_fleet"), "summary-only", summary)


if __name__ == "__main__":
    main()
