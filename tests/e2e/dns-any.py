#!/usr/bin/env python3
"""dns-any.py [--name NAME] [--port PORT] [--gap SECS] FIRST LAST

The request half of a DNS amplification attack, written for egressd's
tests: one DNS query of type ANY (255) for NAME (default example.org) with
an EDNS0 OPT record advertising a 4096-byte UDP payload, sent to PORT
(default 53) of every IPv4 address from FIRST to LAST inclusive, one after
the other with GAP seconds (default 0.005) in between.  It sends from one
UDP socket and waits for no answer.  tests/e2e/record-captures.sh points it
at documentation addresses (TEST-NET-2) that its private network namespaces
route nowhere, so nothing answers and nothing leaves.

Prints how many queries it sent; exits 0 when all were sent.
"""

import argparse
import ipaddress
import socket
import struct
import sys
import time

QTYPE_ANY = 255
QTYPE_OPT = 41
QCLASS_IN = 1


def query(qid, name, udp_size):
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1)  # RD, 1 Q, 1 AR
    qname = b"".join(bytes([len(label)]) + label.encode("ascii")
                     for label in name.rstrip(".").split(".")) + b"\0"
    question = qname + struct.pack(">HH", QTYPE_ANY, QCLASS_IN)
    # OPT pseudo-RR: root name, type 41, class = UDP payload size, TTL 0
    # (extended RCODE, version 0, no DO bit), no options.
    opt = b"\0" + struct.pack(">HHIH", QTYPE_OPT, udp_size, 0, 0)
    return header + question + opt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", default="example.org")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--gap", type=float, default=0.005)
    ap.add_argument("--udp-size", type=int, default=4096)
    ap.add_argument("first", type=ipaddress.IPv4Address)
    ap.add_argument("last", type=ipaddress.IPv4Address)
    args = ap.parse_args()
    if args.last < args.first:
        ap.error("LAST is before FIRST")

    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        addr = args.first
        while addr <= args.last:
            qid = (0x4567 + sent * 0x0101) & 0xFFFF  # stable captures
            s.sendto(query(qid, args.name, args.udp_size),
                     (str(addr), args.port))
            sent += 1
            addr += 1
            time.sleep(args.gap)
    print(f"sent {sent} ANY queries for {args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
