#!/usr/bin/env python3
"""Writes a large native event log for measuring `egressd report`: VMS VMs
with VERDICTS verdicts between them (a few VMs busy, most with one or two),
one flow event per verdict plus FLOWS background flows, and a closing stats
event, over one day. Deterministic (a fixed seed), so the figures the README
gives are reproducible.

    tests/report/gen-events.py [--vms 1000] [--verdicts 10000]
        [--flows 100000] > events.json
"""
import argparse
import json
import random
import sys
from datetime import datetime, timedelta, timezone

CATS = [('p2p', 'medium', 30), ('mining', 'high', 10),
        ('remote_access', 'medium', 25), ('proxy', 'medium', 15),
        ('dos', 'high', 5), ('scan', 'medium', 10),
        ('bruteforce', 'high', 5)]
T0 = datetime(2026, 11, 22, tzinfo=timezone.utc)


def ts(t):
    return t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vms', type=int, default=1000)
    ap.add_argument('--verdicts', type=int, default=10000)
    ap.add_argument('--flows', type=int, default=100000)
    a = ap.parse_args()
    rnd = random.Random(19)
    vms = ['vm-%04d' % i for i in range(a.vms)]
    ips = {v: '10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255 or 1)
           for i, v in enumerate(vms, 1)}
    weights = [c[2] for c in CATS]
    out = []
    for n in range(a.verdicts):
        # Every VM gets one, then a few VMs get most of the rest.
        vm = vms[n] if n < a.vms else vms[int(rnd.paretovariate(1.2)) % a.vms]
        cat, sev, _ = rnd.choices(CATS, weights)[0]
        t = T0 + timedelta(seconds=rnd.uniform(0, 86400))
        peer = '198.51.%d.%d' % (rnd.randrange(256), rnd.randrange(1, 255))
        fid = rnd.getrandbits(53)
        name = 'pool%d.example.net' % rnd.randrange(50)
        ev = {'decided_by': 'ndpi', 'app_proto': 'TLS', 'server_name': name,
              'asn': 64496 + rnd.randrange(10), 'as_org': 'Example AS',
              'country': rnd.choice(['DE', 'US', 'NL', 'SG'])}
        out.append((t, {
            'timestamp': ts(t), 'flow_id': fid, 'event_type': 'verdict',
            'verdict_id': '%032x' % rnd.getrandbits(128), 'vm': vm,
            'vm_ip': ips[vm], 'category': cat, 'severity': sev,
            'confidence': 'high',
            'reason': 'VM %s: %s to %s:443 (%s)' % (vm, cat, peer, name),
            'evidence': ev, 'src_ip': ips[vm], 'src_port': 40000,
            'dest_ip': peer, 'dest_port': 443, 'proto': 'TCP',
            'action': 'alert'}))
        out.append(flow(rnd, t, fid, ips[vm], peer, cat))
    for _ in range(a.flows):
        vm = vms[rnd.randrange(a.vms)]
        t = T0 + timedelta(seconds=rnd.uniform(0, 86400))
        peer = '203.0.113.%d' % rnd.randrange(1, 255)
        out.append(flow(rnd, t, rnd.getrandbits(53), ips[vm], peer, 'none'))
    out.sort(key=lambda e: e[0])
    w = sys.stdout.write
    for _, e in out:
        w(json.dumps(e, separators=(',', ':')) + '\n')
    end = T0 + timedelta(seconds=86400)
    w(json.dumps({'timestamp': ts(end), 'flow_id': 0, 'event_type': 'stats',
                  'stats': {'capture': {'packets': 40 * len(out)},
                            'flow': {'created': a.verdicts + a.flows},
                            'verdicts': {'suppressed': a.verdicts // 10}}},
                 separators=(',', ':')) + '\n')


def flow(rnd, t, fid, src, dst, cat):
    dur = timedelta(seconds=rnd.uniform(0.1, 900))
    b = int(rnd.paretovariate(1.1) * 2000)
    return (t + dur, {
        'timestamp': ts(t + dur), 'flow_id': fid, 'event_type': 'flow',
        'src_ip': src, 'src_port': 40000, 'dest_ip': dst, 'dest_port': 443,
        'proto': 'TCP', 'app_proto': 'TLS', 'category': cat,
        'pkts_toserver': 10, 'pkts_toclient': 10, 'bytes_toserver': b // 3,
        'bytes_toclient': b - b // 3, 'start': ts(t), 'end': ts(t + dur),
        'end_reason': 'fin', 'ndpi_category': 'Web', 'detection': 'dpi'})


if __name__ == '__main__':
    main()
