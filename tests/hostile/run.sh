#!/bin/sh
# tests/hostile/run.sh EGRESSD: hostile inputs for every file egressd reads
# (captures, rule files, config files, the inventory). Each case runs under
# `timeout 60` and `ulimit -v` and must end with the expected exit status
# and message on stderr, or for packet-level cases with the expected
# counters in the closing stats event. A hang, a signal or an allocation
# beyond the limit is a failure. Inputs are made at run time by gen.py (a
# fixed seed) and printf, in a temporary directory removed on exit.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 EGRESSD" >&2
	exit 2
fi
case $1 in
/*) egressd=$1 ;;
*) egressd=$(pwd)/$1 ;;
esac
if [ ! -x "$egressd" ]; then
	echo "$0: $1: not an executable" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
base=$here/../golden/ssh/capture.pcap
# Replaying every golden capture (tests/golden/*/) peaks under 256 MiB of
# virtual memory (nDPI, libpcap, the flow table); 1 GiB leaves room and
# still stops a runaway allocation.
vmem_kib=${HOSTILE_VMEM_KIB:-1048576}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
cd "$tmp" || exit 1

passed=0
failed=0

gen() {
	python3 "$here/gen.py" "$@" || {
		echo "$0: gen.py $* failed" >&2
		exit 1
	}
}

# check NAME STATUS EXPECT CMD...: runs CMD bounded in time and memory.
# EXPECT is a '|'-separated list of 'err:TEXT' (TEXT appears on stderr) and
# 'out:TEXT' (TEXT appears in the last line of stdout, the stats event).
check() {
	name=$1 want=$2 expect=$3
	shift 3
	# ulimit -v is not POSIX, but dash, bash and busybox sh all have it.
	# shellcheck disable=SC3045
	(ulimit -v "$vmem_kib" && exec timeout 60 "$@") >"$name.out" 2>"$name.err"
	rc=$?
	why=
	if [ "$rc" -eq 124 ]; then
		why="hung: killed after 60 s"
	elif [ "$rc" -gt 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [ "$rc" -ne "$want" ]; then
		why="exit $rc, want $want"
	elif grep -qE 'Sanitizer|runtime error:|out of memory' "$name.err"; then
		why="sanitizer or allocation failure"
	else
		old_ifs=$IFS
		IFS='|'
		for e in $expect; do
			case $e in
			err:*)
				grep -qF -e "${e#err:}" "$name.err" ||
				    why="stderr lacks '${e#err:}'"
				;;
			out:*)
				tail -n 1 "$name.out" | grep -qF -e '"event_type":"stats"' ||
				    why="no closing stats event"
				[ -n "$why" ] || tail -n 1 "$name.out" |
				    grep -qF -e "${e#out:}" ||
				    why="stats lack '${e#out:}'"
				;;
			esac
			[ -z "$why" ] || break
		done
		IFS=$old_ifs
	fi
	if [ -z "$why" ] && [ -n "${post:-}" ]; then
		why=$($post "$name")
	fi
	post=
	if [ -z "$why" ]; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name: $why; stderr: $(head -c 300 "$name.err" | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
}

# Every decoder result is counted once per packet.
decoder_sum() {
	tail -n 1 "$1.out" | sed -n 's/.*"decoder":{\([^}]*\)}.*/\1/p' |
	    tr ',' '\n' | grep -v tunneled | sed 's/.*://' |
	    awk -v want=10000 '{ s += $1 } END { if (s != want) printf "decoder counts sum to %d, want %d", s, want }'
	tail -n 1 "$1.out" | grep -qE '"malformed":[1-9]' || echo "no malformed frames counted"
}

start=$(date +%s)

# --- captures: egressd -r FILE -------------------------------------------
for k in empty rand24 rand1m hdr10 lastcut oversnap huge capgtwire dlt147 \
    dlt9999 ng_shbtrail ng_badtrail ng_notmult4 vlan300 v6ext200 frag100k \
    rand10k tunnel100; do
	gen "$k" "$k.pcap" "$base"
done
check pcap-empty 1 'err:empty.pcap: truncated dump file; tried to read 4 file header bytes, only got 0' \
    "$egressd" -r empty.pcap
check pcap-random-24 1 'err:rand24.pcap: unknown file format' "$egressd" -r rand24.pcap
check pcap-random-1m 1 'err:rand1m.pcap: unknown file format' "$egressd" -r rand1m.pcap
check pcap-header-cut-10 1 'err:hdr10.pcap: truncated dump file; tried to read 24 file header bytes, only got 6' \
    "$egressd" -r hdr10.pcap
check pcap-last-record-cut 0 'err:lastcut.pcap: truncated dump file|err:(events cover the 51 packets before it)|out:"capture":{"packets":51,"bytes":10688,"truncated":1,"time_steps_back":0}' \
    "$egressd" -r lastcut.pcap
# libpcap accepts a record longer than the header's snaplen (up to its own
# per-link-type maximum).
check pcap-caplen-over-snaplen 0 'out:"capture":{"packets":1,"bytes":1000,"truncated":0,"time_steps_back":0}|out:"ok":1' \
    "$egressd" -r oversnap.pcap
# Over libpcap's 262144-byte maximum: an error after the records before it.
check pcap-caplen-300000 1 'err:huge.pcap: invalid packet capture length 300000, bigger than snaplen of 262144|out:"capture":{"packets":1,' \
    "$egressd" -r huge.pcap
check pcap-caplen-over-wirelen 0 'out:"capture":{"packets":1,"bytes":60,"truncated":0,"time_steps_back":0}|out:"ok":1' \
    "$egressd" -r capgtwire.pcap
check pcap-linktype-147 1 'err:dlt147.pcap: link type 147 (unknown) is not supported' "$egressd" -r dlt147.pcap
check pcap-linktype-9999 1 'err:dlt9999.pcap: link type 9999 (unknown) is not supported' "$egressd" -r dlt9999.pcap
# libpcap does not check the lone SHB's trailer; it finds no interface.
check pcapng-shb-trailer 1 'err:ng_shbtrail.pcap: the capture file has no Interface Description Blocks' \
    "$egressd" -r ng_shbtrail.pcap
check pcapng-block-trailer 1 "err:ng_badtrail.pcap: block total length in header and trailer don't match" \
    "$egressd" -r ng_badtrail.pcap
check pcapng-block-len-not-mult4 1 'err:ng_notmult4.pcap: block in pcapng dump file has a length of 21 that is not a multiple of 4' \
    "$egressd" -r ng_notmult4.pcap
check vlan-300-tags 0 'out:"unsupported":1' "$egressd" -r vlan300.pcap
# The decoder walks at most 16 IPv6 extension headers.
check ipv6-200-ext-headers 0 'out:"malformed":1' "$egressd" -r v6ext200.pcap
check ipv4-fragment-flood 0 'out:"capture":{"packets":100000,|out:"fragment":100000' \
    "$egressd" -r frag100k.pcap
post=decoder_sum
check random-after-ipv4-10k 0 'out:"capture":{"packets":10000,' "$egressd" -r rand10k.pcap
# Tunnels nest at most 3 deep.
check tunnel-nest-100 0 'out:"unsupported":1' "$egressd" -r tunnel100.pcap

# --- rule files: egressd -t --signature-dir '' --rule-files F -------------
gen garbage garbage.bin
rule_ok='id=X-1 category=p2p msg="ok" host=a.example.com'
rules() {
	egressd_rules=$1
	shift
	check "$@" "$egressd" -t --signature-dir '' --rule-files "$egressd_rules"
}
printf '# c\n%s\nid=X-2 category=p2p msg="m" host=b.example.com foo=bar\n' "$rule_ok" >r_badkey
rules r_badkey rules-bad-key 2 "err:r_badkey:3: unknown key 'foo'"
printf '# c\n%s\nid=X-2 category=p2p msg="m" host=b.example.com garbage\n' "$rule_ok" >r_noeq
rules r_noeq rules-no-equals 2 "err:r_noeq:3: 'garbage': not key=value"
{
	printf '# c\n%s\nid=X-2 category=p2p msg="' "$rule_ok"
	head -c 1048576 /dev/zero | tr '\0' a
	printf '"\n%s\n' "$rule_ok"
} >r_long
rules r_long rules-1mib-line 2 'err:r_long:3: line longer than 4096 bytes'
printf '# c\n%s\nid=X-2 category=p2p msg="m\0x" host=b.example.com\n' "$rule_ok" >r_nulq
rules r_nulq rules-nul-in-msg 2 'err:r_nulq:3: msg: NUL byte in message'
printf '# c\n%s\nid=X-2\0 category=p2p msg="m" host=b.example.com\n' "$rule_ok" >r_nul
rules r_nul rules-nul-in-line 2 'err:r_nul:3:'
{ printf '%s\n' "$rule_ok"; cat garbage.bin; } >r_garbage
rules r_garbage rules-binary-garbage 2 'err:r_garbage:2:'
printf '# c\n%s\nid=X-2 category=p2p msg="unterminated host=b.example.com\n%s\n' "$rule_ok" "$rule_ok" >r_unterm
rules r_unterm rules-unterminated-msg 2 'err:r_unterm:3: msg: unterminated quoted value'

# --- config files: egressd -t -c F ----------------------------------------
conf() {
	egressd_conf=$1
	shift
	check "$@" "$egressd" -t --signature-dir '' -c "$egressd_conf"
}
printf '# c\nmax_flows = 1000\nno_such_key = 1\n' >c_unknown
conf c_unknown config-unknown-key 2 "err:c_unknown:3: unknown option 'no_such_key'"
printf '# c\nmax_flows = 0\n' >c_maxflows
conf c_maxflows config-max-flows-0 2 "err:c_maxflows:2: max_flows: '0' is not a whole number from 1 to 16777216"
printf '# c\nworkers = 1000\n' >c_workers
conf c_workers config-workers-1000 2 "err:c_workers:2: workers: '1000' is not a whole number from 1 to 64"
{
	printf '# c\nvm_networks = '
	head -c 1048576 /dev/zero | tr '\0' 1
	printf '\nmax_flows = 0\n'
} >c_long
conf c_long config-overlong-line 2 'err:c_long:2: line longer than 198 characters'
printf '# c\nmax_flows = 10\00000\n' >c_nul
conf c_nul config-nul-in-value 2 'err:c_nul:2:'
printf '# c\nmax_flows = 1000\n\0[main]\n' >c_nul2
conf c_nul2 config-nul-at-line-start 2 'err:c_nul2:3:'
{ printf '# c\n'; cat garbage.bin; } >c_garbage
conf c_garbage config-binary-garbage 2 'err:c_garbage:2:'
printf '# c\n[main]\nmax_flows = 1000\n' >c_section
conf c_section config-section 2 'err:c_section:2: sections are not used'
printf '# c\nmax_flows = 1000\n[main]\n' >c_section_end
conf c_section_end config-section-last 2 'err:c_section_end:3: sections are not used'

# --- inventory: egressd -t --inventory F ----------------------------------
inv() {
	egressd_inv=$1
	shift
	check "$@" "$egressd" -t --signature-dir '' --inventory "$egressd_inv"
}
printf '10.0.0.1,vm-a\n10.0.0.1,vm-b\n' >i_dupaddr
inv i_dupaddr inventory-duplicate-address 2 'err:i_dupaddr:2: 10.0.0.1 already given on line 1'
printf '2001:db8::7,vm-a\n2001:DB8:0:0::7,vm-b\n' >i_dup6
inv i_dup6 inventory-duplicate-ipv6 2 'err:i_dup6:2: 2001:db8::7 already given on line 1'
printf '52:54:00:ab:cd:ef,vm-a\n52:54:00:AB:CD:EF,vm-b\n' >i_dupmac
inv i_dupmac inventory-duplicate-mac-case 2 'err:i_dupmac:2: 52:54:00:ab:cd:ef already given on line 1'
printf '52:54:00:ab:cd:ef,vm-a\n52-54-00-AB-CD-EF,vm-b\n' >i_dupmac2
inv i_dupmac2 inventory-duplicate-mac-dashes 2 'err:i_dupmac2:2: 52:54:00:ab:cd:ef already given on line 1'
printf '10.0.0.1,vm-a\n10.0.0.2,vm\0b\n' >i_nul
inv i_nul inventory-nul 2 'err:i_nul:2: a NUL byte'
{
	printf '10.0.0.1,vm-a\n10.0.0.2,vm-b,t,'
	head -c 2048 /dev/zero | tr '\0' l
	printf '\n'
} >i_long
inv i_long inventory-2kib-line 2 'err:i_long:2: line longer than 1024 bytes'
{ printf '10.0.0.1,vm-a\n'; cat garbage.bin; } >i_garbage
inv i_garbage inventory-binary-garbage 2 'err:i_garbage:2:'
printf '10.0.0.1,vm-a\n"10.0.0.2,vm-b\n10.0.0.3,vm-c\n' >i_unterm
inv i_unterm inventory-unterminated-quote 2 'err:i_unterm:2: a quoted field does not end on its line'

echo "hostile: $passed passed, $failed failed ($(($(date +%s) - start)) s)"
[ "$failed" -eq 0 ]
