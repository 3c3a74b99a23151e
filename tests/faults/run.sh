#!/bin/sh
# The fault-injection regressions: one script per fault that a
# fault-injection pass found (issue 16 of the project's tracker), each
# provoking the fault from outside, as a user would meet it, and checking
# that what must hold holds. A script exits 0 (every check passed), 1 (a
# check failed) or 77 (skipped: something it needs is missing here).
#
#   tests/faults/run.sh EGRESSD [NN...]	(NN: run only those, e.g. 02 07)
set -u

egressd=${1:?usage: run.sh EGRESSD [NN...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
case $egressd in /*) ;; *) egressd=$PWD/$egressd ;; esac
pass=0
fail=0
skip=0
failed=

for script in "$here"/[0-9][0-9]-*.sh; do
	name=$(basename "$script" .sh)
	if [ $# -gt 0 ]; then
		want=0
		for nn in "$@"; do
			case $name in "$nn"-*) want=1 ;; esac
		done
		[ $want -eq 1 ] || continue
	fi
	echo "# $name"
	rc=0
	"$script" "$egressd" || rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "# $name: skipped" ;;
	*) fail=$((fail + 1)); failed="$failed $name" ;;
	esac
done
echo "faults: $pass passed, $fail failed, $skip skipped${failed:+ (failed:$failed)}"
[ $fail -eq 0 ]
