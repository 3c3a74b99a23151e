# Shared by the fault scripts: counters, checks, the webhook receiver of
# the delivery tests, and clean-up. A script sets nn (its number) and
# sources this file with egressd=$1 set.

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
caps=$top/tests/captures		# demo.pcap
golden=$top/tests/golden		# the golden cases: CASE/capture.pcap
t=$(mktemp -d "/tmp/egressd-fault-$nn.XXXXXX")
pass=0
fail=0
rpid=
cleanups=

cleanup() {
	[ -n "${epid:-}" ] && kill -9 "$epid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	for c in $cleanups; do
		"$c" 2>/dev/null
	done
	rm -rf "$t"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && cleanup() { echo "kept $t"; }
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() {	# check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
finish() {
	echo "# $nn: $pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit $?
}
skip() {
	echo "$nn: skipped: $*" >&2
	exit 77
}

# stat_of EVENTS SECTION.NAME: a figure of the last stats event (0 if absent).
stat_of() {
	python3 - "$1" "$2" <<'PY'
import json, sys
last = {}
for line in open(sys.argv[1], encoding='utf-8'):
    line = line.strip()
    if line:
        e = json.loads(line)
        if e.get('event_type') == 'stats':
            last = e['stats']
sec, name = sys.argv[2].split('.')
print(last.get(sec, {}).get(name, 0))
PY
}
verdicts() { grep -c '"event_type":"verdict"' "$1" || true; }

# A webhook secret, in the Standard Webhooks form.
secret=$t/secret
python3 -c 'import base64, os; print("whsec_" + base64.b64encode(os.urandom(32)).decode())' >"$secret"
chmod 600 "$secret"

# start_receiver MODE LOG [NETNS]: the delivery tests' receiver on
# 127.0.0.1 (inside NETNS when given); sets rpid and port.
start_receiver() {
	rm -f "$t/ready"
	if [ $# -ge 3 ]; then
		ip netns exec "$3" python3 "$top/tests/delivery/receiver.py" \
		    --port 0 --secret-file "$secret" --log "$2" --mode "$1" \
		    --ready-file "$t/ready" 2>>"$t/receiver.err" &
	else
		python3 "$top/tests/delivery/receiver.py" --port 0 \
		    --secret-file "$secret" --log "$2" --mode "$1" \
		    --ready-file "$t/ready" 2>>"$t/receiver.err" &
	fi
	rpid=$!
	i=0
	while [ ! -s "$t/ready" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "receiver did not start" >&2; exit 1; }
		sleep 0.05
	done
	port=$(cat "$t/ready")
}
stop_receiver() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	[ -n "$rpid" ] && wait "$rpid" 2>/dev/null
	rpid=
}

# A port nothing listens on: bound, then closed.
closed_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Live runs: a namespace with a veth pair vA/vB; egressd captures on vB as
# nobody, tcpreplay sends into vA. netns_up NAME sets ns.
ns=
netns_down() { [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null; }
netns_up() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v tcpreplay >/dev/null 2>&1 || skip "needs tcpreplay"
	ip netns add "$1" 2>/dev/null || skip "cannot make a network namespace"
	ns=$1
	cleanups="$cleanups netns_down"
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip link add vA type veth peer name vB
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" ip link set vA up
	ip netns exec "$ns" ip link set vB up
	chmod 711 "$t"
	mkdir -m 700 "$t/nobody"
	chown nobody "$t/nobody" "$secret"
}
# start_live OUT ARGS...: egressd -i vB -u nobody in the namespace; waits
# until it captures; sets epid.
epid=
start_live() {
	out=$1; shift
	ip netns exec "$ns" "$egressd" -i vB -u nobody "$@" -v \
	    >"$out" 2>"$out.err" &
	epid=$!
	i=0
	until grep -q "capturing on" "$out.err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 $epid 2>/dev/null; then
			cat "$out.err" >&2
			return 1
		fi
		sleep 0.05
	done
	sleep 0.2
}
# stop_live: SIGTERM; sets rc and took (tenths of a second).
stop_live() {
	start=$(date +%s%N)
	kill -TERM $epid
	rc=0
	wait $epid || rc=$?
	took=$(( ($(date +%s%N) - start) / 100000000 ))
	epid=
}
replay_into() { ip netns exec "$ns" tcpreplay -q -i vA --topspeed "$1" >/dev/null 2>&1; }
