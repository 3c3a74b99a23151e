#!/bin/sh
# tests/fleet/sizing.sh EGRESSD [CAPTURE]: the README's Fleet sizing
# figures, measured on a three-node JetStream cluster on loopback
# (cluster.sh). One replay of CAPTURE (default: build/bench/mixed.pcap,
# made by `make bench`; every recorded fixture, 49 minutes of packet
# time) as one host with --nats, the default fleet_interval (10 s), every
# side that opens a flow a VM; then one `egressd fleet` reads all its
# summaries. Prints the summaries per interval and their bytes, the
# messages per second of packet time, and the correlator's rate; then the
# correlator's rate again on a load it cannot finish in a blink: 2,000
# made-up summaries of 200 rows (400,000 rows: 50 hosts, 1,000 tenants of
# 4 VMs, 20 s of packet time) published straight to egressd.summary.*.
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
cap=${2:-$here/../../build/bench/mixed.pcap}
[ -f "$cap" ] || { echo "sizing: no $cap (make bench makes it)" >&2; exit 1; }
dir=$(mktemp -d)
# The summaries the correlator writing stats to $1 has taken so far.
taken() {
	python3 -c "import json, sys
t = 0
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d['event_type'] == 'stats': t = d['stats']['fleet']['summaries_in']
print(t)" "$1" 2>/dev/null || echo 0
}
export PORT0=$((21000 + ($$ % 400) * 20))
trap '"$here/cluster.sh" "$dir/c" stop >/dev/null 2>&1; rm -rf "$dir"' EXIT INT TERM
"$here/cluster.sh" "$dir/c" start
urls="nats://127.0.0.1:$((PORT0 + 1)),nats://127.0.0.1:$((PORT0 + 2)),nats://127.0.0.1:$((PORT0 + 3))"
"$bin" -r "$cap" --nats "$urls" --host-id sizing -o "$dir/host.json" \
    --drain-timeout 120s
t0=$(date +%s.%N)
"$bin" fleet --nats "$urls" --fleet-linger 2s --stats-interval 1s \
    -o "$dir/fleet.json" &
fp=$!
# Until the correlator took every summary (its stats, each second, say).
want=$(python3 -c "import json
s=[json.loads(l) for l in open('$dir/host.json') if '\"stats\"' in l][-1]['stats']
print(s['nats']['summaries'])")
i=0
while [ "$(taken "$dir/fleet.json")" -lt "$want" ] && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
t1=$(date +%s.%N)
kill -TERM "$fp"
wait "$fp" || true
# The made-up load, published with NATS's own protocol (no reply: the
# stream stores what it is sent; the PING at the end waits for all).
python3 - "$PORT0" <<'PY'
import json, random, socket, sys
port = int(sys.argv[1]) + 2
s = socket.create_connection(('127.0.0.1', port))
s.recv(4096)
s.sendall(b'CONNECT {"verbose":false}\r\n')
rnd = random.Random(7)
base = 1796620000000000
for m in range(2000):
    host = 'gen%02d' % (m % 50)
    w = base + (m // 1000) * 10000000
    rows = []
    for r in range(200):
        t = rnd.randrange(1000)
        v = rnd.randrange(4)
        rows.append({'vm': 'vm-%d-%d' % (t, v), 'vm_ip': '10.%d.%d.%d' % (t // 250, t % 250, v + 1),
                     'tenant': 't%d' % t, 'target': '203.0.113.%d' % rnd.randrange(1, 255),
                     'proto': 'TCP', 'port': 443, 'pkts': 40, 'bytes': 9000, 'syns': 2,
                     'answered': 2, 'replies': 30, 'unanswered_ports': 0,
                     'pkts_b': [4] * 10, 'syns_b': [0, 2]})
    msg = json.dumps({'type': 'egressd.summary', 'summary_id': '%d-gen-%d' % (w, m), 'start_us': w,
                      'interval_us': 10000000, 'bucket_us': 1000000, 'chunk': 0, 'chunks': 1,
                      'rows': rows, 'dropped': 0, 'host': host}, separators=(',', ':')).encode()
    s.sendall(b'PUB egressd.summary.%s %d\r\n%s\r\n' % (host.encode(), len(msg), msg))
s.sendall(b'PING\r\n')
buf = b''
while b'PONG' not in buf:
    buf += s.recv(4096)
PY
t2=$(date +%s.%N)
"$bin" fleet --nats "$urls" --fleet-linger 2s --stats-interval 1s \
    -o "$dir/fleet2.json" &
fp=$!
i=0
while [ "$(taken "$dir/fleet2.json")" -lt 2000 ] && [ $i -lt 1200 ]; do
	sleep 0.2
	i=$((i + 1))
done
t3=$(date +%s.%N)
kill -TERM "$fp"
wait "$fp" || true
python3 - "$dir/fleet2.json" "$t2" "$t3" <<'PY'
import json, sys
fl = [json.loads(l) for l in open(sys.argv[1]) if '"stats"' in l][-1]['stats']['fleet']
secs = float(sys.argv[3]) - float(sys.argv[2])
print('fleet, made-up load: %d summaries (%d rows) in %.2f s: %.0f summaries/s, %.0f rows/s'
      % (fl['summaries_in'], fl['rows_in'], secs, fl['summaries_in'] / secs, fl['rows_in'] / secs))
PY
python3 - "$dir/host.json" "$dir/fleet.json" "$t0" "$t1" "$cap" <<'PY'
import json, sys
host = [json.loads(l) for l in open(sys.argv[1])]
st = [e for e in host if e['event_type'] == 'stats'][-1]['stats']
fl = [json.loads(l) for l in open(sys.argv[2]) if '"stats"' in l][-1]['stats']['fleet']
secs = float(sys.argv[4]) - float(sys.argv[3])
iv = st['fleet']['summary_intervals']
print('capture %s' % sys.argv[5])
print('host: %d summary intervals of 10 s with rows, %d messages, %d rows, %d bytes'
      % (iv, st['fleet']['summaries'], st['fleet']['summary_rows'], st['fleet']['summary_bytes']))
print('host: %.1f messages and %.0f bytes per interval on average, %.2f messages/s of packet time'
      % (st['fleet']['summaries'] / iv, st['fleet']['summary_bytes'] / iv, st['fleet']['summaries'] / (iv * 10.0)))
print('host: %.0f bytes per row; table %d bytes; %d pairs dropped'
      % (st['fleet']['summary_bytes'] / max(1, st['fleet']['summary_rows']), st['fleet']['table_bytes'], st['fleet']['pairs_dropped']))
print('fleet: %d summaries (%d rows) in %.2f s: %.0f summaries/s, %.0f rows/s (a lower bound: stats come each second)'
      % (fl['summaries_in'], fl['rows_in'], secs, fl['summaries_in'] / secs, fl['rows_in'] / secs))
PY
