#!/bin/sh
# make check-report: the forensic report, on recorded captures, in a real
# browser. Replays golden captures with verdicts of every category from
# two VMs (192.0.2.10, and 2001:db8::10 over IPv6) with --flows into one
# native log and one EVE log, and makes three reports: at the end of the
# replay (--report), and with `egressd report` from each log. Each is
# loaded in headless Chromium (tests/report/browser.py): one section.vm
# with an svg.timeline per VM, no request but the file itself. Also: the
# evidence links, and hostile names as text. The replay's screenshot is
# build/report/report.png (docs/report.png is a copy of it).
#
#   tests/report/run.sh EGRESSD
set -u

egressd=${1:?usage: run.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $egressd in /*) ;; *) egressd=$(pwd)/$egressd ;; esac
cd "$top" || exit 1
g=tests/golden	# relative: the page names the captures as given
out=$top/build/report
pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# The browser: Debian's chromium, chromedriver and python3-selenium (the
# system python, which has the Debian module).
py=/usr/bin/python3
if ! command -v chromium >/dev/null 2>&1 ||
    ! command -v chromedriver >/dev/null 2>&1 ||
    ! "$py" -c 'import selenium' 2>/dev/null; then
	echo "SKIP report: chromium, chromium-driver or python3-selenium is" \
	    "not installed (deploy/install-deps.sh installs them)"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"

# browser NAME REPORT EVENTS [--screenshot PNG]
browser() {
	name=$1
	shift
	"$py" "$here/browser.py" "$@" >"$out/$name.log" 2>&1
	rc=$?
	sed 's/^/# /' "$out/$name.log"
	if [ $rc = 77 ]; then
		echo "SKIP report: the browser could not be started"
		exit 0
	fi
	if [ $rc = 0 ]; then ok "$name"; else bad "$name"; fi
}

set -- ssh xmrig addrscan bittorrent hydra socks5 icmpflood bittorrent-dht6
caps=
for c; do caps="$caps -r $g/$c/capture.pcap"; done
# shellcheck disable=SC2086
"$egressd" -c "$g/golden.conf" $caps --no-progress -o "$out/events.json" \
    --eve "$out/events.eve" --report "$out/replay.html" 2>"$out/replay.err"
if [ $? = 0 ]; then ok replay; else bad "replay: $(cat "$out/replay.err")"; fi
vms=$(grep -o '"event_type":"verdict".*"vm":"[^"]*"' "$out/events.json" |
    sed 's/.*"vm":"\([^"]*\)"/\1/' | sort -u | wc -l)
cats=$(grep '"event_type":"verdict"' "$out/events.json" |
    sed 's/.*"category":"\([^"]*\)".*/\1/' | sort -u | wc -l)
if [ "$vms" = 2 ] && [ "$cats" = 7 ]; then
	ok "fixtures: $vms VMs, $cats categories"
else
	bad "fixtures: $vms VMs and $cats categories, want 2 and 7"
fi
browser report-replay "$out/replay.html" "$out/events.json" \
    --screenshot "$out/report.png"

"$egressd" report -o "$out/native.html" "$out/events.json" &&
    ok "report from the native log" || bad "report from the native log"
browser report-native "$out/native.html" "$out/events.json"
"$egressd" report -o "$out/eve.html" "$out/events.eve" &&
    ok "report from the EVE log" || bad "report from the EVE log"
browser report-eve "$out/eve.html" "$out/events.eve"
# The same VMs and verdict counts either way: the matrix rows agree.
grep '<tr><td><a href="#vm-' "$out/native.html" >"$out/native.matrix"
grep '<tr><td><a href="#vm-' "$out/eve.html" >"$out/eve.matrix"
if cmp -s "$out/native.matrix" "$out/eve.matrix"; then
	ok "native and EVE reports: the same matrix"
else
	bad "native and EVE reports: the matrices differ"
fi

# Evidence: a verdict links its capture when evidence/<id>.pcap is beside
# the report, or always with --evidence-dir.
id=$(grep -o '"verdict_id":"[0-9a-f]*"' "$out/events.json" | head -1 |
    cut -d'"' -f4)
mkdir -p "$out/evidence"
: >"$out/evidence/$id.pcap"
"$egressd" report -o "$out/linked.html" "$out/events.json"
links=$(grep -c 'href="evidence/[0-9a-f]*\.pcap"' "$out/linked.html")
if [ "$links" = 1 ] && grep -q "href=\"evidence/$id.pcap\"" "$out/linked.html"
then ok "evidence link where the file exists"
else bad "evidence links: $links, want 1 to evidence/$id.pcap"; fi
"$egressd" report --evidence-dir ../cases/7 -o "$out/dir.html" \
    "$out/events.json"
n=$(grep '"event_type":"verdict"' "$out/events.json" | wc -l)
links=$(grep -o 'href="../cases/7/[0-9a-f]*\.pcap"' "$out/dir.html" | wc -l)
if [ "$links" = "$n" ]; then ok "--evidence-dir links every verdict"
else bad "--evidence-dir: $links links for $n verdicts"; fi

# Hostile names: markup in a server name, a reason or a VM name is text.
cat >"$out/hostile.json" <<'EOF2'
{"timestamp":"2026-11-22T03:03:06.376474Z","flow_id":7,"event_type":"verdict","verdict_id":"0123456789abcdef0123456789abcdef","vm":"<img src=x onerror=document.title='pwned'>","vm_ip":"192.0.2.10","category":"proxy","severity":"medium","confidence":"high","reason":"<script>document.title='pwned'</script>","evidence":{"decided_by":"ndpi","server_name":"\"><svg onload=document.title='pwned'>","as_org":"<b>x</b>","asn":64496},"src_ip":"192.0.2.10","src_port":1,"dest_ip":"<i>192.0.2.1</i>","dest_port":3128,"proto":"TCP","action":"alert"}
EOF2
"$egressd" report -o "$out/hostile.html" "$out/hostile.json" &&
    ok "report of hostile names" || bad "report of hostile names"
browser report-hostile "$out/hostile.html" "$out/hostile.json"

echo "report: $pass passed, $fail failed"
[ $fail = 0 ]
