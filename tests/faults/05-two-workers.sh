#!/bin/sh
# Fault 5: undefined behaviour in the fanout set-up. The fanout flags
# (PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_DEFRAG) shifted left by 16
# overflowed int, so a build with UBSan stopped at the start of any live
# run with two workers. `make asan` runs this script with its sanitizer
# build: that is where the fault shows.
#
# Provoked: egressd live with 2 workers on a veth in a namespace of its
# own, as nobody, while tcpreplay sends two recordings into it.
# Must hold: it starts, gives the verdicts a replay of the same files
# gives (by category), and ends on SIGTERM with status 0, with no
# sanitizer report.
set -u
nn=05
egressd=${1:?usage: 05-two-workers.sh EGRESSD}
. "$(dirname "$0")/lib.sh"
netns_up "egf05-$$"

cats() {
	python3 -c '
import json, sys
cats = {e["category"] for e in map(json.loads, open(sys.argv[1]))
        if e["event_type"] == "verdict"}
print(",".join(sorted(cats)) or "none")' "$1"
}

"$egressd" -r "$golden/stratum/capture.pcap" >"$t/ref1.events"
"$egressd" -r "$caps/demo.pcap" >"$t/ref2.events"
cat "$t/ref1.events" "$t/ref2.events" >"$t/ref.events"
start_live "$t/live.events" --workers 2 ||
    { notok "egressd starts live with 2 workers"; finish; }
ok "egressd starts live with 2 workers"
replay_into "$golden/stratum/capture.pcap"
replay_into "$caps/demo.pcap"
sleep 1
stop_live
check "SIGTERM: exit 0 ($rc)" [ $rc -eq 0 ]
check "the verdicts of a replay: $(cats "$t/ref.events") (live: $(cats "$t/live.events"))" \
    [ "$(cats "$t/ref.events")" = "$(cats "$t/live.events")" ]
check "no sanitizer report" \
    sh -c "! grep -Eq 'runtime error|AddressSanitizer|LeakSanitizer' '$t/live.events.err'"
finish
