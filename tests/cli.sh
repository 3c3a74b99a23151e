#!/bin/sh
# Command-line tests: exit codes, error messages, input forms (file, stdin,
# pcapng, a capture cut short) and output choices, on the recorded captures.
#
#   tests/cli.sh EGRESSD
set -u

egressd=${1:?usage: cli.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
cap=$here/golden/ssh/capture.pcap
bt=$here/golden/bittorrent/capture.pcap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# expect NAME RC STDERR-PATTERN -- command...: exit status and message.
expect() {
	name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, want $want ($(head -c 300 "$tmp/err"))"
	elif [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err"; then
		bad "$name: stderr lacks '$pat': $(head -c 300 "$tmp/err")"
	else
		ok "$name"
	fi
}

# check NAME command...: passes when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# jcount FILE EVENT_TYPE: how many events of that type.
jcount() {
	grep -c "\"event_type\":\"$2\"" "$1"
}

expect version 0 "" -- "$egressd" -V
grep -q '^egressd [0-9]' "$tmp/out" || bad "version: output '$(cat "$tmp/out")'"
expect help 0 "" -- "$egressd" --help
grep -q -- '--max-flows' "$tmp/out" || bad "help: no --max-flows in --help"
expect no-input 2 "nothing to read" -- "$egressd"
expect unknown-option 2 "" -- "$egressd" --no-such-option -r "$cap"
expect extra-argument 2 "unexpected argument" -- "$egressd" -r "$cap" stray
expect missing-file 1 "$tmp/nope.pcap" -- "$egressd" -r "$tmp/nope.pcap"
printf 'this is not a capture\n' >"$tmp/junk.pcap"
expect not-a-capture 1 "junk.pcap" -- "$egressd" -r "$tmp/junk.pcap"
expect bad-option-value 2 "max_flows" -- "$egressd" --max-flows 0 -r "$cap"
# With -r, -i names the one interface the capture was taken on.
expect replay-two-interfaces 2 "the one interface" -- "$egressd" -r "$cap" -i a,b
expect replay-interface 0 "does not say which way" -- "$egressd" -r "$cap" -i tap-7f3a

# A config with an error on line 3 names the file and the line.
printf '# comment\nmax_flows = 1000\nudp_idle_timeout = soon\n' >"$tmp/bad.conf"
expect config-bad-value 2 "bad.conf:3: udp_idle_timeout" -- "$egressd" -c "$tmp/bad.conf" -t
printf 'max_flows = 1000\n\nno_such_key = 1\n' >"$tmp/bad2.conf"
expect config-unknown-key 2 "bad2.conf:3: unknown option 'no_such_key'" -- "$egressd" -c "$tmp/bad2.conf" -t
printf 'vm_networks = 10.0.0.0/33\n' >"$tmp/bad3.conf"
expect config-bad-cidr 2 "bad3.conf:1: vm_networks" -- "$egressd" -c "$tmp/bad3.conf" -t
expect config-missing 2 "nope.conf" -- "$egressd" -c "$tmp/nope.conf" -t
printf 'max_flows = 1000\nvm_networks = 192.0.2.0/24, 2001:db8::/32\n' >"$tmp/good.conf"
expect config-good 0 "" -- "$egressd" -c "$tmp/good.conf" -t
# The command line overrides the file.
expect config-override 2 "command line: max_flows" -- "$egressd" -c "$tmp/good.conf" --max-flows=x -t

# The same capture from a file, from stdin and as pcapng: the same events.
"$egressd" -r "$cap" --flows >"$tmp/file.ev" 2>/dev/null
if "$egressd" -r - --flows <"$cap" >"$tmp/stdin.ev" 2>/dev/null &&
    cmp -s "$tmp/file.ev" "$tmp/stdin.ev"; then
	ok stdin
else
	bad "stdin: events differ from the file's"
fi
check verdict-written [ "$(jcount "$tmp/file.ev" verdict)" -ge 1 ]
check flows-written [ "$(jcount "$tmp/file.ev" flow)" -ge 1 ]
check one-stats [ "$(jcount "$tmp/file.ev" stats)" = 1 ]
if command -v editcap >/dev/null 2>&1; then
	editcap -F pcapng "$cap" "$tmp/cap.pcapng"
	if "$egressd" -r "$tmp/cap.pcapng" --flows >"$tmp/ng.ev" 2>/dev/null &&
	    cmp -s "$tmp/file.ev" "$tmp/ng.ev"; then
		ok pcapng
	else
		bad "pcapng: events differ from the pcap's"
	fi
else
	bad "pcapng: editcap (wireshark-common) is not installed"
fi

# -o writes there and nothing to stdout; appends.
"$egressd" -r "$cap" -o "$tmp/o.ev" >"$tmp/o.stdout" 2>&1
"$egressd" -r "$cap" -o "$tmp/o.ev" >>"$tmp/o.stdout" 2>&1
if [ ! -s "$tmp/o.stdout" ] && [ "$(jcount "$tmp/o.ev" stats)" = 2 ]; then
	ok output-file
else
	bad "output-file: stdout '$(head -c 200 "$tmp/o.stdout")'"
fi
expect output-unwritable 1 "$tmp/no/dir/x" -- "$egressd" -r "$cap" -o "$tmp/no/dir/x"
if [ -w /dev/full ]; then
	expect output-full 1 "writing events" -- "$egressd" -r "$cap" -o /dev/full
fi

# A capture cut in its last record: read up to there, warn, exit 0.
size=$(wc -c <"$cap")
head -c $((size - 37)) "$cap" >"$tmp/cut.pcap"
expect truncated 0 "truncated" -- "$egressd" -r "$tmp/cut.pcap"
check truncated-counted grep -q '"truncated":1' "$tmp/out"
check truncated-verdicts [ "$(jcount "$tmp/out" verdict)" -ge 1 ]

# A link type the decoder does not know (802.11, DLT 105) is refused.
python3 -c '
import struct, sys
sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105))' >"$tmp/wifi.pcap"
expect unsupported-link 1 "link type 105" -- "$egressd" -r "$tmp/wifi.pcap"

# A table of 1 flow still classifies, evicting as it goes.
expect tiny-table 0 "" -- "$egressd" --max-flows 1 -r "$bt"
check tiny-table-evicts grep -q '"evicted":[1-9]' "$tmp/out"

# Rules: a broken rule file names its line; -t counts what loaded.
printf '# test rules\nid=T-1 category=proxy port=tcp/9 msg="ok"\nid=T-2 category=proxy hots=x msg="typo"\n' >"$tmp/bad.rules"
expect rules-bad-line 2 "bad.rules:3:" -- "$egressd" --rule-files "$tmp/bad.rules" -t
expect rules-missing 2 "nope.rules" -- "$egressd" --rule-files "$tmp/nope.rules" -r "$cap"
printf 'id=T-1 category=proxy port=tcp/9 msg="ok"\n' >"$tmp/one.rules"
expect rules-count 0 "" -- "$egressd" --signature-dir '' --rule-files "$tmp/one.rules" -t
check rules-count-says-1 grep -q '1 signatures loaded' "$tmp/out"

# GeoIP: small MaxMind databases built here (documentation ranges only):
# 192.0.2.0/24 is NL, AS64500. Verdicts carry country and AS, and rules
# key on them.
geo=$here/golden/jsonrpc/capture.pcap
if perl "$here/geoip/make-test-mmdb.pl" "$tmp" >/dev/null 2>"$tmp/perl.err"; then
	printf 'id=GEO-T1 category=proxy confidence=high country=NL port=tcp/8545 msg="NL peer on 8545"\n' >"$tmp/geo.rules"
	printf 'id=GEO-T2 category=proxy confidence=high asn=64501 port=tcp/8545 msg="AS64501 peer"\n' >>"$tmp/geo.rules"
	expect geoip 0 "" -- "$egressd" -c "$here/golden/golden.conf" \
	    --geoip-country-db "$tmp/test-country.mmdb" --geoip-asn-db "$tmp/test-asn.mmdb" \
	    --rule-files "$tmp/geo.rules" -r "$geo"
	check geoip-country-rule grep -q '"id":"GEO-T1"' "$tmp/out"
	check geoip-asn-rule-no-match sh -c "! grep -q GEO-T2 '$tmp/out'"
	check geoip-evidence grep -q '"asn":64500,"as_org":"Example Tor Hosting B.V.","country":"NL"' "$tmp/out"
	expect geoip-wrong-db 2 "not a Country/City database" -- "$egressd" \
	    --geoip-country-db "$tmp/test-asn.mmdb" -t
else
	bad "geoip: cannot build test databases: $(head -c 300 "$tmp/perl.err")"
fi

# Host rules see the whole name: names of 63, 64, 90 and 200 bytes as TLS
# SNI, as HTTP Host and as DNS queries all match a "*.domain" rule, whose
# part is the end the flow record's 63-byte copy (and nDPI's 79) cut off.
"$here/longname-capture.py" "$tmp/ln.pcap" names-pool.example 63 64 90 200
printf 'id=LN-T1 category=mining confidence=high host=*.names-pool.example msg="long-name pool"\n' >"$tmp/ln.rules"
expect longnames 0 "" -- "$egressd" --rule-files "$tmp/ln.rules" --suppress-window 0 -r "$tmp/ln.pcap"
check longnames-all-12 sh -c "[ \$(grep -c '\"id\":\"LN-T1\"' '$tmp/out') -eq 12 ]"
for n in 63 64 90 200; do
	check "longnames-whole-$n" sh -c "grep '\"event_type\":\"verdict\"' '$tmp/out' | python3 -c '
import json, sys
lens = [len(json.loads(l)[\"evidence\"][\"server_name\"]) for l in sys.stdin]
sys.exit(0 if lens.count($n) == 3 else 1)'"
done
printf 'id=LN-T2 category=mining confidence=high host=*.other-pool.example msg="other"\n' >"$tmp/ln2.rules"
expect longnames-other 0 "" -- "$egressd" --rule-files "$tmp/ln2.rules" --suppress-window 0 -r "$tmp/ln.pcap"
check longnames-other-none sh -c "! grep -q '\"event_type\":\"verdict\"' '$tmp/out'"

# Protocols that no Debian 12 or npm package speaks, built from their
# specifications (tests/spec-capture.py): each flow, to its own address,
# must get its category, and no flow another.
"$here/spec-capture.py" "$tmp/spec.pcap" "$tmp/spec.tsv"
expect spec-capture 0 "" -- "$egressd" --flows --suppress-window 0 -r "$tmp/spec.pcap"
while read -r sname saddr sproto scat; do
	check "spec-$sname-$scat" python3 -c '
import json, sys
addr, proto, cat = sys.argv[1:4]
flows = [e for e in map(json.loads, open(sys.argv[4])) if e["event_type"] == "flow"
         and e["dest_ip"] == addr and e["proto"] == proto]
verdicts = {e["category"] for e in map(json.loads, open(sys.argv[4]))
            if e["event_type"] == "verdict" and addr in (e.get("dest_ip"), e.get("src_ip"))}
sys.exit(0 if flows and all(f["category"] == cat for f in flows) and verdicts == {cat} else 1)
' "$saddr" "$sproto" "$scat" "$tmp/out"
done <"$tmp/spec.tsv"

# A port is never enough: bytes of no protocol to TCP 3389, UDP 1194 and
# UDP 500, which nDPI names RDP, OpenVPN and IPsec by their ports, make no
# verdict, at min_confidence low too; each is counted as a hint only.
"$here/portguess-capture.py" "$tmp/pg.pcap"
expect portguess 0 "" -- "$egressd" --flows -r "$tmp/pg.pcap"
check portguess-ndpi-guessed sh -c "[ \$(grep -c '\"detection\":\"port\"' '$tmp/out') -eq 3 ]"
check portguess-no-verdict sh -c "! grep -q '\"event_type\":\"verdict\"' '$tmp/out'"
check portguess-counted grep -q '"contextual_only":3' "$tmp/out"
expect portguess-low 0 "" -- "$egressd" --min-confidence low -r "$tmp/pg.pcap"
check portguess-low-no-verdict sh -c "! grep -q '\"event_type\":\"verdict\"' '$tmp/out'"

# The DNS name cache: a connection to a bare address is matched by the
# name the VM resolved for it (pool.supportxmr.com, a shipped pool rule).
"$here/dnscache-capture.py" "$tmp/dc.pcap" pool.supportxmr.com 198.51.100.77 443
expect dnscache 0 "" -- "$egressd" --vm-networks 192.0.2.10 -r "$tmp/dc.pcap"
check dnscache-names-the-flow grep -q '"dest_ip":"198.51.100.77","dest_port":443' "$tmp/out"
check dnscache-reason grep -q 'pool.supportxmr.com (198.51.100.77:443)' "$tmp/out"
expect dnscache-off 0 "" -- "$egressd" --vm-networks 192.0.2.10 --dns-cache-size 0 -r "$tmp/dc.pcap"
check dnscache-off-no-match sh -c "! grep -q '\"dest_ip\":\"198.51.100.77\"' '$tmp/out'"

# One verdict per (VM, category, target) per suppress_window: the three
# BitTorrent flows to 192.0.2.1 make one verdict, or three with the window
# off; block_categories sets the action.
expect suppress 0 "" -- "$egressd" -r "$bt"
check suppress-one [ "$(jcount "$tmp/out" verdict)" = 1 ]
check suppress-counted grep -q '"suppressed":2' "$tmp/out"
expect suppress-off 0 "" -- "$egressd" --suppress-window 0 -r "$bt"
check suppress-off-three [ "$(jcount "$tmp/out" verdict)" = 3 ]
expect block 0 "" -- "$egressd" --block-categories mining,p2p -r "$bt"
check block-action grep -q '"category":"p2p".*"action":"block"' "$tmp/out"
expect block-bad 2 "block_categories: 'warez' is not a category" -- \
    "$egressd" --block-categories warez -t

# Community ID: a verdict carries its flow's, both directions give one
# (the flow event's tuple is the verdict's), and the seed changes it.
cid_of() { python3 -c '
import json, sys
ids = {}
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event_type"] in ("flow", "verdict") and ev["flow_id"]:
        ids.setdefault(ev["flow_id"], set()).add(ev.get("community_id", "-"))
print(" ".join(sorted("|".join(sorted(v)) for v in ids.values())))' "$1"; }
expect cid-seed0 0 "" -- "$egressd" --flows -r "$bt"
cid0=$(cid_of "$tmp/out")
expect cid-seed1 0 "" -- "$egressd" --flows --community-id-seed 1 -r "$bt"
cid1=$(cid_of "$tmp/out")
check cid-one-per-flow sh -c "echo '$cid0' | grep -q '^1:' && ! echo '$cid0' | grep -q '|'"
check cid-seed-matters [ "$cid0" != "$cid1" ]
expect cid-seed-range 2 "community_id_seed" -- \
    "$egressd" --community-id-seed 65536 -t

# Egress only: with 192.0.2.1 (the SSH server) as the VM, the SSH flow was
# opened towards the VM; it is counted, and reported only when asked.
ssh=$here/golden/ssh/capture.pcap
expect ingress 0 "" -- "$egressd" --vm-networks 192.0.2.1 -r "$ssh"
check ingress-not-reported [ "$(jcount "$tmp/out" verdict)" = 0 ]
check ingress-counted grep -q '"ingress":1' "$tmp/out"
expect ingress-on 0 "" -- "$egressd" --vm-networks 192.0.2.1 --ingress-verdicts -r "$ssh"
check ingress-reported grep -q "VM 192.0.2.1 is using remote access: SSH from 192.0.2.10:[0-9]* to the VM's port 22" "$tmp/out"

# -t -v prints the settings, but not a credential in the webhook URL.
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" >"$tmp/secret"
chmod 600 "$tmp/secret"
expect url-masked 0 "" -- "$egressd" -t -v --webhook-secret-file "$tmp/secret" \
    --webhook "https://u:pw@hooks.example/x?token=abc"
check url-masked-shown grep -qxF 'webhook = https://***@hooks.example/x?***' "$tmp/out"
check url-masked-hidden sh -c "! grep -q 'pw\|abc' '$tmp/out'"


# Several captures are one replay: a capture cut in two (the cut inside
# its flows) read as -r first -r second gives the events of the whole,
# the flows that span the cut once each; a directory stands for its
# files in name order; the second half with its Ethernet headers taken
# off (link type RAW) mixes with the first.
# split IN OUT1 OUT2 [raw]: the first half of IN's records to OUT1, the
# rest to OUT2 (as link type RAW, Ethernet headers cut off, with "raw").
split_capture() { python3 - "$@" <<'PYSPLIT'
import struct, sys
data = open(sys.argv[1], 'rb').read()
hdr, recs, off = data[:24], [], 24
while off + 16 <= len(data):
    incl = struct.unpack('<I', data[off + 8:off + 12])[0]
    recs.append(data[off:off + 16 + incl])
    off += 16 + incl
half = len(recs) // 2
open(sys.argv[2], 'wb').write(hdr + b''.join(recs[:half]))
raw = len(sys.argv) > 4
out = open(sys.argv[3], 'wb')
out.write(hdr[:20] + struct.pack('<I', 101) if raw else hdr)
for r in recs[half:]:
    if raw:
        ts, us, incl, orig = struct.unpack('<IIII', r[:16])
        r = struct.pack('<IIII', ts, us, incl - 14, orig - 14) + r[30:]
    out.write(r)
PYSPLIT
}
split_capture "$bt" "$tmp/bt1.pcap" "$tmp/bt2.pcap"
"$egressd" --flows -r "$bt" >"$tmp/whole.ev" 2>/dev/null
expect multi-file 0 "" -- "$egressd" --flows -r "$tmp/bt1.pcap" -r "$tmp/bt2.pcap"
check multi-file-same-events cmp -s "$tmp/whole.ev" "$tmp/out"
"$egressd" --flows -r "$tmp/bt1.pcap" >"$tmp/half.ev" 2>/dev/null
check multi-file-flows-once [ "$(jcount "$tmp/out" flow)" = "$(jcount "$tmp/whole.ev" flow)" ]
# The cut is inside a flow: one that the first half alone ends early
# (fewer packets) is in the two-file replay whole, as one flow.
check multi-file-flow-spans-cut python3 -c '
import json, sys
def flows(path):
    out = {}
    for line in open(path):
        ev = json.loads(line)
        if ev["event_type"] == "flow":
            key = (ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"])
            out.setdefault(key, []).append(ev["pkts_toserver"] + ev["pkts_toclient"])
    return out
half, both = flows(sys.argv[1]), flows(sys.argv[2])
sys.exit(0 if any(len(both.get(k, [])) == 1 and both[k][0] > n[0]
                  for k, n in half.items()) else 1)' "$tmp/half.ev" "$tmp/out"
mkdir "$tmp/dir" "$tmp/dir/sub"
cp "$tmp/bt1.pcap" "$tmp/dir/a.pcap"
cp "$tmp/bt2.pcap" "$tmp/dir/b.pcap"
printf 'not a capture\n' >"$tmp/dir/.hidden"
cp "$cap" "$tmp/dir/sub/c.pcap"
expect directory 0 "" -- "$egressd" --flows -r "$tmp/dir"
check directory-same-events cmp -s "$tmp/whole.ev" "$tmp/out"
mkdir "$tmp/empty"
expect directory-empty 1 "no capture files" -- "$egressd" -r "$tmp/empty"
split_capture "$bt" "$tmp/bt1.pcap" "$tmp/bt2raw.pcap" raw
expect mixed-link-types 0 "" -- "$egressd" --flows -r "$tmp/bt1.pcap" -r "$tmp/bt2raw.pcap"
check mixed-link-types-flows [ "$(jcount "$tmp/out" flow)" = "$(jcount "$tmp/whole.ev" flow)" ]
check mixed-link-types-verdicts [ "$(jcount "$tmp/out" verdict)" = "$(jcount "$tmp/whole.ev" verdict)" ]
# A later file that starts earlier (the SSH capture was taken seconds
# before the BitTorrent one) is time going back, as within a file: a
# step, counted; both files' verdicts come out.
expect multi-time-back 0 "" -- "$egressd" -r "$bt" -r "$cap"
check multi-time-back-counted grep -q '"time_steps_back":1' "$tmp/out"
check multi-time-back-verdicts sh -c "grep -q '\"category\":\"p2p\"' '$tmp/out' &&
    grep -q '\"category\":\"remote_access\"' '$tmp/out'"
# A missing or foreign file among several stops the replay before any
# event, naming the file, as a single bad file does.
expect multi-missing 1 "$tmp/nope.pcap" -- "$egressd" -r "$cap" -r "$tmp/nope.pcap"
check multi-missing-no-events [ ! -s "$tmp/out" ]
expect multi-junk 1 "junk.pcap" -- "$egressd" -r "$tmp/junk.pcap" -r "$cap"
expect multi-stdin-twice 2 "" -- "$egressd" -r - -r -
# A cut file among several is counted and warned about, and the next read.
expect multi-truncated 0 "the next file is read" -- "$egressd" -r "$tmp/cut.pcap" -r "$bt"
check multi-truncated-counted grep -q '"truncated":1' "$tmp/out"
check multi-truncated-next-read [ "$(jcount "$tmp/out" verdict)" -ge 2 ]

# bpf_filter applies to a replay as to tcpdump -r FILE EXPR.
web=$here/golden/benign-https-curl/capture.pcap
packets_of() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event_type"] == "stats":
        print(ev["stats"]["capture"]["packets"])' "$1"; }
if command -v tcpdump >/dev/null 2>&1; then
	# (not $want: expect sets that)
	tcpdump_count=$(tcpdump -nr "$web" 'tcp port 443' 2>/dev/null | wc -l)
	expect bpf-replay 0 "" -- "$egressd" --bpf-filter 'tcp port 443' -r "$web"
	got=$(packets_of "$tmp/out")
	"$egressd" -r "$web" >"$tmp/all.ev" 2>/dev/null
	check "bpf-replay-count-$got-is-$tcpdump_count" [ "$got" = "$tcpdump_count" ]
	check bpf-replay-filters [ "$got" != "$(packets_of "$tmp/all.ev")" ]
else
	bad "bpf-replay: tcpdump is not installed"
fi
expect bpf-replay-bad 2 "bpf_filter" -- "$egressd" --bpf-filter 'tcp port (' -r "$web"

# The progress line: not without a terminal, unless --progress; on a
# terminal (script(1)'s pty) by default, unless --no-progress.
expect progress-no-tty 0 "" -- "$egressd" -r "$bt"
check progress-no-tty-silent [ ! -s "$tmp/err" ]
expect progress-forced 0 "replay .*%" -- "$egressd" --progress -r "$bt"
if command -v script >/dev/null 2>&1; then
	script -qec "'$egressd' -r '$bt' -o /dev/null" /dev/null >"$tmp/pty" 2>&1
	check progress-tty grep -q 'replay .*%' "$tmp/pty"
	script -qec "'$egressd' --no-progress -r '$bt' -o /dev/null" /dev/null >"$tmp/pty" 2>&1
	check progress-tty-off sh -c "! grep -q 'replay' '$tmp/pty'"
else
	bad "progress-tty: script (util-linux) is not installed"
fi

# A setting the run mode does not use is named, not ignored in silence:
# live-only options with -r, whether from the command line or the file;
# a default never is.
expect mode-metrics 0 "metrics applies only to live capture" -- "$egressd" --metrics 9100 -r "$bt"
expect mode-snaplen 0 "snaplen applies only to live capture" -- "$egressd" --snaplen 1500 -r "$bt"
printf 'workers = 4\n' >"$tmp/live.conf"
expect mode-config-file 0 "workers applies only to live capture" -- "$egressd" -c "$tmp/live.conf" -r "$bt"
# And the replay-only --progress with -i (an interface that is not there:
# the warning comes before the capture is opened, which then fails).
expect mode-live-progress 1 "progress applies only to replays" -- \
    "$egressd" -i egressd-none0 --progress -o "$tmp/live.ev"
expect mode-defaults 0 "" -- "$egressd" -r "$bt"
check mode-defaults-silent [ ! -s "$tmp/err" ]

# egressd report: a server name is the attacker's choice, and the page
# must show it as text, never as markup; bad usage is a usage error.
cat >"$tmp/hostile.ev" <<'EOF2'
{"timestamp":"2026-11-22T03:03:06.376474Z","flow_id":7,"event_type":"verdict","verdict_id":"0123456789abcdef0123456789abcdef","vm":"<b>vm</b>","vm_ip":"192.0.2.10","category":"proxy","severity":"medium","confidence":"high","reason":"VM uses a proxy at <script>alert(1)</script>","evidence":{"decided_by":"ndpi","app_proto":"HTTP_Proxy","server_name":"<script>alert('x')</script>\"&"},"src_ip":"192.0.2.10","src_port":1,"dest_ip":"192.0.2.1","dest_port":3128,"proto":"TCP","action":"alert"}
EOF2
expect report-hostile 0 "" -- "$egressd" report -o "$tmp/hostile.html" "$tmp/hostile.ev"
check report-hostile-no-script sh -c "! grep -qi '<script' '$tmp/hostile.html' && ! grep -q '<b>vm' '$tmp/hostile.html'"
check report-hostile-escaped grep -q "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;" "$tmp/hostile.html"
check report-hostile-csp grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$tmp/hostile.html"
expect report-no-input 2 "give the event files" -- "$egressd" report
expect report-missing-file 1 "$tmp/nope.ev" -- "$egressd" report "$tmp/nope.ev"
expect report-needs-replay 2 "--report is for replays" -- "$egressd" --report "$tmp/x.html"
expect report-replay 0 "" -- "$egressd" -r "$cap" --report "$tmp/replay.html"
check report-replay-section grep -q '<section class="vm" id="vm-0">' "$tmp/replay.html"
# The report enables flow events for itself, without writing them.
check report-replay-no-flows [ "$(jcount "$tmp/out" flow)" = 0 ]

# Replays are reproducible: hash keys are random per run, but nothing that
# is written may depend on them.
for c in dnsamp portscan addrscan bittorrent; do
	"$egressd" --flows -r "$here/golden/$c/capture.pcap" >"$tmp/r1" 2>/dev/null
	"$egressd" --flows -r "$here/golden/$c/capture.pcap" >"$tmp/r2" 2>/dev/null
	check "reproducible-$c" cmp -s "$tmp/r1" "$tmp/r2"
done

echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
