#!/bin/sh
# Fault 9: packet time that goes back split every flow. A capture made of
# recordings one after the other, the second starting earlier than the
# first ended (`mergecap -a` of several hosts' captures), or a live host
# whose clock was stepped back, gave packets older than the flow table's
# time: each flow they started looked idle for as long as the step and
# timed out at its next packet. 715 flows for 36, and the brute-force
# verdict of the second recording came out as a remote-access one.
#
# Provoked: two recorded captures (one benign, one with a verdict) written
# one after the other, the second moved to start an hour, or 20 s, before
# the first ends; one pair in both orders. The merged file and each
# recording alone are replayed.
# Must hold: the merged replay has as many flows as the two apart, each
# with the packets, bytes, start and end (capture time) it has apart, the
# same verdicts (category, VM, time), no flow of a negative or absurd
# duration, and its stats count one step back.
set -u
nn=09
egressd=${1:?usage: 09-time-back.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../golden
conf=$here/../golden/golden.conf
pass=0
fail=0

command -v python3 >/dev/null 2>&1 || {
	echo "$nn: skipped: needs python3" >&2
	exit 77
}
t=$(mktemp -d "/tmp/egressd-fault-$nn.XXXXXX")
trap 'rm -rf "$t"' EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }

# replay NAME: NAME.pcap to NAME.events; golden.conf names the VM
# (192.0.2.10) and asks for flow events.
replay() {
	if "$egressd" -c "$conf" -r "$t/$1.pcap" >"$t/$1.events" \
	    2>"$t/$1.err"; then
		return 0
	fi
	notok "$1: egressd failed: $(head -c 300 "$t/$1.err")"
	return 1
}

# steps EVENTS: capture.time_steps_back of the last stats event.
steps() {
	python3 -c '
import json, sys
last = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "stats":
        last = e["stats"]
print(last.get("capture", {}).get("time_steps_back", "absent"))' "$1"
}

for case in "benign-web medusa-ssh 3600" "medusa-ssh benign-web 3600" \
    "hydra-ftp benign-api-client 3600" "benign-api-client hydra-ftp 20"; do
	set -- $case
	name=$1+$2-$3s
	echo "# $2 starting $3 s before $1 ends"
	python3 "$here/timeback.py" merge "$golden/$1/capture.pcap" \
	    "$golden/$2/capture.pcap" "$3" \
	    "$t/$name.a.pcap" "$t/$name.b.pcap" "$t/$name.pcap" || exit 1
	replay "$name.a" && replay "$name.b" && replay "$name" || continue
	out=$(python3 "$here/timeback.py" compare "$t/$name.events" \
	    "$t/$name.a.events" "$t/$name.b.events")
	echo "$out" | grep -v '^ok - ' | sed 's/^not ok - //' | while read -r l; do
		echo "not ok - $name: $l"
	done
	echo "$out" | grep '^ok - ' | sed "s/^ok - /ok - $name: /"
	pass=$((pass + $(echo "$out" | grep -c '^ok - ')))
	fail=$((fail + $(echo "$out" | grep -c '^not ok - ')))
	s=$(steps "$t/$name.events")
	if [ "$s" = 1 ]; then
		ok "$name: stats count 1 step back"
	else
		notok "$name: stats count $s steps back, want 1"
	fi
done
echo "# $nn: $pass passed, $fail failed"
[ $fail -eq 0 ]
