#!/bin/sh
# tests/fleet/run.sh EGRESSD: egressd's NATS JetStream sink, per-host
# summaries and `egressd fleet`, against a real three-node JetStream
# cluster on loopback (cluster.sh: nats-server, one config file per node,
# in a temporary directory).
#
# The captures (record.sh: the real hping3) are one tenant's 8 VMs on two
# hosts, each VM sending 150 SYN/s to one target: no VM and no host is at
# syn_flood_pps (1000/s), the tenant is (1,200/s). Each host's replay adds
# a golden capture that makes host verdicts (a stratum miner, a TLS one).
#
#   1. a fleet instance starts; host A replays;
#   2. one cluster node is killed (kill -9);
#   3. host B replays, on the two nodes left;
#   4. the fleet instance is stopped before it judged the window (it
#      hands the summaries back); a new one (the restart) takes both
#      hosts' summaries and reports the tenant's distributed flood, once;
#   5. a third instance starts later: nothing is left to report;
#   6. host A replays again: JetStream drops its verdicts as copies.
#
# Then: every host verdict is in EGRESSD_VERDICTS exactly once, the fleet
# verdict is in it once (egressd.fleet.dos) and names all 8 VMs on both
# hosts, and the stream has 3 replicas. The stream is read with jsq.py,
# which speaks NATS's protocol itself.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); echo "not ok - $1"; }
check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}

if ! command -v nats-server >/dev/null 2>&1; then
	echo "not ok - nats-server is not installed (deploy/install-deps.sh)"
	exit 1
fi
dir=$(mktemp -d)
export PORT0=$((21000 + ($$ % 400) * 20))
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	"$here/cluster.sh" "$dir/cluster" stop >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

urls="nats://127.0.0.1:$((PORT0 + 1)),nats://127.0.0.1:$((PORT0 + 2)),nats://127.0.0.1:$((PORT0 + 3))"
url2="nats://127.0.0.1:$((PORT0 + 2))"
caps="$here/captures"
cat >"$dir/inventory.csv" <<EOF
address,vm,tenant,labels
198.51.100.11,vm-a1,acme,
198.51.100.12,vm-a2,acme,
198.51.100.13,vm-a3,acme,
198.51.100.14,vm-a4,acme,
198.51.100.15,vm-b1,acme,
198.51.100.16,vm-b2,acme,
198.51.100.17,vm-b3,acme,
198.51.100.18,vm-b4,acme,
192.0.2.10,vm-miner,beta,
EOF
common="--vm-networks 198.51.100.0/24,192.0.2.0/24 --inventory $dir/inventory.csv --nats $urls --drain-timeout 60s"

if ! "$here/cluster.sh" "$dir/cluster" start; then
	notok "the cluster starts"
	exit 1
fi
ok "a three-node JetStream cluster on loopback"

# -t: the cluster is reached, the stream is not there yet; a cluster
# that is down fails the check (exit 2, as any -t failure).
check "-t with the cluster up: exit 0" "$bin" -t $common >/dev/null 2>&1
"$bin" -t --nats nats://127.0.0.1:$((PORT0 + 9)) --nats-timeout 500ms \
    >"$dir/t.out" 2>&1
rc=$?
check "-t with no server there: exit 2 ($rc), a message" \
    sh -c "[ $rc -eq 2 ] && grep -q 'nats' '$dir/t.out'"

# 1. A fleet instance; host A.
"$bin" fleet --nats "$urls" --fleet-linger 60s --host-id fleet1 \
    -o "$dir/fleet1.json" 2>"$dir/fleet1.err" &
f1=$!
pids="$pids $f1"
"$bin" -r "$top/tests/golden/stratum/capture.pcap" -r "$caps/hostA.pcap" \
    $common --host-id hostA --spool "$dir/spoolA" -o "$dir/hostA.json" \
    --eve "$dir/hostA.eve" 2>"$dir/hostA.err"
check "host A's replay: exit 0" [ $? -eq 0 ]

# 2. One node goes.
"$here/cluster.sh" "$dir/cluster" kill 1
# 3. Host B on the two nodes left.
"$bin" -r "$top/tests/golden/stratum-tls/capture.pcap" -r "$caps/hostB.pcap" \
    $common --host-id hostB --spool "$dir/spoolB" -o "$dir/hostB.json" \
    --eve "$dir/hostB.eve" 2>"$dir/hostB.err"
check "host B's replay with a node down: exit 0" [ $? -eq 0 ]

# 4. The fleet restarted: the first instance stops before judging (its
# linger is a minute); the next judges once no summary came for 3 s.
# (A node lost as an instance stops can leave its summaries to come back
# only after the ack wait: the unit suite's late_rows_judged_again.)
sleep 2
kill -TERM "$f1"
wait "$f1"
check "the first fleet instance stops on SIGTERM: exit 0" [ $? -eq 0 ]
"$bin" fleet --nats "$urls" --fleet-linger 3s --host-id fleet2 \
    -o "$dir/fleet2.json" --eve "$dir/fleet2.eve" 2>"$dir/fleet2.err" &
f2=$!
pids="$pids $f2"
i=0
while [ $i -lt 120 ] && ! grep -q '"event_type":"verdict"' "$dir/fleet2.json" 2>/dev/null; do
	sleep 0.5
	i=$((i + 1))
done
sleep 1
kill -TERM "$f2"
wait "$f2"
# 5. Later, a third instance: nothing left to report.
"$bin" fleet --nats "$urls" --fleet-linger 1s --host-id fleet3 \
    -o "$dir/fleet3.json" 2>"$dir/fleet3.err" &
f3=$!
pids="$pids $f3"
sleep 4
kill -TERM "$f3"
wait "$f3"
# 6. Host A again: its verdicts are copies now.
"$bin" -r "$top/tests/golden/stratum/capture.pcap" -r "$caps/hostA.pcap" \
    $common --host-id hostA -o "$dir/hostA2.json" 2>"$dir/hostA2.err"
check "host A's second replay: exit 0" [ $? -eq 0 ]

# TLS: a one-node JetStream server that speaks TLS only, with a CA of the
# test's; egressd verifies it with nats_ca_file, and refuses another CA.
tls_port=$((PORT0 + 7))
(
	cd "$dir" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=egd-test-ca \
	    -keyout ca.key -out ca.pem 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -keyout srv.key -out srv.csr 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\n' >san.ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	    -days 2 -extfile san.ext -out srv.pem 2>/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
	    -keyout other.key -out other.pem 2>/dev/null
) || notok "TLS certificates made with openssl"
chmod 600 "$dir/srv.key"
cat >"$dir/tls.conf" <<EOF
listen: 127.0.0.1:$tls_port
jetstream { store_dir: "$dir/tls-store" }
tls { cert_file: "$dir/srv.pem", key_file: "$dir/srv.key" }
EOF
nats-server -c "$dir/tls.conf" >"$dir/tls.log" 2>&1 &
pids="$pids $!"
i=0
until grep -q "Server is ready" "$dir/tls.log" || [ $i -gt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$bin" -r "$top/tests/golden/stratum/capture.pcap" $common \
    --nats "tls://127.0.0.1:$tls_port" --nats-ca-file "$dir/ca.pem" \
    --host-id hostT -o "$dir/tls.json" 2>"$dir/tls.err"
check "TLS: a replay delivers its verdict to a TLS-only server (nats_ca_file)" \
    grep -q '"nats":{[^}]*"delivered":1' "$dir/tls.json"
"$bin" -t --nats "tls://127.0.0.1:$tls_port" --nats-ca-file "$dir/other.pem" \
    --nats-timeout 2s >"$dir/tls-t.out" 2>&1
check "TLS: a server another CA signed is refused (-t exit 2)" [ $? -eq 2 ]

# No server: the verdict waits in the spool (exit 3, it says so), and a
# run with no capture delivers the spool once the cluster is there.
"$bin" -r "$top/tests/golden/stratum/capture.pcap" $common \
    --nats "nats://127.0.0.1:$((PORT0 + 9))" --nats-timeout 500ms \
    --drain-timeout 2s --host-id hostD --spool "$dir/spoolD" \
    -o "$dir/down.json" 2>"$dir/down.err"
rc=$?
check "cluster unreachable: exit 3 ($rc), the verdict stays in the spool" \
    sh -c "[ $rc -eq 3 ] && grep -q 'stay in the spool' '$dir/down.err' && [ \$(ls '$dir/spoolD/nats' | wc -l) -eq 1 ]"
"$bin" --nats "$urls" --host-id hostD --spool "$dir/spoolD" \
    -o "$dir/deliver.json" 2>"$dir/deliver.err"
rc=$?
check "the spool delivered once the cluster is reachable: exit 0 ($rc), spool empty" \
    sh -c "[ $rc -eq 0 ] && grep -q '\"recovered\":1' '$dir/deliver.json' && [ \$(ls '$dir/spoolD/nats' | wc -l) -eq 0 ]"

# The hosts' and the fleet's events against the project's schema, their
# --eve files against Suricata's (when ../shared/compat has it), and each
# pair against each other, as the golden replays are.
mkdir "$dir/schema"
for n in hostA hostB fleet2; do
	cp "$dir/$n.json" "$dir/schema/$n.events"
	cp "$dir/$n.eve" "$dir/schema/$n.eve"
done
set -- "$top/schema/egressd-events.schema.json"
[ ! -f "$top/../shared/compat/suricata-eve.schema.json" ] ||
	set -- "$@" --suricata "$top/../shared/compat/suricata-eve.schema.json"
py=python3
python3 -c 'import jsonschema' 2>/dev/null || py=/usr/bin/python3
check "the hosts' and the fleet's events and EVE records pass the schemas" \
    "$py" "$top/tests/schema/validate.py" "$@" "$dir/schema"

"$here/jsq.py" "$url2" msgs EGRESSD_VERDICTS >"$dir/verdicts.jsonl"
"$here/jsq.py" "$url2" info EGRESSD_VERDICTS >"$dir/info.json"
"$here/jsq.py" "$url2" info EGRESSD_SUMMARIES >"$dir/sinfo.json"

python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
fails = []
def events(name):
    try:
        return [json.loads(l) for l in open(d + '/' + name) if l.strip()]
    except FileNotFoundError:
        return []
def out(ok, what):
    print(('ok - ' if ok else 'not ok - ') + what)
    if not ok:
        fails.append(what)

host = [e for n in ('hostA.json', 'hostB.json') for e in events(n) if e['event_type'] == 'verdict']
stats = {n: [e for e in events(n) if e['event_type'] == 'stats'][-1]['stats'] for n in ('hostA.json', 'hostB.json', 'hostA2.json')}
msgs = [json.loads(l) for l in open(d + '/verdicts.jsonl')]
hv = [m for m in msgs if m['subject'].startswith('egressd.verdicts.')]
fv = [m for m in msgs if m['subject'].startswith('egressd.fleet.')]
ids = sorted(m['data']['verdict_id'] for m in hv)
out(len(host) >= 2, 'the hosts made verdicts (%d)' % len(host))
out(ids == sorted(v['verdict_id'] for v in host),
    'every host verdict is in EGRESSD_VERDICTS exactly once (%d messages, %d verdicts)' % (len(hv), len(host)))
out(all(m['headers'].get('Nats-Msg-Id') == m['data']['verdict_id'] for m in hv),
    'Nats-Msg-Id is the verdict_id')
out(all(m['subject'] == 'egressd.verdicts.' + m['data']['category'] for m in hv),
    'subjects are egressd.verdicts.<category>')
out(sorted(m['data']['host'] for m in hv) == sorted(['hostA'] * sum(1 for v in events('hostA.json') if v['event_type'] == 'verdict') +
    ['hostB'] * sum(1 for v in events('hostB.json') if v['event_type'] == 'verdict')), 'each names its host')
out(stats['hostA2.json']['nats']['duplicates'] == len([v for v in events('hostA2.json') if v['event_type'] == 'verdict']),
    'a replay made again: JetStream acks its verdicts as copies (%d)' % stats['hostA2.json']['nats']['duplicates'])
for n in ('hostA.json', 'hostB.json'):
    s = stats[n]
    out(s['nats']['summaries'] > 0 and s['nats']['summaries_lost'] == 0 and s['fleet']['pairs_dropped'] == 0,
        '%s: %d summaries published, %d bytes, none lost' % (n, s['nats']['summaries'], s['nats']['summary_bytes']))
    out(s['verdicts']['dos'] == 0, '%s: the host alone sees no flood' % n)
out(len(fv) == 1, 'one fleet verdict in the stream (%d)' % len(fv))
f2 = [e for e in events('fleet2.json') if e['event_type'] == 'verdict']
f1 = [e for e in events('fleet1.json') if e['event_type'] == 'verdict']
f3 = [e for e in events('fleet3.json') if e['event_type'] == 'verdict']
out(len(f1) == 0, 'the instance stopped before judging reported nothing')
out(len(f2) == 1, 'the restarted instance reported the flood once (%d)' % len(f2))
out(len(f3) == 0, 'a later instance reported nothing again')
if f2:
    v = f2[0]
    out(v['category'] == 'dos' and v['evidence']['detector'] == 'fleet_syn_flood' and
        v['tenant'] == 'acme' and v['dest_ip'] == '203.0.113.9',
        'it is the tenant acme\'s distributed SYN flood on 203.0.113.9')
    out(v['fleet']['vm_count'] == 8 and v['fleet']['host_count'] == 2 and
        sorted(v['fleet']['hosts']) == ['hostA', 'hostB'],
        'it names the 8 VMs on both hosts: %s' % ', '.join(v['fleet']['vms']))
    out(bool(fv) and fv[0]['data']['verdict_id'] == v['verdict_id'] and fv[0]['subject'] == 'egressd.fleet.dos',
        'the stream holds the same verdict as egressd.fleet.dos')
info = json.load(open(d + '/info.json'))
out(info['config']['num_replicas'] == 3, 'EGRESSD_VERDICTS has 3 replicas')
sinfo = json.load(open(d + '/sinfo.json'))
out(sinfo['config']['num_replicas'] == 3 and sinfo['config']['max_age'] > 0,
    'EGRESSD_SUMMARIES has 3 replicas and an age limit')
sys.exit(1 if fails else 0)
PY
rc=$?
if [ $rc -ne 0 ]; then
	for f in hostA.err hostB.err fleet1.err fleet2.err fleet3.err; do
		echo "# $f:"; sed 's/^/#   /' "$dir/$f" | tail -5
	done
	for f in fleet1.json fleet2.json fleet3.json; do
		echo "# $f, its last stats:"
		grep '"stats"' "$dir/$f" | tail -1 | sed 's/^/#   /'
	done
	[ -z "${FLEET_KEEP:-}" ] || { cp -r "$dir" "$FLEET_KEEP"; echo "# kept in $FLEET_KEEP"; }
	fail=$((fail + 1))
fi
echo "fleet: $pass passed, $fail failed (shell checks; the stream checks above)"
[ $fail -eq 0 ]
