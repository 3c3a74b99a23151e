#!/bin/sh
# Golden replay tests. Each case is one directory, tests/golden/CASE/:
#
#   capture.pcap  the recorded capture (tests/e2e/record-captures.sh; see
#                 README.md for how to record one afresh)
#   expect        one line: the verdict categories the capture must give,
#                 sorted and comma separated (none = no verdict)
#   events        the expected events, byte for byte (the replay is
#                 reproducible: times come from the packets)
#   inventory     optional: replay with --inventory (a VM known by its MAC
#                 or its interface)
#   iface         optional: replay with -i IFACE (a capture taken on a VM's
#                 own interface replays as taken there)
#   source        optional: the script that recorded the capture and the
#                 command that records it again (for cases whose script
#                 records nothing else)
#
# The capture is replayed with golden.conf and the events compared with
# `events`; `expect` is checked on its own, so a golden file cannot be
# regenerated into a wrong answer unnoticed. Some cases pin a miss so that
# a change shows: trojan and vmess-ws-tls (plain HTTP inside TLS) expect
# none. A case without capture.pcap or expect, a file a case does not know,
# or a file of the old layout (tests/golden/NAME.events, expect.tsv) fails.
#
#   tests/golden/run.sh [--update] EGRESSD [CASE...]
#
# --update rewrites each case's `events` (it still refuses a wrong
# category); CASE... runs only the cases named.
set -eu

update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi
egressd=${1:?usage: run.sh [--update] EGRESSD [CASE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The Tor fixture talks to 192.0.2.1:9001; a relay list naming that
# address and port, made by the shipped converter from a consensus in Tor's
# own format, is what must make it a Tor verdict.
"$here/../../tools/tor-relays-to-rules" --with-ports "$here/tor-consensus" >"$tmp/tor-test.rules"

pass=0
fail=0
mkdir "$tmp/schema"

# Files of the old layout (one file per case beside this script, the
# categories in expect.tsv) would be silently ignored: refuse them.
for f in "$here"/*; do
	[ ! -d "$f" ] || continue
	case "${f##*/}" in
	run.sh|golden.conf|tor-consensus) ;;
	*)
		echo "FAIL ${f##*/}: not a golden case directory (tests/golden/CASE/ holds a case)"
		fail=$((fail + 1))
		;;
	esac
done

if [ $# -eq 0 ]; then
	for d in "$here"/*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		set -- "$@" "${d##*/}"
	done
fi
[ $# -gt 0 ] || { echo "FAIL no golden case in $here"; exit 1; }

for name in "$@"; do
	dir=$here/$name
	if [ ! -d "$dir" ]; then
		echo "FAIL $name: no directory $dir"
		fail=$((fail + 1))
		continue
	fi
	bad=
	for f in "$dir"/* "$dir"/.[!.]*; do
		[ -e "$f" ] || continue
		case "${f##*/}" in
		capture.pcap|expect|events|inventory|iface|source) ;;
		*) bad="$bad (unknown file ${f##*/})" ;;
		esac
	done
	for f in capture.pcap expect; do
		[ -f "$dir/$f" ] || bad="$bad (no $f)"
	done
	[ $update = 1 ] || [ -f "$dir/events" ] ||
	    bad="$bad (no events: make them with --update)"
	if [ -f "$dir/expect" ]; then
		want=$(cat "$dir/expect")
		if [ "$(wc -l <"$dir/expect")" != 1 ] ||
		    ! printf '%s\n' "$want" | grep -Eqx '[a-z0-9_]+(,[a-z0-9_]+)*'; then
			bad="$bad (expect must be one line of categories, or none)"
		fi
	fi
	if [ -n "$bad" ]; then
		echo "FAIL $name: tests/golden/$name/:$bad"
		fail=$((fail + 1))
		continue
	fi
	# The number of shipped rules is left out: adding a rule to
	# signatures/ must not rewrite every golden file.
	# A capture whose VM is known by its MAC replays with an inventory.
	set --
	[ ! -f "$dir/inventory" ] || set -- --inventory "$dir/inventory"
	# One taken on a VM's own interface replays as taken there.
	[ ! -f "$dir/iface" ] || set -- "$@" -i "$(cat "$dir/iface")"
	# The same replay also writes the --eve file, in Suricata's schema;
	# both are checked against their schemas after the last case.
	if ! "$egressd" -c "$here/golden.conf" --rule-files "$tmp/tor-test.rules" \
	    "$@" --eve "$tmp/schema/$name.eve" -r "$dir/capture.pcap" \
	    >"$tmp/$name.raw" 2>"$tmp/$name.err"; then
		echo "FAIL $name: egressd exited non-zero:"
		cat "$tmp/$name.err"
		fail=$((fail + 1))
		continue
	fi
	# Nor how many learned inventory bindings gave way: the learning
	# table's hash key is random (an attacker must not choose
	# collisions), so that count varies from run to run.
	cp "$tmp/$name.raw" "$tmp/schema/$name.events"
	sed 's/"signatures_loaded":[0-9]*/"signatures_loaded":"-"/; s/"replaced":[0-9]*/"replaced":"-"/' \
	    "$tmp/$name.raw" >"$tmp/$name.events"
	got=$(python3 - "$tmp/$name.events" <<'PY'
import base64, hashlib, ipaddress, json, struct, sys

# Community ID v1, computed here from the spec (corelight/community-id-
# spec) with Python's own SHA-1, apart from egressd's C: for every flow
# and verdict event that has a flow, egressd's must be this.
def community_id(ev):
    p = ev["proto"]
    proto = p if isinstance(p, int) else {"ICMP": 1, "IGMP": 2, "TCP": 6,
        "UDP": 17, "GRE": 47, "ESP": 50, "AH": 51, "ICMPv6": 58, "OSPF": 89,
        "SCTP": 132}.get(p, int(p) if str(p).isdigit() else -1)
    if proto == -1:
        return None
    s = ipaddress.ip_address(ev["src_ip"]).packed
    d = ipaddress.ip_address(ev["dest_ip"]).packed
    sp, dp = ev.get("src_port", 0), ev.get("dest_port", 0)
    ports = proto in (1, 6, 17, 58, 132)
    one_way = False
    if proto in (1, 58):
        # The type is the source port; the counterpart type (the reply to
        # a request, and back) is the destination port, or the code when
        # the type has none, and then the order is as sent.
        t = ev["icmp_type"]
        pairs = {1: {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18,
                     18: 17, 10: 9, 9: 10},
                 58: {128: 129, 129: 128, 133: 134, 134: 133, 135: 136,
                      136: 135, 130: 131, 131: 130, 139: 140, 140: 139,
                      144: 145, 145: 144}}[proto]
        sp = t
        if t in pairs:
            dp = pairs[t]
        else:
            dp, one_way = ev["icmp_code"], True
    if not one_way and (s, sp if ports else 0) > (d, dp if ports else 0):
        s, d, sp, dp = d, s, dp, sp
    b = struct.pack("!H", 0) + s + d + bytes([proto, 0])
    if ports:
        b += struct.pack("!HH", sp, dp)
    return "1:" + base64.b64encode(hashlib.sha1(b).digest()).decode()

cats = set()
for line in open(sys.argv[1]):
    ev = json.loads(line)
    for k in ("timestamp", "event_type", "flow_id"):
        assert k in ev, f"{k} missing in {line}"
    if "src_ip" in ev and ev["event_type"] in ("flow", "verdict"):
        want = community_id(ev)
        assert ev.get("community_id") == want, (want, ev)
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
		echo "FAIL $name: verdict categories '$got', want '$want' (tests/golden/$name/expect)"
		fail=$((fail + 1))
		continue
	fi
	if [ $update = 1 ]; then
		cp "$tmp/$name.events" "$dir/events"
	elif ! diff -u "$dir/events" "$tmp/$name.events" >"$tmp/$name.diff"; then
		echo "FAIL $name: events differ from tests/golden/$name/events:"
		head -40 "$tmp/$name.diff"
		fail=$((fail + 1))
		continue
	fi
	echo "PASS $name ($got)"
	pass=$((pass + 1))
done
echo "golden: $pass passed, $fail failed"

# Every native event against the project's schema, every EVE record
# against Suricata's when ../shared/compat holds it, and the two outputs of
# each replay against each other (tests/schema/validate.py).
set -- "$here/../../schema/egressd-events.schema.json"
suricata="$here/../../../shared/compat/suricata-eve.schema.json"
[ ! -f "$suricata" ] || set -- "$@" --suricata "$suricata"
py=python3
python3 -c 'import jsonschema' 2>/dev/null || py=/usr/bin/python3
if "$py" "$here/../schema/validate.py" "$@" "$tmp/schema"; then
	echo "PASS schema"
else
	echo "FAIL schema"
	fail=$((fail + 1))
fi
[ $fail = 0 ]
