#!/bin/sh
# Tests of tools/tor-relays-to-rules on the samples in tools/testdata
# (documentation addresses and made-up relays only): every input form
# (consensus, microdescriptor consensus, Onionoo JSON, address list,
# exit-addresses, stdin), ids and their order, addresses, counts, the
# --with-ports / --exits-only / --guards-only / --flag options, errors, and
# that every generated file loads in egressd -t together with the
# signature files of signatures/.
#
#   tools/test-tor-relays-to-rules.sh EGRESSD
set -u
egressd=${1:?usage: test-tor-relays-to-rules.sh EGRESSD}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tool=$here/tor-relays-to-rules
data=$here/testdata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# run NAME OUTFILE -- command...: must exit 0; stdout to OUTFILE.
run() {
	name=$1 out=$2
	shift 3
	if "$@" >"$out" 2>"$tmp/err"; then
		return 0
	fi
	bad "$name: exit status $?: $(head -c 300 "$tmp/err")"
	return 1
}

# rules FILE: the rule lines only.
rules() { grep -v '^#' "$1" | grep -v '^$'; }

# count NAME FILE N: FILE has N rules.
count() {
	n=$(rules "$2" | wc -l | tr -d ' ')
	if [ "$n" = "$3" ]; then ok "$1: $3 rules"; else bad "$1: $n rules, want $3"; fi
}

# pairs FILE: "id ip[ port]" per rule, in file order.
pairs() {
	rules "$1" | sed -n 's/^id=\([^ ]*\) .* ip=\([^ ]*\)\( port=\([^ ]*\)\)\{0,1\} msg=.*/\1 \2 \4/p' |
	    sed 's/ *$//'
}

# same NAME FILE EXPECTED-TEXT: pairs of FILE are exactly the expected lines.
same() {
	printf '%s\n' "$3" >"$tmp/want"
	pairs "$2" >"$tmp/got"
	if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		ok "$1: ids and addresses"
	else
		bad "$1: ids/addresses differ: $(tr '\n' ' ' <"$tmp/diff")"
	fi
}

# valid NAME FILE: egressd -t loads FILE along with signatures/.
valid() {
	cp "$2" "$tmp/gen.rules"
	if "$egressd" -t --signature-dir "$top/signatures" \
	    --rule-files "$tmp/gen.rules" >/dev/null 2>"$tmp/cerr"; then
		ok "$1: egressd -t loads it with signatures/"
	else
		bad "$1: egressd -t: $(head -c 300 "$tmp/cerr")"
	fi
}

# fails NAME PATTERN -- command...: exit 1 with PATTERN on stderr.
fails() {
	name=$1 pat=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 1 ]; then
		bad "$name: exit $rc, want 1"
	elif ! grep -q -- "$pat" "$tmp/err"; then
		bad "$name: stderr lacks '$pat': $(head -c 300 "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		bad "$name: wrote rules despite the error"
	else
		ok "$name"
	fi
}

ALL='TOR-R1 192.0.2.7
TOR-R2 192.0.2.50
TOR-R3 192.0.2.100
TOR-R4 198.51.100.3
TOR-R5 198.51.100.20
TOR-R6 198.51.100.77
TOR-R7 2001:db8::20
TOR-R8 2001:db8::77
TOR-R9 2001:db8:1::100'

# --- help ---
if "$tool" --help >"$tmp/help" 2>&1 && grep -q -- '--exits-only' "$tmp/help" &&
    grep -q -- '--guards-only' "$tmp/help" && grep -q -- '--with-ports' "$tmp/help"; then
	ok "--help"
else
	bad "--help"
fi

# --- full consensus, from a file ---
if run consensus "$tmp/c" -- "$tool" "$data/consensus-sample"; then
	count consensus "$tmp/c" 9
	same consensus "$tmp/c" "$ALL"
	if grep -q '^# valid-after: 2026-11-22 12:00:00$' "$tmp/c" &&
	    grep -q '^# source: consensus-sample (format consensus)$' "$tmp/c"; then
		ok "consensus: header names source and valid-after"
	else
		bad "consensus: header"
	fi
	if rules "$tmp/c" | grep -v 'category=proxy confidence=high ip=' >/dev/null; then
		bad "consensus: a rule is not category=proxy confidence=high ip=..."
	else
		ok "consensus: category, confidence, ip"
	fi
	if grep -q 'port=' "$tmp/c"; then
		bad "consensus: port= without --with-ports"
	else
		ok "consensus: no ports by default"
	fi
	if grep -q '192.0.2.250' "$tmp/c"; then
		bad "consensus: dir-source address taken as a relay"
	else
		ok "consensus: only r/a lines give addresses"
	fi
	if grep -q '^id=TOR-R3 .*msg="Tor relays SampleTwinA (55555555), SampleTwinB (66666666)"$' "$tmp/c" &&
	    grep -q '^id=TOR-R5 .*msg="Tor relay SampleGuardOne (11111111)"$' "$tmp/c"; then
		ok "consensus: msg names nicknames and fingerprint prefixes"
	else
		bad "consensus: msg"
	fi
	valid consensus "$tmp/c"
fi

# --- stdin gives the same rules ---
if run stdin "$tmp/s" -- "$tool" <"$data/consensus-sample"; then
	rules "$tmp/c" >"$tmp/c.r"
	rules "$tmp/s" >"$tmp/s.r"
	if cmp -s "$tmp/c.r" "$tmp/s.r" &&
	    grep -q '^# source: <stdin>' "$tmp/s"; then
		ok "stdin: same rules as the file"
	else
		bad "stdin: rules differ"
	fi
fi

# --- microdescriptor flavour (r lines without the digest) ---
awk '$1 == "r" { $4 = ""; sub(/  /, " ") } { print }' "$data/consensus-sample" >"$tmp/microdesc"
if run microdesc "$tmp/m" -- "$tool" "$tmp/microdesc"; then
	rules "$tmp/m" >"$tmp/m.r"
	if cmp -s "$tmp/c.r" "$tmp/m.r"; then
		ok "microdesc consensus: same rules"
	else
		bad "microdesc consensus: rules differ"
	fi
fi

# --- Onionoo details JSON (other relay order): same rules ---
if run onionoo "$tmp/o" -- "$tool" "$data/onionoo-sample.json"; then
	rules "$tmp/o" >"$tmp/o.r"
	if cmp -s "$tmp/c.r" "$tmp/o.r"; then
		ok "onionoo: same rules as the consensus"
	else
		bad "onionoo: rules differ from the consensus"
	fi
	if grep -q '^# valid-after: 2026-11-22 12:00:00$' "$tmp/o"; then
		ok "onionoo: valid-after from relays_published"
	else
		bad "onionoo: header"
	fi
	if grep -q '198.51.100.78' "$tmp/o"; then
		bad "onionoo: exit_addresses taken as OR addresses"
	else
		ok "onionoo: or_addresses only"
	fi
	valid onionoo "$tmp/o"
fi

# --- --with-ports ---
if run with-ports "$tmp/p" -- "$tool" --with-ports "$data/consensus-sample"; then
	count with-ports "$tmp/p" 10
	same with-ports "$tmp/p" 'TOR-R1 192.0.2.7 tcp/9001
TOR-R2 192.0.2.50 tcp/443
TOR-R3 192.0.2.100 tcp/9001
TOR-R4 192.0.2.100 tcp/9002
TOR-R5 198.51.100.3 tcp/9001
TOR-R6 198.51.100.20 tcp/9001
TOR-R7 198.51.100.77 tcp/8443
TOR-R8 2001:db8::20 tcp/9001
TOR-R9 2001:db8::77 tcp/8443
TOR-R10 2001:db8:1::100 tcp/9002'
	valid with-ports "$tmp/p"
fi
if run onionoo-ports "$tmp/op" -- "$tool" --with-ports "$data/onionoo-sample.json"; then
	rules "$tmp/p" >"$tmp/p.r"
	rules "$tmp/op" >"$tmp/op.r"
	if cmp -s "$tmp/p.r" "$tmp/op.r"; then
		ok "onionoo --with-ports: same rules"
	else
		bad "onionoo --with-ports: rules differ"
	fi
fi

# --- flag filters ---
if run exits-only "$tmp/x" -- "$tool" --exits-only "$data/consensus-sample"; then
	count exits-only "$tmp/x" 5
	same exits-only "$tmp/x" 'TOR-R1 192.0.2.50
TOR-R2 192.0.2.100
TOR-R3 198.51.100.77
TOR-R4 2001:db8::77
TOR-R5 2001:db8:1::100'
	if grep -q 'SampleBadExit' "$tmp/x"; then
		bad "exits-only: BadExit relay kept"
	else
		ok "exits-only: BadExit relay left out"
	fi
	if grep -q '^# relays: 3 selected (flags: Exit, not BadExit); rules: 5$' "$tmp/x"; then
		ok "exits-only: header says the filter"
	else
		bad "exits-only: header"
	fi
	valid exits-only "$tmp/x"
fi
if run exits-only-onionoo "$tmp/xo" -- "$tool" --exits-only "$data/onionoo-sample.json"; then
	rules "$tmp/x" >"$tmp/x.r"
	rules "$tmp/xo" >"$tmp/xo.r"
	if cmp -s "$tmp/x.r" "$tmp/xo.r"; then
		ok "onionoo --exits-only: same rules"
	else
		bad "onionoo --exits-only: rules differ"
	fi
fi
if run guards-only "$tmp/g" -- "$tool" --guards-only "$data/consensus-sample"; then
	count guards-only "$tmp/g" 4
	same guards-only "$tmp/g" 'TOR-R1 192.0.2.50
TOR-R2 192.0.2.100
TOR-R3 198.51.100.20
TOR-R4 2001:db8::20'
	if grep -q 'SampleTwinB' "$tmp/g"; then
		bad "guards-only: non-guard twin named"
	else
		ok "guards-only: only the guard of a shared address is named"
	fi
	valid guards-only "$tmp/g"
fi
if run guards-exits "$tmp/ge" -- "$tool" --guards-only --exits-only "$data/consensus-sample"; then
	same "guards-only --exits-only" "$tmp/ge" 'TOR-R1 192.0.2.50'
fi
if run flag-stable "$tmp/fs" -- "$tool" --flag Stable "$data/consensus-sample"; then
	count "--flag Stable" "$tmp/fs" 6
fi
if run flag-none "$tmp/fn" -- "$tool" --flag Authority "$data/consensus-sample"; then
	count "--flag Authority (no relay has it)" "$tmp/fn" 0
fi

# --- plain address list ---
if run list "$tmp/l" -- "$tool" "$data/addresses-sample"; then
	count list "$tmp/l" 5
	same list "$tmp/l" 'TOR-R1 192.0.2.7
TOR-R2 192.0.2.100
TOR-R3 198.51.100.77
TOR-R4 2001:db8::20
TOR-R5 2001:db8:1::100'
	if grep -q '^# valid-after: unknown$' "$tmp/l"; then
		ok "list: valid-after unknown"
	else
		bad "list: header"
	fi
	valid list "$tmp/l"
fi
sort -r "$data/addresses-sample" | grep -v '^#' >"$tmp/shuffled"
if run list-order "$tmp/l2" -- "$tool" "$tmp/shuffled"; then
	rules "$tmp/l" >"$tmp/l.r"
	rules "$tmp/l2" >"$tmp/l2.r"
	if cmp -s "$tmp/l.r" "$tmp/l2.r"; then
		ok "list: ids do not depend on input order"
	else
		bad "list: ids depend on input order"
	fi
fi
if "$tool" --with-ports "$data/addresses-sample" >"$tmp/lp" 2>"$tmp/err"; then
	if grep -q 'without a port' "$tmp/err" &&
	    grep -q '^id=TOR-R2 .* ip=192.0.2.100 port=tcp/9001 ' "$tmp/lp" &&
	    grep -q '^id=TOR-R1 .* ip=192.0.2.7 msg=' "$tmp/lp"; then
		ok "list --with-ports: ports where given, a warning for the rest"
	else
		bad "list --with-ports"
	fi
else
	bad "list --with-ports: exit status"
fi
fails "list --guards-only: no flags to filter on" "gives no flags" -- \
    "$tool" --guards-only "$data/addresses-sample"

# --- TorDNSEL exit-addresses ---
if run exit-addresses "$tmp/e" -- "$tool" --exits-only "$data/exit-addresses-sample"; then
	same exit-addresses "$tmp/e" 'TOR-R1 192.0.2.50
TOR-R2 198.51.100.78'
	if grep -q '^# valid-after: 2026-11-22 11:40:00$' "$tmp/e" &&
	    grep -q 'msg="Tor relay (22222222)"' "$tmp/e"; then
		ok "exit-addresses: header and msg"
	else
		bad "exit-addresses: header or msg"
	fi
fi

# --- output file, prefix ---
if "$tool" -o "$tmp/out.rules" --prefix TOR-RX "$data/consensus-sample" >"$tmp/stdout" 2>"$tmp/err" &&
    [ ! -s "$tmp/stdout" ] && [ ! -e "$tmp/out.rules.tmp" ] &&
    grep -q '^id=TOR-RX9 ' "$tmp/out.rules"; then
	ok "-o writes the file, --prefix sets ids"
else
	bad "-o / --prefix"
fi

# --- every generated address is a documentation address ---
if cat "$tmp"/*.r | python3 -c '
import ipaddress, re, sys
doc = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32")]
for line in sys.stdin:
    ip = ipaddress.ip_address(re.search(r" ip=(\S+)", line).group(1))
    if not any(ip.version == n.version and ip in n for n in doc):
        sys.exit("not a documentation address: %s" % ip)
'; then
	ok "all generated addresses are documentation addresses"
else
	bad "a generated address is not a documentation address"
fi

# --- errors ---
fails "missing file" "No such file" -- "$tool" "$tmp/none"
printf '' >"$tmp/empty"
fails "empty input" "no relays found" -- "$tool" "$tmp/empty"
printf 'network-status-version 3\nr broken AAAA\n' >"$tmp/badr"
fails "malformed r line" "malformed r line" -- "$tool" "$tmp/badr"
printf '192.0.2.1\nnot-an-address\n' >"$tmp/badlist"
fails "bad address in a list" "not an IP address" -- "$tool" "$tmp/badlist"
printf '{"relays": 3}\n' >"$tmp/badjson"
fails "JSON without a relays array" "relays" -- "$tool" "$tmp/badjson"

# --- the hand-written signature files themselves ---
if "$egressd" -t --signature-dir "$top/signatures" >/dev/null 2>"$tmp/cerr"; then
	ok "signatures/ loads in egressd -t"
else
	bad "signatures/ fails egressd -t: $(head -c 300 "$tmp/cerr")"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
