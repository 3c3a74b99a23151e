#!/bin/sh
# Delivery tests: egressd replays recorded captures into a signed webhook
# (tests/delivery/receiver.py on 127.0.0.1, which checks every signature
# with Python's own hmac), a disk spool, an exec hook, an EVE file and the
# inventory. The verdict ids a plain replay prints are the reference: every
# one of them must reach the receiver, whatever happens on the way.
#
#   tests/delivery/run.sh EGRESSD
set -eu

egressd=${1:?usage: run.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
caps=$top/tests/captures
v="python3 $here/verdicts.py"
t=$(mktemp -d /tmp/egressd-delivery.XXXXXX)
pass=0
fail=0
rpid=

cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
	rm -rf "$t"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() {	# check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}

# The secret, in the Standard Webhooks form.
python3 -c 'import base64, os; print("whsec_" + base64.b64encode(os.urandom(32)).decode())' >"$t/secret"
chmod 600 "$t/secret"

# start_receiver MODE LOG: starts receiver.py, sets rpid and port.
start_receiver() {
	rm -f "$t/ready"
	python3 "$here/receiver.py" --port 0 --secret-file "$t/secret" \
	    --log "$2" --mode "$1" --ready-file "$t/ready" 2>>"$t/receiver.err" &
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
	kill "$rpid" 2>/dev/null || true
	wait "$rpid" 2>/dev/null || true
	rpid=
}

# run_egressd NAME ARGS...: a replay with the webhook; sets rc.
run_egressd() {
	name=$1; shift
	rc=0
	"$egressd" --webhook "http://127.0.0.1:$port/hook" \
	    --webhook-secret-file "$t/secret" "$@" \
	    >"$t/$name.events" 2>"$t/$name.err" || rc=$?
}

same_ids() {	# same_ids WANT GOT: the same set of ids
	sort -u "$1" >"$1.s"; sort -u "$2" >"$2.s"
	cmp -s "$1.s" "$2.s"
}
count() { wc -l <"$1" | tr -d ' '; }
mode_of() { stat -c %a "$1"; }

# Reference verdict ids.
"$egressd" -r "$caps/demo.pcap" >"$t/demo.ref.events"
$v ids "$t/demo.ref.events" >"$t/demo.ref"
"$egressd" -r "$caps/demo.pcap" --suppress-window 0 >"$t/many.ref.events"
$v ids "$t/many.ref.events" >"$t/many.ref"
ndemo=$(count "$t/demo.ref")
nmany=$(count "$t/many.ref")
echo "# reference: demo.pcap $ndemo verdicts, demo.pcap with --suppress-window 0 $nmany verdicts"

# 1. Every verdict of a replay arrives, signed; the spool empties.
start_receiver ok "$t/ok.log"
run_egressd ok -r "$caps/demo.pcap" --spool "$t/spool1"
stop_receiver
$v delivered "$t/ok.log" >"$t/ok.got"
check "all $ndemo verdicts of a replay arrive (exit $rc)" \
    same_ids "$t/demo.ref" "$t/ok.got"
check "exit status 0 when all is delivered" [ "$rc" -eq 0 ]
check "every request's signature verifies with Python's hmac" \
    sh -c "! $v requests '$t/ok.log' | grep -q sig_bad"
check "the spool is empty afterwards and its directory is 0700" \
    sh -c "[ -z \"\$(ls '$t/spool1')\" ] && [ \$(stat -c %a '$t/spool1') = 700 ]"
check "stats: webhook.delivered = $ndemo" \
    [ "$($v stat "$t/ok.events" webhook.delivered)" = "$ndemo" ]

# 2. Endpoint down during a replay: the verdicts wait in the spool (exit
# 3), and a later run with the same spool delivers every one.
start_receiver ok "$t/unused.log"
stop_receiver		# $port is now closed
run_egressd down -r "$caps/demo.pcap" --spool "$t/spool2" --drain-timeout 1
check "endpoint down: exit status 3 (verdicts spooled)" [ "$rc" -eq 3 ]
check "endpoint down: stats say $ndemo pending" \
    [ "$($v stat "$t/down.events" webhook.pending)" = "$ndemo" ]
check "spooled files are 0600" \
    sh -c "for f in '$t'/spool2/*.msg; do [ \$(stat -c %a \"\$f\") = 600 ] || exit 1; done"
start_receiver ok "$t/later.log"
run_egressd later --spool "$t/spool2" --drain-timeout 10
stop_receiver
$v delivered "$t/later.log" >"$t/later.got"
check "a later run delivers all $ndemo spooled verdicts (exit $rc)" \
    same_ids "$t/demo.ref" "$t/later.got"
check "the later run exits 0 and empties the spool" \
    sh -c "[ $rc -eq 0 ] && [ -z \"\$(ls '$t/spool2')\" ]"
check "stats of the later run: webhook.recovered = $ndemo" \
    [ "$($v stat "$t/later.events" webhook.recovered)" = "$ndemo" ]

# 3. kill -9 while a request is in flight, then a restart: every verdict
# arrives at least once, and the message in flight keeps its webhook-id.
start_receiver slow:2 "$t/slow.log"
"$egressd" --webhook "http://127.0.0.1:$port/hook" \
    --webhook-secret-file "$t/secret" --spool "$t/spool3" \
    --webhook-batch 1 --suppress-window 0 -r "$caps/demo.pcap" \
    -o /dev/null 2>"$t/kill.err" &
epid=$!
sleep 1			# all spooled, the first request waits on the receiver
kill -9 $epid
wait $epid 2>/dev/null || true
sleep 1.5		# the receiver logs the request it was answering
stop_receiver
nleft=$(ls "$t/spool3" | grep -c '\.msg$' || true)
start_receiver ok "$t/after.log"
run_egressd after --spool "$t/spool3" --drain-timeout 20
stop_receiver
$v delivered "$t/slow.log" "$t/after.log" >"$t/kill.got"
sort -u "$t/many.ref" >"$t/many.ref.s"
missing=$(sort -u "$t/kill.got" | comm -23 "$t/many.ref.s" - | wc -l)
check "kill -9 then restart: all $nmany verdicts arrive, $missing missing ($nleft messages were in the spool at the kill)" \
    [ "$missing" -eq 0 ]
$v requests "$t/slow.log" | awk '{print $1}' | sort -u >"$t/slow.ids"
$v requests "$t/after.log" | awk '{print $1}' | sort -u >"$t/after.ids"
check "the message in flight at the kill is sent again with the same webhook-id" \
    sh -c "[ \$(comm -12 '$t/slow.ids' '$t/after.ids' | wc -l) -ge 1 ]"
check "the restarted run exits 0" [ "$rc" -eq 0 ]

# 4. 500 twice, then 200: retried with backoff, same webhook-id.
start_receiver fail500:2 "$t/500.log"
run_egressd e500 -r "$caps/demo.pcap" --spool "$t/spool4" --webhook-batch 100 \
    --drain-timeout 20
stop_receiver
$v delivered "$t/500.log" >"$t/500.got"
check "500, 500, then 200: all verdicts arrive (exit $rc)" \
    same_ids "$t/demo.ref" "$t/500.got"
first=$($v requests "$t/500.log" | head -1 | awk '{print $1}')
check "the retries of a message carry its webhook-id" \
    [ "$($v requests "$t/500.log" | awk -v id="$first" '$1 == id' | wc -l)" -ge 3 ]
check "stats: webhook.failures = 2" \
    [ "$($v stat "$t/e500.events" webhook.failures)" = 2 ]

# 5. 429 with Retry-After: 3 is honoured over the 1 s backoff.
start_receiver ratelimit:1:3 "$t/429.log"
run_egressd e429 -r "$caps/demo.pcap" --spool "$t/spool5" --drain-timeout 20
stop_receiver
gap=$($v requests "$t/429.log" | awk 'NR == 1 {t = $5} NR == 2 {printf "%d", ($5 - t) * 10}')
check "429 Retry-After: 3 delays the retry by 3 s (waited ${gap}/10 s)" \
    [ "${gap:-0}" -ge 29 ]
$v delivered "$t/429.log" >"$t/429.got"
check "after the 429 every verdict arrives" same_ids "$t/demo.ref" "$t/429.got"

# 6. 410: the endpoint is disabled at once; verdicts stay spooled.
start_receiver gone "$t/410.log"
start=$(date +%s)
run_egressd e410 -r "$caps/demo.pcap" --spool "$t/spool6" --drain-timeout 30
took=$(( $(date +%s) - start ))
stop_receiver
check "410: one request, then the endpoint is off (exit $rc, ${took}s)" \
    sh -c "[ \$($v requests '$t/410.log' | wc -l) -eq 1 ] && [ $rc -eq 3 ] && [ $took -lt 10 ]"
check "410: a logged error names it" grep -q "gone" "$t/e410.err"
check "410: stats webhook.disabled = 1" \
    [ "$($v stat "$t/e410.events" webhook.disabled)" = 1 ]

# 7. 400: the message is refused for good, kept aside, counted, exit 1.
start_receiver reject400 "$t/400.log"
run_egressd e400 -r "$caps/demo.pcap" --spool "$t/spool7" --drain-timeout 10
stop_receiver
check "400: exit 1, the message is in the spool's rejected/ directory" \
    sh -c "[ $rc -eq 1 ] && ls '$t/spool7/rejected/' | grep -q '\.msg$'"
check "400: stats webhook.rejected = $ndemo" \
    [ "$($v stat "$t/e400.events" webhook.rejected)" = "$ndemo" ]

# 8. A full spool drops and counts what does not fit.
start_receiver ok "$t/unused2.log"
stop_receiver
run_egressd full -r "$caps/demo.pcap" --suppress-window 0 --webhook-batch 1 \
    --spool "$t/spool8" --spool-max-bytes 4096 --drain-timeout 1
spooled=$($v stat "$t/full.events" webhook.spooled)
dropped=$($v stat "$t/full.events" webhook.spool_dropped)
check "full spool: $spooled spooled + $dropped dropped = $nmany, exit 1" \
    sh -c "[ $((spooled + dropped)) -eq $nmany ] && [ $dropped -gt 0 ] && [ $rc -eq 1 ]"
check "full spool: the drop is logged" grep -q "spool full" "$t/full.err"
check "full spool: within its bound" \
    [ "$(cat "$t"/spool8/*.msg | wc -c)" -le 4096 ]

# 9. The exec hook gets each verdict's JSON on stdin, its id in the
# environment, and no capabilities.
mkdir "$t/hook"
cat >"$t/hook.sh" <<EOF
#!/bin/sh
cat >"$t/hook/\$EGRESSD_VERDICT_ID.json"
grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status >"$t/hook/\$EGRESSD_VERDICT_ID.status"
echo "\$1" >"$t/hook/\$EGRESSD_VERDICT_ID.arg"
EOF
chmod 755 "$t/hook.sh"
rc=0
"$egressd" -r "$caps/demo.pcap" --exec "$t/hook.sh \$(id);" >"$t/exec.events" \
    2>"$t/exec.err" || rc=$?
ls "$t/hook" | sed -n 's/\.json$//p' >"$t/exec.got"
check "exec hook: one run per verdict (exit $rc)" same_ids "$t/demo.ref" "$t/exec.got"
check "exec hook: stdin is the verdict's JSON" python3 -c "
import json, sys, glob
for f in glob.glob('$t/hook/*.json'):
    e = json.load(open(f))
    assert e['event_type'] == 'verdict' and f.endswith(e['verdict_id'] + '.json'), f
"
check "exec hook: arguments arrive literally, no shell" \
    grep -qxF '$(id);' "$(ls "$t"/hook/*.arg | head -1)"
if [ "$(id -u)" -eq 0 ]; then
	check "exec hook: no capabilities, no_new_privs (run as root)" sh -c "
	    f=\$(ls '$t'/hook/*.status | head -1)
	    ! grep -E '^Cap' \"\$f\" | grep -vq '0000000000000000' &&
	    grep -q 'NoNewPrivs:[[:space:]]*1' \"\$f\""
fi

# 10. EVE file: 0600, every event; SIGHUP reopens it after a rotation.
# The capture comes through a pipe that pauses halfway, so the signal
# lands mid-run.
cat >"$t/inv.csv" <<EOF
address,vm,tenant,labels
192.0.2.10,vm-before,acme,tier=free;gpu
EOF
half=$(( $(wc -c <"$caps/demo.pcap") / 2 ))
( head -c $half "$caps/demo.pcap"; sleep 2; tail -c +$((half + 1)) "$caps/demo.pcap" ) |
    "$egressd" -r - --eve "$t/eve.json" --inventory "$t/inv.csv" \
    >"$t/eve.stdout" 2>"$t/eve.err" &
epid=$!
sleep 1
mv "$t/eve.json" "$t/eve.json.1"
cat >"$t/inv.csv" <<EOF
address,vm,tenant,labels
192.0.2.10,vm-after,acme,tier=free;gpu
EOF
kill -HUP $epid
rc=0
wait $epid || rc=$?
check "EVE file: created 0600" [ "$(mode_of "$t/eve.json.1")" = 600 ]
check "SIGHUP: the EVE file is reopened after rotation, 0600 (exit $rc)" \
    sh -c "grep -q '\"stats\"' '$t/eve.json' && [ \$(stat -c %a '$t/eve.json') = 600 ]"
check "EVE file and its rotated part hold every event of stdout" python3 -c "
import json
eve = [json.loads(l) for f in ('$t/eve.json.1', '$t/eve.json') for l in open(f)]
out = [json.loads(l) for l in open('$t/eve.stdout')]
assert len(eve) == len(out), (len(eve), len(out))
ids = [e['alert']['metadata']['verdict_id'][0] for e in eve if e['event_type'] == 'alert']
assert ids == [e['verdict_id'] for e in out if e['event_type'] == 'verdict'], ids
assert [e['event_type'] for e in eve] == [{'verdict': 'alert'}.get(e['event_type'], e['event_type']) for e in out]
"
check "inventory: verdicts name the VM, tenant and labels" python3 -c "
import json
vs = [json.loads(l) for l in open('$t/eve.stdout') if '\"verdict\"' in l]
assert vs
for e in vs:
    assert e['vm'] in ('vm-before', 'vm-after') and e['vm_ip'] == '192.0.2.10', e
    assert e['tenant'] == 'acme' and e['labels'] == ['tier=free', 'gpu'], e
    assert e['reason'].startswith('VM %s (192.0.2.10)' % e['vm']), e['reason']
assert vs[-1]['vm'] == 'vm-after', 'SIGHUP did not reload the inventory'
"

# 11. Inventory by MAC: the VM's address is learned from its frames.
cat >"$t/mac.csv" <<EOF
02:00:c0:00:02:0a,vm-by-mac,t2,
EOF
"$egressd" -r "$caps/demo.pcap" --inventory "$t/mac.csv" >"$t/mac.events"
check "inventory by MAC: the VM is named from its frames" python3 -c "
import json
vs = [json.loads(l) for l in open('$t/mac.events') if '\"verdict\"' in l]
assert vs and all(e['vm'] == 'vm-by-mac' for e in vs), vs
"
printf '192.0.2.10,a\n192.0.2.10,b\n' >"$t/dup.csv"
rc=0
"$egressd" -r "$caps/demo.pcap" --inventory "$t/dup.csv" >/dev/null 2>"$t/dup.err" || rc=$?
check "inventory with a duplicate: exit 2, file:line message" \
    sh -c "[ $rc -eq 2 ] && grep -q 'dup.csv:2: 192.0.2.10 already given on line 1' '$t/dup.err'"

# 12. TLS: the server's certificate is verified; a private CA is trusted
# only when webhook_ca_file names it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$t/tls.key" \
    -out "$t/tls.crt" 2>/dev/null
rm -f "$t/ready"
python3 "$here/receiver.py" --port 0 --secret-file "$t/secret" \
    --log "$t/tls.log" --mode ok --tls "$t/tls.crt" "$t/tls.key" \
    --ready-file "$t/ready" 2>>"$t/receiver.err" &
rpid=$!
while [ ! -s "$t/ready" ]; do sleep 0.05; done
port=$(cat "$t/ready")
rc=0
"$egressd" -r "$caps/demo.pcap" --webhook "https://127.0.0.1:$port/hook" \
    --webhook-secret-file "$t/secret" --spool "$t/spool12" --drain-timeout 1 \
    >/dev/null 2>"$t/tls-noca.err" || rc=$?
check "TLS: an unknown CA is refused (exit $rc, verdicts spooled)" \
    sh -c "[ $rc -eq 3 ] && grep -qi 'certificate' '$t/tls-noca.err'"
rc=0
"$egressd" --webhook "https://127.0.0.1:$port/hook" \
    --webhook-secret-file "$t/secret" --spool "$t/spool12" \
    --webhook-ca-file "$t/tls.crt" >"$t/tls.events" 2>"$t/tls.err" || rc=$?
stop_receiver
$v delivered "$t/tls.log" >"$t/tls.got"
check "TLS: with webhook_ca_file the spooled verdicts arrive (exit $rc)" \
    same_ids "$t/demo.ref" "$t/tls.got"
chmod 644 "$t/secret"
"$egressd" -t --webhook http://127.0.0.1:1/ --webhook-secret-file "$t/secret" \
    >/dev/null 2>"$t/perm.err" || true
chmod 600 "$t/secret"
check "a secret file others can read is warned about" grep -q "chmod 600" "$t/perm.err"

# 13. Configuration errors are caught before any packet is read.
rc=0
"$egressd" -r "$caps/demo.pcap" --webhook http://127.0.0.1:1/ 2>"$t/nosecret.err" >/dev/null || rc=$?
check "webhook without a secret: exit 2" sh -c "[ $rc -eq 2 ] && grep -q webhook_secret_file '$t/nosecret.err'"
echo "whsec_SECRETSECRET!!" >"$t/badsecret"
rc=0
"$egressd" -t --webhook http://127.0.0.1:1/ --webhook-secret-file "$t/badsecret" >/dev/null 2>"$t/badsecret.err" || rc=$?
check "a bad secret file: exit 2, the secret not echoed" \
    sh -c "[ $rc -eq 2 ] && ! grep -q SECRETSECRET '$t/badsecret.err'"
rc=0
"$egressd" -t --exec /nonexistent/hook >/dev/null 2>&1 || rc=$?
check "an exec program that does not exist: exit 2" [ "$rc" -eq 2 ]
rc=0
"$egressd" -t --spool "$t/s" >/dev/null 2>&1 || rc=$?
check "a spool without a webhook: exit 2" [ "$rc" -eq 2 ]

echo "delivery: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
