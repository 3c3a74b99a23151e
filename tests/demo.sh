#!/bin/sh
# make demo: replay the bundled demo capture (an SSH session, an HTTPS
# download, a SOCKS5 proxy session, a BitTorrent exchange, a stratum miner,
# an XMRig-style login, plain JSON-RPC, an HTTP CONNECT through tinyproxy,
# OpenVPN and an iodine DNS tunnel, recorded by tests/e2e/record-captures.sh)
# and print each verdict, first as a sentence, then as the JSON event
# egressd wrote.
set -eu
egressd=${1:-./egressd}
here=$(cd "$(dirname "$0")" && pwd)
events=$(mktemp)
trap 'rm -f "$events"' EXIT INT TERM
echo "\$ egressd -c tests/demo.conf -r tests/captures/demo.pcap"
"$egressd" -c "$here/demo.conf" -r "$here/captures/demo.pcap" >"$events"
python3 - "$events" <<'PY'
import json, sys
verdicts = 0
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event_type"] == "verdict":
        verdicts += 1
        print("\n[%s, %s confidence] %s" % (ev["category"], ev["confidence"],
                                          ev["reason"]))
        print("  " + line.strip())
    elif ev["event_type"] == "stats":
        s = ev["stats"]
        print("\n%d packets, %d flows, %d verdicts (the HTTPS download and the "
              "JSON-RPC give none)"
              % (s["capture"]["packets"], s["flow"]["created"], verdicts))
PY
