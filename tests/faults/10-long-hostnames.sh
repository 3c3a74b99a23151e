#!/bin/sh
# Fault 10: host names of 64 bytes or more escaped host rules: the flow
# record kept a 63-byte copy of the name (nDPI keeps 79), so a "*.domain"
# rule, which looks at the end of the name, never saw it. (Fixed with the
# detection issue; this script keeps it fixed.)
#
# Provoked: names of 63, 64, 65, 80, 90, 200 and 253 bytes (253: the
# longest a DNS name can be) under one domain, each sent as TLS SNI, as an
# HTTP Host and as a DNS query (tests/longname-capture.py), against the
# rule host=*.names-pool.example; and a rule for another domain.
# Must hold: every one of the 21 matches the rule, and the verdict's
# evidence shows the whole name; the other rule matches none.
set -u
nn=10
egressd=${1:?usage: 10-long-hostnames.sh EGRESSD}
. "$(dirname "$0")/lib.sh"

lengths="63 64 65 80 90 200 253"
python3 "$top/tests/longname-capture.py" "$t/ln.pcap" names-pool.example $lengths
printf 'id=LN-1 category=mining confidence=high host=*.names-pool.example msg="long-name pool"\n' >"$t/ln.rules"
rc=0
"$egressd" --rule-files "$t/ln.rules" --suppress-window 0 -r "$t/ln.pcap" \
    >"$t/ln.events" 2>"$t/ln.err" || rc=$?
check "the replay exits 0 ($rc)" [ $rc -eq 0 ]
check "all 21 names match the rule ($(grep -c '"id":"LN-1"' "$t/ln.events"))" \
    [ "$(grep -c '"id":"LN-1"' "$t/ln.events")" -eq 21 ]
for n in $lengths; do
	got=$(grep '"event_type":"verdict"' "$t/ln.events" | python3 -c '
import json, sys
lens = [len(json.loads(l)["evidence"]["server_name"]) for l in sys.stdin]
print(lens.count(int(sys.argv[1])))' "$n")
	check "$n bytes: TLS, HTTP and DNS each match, with the whole name ($got of 3)" \
	    [ "$got" -eq 3 ]
done
printf 'id=LN-2 category=mining confidence=high host=*.other-pool.example msg="other"\n' >"$t/other.rules"
"$egressd" --rule-files "$t/other.rules" --suppress-window 0 -r "$t/ln.pcap" \
    >"$t/other.events" 2>/dev/null
check "a rule for another domain matches none" \
    sh -c "! grep -q '\"id\":\"LN-2\"' '$t/other.events'"
finish
