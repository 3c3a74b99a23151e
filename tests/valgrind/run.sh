#!/bin/sh
# make valgrind: every recorded capture (each golden case's and the demo's)
# replayed under valgrind's memcheck (no invalid read or write, no use of
# uninitialised memory, no definite leak), with --flows so flow events are
# written too; then one replay that also exercises the delivery threads
# (webhook to a closed port, a spool, an exec hook, an inventory) and the
# configuration check.
#
#   tests/valgrind/run.sh EGRESSD
set -u
egressd=${1:?usage: run.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
caps=$top/tests/captures
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT INT TERM
pass=0
fail=0
vg() {	# vg NAME ARGS...: egressd under memcheck
	name=$1; shift
	if valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --track-origins=yes \
	    "$egressd" "$@" >"$t/out" 2>"$t/$name.vg"; then
		rc=0
	else
		rc=$?
	fi
	# A replay may exit 3 (verdicts left in a spool) by design.
	if [ "$rc" -eq 99 ] || grep -q '^==[0-9]*== ' "$t/$name.vg"; then
		echo "FAIL valgrind $name (exit $rc):"
		grep '^==' "$t/$name.vg" | head -30
		fail=$((fail + 1))
	else
		echo "PASS valgrind $name"
		pass=$((pass + 1))
	fi
}
for c in "$top"/tests/golden/*/capture.pcap "$caps/demo.pcap"; do
	n=$(basename "$(dirname "$c")")
	[ "$c" != "$caps/demo.pcap" ] || n=demo
	vg "$n" -c "$top/tests/golden/golden.conf" -r "$c" --flows
done
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" >"$t/secret"
chmod 600 "$t/secret"
printf '#!/bin/sh\ncat >/dev/null\n' >"$t/hook.sh"
chmod 755 "$t/hook.sh"
printf '192.0.2.10,vm-1,acme,a;b\n' >"$t/inv.csv"
vg delivery -r "$caps/demo.pcap" --webhook http://127.0.0.1:9/hook \
    --webhook-secret-file "$t/secret" --spool "$t/spool" \
    --drain-timeout 1 --exec "$t/hook.sh" --inventory "$t/inv.csv" \
    --eve "$t/eve.json"
vg check-config -t -v -c "$top/deploy/egressd.conf" \
    --signature-dir "$top/signatures"
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
