#!/bin/sh
# Golden replay tests: each capture in tests/captures/ is replayed and its
# events compared byte for byte with tests/golden/NAME.events (the replay is
# reproducible: times come from the packets). tests/golden/expect.tsv says
# which verdict categories each capture must give, so a golden file cannot
# be regenerated into a wrong answer unnoticed.
#
#   tests/golden/run.sh [--update] EGRESSD
set -eu

update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi
egressd=${1:?usage: run.sh [--update] EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
caps=$here/../captures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The Tor fixture talks to 192.0.2.1:9001; a relay list naming that
# address and port, made by the shipped converter from a consensus in Tor's
# own format, is what must make it a Tor verdict.
"$here/../../tools/tor-relays-to-rules" --with-ports "$here/tor-consensus" >"$tmp/tor-test.rules"

pass=0
fail=0
while IFS='	' read -r name want; do
	case "$name" in ''|'#'*) continue ;; esac
	cap=$caps/$name.pcap
	if [ ! -f "$cap" ]; then
		echo "FAIL $name: $cap is missing"
		fail=$((fail + 1))
		continue
	fi
	# The number of shipped rules is left out: adding a rule to
	# signatures/ must not rewrite every golden file.
	# A capture whose VM is known by its MAC replays with an inventory.
	set --
	[ ! -f "$here/$name.inventory" ] || set -- --inventory "$here/$name.inventory"
	# One taken on a VM's own interface replays as taken there.
	[ ! -f "$here/$name.iface" ] || set -- "$@" -i "$(cat "$here/$name.iface")"
	if ! "$egressd" -c "$here/golden.conf" --rule-files "$tmp/tor-test.rules" \
	    "$@" -r "$cap" >"$tmp/$name.raw" 2>"$tmp/$name.err"; then
		echo "FAIL $name: egressd exited non-zero:"
		cat "$tmp/$name.err"
		fail=$((fail + 1))
		continue
	fi
	# Nor how many learned inventory bindings gave way: the learning
	# table's hash key is random (an attacker must not choose
	# collisions), so that count varies from run to run.
	sed 's/"signatures_loaded":[0-9]*/"signatures_loaded":"-"/; s/"replaced":[0-9]*/"replaced":"-"/' \
	    "$tmp/$name.raw" >"$tmp/$name.events"
	got=$(python3 - "$tmp/$name.events" <<'PY'
import json, sys
cats = set()
for line in open(sys.argv[1]):
    ev = json.loads(line)
    for k in ("timestamp", "event_type", "flow_id"):
        assert k in ev, f"{k} missing in {line}"
    if ev["event_type"] == "verdict":
        assert ev["vm"] in ("192.0.2.10", "2001:db8::10", "vm-test"), ev
        assert ev["reason"] and ev["verdict_id"], ev
        # A behaviour verdict about one target names it.
        if "target" in ev["evidence"]:
            assert ev["evidence"]["target"] == ev["dest_ip"] in ("192.0.2.1", "2001:db8::1", "ff02::1"), ev
        cats.add(ev["category"])
print(",".join(sorted(cats)) or "none")
PY
) || { echo "FAIL $name: bad events"; fail=$((fail + 1)); continue; }
	if [ "$got" != "$want" ]; then
		echo "FAIL $name: verdict categories '$got', want '$want'"
		fail=$((fail + 1))
		continue
	fi
	if [ $update = 1 ]; then
		cp "$tmp/$name.events" "$here/$name.events"
	elif ! diff -u "$here/$name.events" "$tmp/$name.events" >"$tmp/$name.diff"; then
		echo "FAIL $name: events differ from tests/golden/$name.events:"
		head -40 "$tmp/$name.diff"
		fail=$((fail + 1))
		continue
	fi
	echo "PASS $name ($got)"
	pass=$((pass + 1))
done <"$here/expect.tsv"
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
