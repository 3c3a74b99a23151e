#!/usr/bin/env python3
"""Accounts for every verdict of a run: each one egressd reported must be
delivered (the receiver answered 2xx to a request whose signature
verified), still in the spool, or counted lost in the run's last stats
event, and the stats must say so exactly.

usage: account.py EVENTS [--spool DIR] [--log RECEIVER_LOG]...

Prints one line of figures; exits 0 when they add up, 1 when not."""
import argparse
import glob
import json
import os
import sys

LOST = ('queue_dropped', 'spool_dropped', 'backlog_dropped', 'rejected',
        'abandoned')


def lines(path):
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('events')
    ap.add_argument('--spool')
    ap.add_argument('--log', action='append', default=[])
    a = ap.parse_args()

    made, stats = set(), None
    for e in lines(a.events):
        if e.get('event_type') == 'verdict':
            made.add(e['verdict_id'])
        elif e.get('event_type') == 'stats':
            stats = e['stats']
    if stats is None:
        print('no stats event in %s' % a.events)
        return 1
    delivered = set()
    for path in a.log:
        if not os.path.exists(path):
            continue
        for r in lines(path):
            if r['signature_ok'] and 200 <= r['status'] < 300:
                delivered.update(v['verdict_id']
                                 for v in r['body']['data']['verdicts'])
    spooled = set()
    if a.spool:
        for path in glob.glob(os.path.join(a.spool, '*.msg')):
            with open(path, encoding='utf-8') as f:
                body = json.load(f)
            spooled.update(v['verdict_id'] for v in body['data']['verdicts'])
    wh = stats.get('webhook', {})
    lost = sum(wh.get(k, 0) for k in LOST)
    missing = made - delivered - spooled
    pending = wh.get('pending', 0)
    print('made %d, delivered %d, in the spool %d, missing %d; stats: '
          'lost %d (%s), pending %d' % (
              len(made), len(delivered & made), len(spooled & made),
              len(missing), lost,
              ', '.join('%s %d' % (k, wh.get(k, 0)) for k in LOST
                        if wh.get(k, 0)), pending))
    ok = len(missing) == lost and pending == len(spooled - delivered)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
