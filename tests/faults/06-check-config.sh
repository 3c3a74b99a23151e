#!/bin/sh
# Fault 6: -t approved what the run refused. `metrics = abc`,
# `metrics = 65536`, `bpf_filter = ((((` and `eve = /nonexistent/dir/x`
# all passed -t (exit 0), and the run then exited 2 or 1; a bad bpf_filter
# at start was exit 1, not a configuration error; the README allowed
# nft_timeout up to "365d" but `d` was refused; range messages said
# "from 0s" where 0 is refused.
#
# Must hold: -t refuses each of those with exit 2 and a message naming the
# setting, in a config file and on the command line; a live start with a
# bad bpf_filter exits 2 before it opens anything; durations take days;
# a range is said with its real least value.
set -u
nn=06
egressd=${1:?usage: 06-check-config.sh EGRESSD}
. "$(dirname "$0")/lib.sh"

# refused NAME WANT -- ARGS...: -t exits 2 and stderr holds WANT.
refused() {
	name=$1 want=$2; shift 3
	rc=0
	"$egressd" -t "$@" >"$t/$name.out" 2>"$t/$name.err" || rc=$?
	check "-t $name: exit 2 ($rc)" [ $rc -eq 2 ]
	check "-t $name: says \"$want\"" grep -qF "$want" "$t/$name.err"
}

refused metrics-abc 'metrics address "abc"' -- --metrics abc
refused metrics-65536 'bad port "65536"' -- --metrics 65536
refused bpf-filter 'bpf_filter:' -- --bpf-filter '(((('
refused eve-dir 'directory /nonexistent/dir' -- --eve /nonexistent/dir/x
refused output-dir 'directory /nonexistent/dir' -- -o /nonexistent/dir/x
refused eve-directory 'is a directory' -- --eve "$t"
printf 'metrics = abc\n' >"$t/m.conf"
refused conf-metrics 'metrics address "abc"' -- -c "$t/m.conf"
printf 'bpf_filter = ((((\n' >"$t/b.conf"
refused conf-bpf 'bpf_filter:' -- -c "$t/b.conf"

# What -t passes still passes.
rc=0
"$egressd" -t --metrics 127.0.0.1:9104 --bpf-filter 'tcp or udp' \
    --eve "$t/eve.json" >/dev/null 2>"$t/good.err" || rc=$?
check "-t: good metrics, bpf_filter and eve pass ($rc)" [ $rc -eq 0 ]
check "-t: the EVE file is not made by -t" [ ! -e "$t/eve.json" ]

# A bad filter at a live start: a configuration error, exit 2, before any
# capture handle (so no root is needed for the answer).
rc=0
"$egressd" -i lo --bpf-filter '((((' >/dev/null 2>"$t/live.err" || rc=$?
check "live start with a bad bpf_filter: exit 2 ($rc)" [ $rc -eq 2 ]
check "live start with a bad bpf_filter: says bpf_filter" grep -q "bpf_filter" "$t/live.err"

# Durations.
rc=0
"$egressd" -t --nft-timeout 365d >/dev/null 2>&1 || rc=$?
check "nft_timeout = 365d, as the README allows ($rc)" [ $rc -eq 0 ]
refused nft-366d "from 1s to 365d" -- --nft-timeout 366d
refused webhook-timeout-0 "from 100ms to 5m" -- --webhook-timeout 0
refused exec-timeout-0 "from 100ms to 1h" -- --exec-timeout 0
finish
