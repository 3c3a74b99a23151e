#!/bin/sh
# tests/fuzz/regress.sh: runs every saved input of tests/fuzz/regress/ once
# through its target (the file name starts with the target's name:
# regress/fuzz_decode-vxlan-overread runs in fuzz_decode). Inputs that once
# crashed a target must not crash it again. Builds the targets first, as
# run.sh --build-only does. Exits 1 if any input fails, 0 when all pass or
# there are none.
set -eu

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${BUILD:-build}/fuzz/bin
tests/fuzz/run.sh --build-only

export EGRESSD_SIGDIR="$ROOT/signatures"
status=0
n=0
for f in tests/fuzz/regress/fuzz_*; do
	[ -f "$f" ] || continue
	t=$(basename "$f" | sed 's/-.*//')
	if [ ! -x "$BIN/$t" ]; then
		echo "regress: $f: no target $t" >&2
		status=1
		continue
	fi
	n=$((n + 1))
	# Given files, libFuzzer runs each once and exits non-zero on a crash.
	if ! "$BIN/$t" -rss_limit_mb=2048 -timeout=10 "$f" >"$BIN/regress.log" 2>&1; then
		echo "regress: $f: FAILED"
		sed -n '/ERROR\|runtime error/,+15p' "$BIN/regress.log" | head -n 16 | sed 's/^/    /'
		status=1
	fi
done
echo "regress: $n inputs, $([ $status = 0 ] && echo ok || echo failures)"
exit $status
