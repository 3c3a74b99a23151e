#!/bin/sh
# --evidence-dir: every golden capture with a verdict replayed with it (as
# the golden run replays it), and for every verdict
# DIR/<verdict_id>.pcap checked with tshark: it exists, mode 0600, and
# holds the packets the verdict names (a flow verdict: at least one, all
# of its 5-tuple either way; a behaviour verdict: at least one, all
# between its VM and its target). Then the memory cap (a tiny
# evidence_memory still succeeds and counts packets_cut), and the
# directory rules at -t and at start (exit 2 with a clear message).
#
#   tests/evidence/run.sh EGRESSD
set -u

egressd=${1:?usage: run.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../golden
conf=$golden/golden.conf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

if ! command -v tshark >/dev/null 2>&1; then
	echo "FAIL tshark not installed (deploy/install-deps.sh installs it)"
	exit 1
fi

# verify EVENTS DIR: every verdict's file against the verdict; prints
# FAIL lines, and "verdicts N" when all is well.
verify() {
	python3 - "$1" "$2" <<'EOF'
import ipaddress, json, os, stat, subprocess, sys

events, d = sys.argv[1], sys.argv[2]
n, bad = 0, []

def addr(s):
    return ipaddress.ip_address(s) if s else None

def packets(path):
    # The last occurrence of each field: the innermost header of a
    # tunnelled packet, which is the flow egressd classified.
    out = subprocess.run(
        ['tshark', '-n', '-r', path, '-T', 'fields', '-E', 'occurrence=l',
         '-E', 'separator=|', '-e', 'ip.src', '-e', 'ip.dst',
         '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'tcp.srcport',
         '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport',
         '-e', 'ip.proto', '-e', 'ipv6.nxt', '-e', 'frame.protocols'],
        capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    rows = []
    for line in out.stdout.splitlines():
        f = line.split('|')
        # IPv6 in IPv4 or the other way (a GTP or 6in4 tunnel): the inner
        # header is the one that comes last in the frame's layers.
        layers = f[10].split(':')
        v6 = f[2] and (not f[0] or (layers[::-1].index('ipv6') <
                                    layers[::-1].index('ip')))
        src = addr(f[2] if v6 else f[0])
        dst = addr(f[3] if v6 else f[1])
        sp = f[4] or f[6]
        dp = f[5] or f[7]
        rows.append((src, dst, int(sp) if sp else None,
                     int(dp) if dp else None))
    return rows

for line in open(events):
    e = json.loads(line)
    if e.get('event_type') != 'verdict':
        continue
    n += 1
    vid = e['verdict_id']
    path = os.path.join(d, vid + '.pcap')
    try:
        st = os.lstat(path)
    except OSError:
        bad.append('%s: no file' % vid)
        continue
    if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o600:
        bad.append('%s: mode %o' % (vid, stat.S_IMODE(st.st_mode)))
    try:
        rows = packets(path)
    except RuntimeError as x:
        bad.append('%s: tshark: %s' % (vid, x))
        continue
    if not rows:
        bad.append('%s: no packets' % vid)
        continue
    ev = e.get('evidence', {})
    if 'detector' in ev:
        vm = addr(e['vm_ip'])
        tgt = addr(ev.get('target'))
        for r in rows:
            ends = {r[0], r[1]}
            if vm not in ends or (tgt is not None and tgt not in ends):
                bad.append('%s (%s): packet %s -> %s not between %s and %s'
                           % (vid, ev['detector'], r[0], r[1], vm, tgt))
                break
        continue
    # Without ports (ICMP, an IP protocol) a verdict says none or 0.
    a = (addr(e['src_ip']), e.get('src_port') or 0)
    b = (addr(e['dest_ip']), e.get('dest_port') or 0)
    for r in rows:
        fwd = ((r[0], r[2] or 0), (r[1], r[3] or 0))
        if fwd != (a, b) and fwd != (b, a):
            bad.append('%s: packet %s:%s -> %s:%s not of flow %s:%s -> %s:%s'
                       % (vid, r[0], r[2], r[1], r[3], a[0], a[1], b[0], b[1]))
            break
for b in bad:
    print('FAIL ' + b)
leftover = [f for f in os.listdir(d) if f.startswith('.')]
if leftover:
    print('FAIL temporary files left: %s' % leftover)
if not bad and not leftover:
    print('verdicts %d' % n)
EOF
}

# stat_of EVENTS NAME: the last stats event's evidence.NAME.
stat_of() {
	python3 -c '
import json, sys
v = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") == "stats":
        v = e["stats"].get("evidence", {}).get(sys.argv[2])
print(v)' "$1" "$2"
}

# Every verdict of every golden case that has one: flows and behaviours,
# TCP, UDP and ICMP, IPv4 and IPv6, tunnels. A case replays as the golden
# run replays it (its inventory, its interface).
# As the golden run: the Tor fixture's relay comes from a list made by
# the shipped converter.
"$here/../../tools/tor-relays-to-rules" --with-ports "$golden/tor-consensus" \
    >"$tmp/tor-test.rules"
for dir in "$golden"/*/; do
	c=$(basename "$dir")
	[ -f "$dir/expect" ] && [ "$(cat "$dir/expect")" != none ] || continue
	set --
	[ ! -f "$dir/inventory" ] || set -- --inventory "$dir/inventory"
	[ ! -f "$dir/iface" ] || set -- "$@" -i "$(cat "$dir/iface")"
	d=$tmp/ev-$c
	"$egressd" -c "$conf" --rule-files "$tmp/tor-test.rules" "$@" \
	    -r "$dir/capture.pcap" --evidence-dir "$d" \
	    -o "$tmp/$c.json" 2>"$tmp/$c.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		bad "$c: exit $rc: $(head -c 300 "$tmp/$c.err")"
		continue
	fi
	mode=$(stat -c %a "$d")
	[ "$mode" = 700 ] || bad "$c: directory mode $mode, want 700"
	out=$(verify "$tmp/$c.json" "$d")
	case $out in
	"verdicts 0") bad "$c: no verdicts to check" ;;
	"verdicts "*)
		ok "$c: ${out#verdicts } verdicts, each file 0600 with its packets" ;;
	*) bad "$c: $out" ;;
	esac
	n=$(grep -c '"event_type":"verdict"' "$tmp/$c.json")
	w=$(stat_of "$tmp/$c.json" files_written)
	[ "$w" = "$n" ] || bad "$c: files_written $w, $n verdicts"
done

# A temporary file a killed run left is removed at the next start.
: >"$tmp/ev-ssh/.0123.pcap.tmp"
"$egressd" -c "$conf" -r "$golden/ssh/capture.pcap" --evidence-dir "$tmp/ev-ssh" \
    -o "$tmp/again.json"
if [ ! -e "$tmp/ev-ssh/.0123.pcap.tmp" ]; then
	ok "a killed run's temporary file is removed at start"
else
	bad "a killed run's temporary file is still there"
fi

# Without the option: no evidence section (the goldens stay as they are).
"$egressd" -c "$conf" -r "$golden/ssh/capture.pcap" -o "$tmp/plain.json"
if [ "$(stat_of "$tmp/plain.json" files_written)" = None ]; then
	ok "off by default: no evidence section in stats"
else
	bad "off by default: an evidence section in stats"
fi

# The memory cap: the smallest budget and no per-flow limit cuts packets,
# and the run still succeeds with a file per verdict.
c=bittorrent-mse
"$egressd" -c "$conf" -r "$golden/$c/capture.pcap" --evidence-dir "$tmp/tiny" \
    --evidence-memory 65536 --evidence-packets 65535 -o "$tmp/tiny.json" \
    2>"$tmp/tiny.err"
rc=$?
cut=$(stat_of "$tmp/tiny.json" packets_cut)
n=$(grep -c '"event_type":"verdict"' "$tmp/tiny.json")
w=$(stat_of "$tmp/tiny.json" files_written)
if [ $rc -eq 0 ] && [ "$cut" != None ] && [ "$cut" -gt 0 ] && [ "$n" -gt 0 ] &&
    [ "$w" = "$n" ]; then
	ok "tiny evidence_memory: exit 0, packets_cut $cut, $w files for $n verdicts"
else
	bad "tiny evidence_memory: exit $rc, packets_cut $cut, $w files for $n verdicts: $(head -c 300 "$tmp/tiny.err")"
fi

# expect NAME RC PATTERN -- command...
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

cap=$golden/ssh/capture.pcap
mkdir -m 700 "$tmp/other"
chown nobody "$tmp/other"
mkdir -m 500 "$tmp/ro"
mkdir -m 770 "$tmp/groupw"
: >"$tmp/afile"
ln -s "$tmp/ev-ssh" "$tmp/link"
for t in "other:owned by uid" "ro:its owner cannot write" \
    "groupw:lets other users write" "afile:not a directory" \
    "link:symbolic link"; do
	d=${t%%:*}
	pat=${t#*:}
	expect "-t, $d" 2 "$pat" -- "$egressd" -t -c "$conf" \
	    --evidence-dir "$tmp/$d"
	expect "start, $d" 2 "$pat" -- "$egressd" -c "$conf" -r "$cap" \
	    --evidence-dir "$tmp/$d" -o "$tmp/out.json"
done
expect "-t, missing (not made by -t)" 0 "" -- "$egressd" -t -c "$conf" \
    --evidence-dir "$tmp/missing"
[ ! -e "$tmp/missing" ] || bad "-t made the evidence directory"

echo "evidence: $pass passed, $fail failed"
[ $fail -eq 0 ]
