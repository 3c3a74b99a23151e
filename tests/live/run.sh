#!/bin/sh
# Live capture tests, in a network namespace this script makes (nothing
# leaves it): a veth pair vA/vB; egressd captures on vB as user nobody with
# two workers while tcpreplay sends a recorded capture into vA. Each
# capture must give the verdict categories `egressd -r` gives for the same
# file. Then, on one long-running egressd: the user and capabilities in
# /proc, /metrics and /healthz, verdicts reaching a loopback webhook within
# seconds, a SIGHUP that adds a rule (and one that brings a broken rule
# file, which is refused), and SIGTERM ending it with status 0 in seconds.
# Needs root, ip netns and tcpreplay; skipped otherwise.
#
#   tests/live/run.sh EGRESSD [CASE...]
#   CASES="ssh https tor" tests/live/run.sh EGRESSD
#
# The captures are those of the golden cases, tests/golden/CASE/capture.pcap
# (with the case's inventory, if it has one), every case by default. Naming
# cases, as arguments or in CASES (blank separated), replays only those: all
# of them take minutes. The long run of part 2 always replays ssh and
# jsonrpc.
set -u

egressd=${1:?usage: run.sh EGRESSD [CASE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
golden=$top/tests/golden
# shellcheck disable=SC2086  # CASES is a blank separated list
[ $# -gt 0 ] || set -- ${CASES:-}
if [ $# -eq 0 ]; then
	for d in "$golden"/*/; do
		d=${d%/}
		set -- "$@" "${d##*/}"
	done
fi
case "$egressd" in /*) ;; *) egressd=$(pwd)/$egressd ;; esac

if [ "$(id -u)" -ne 0 ] || ! command -v tcpreplay >/dev/null 2>&1 ||
    ! ip netns add "egd-live-probe-$$" 2>/dev/null; then
	echo "live: skipped: needs root, ip netns and tcpreplay"
	exit 0
fi
ip netns del "egd-live-probe-$$"

ns=egd-live-$$
t=$(mktemp -d /tmp/egressd-live.XXXXXX)
chmod 755 "$t"		# nobody writes its events here
# What a SIGHUP rereads, egressd reads as nobody: copies it may read,
# wherever (and however privately) this tree was cloned.
cp -r "$top/signatures" "$t/signatures"
cp "$golden/golden.conf" "$t/golden.conf"
chmod -R a+rX "$t/signatures" "$t/golden.conf"
pass=0
fail=0
epid=
rpid=

cleanup() {
	[ -n "$epid" ] && kill -9 "$epid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
in_ns ip link set lo up
in_ns ip link add vA type veth peer name vB
# No IPv6 on the pair: router solicitations would be extra flows.
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
in_ns ip link set vA up
in_ns ip link set vB up

cats() {	# the sorted verdict categories of an events file
	python3 -c '
import json, sys
cats = {e["category"] for e in map(json.loads, open(sys.argv[1]))
        if e["event_type"] == "verdict"}
print(",".join(sorted(cats)) or "none")' "$1"
}

# start_egressd OUT ARGS...: egressd on vB as nobody; waits until it
# captures. Sets epid.
start_egressd() {
	out=$1; shift
	# Not through in_ns: $! must be egressd itself, not a subshell.
	ip netns exec "$ns" "$egressd" -i vB -u nobody -c "$t/golden.conf" \
	    --signature-dir "$t/signatures" "$@" -v >"$out" 2>"$out.err" &
	epid=$!
	i=0
	until grep -q "capturing on" "$out.err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $epid 2>/dev/null; then
			cat "$out.err" >&2
			return 1
		fi
		sleep 0.05
	done
	sleep 0.2	# the rings are mapped; let the first block settle
}

# stop_egressd: SIGTERM; sets rc and took (tenths of a second).
stop_egressd() {
	start=$(date +%s%N)
	kill -TERM $epid
	rc=0
	wait $epid || rc=$?
	took=$(( ($(date +%s%N) - start) / 100000000 ))
	epid=
}

# 1. Each recorded capture, replayed into the veth, gives the categories
# of a replay of the file.
"$top/tools/tor-relays-to-rules" --with-ports "$golden/tor-consensus" \
    >"$t/tor.rules"
for name in "$@"; do
	cdir=$golden/$name
	if [ ! -f "$cdir/capture.pcap" ]; then
		notok "live $name: no golden case (tests/golden/$name/capture.pcap)"
		continue
	fi
	# A capture taken on a VM's own interface is a Linux cooked capture,
	# which tcpreplay cannot put on an Ethernet link; its live test is
	# the recording's (tests/e2e/record-captures.sh with EGRESSD_LIVE).
	if [ -f "$cdir/iface" ]; then
		echo "# live $name: skipped (taken on the VM's interface)"
		continue
	fi
	set --
	[ ! -f "$cdir/inventory" ] || set -- --inventory "$cdir/inventory"
	"$egressd" -c "$golden/golden.conf" --rule-files "$t/tor.rules" "$@" \
	    -r "$cdir/capture.pcap" >"$t/$name.file.json"
	file_cats=$(cats "$t/$name.file.json")
	if ! start_egressd "$t/$name.live.json" --workers 2 \
	    --rule-files "$t/tor.rules" --stats-interval 0 "$@"; then
		notok "live $name: egressd did not start"
		continue
	fi
	# Four times faster than recorded, but for the captures whose
	# verdict is a rate or a delay (application floods, guessing by
	# shape or by the server's refusal delay, slow attacks) or that must
	# stay under one (their benign look-alikes):
	# four times faster they would be other traffic.
	case "$name" in
	slowloris|slowbody|httpflood-*|httpsflood-*|hydra-https-basic|\
	hydra-http-form|benign-api-client|benign-pip-burst|\
	benign-aria2-https|benign-poll|hydra-imaps|hydra-pop3s|\
	benign-imaps-poll) speed=1 ;;
	*) speed=4 ;;
	esac
	in_ns tcpreplay -q -i vA -x $speed "$cdir/capture.pcap" >/dev/null 2>&1
	sleep 0.5
	stop_egressd
	live_cats=$(cats "$t/$name.live.json")
	check "live $name: $live_cats, as -r gives ($file_cats; exit $rc)" \
	    [ "$live_cats" = "$file_cats" -a "$rc" -eq 0 ]
done

# 2. One long run: privileges, metrics, health, webhook, reload, stop.
python3 -c 'import base64, os; print("whsec_" + base64.b64encode(os.urandom(32)).decode())' >"$t/secret"
chmod 644 "$t/secret"	# read after the drop to nobody
rm -f "$t/ready"
ip netns exec "$ns" python3 "$top/tests/delivery/receiver.py" --port 0 \
    --secret-file "$t/secret" --log "$t/hook.log" --ready-file "$t/ready" &
rpid=$!
while [ ! -s "$t/ready" ]; do sleep 0.05; done
hport=$(cat "$t/ready")
: >"$t/extra.rules"
chmod 644 "$t/extra.rules"
mport=$((20000 + $$ % 20000))
start_egressd "$t/long.json" --workers 2 --metrics "127.0.0.1:$mport" \
    --rule-files "$t/extra.rules" --stats-interval 1 \
    --webhook "http://127.0.0.1:$hport/hook" --webhook-secret-file "$t/secret" ||
    notok "the long-running egressd did not start"
status=/proc/$epid/status
check "runs as nobody after start" grep -Eq '^Uid:[[:space:]]+65534[[:space:]]+65534' "$status"
eff=$(awk '/^CapEff/ {print $2}' "$status")
check "effective capabilities $eff: at most CAP_NET_RAW" \
    sh -c "[ \$(( 0x$eff & ~(1 << 13) )) -eq 0 ]"
check "no capabilities in the bounding set either" \
    grep -Eq '^CapBnd:[[:space:]]+0000000000000000' "$status"
check "/metrics answers with egressd_ series" \
    sh -c "ip netns exec $ns curl -sf http://127.0.0.1:$mport/metrics | grep -q '^egressd_capture_packets_total '"
check "/healthz says ok" \
    sh -c "[ \"\$(ip netns exec $ns curl -sf http://127.0.0.1:$mport/healthz)\" = ok ]"

in_ns tcpreplay -q -i vA -x 4 "$golden/ssh/capture.pcap" >/dev/null 2>&1
i=0
until grep -q '"remote_access"' "$t/hook.log" 2>/dev/null || [ $i -ge 50 ]; do
	i=$((i + 1)); sleep 0.1
done
check "a verdict reaches the webhook within seconds ($i/10 s)" [ $i -lt 50 ]
check "the verdict's signature verifies" \
    sh -c "python3 '$top/tests/delivery/verdicts.py' requests '$t/hook.log' | grep -q ' 200 sig_ok '"
i=0	# workers publish their figures once a second
until ip netns exec "$ns" curl -sf "http://127.0.0.1:$mport/metrics" |
    grep -q '^egressd_verdicts_total{category="remote_access"} 1' || [ $i -ge 30 ]; do
	i=$((i + 1)); sleep 0.1
done
check "/metrics counts the verdict" [ $i -lt 30 ]
# Two workers, one set of signatures: a setting is not summed.
want=$("$egressd" -t -c "$t/golden.conf" --signature-dir "$t/signatures" \
    --rule-files "$t/extra.rules" 2>/dev/null | awk '/signatures loaded/ {print $2}')
got=$(ip netns exec "$ns" curl -sf "http://127.0.0.1:$mport/metrics" |
    awk '$1 == "egressd_detect_signatures_loaded" {print $2}')
check "/metrics with 2 workers: signatures_loaded $got, as -t counts ($want)" \
    sh -c "[ -n '$want' ] && [ '$got' = '$want' ]"
# Prometheus's own linter: HELP and TYPE lines, names, labels, counters.
if command -v promtool >/dev/null 2>&1; then
	ip netns exec "$ns" curl -sf "http://127.0.0.1:$mport/metrics" >"$t/metrics.txt"
	check "promtool check metrics: /metrics is clean" \
	    sh -c "promtool check metrics <'$t/metrics.txt' >'$t/promtool.out' 2>&1 || { cat '$t/promtool.out' >&2; false; }"
else
	ok "promtool check metrics # SKIP promtool is not installed"
fi

# jsonrpc's capture is no verdict ... until a rule says JSON-RPC on its
# port is a pool (a port alone is only a hint: it never makes a verdict).
jport=$(tcpdump -nn -r "$golden/jsonrpc/capture.pcap" tcp 2>/dev/null | awk 'NR == 1 {n = split($5, a, "."); sub(":", "", a[n]); print a[n]}')
echo "id=LIVE-0001 category=mining confidence=high port=$jport payload=\"\\\"jsonrpc\\\"\" msg=\"test pool port\"" >"$t/extra.rules"
kill -HUP $epid
i=0
until grep -q "reloaded" "$t/long.json.err" || [ $i -ge 50 ]; do
	i=$((i + 1)); sleep 0.1
done
check "SIGHUP reloads ($(grep -o 'reloaded.*' "$t/long.json.err" | head -1))" [ $i -lt 50 ]
sleep 0.5
in_ns tcpreplay -q -i vA "$golden/jsonrpc/capture.pcap" >/dev/null 2>&1
i=0
until grep -q 'LIVE-0001' "$t/long.json" || [ $i -ge 50 ]; do
	i=$((i + 1)); sleep 0.1
done
check "the rule added by SIGHUP gives a verdict" grep -q '"id":"LIVE-0001"' "$t/long.json"

echo 'id=BROKEN category=warez port=1' >"$t/extra.rules"
kill -HUP $epid
i=0
until grep -q "reload rejected" "$t/long.json.err" || [ $i -ge 50 ]; do
	i=$((i + 1)); sleep 0.1
done
check "a broken rule file on SIGHUP is refused with its file:line" \
    grep -q "reload rejected.*extra.rules:1:" "$t/long.json.err"
check "and egressd goes on, healthy" \
    sh -c "kill -0 $epid && [ \"\$(ip netns exec $ns curl -sf http://127.0.0.1:$mport/healthz)\" = ok ]"
check "stats events come every stats_interval" \
    [ "$(grep -c '"event_type":"stats"' "$t/long.json")" -ge 2 ]

stop_egressd
check "SIGTERM: exit 0 within seconds (exit $rc, $took/10 s)" \
    [ "$rc" -eq 0 -a "$took" -lt 50 ]
check "a final stats event: the kernel dropped nothing across the reloads" \
    sh -c "tail -1 '$t/long.json' | grep -q '\"kernel_drops\":0,'"
kill "$rpid" 2>/dev/null; rpid=

echo "live: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
