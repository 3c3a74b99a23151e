#!/bin/sh
# End-to-end: record the four exchanges afresh with real programs in network
# namespaces made for the purpose (tests/e2e/record-captures.sh), replay each
# new capture, and check the verdict categories its golden case names
# (tests/golden/NAME/expect). Unlike the golden tests this sees today's sshd, curl, microsocks and
# aria2, not yesterday's bytes. Needs root (namespaces); skipped otherwise.
#
#   tests/e2e/run.sh EGRESSD
set -u
egressd=${1:?usage: run.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../golden
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "e2e: skipped: needs root and ip netns"
	echo "e2e: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
# The recorder refuses a capture in which tcpdump dropped a packet or a
# program misbehaved; on a loaded machine that can happen once, so a
# failed recording is tried a second time (and the first failure shown).
# While each exchange is recorded, egressd also watches it live on the
# VM's interface (as nobody, two workers): its verdicts must name the same
# categories.
case "$egressd" in /*) ;; *) egressd=$(pwd)/$egressd ;; esac
"$here/../../tools/tor-relays-to-rules" --with-ports "$golden/tor-consensus" >"$tmp/tor-test.rules"
chmod 755 "$tmp"
chmod 644 "$tmp/tor-test.rules"
export EGRESSD_LIVE="$egressd"
export EGRESSD_LIVE_ARGS="-c $golden/golden.conf --signature-dir $here/../../signatures --rule-files $tmp/tor-test.rules"
if ! "$here/record-captures.sh" "$tmp" >"$tmp/record.log" 2>&1; then
	echo "e2e: recording failed once, trying again:"
	tail -5 "$tmp/record.log"
	if ! "$here/record-captures.sh" "$tmp" >"$tmp/record.log" 2>&1; then
		echo "FAIL recording:"
		tail -30 "$tmp/record.log"
		echo "e2e: 0 passed, 1 failed"
		exit 1
	fi
fi
# The golden cases include the captures of tests/e2e/exchanges/*.sh, which
# the recorder makes only when asked by name: those are the golden tests'.
skipped=0
for cdir in "$golden"/*/; do
	cdir=${cdir%/}
	name=${cdir##*/}
	if [ ! -f "$tmp/$name.pcap" ]; then
		skipped=$((skipped + 1))
		continue
	fi
	if ! want=$(cat "$cdir/expect"); then
		echo "FAIL e2e $name: tests/golden/$name/expect is missing"
		fail=$((fail + 1))
		continue
	fi
	set --
	[ ! -f "$cdir/inventory" ] || set -- --inventory "$cdir/inventory"
	[ ! -f "$cdir/iface" ] || set -- "$@" -i "$(cat "$cdir/iface")"
	got=$("$egressd" -c "$golden/golden.conf" --rule-files "$tmp/tor-test.rules" \
	    "$@" -r "$tmp/$name.pcap" | python3 -c '
import json, sys
cats = {e["category"] for e in map(json.loads, sys.stdin) if e["event_type"] == "verdict"}
print(",".join(sorted(cats)) or "none")')
	if [ "$got" = "$want" ]; then
		echo "PASS e2e $name ($got)"
		pass=$((pass + 1))
	else
		echo "FAIL e2e $name: verdict categories '$got', want '$want'"
		fail=$((fail + 1))
	fi
	live=$(python3 -c '
import json, sys
cats = {e["category"] for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "verdict"}
print(",".join(sorted(cats)) or "none")' "$tmp/$name.live.json")
	if [ "$live" = "$want" ]; then
		echo "PASS e2e-live $name ($live)"
		pass=$((pass + 1))
	else
		echo "FAIL e2e-live $name: live verdict categories '$live', want '$want'"
		fail=$((fail + 1))
	fi
done
echo "e2e: $pass passed, $fail failed, $skipped skipped"
[ $fail = 0 ]
