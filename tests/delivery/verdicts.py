#!/usr/bin/env python3
"""Reads egressd events and receiver logs for tests/delivery/run.sh.

  verdicts.py ids EVENTS           verdict ids in an events file, one a line
  verdicts.py delivered LOG...     verdict ids the receiver answered 2xx to,
                                   in requests whose signature verified
  verdicts.py stat EVENTS SEC.NAME a figure of the last stats event
  verdicts.py requests LOG         one line per request: id status sig_ok n
"""
import json
import signal
import sys


def events(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ids":
        for e in events(args[0]):
            if e.get("event_type") == "verdict":
                print(e["verdict_id"])
    elif cmd == "delivered":
        for path in args:
            for r in events(path):
                if r["signature_ok"] and 200 <= r["status"] < 300:
                    for v in r["body"]["data"]["verdicts"]:
                        print(v["verdict_id"])
    elif cmd == "stat":
        sec, name = args[1].split(".")
        last = None
        for e in events(args[0]):
            if e.get("event_type") == "stats":
                last = e
        print(last["stats"][sec][name])
    elif cmd == "requests":
        for r in events(args[0]):
            n = len(r["body"]["data"]["verdicts"]) if r.get("body") else 0
            print(r["webhook_id"], r["status"],
                  "sig_ok" if r["signature_ok"] else "sig_bad", n,
                  "%.3f" % r["attempt_time"])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)	# for | head
    main()
