#!/bin/sh
# Fault 8 of issue 16: a FIFO named as an input hangs egressd for good.
#
# egressd opened the files its configuration names with fopen() (or let a
# library open them by path), and opening a FIFO to read waits until some
# process opens it to write. A FIFO put where the config file, a rule file,
# the inventory or a GeoIP database belongs hung `egressd -t` and every
# start-up, replay or live, forever and without a word. A directory or a
# device read as such a file gave a vague error or none (/dev/null read as
# an empty file). The webhook CA file was not looked at before curl opened
# it, at the first connection, in the delivery thread. Only the webhook
# secret file was already refused when not a regular file.
#
# Provoked here: each file egressd reads because the configuration names
# it (config file -c, rule_files, inventory, geoip_country_db,
# geoip_asn_db, webhook_secret_file, webhook_ca_file) is given, in turn,
# as a FIFO that no process ever writes, as a directory and as /dev/null,
# to `egressd -t`, to a replay `egressd -r demo.pcap` and, as root with
# ip netns, to a live capture on the loopback of a namespace of its own.
# A signature_dir is given holding, next to one good rule file, entries
# *.rules that are a FIFO, a directory and a link to /dev/null.
#
# What must hold: every run ends within 10 s (a hang is killed and counts
# as a failure); each named file that is not a regular file makes egressd
# exit 2 with "egressd: PATH: is a FIFO, not a regular file" (or "is a
# directory", "is a character device"); a signature_dir's entries that are
# not regular files are skipped, each with a warning that names it, and
# the run goes on with the good rule file's signature. The capture itself
# may still be a FIFO (tcpdump writing into it): a replay of one that a
# writer fills gives the same events as the file.
#
#   tests/faults/08-fifo-inputs.sh EGRESSD
set -u

egressd=${1:?usage: 08-fifo-inputs.sh EGRESSD}
case "$egressd" in /*) ;; *) egressd=$(pwd)/$egressd ;; esac
cap=$(cd "$(dirname "$0")/.." && pwd)/captures/demo.pcap

if ! command -v mkfifo >/dev/null 2>&1 ||
    ! command -v timeout >/dev/null 2>&1; then
	echo "08-fifo-inputs: skipped: needs mkfifo and timeout" >&2
	exit 77
fi
t=$(mktemp -d /tmp/egressd-fault-08.XXXXXX)
ns=
cleanup() {
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

limit=10	# seconds a run may take; egressd needs well under one
url=https://127.0.0.1:1/	# nothing listens there
fails=0

say() {
	if [ "$1" = ok ]; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		fails=$((fails + 1))
	fi
}

mkfifo "$t/fifo"
mkdir "$t/dir"
# A valid secret, for the runs that name a CA file.
printf 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n' >"$t/secret"
chmod 600 "$t/secret"

# run MODE KIND FILE: egressd in MODE (check, replay or live) with FILE
# named as KIND, killed after $limit s; its status in $rc, its standard
# error in $t/err.
run() {
	mode=$1 kind=$2 file=$3
	case $kind in
	config) set -- -c "$file" ;;
	webhook_secret_file)
		set -- --webhook "$url" --webhook-secret-file "$file" ;;
	webhook_ca_file)
		set -- --webhook "$url" --webhook-secret-file "$t/secret" \
		    --webhook-ca-file "$file" ;;
	signature_dir)
		set -- --signature-dir "$file" ;;
	*)	set -- "--$(echo "$kind" | tr _ -)" "$file" ;;
	esac
	case $mode in
	check) set -- timeout -k 2 $limit "$egressd" -t "$@" ;;
	replay)	set -- timeout -k 2 $limit "$egressd" -r "$cap" -o /dev/null \
		    --drain-timeout 1s "$@" ;;
	live)	set -- ip netns exec "$ns" timeout -k 2 $limit "$egressd" -i lo \
		    -o /dev/null --stats-interval 0 --drain-timeout 1s "$@" ;;
	esac
	rc=0
	"$@" </dev/null >"$t/out" 2>"$t/err" || rc=$?
}

# refused MODE KIND FILE WHAT: the run exits 2 and says FILE is WHAT. A
# kind that did not end once is not run again (each costs $limit s).
hung=" "
refused() {
	what="$1: $2 that is $4"
	want="egressd: $3: is $4, not a regular file"
	case $hung in *" $2/$4 "*)
		say "not ok" "$what: not run, it did not end before"
		return ;;
	esac
	run "$1" "$2" "$3"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		say "not ok" "$what: did not end within $limit s, killed"
		hung="$hung$2/$4 "
	elif [ $rc -ne 2 ]; then
		say "not ok" "$what: exit $rc, want 2 ($(head -c 200 "$t/err"))"
	elif ! grep -qF -- "$want" "$t/err"; then
		say "not ok" "$what: no '$want' ($(head -c 200 "$t/err"))"
	else
		say ok "$what: exit 2, and the message names it"
	fi
}

kinds="config rule_files inventory geoip_country_db geoip_asn_db
webhook_secret_file webhook_ca_file"
modes="check replay"
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1 &&
    ip netns add "egressd-f08-$$" 2>/dev/null; then
	ns=egressd-f08-$$
	ip netns exec "$ns" ip link set lo up
	modes="$modes live"
else
	echo "# live runs skipped: they need root and ip netns" >&2
fi

for mode in $modes; do
	for kind in $kinds; do
		refused "$mode" "$kind" "$t/fifo" "a FIFO"
		[ "$mode" = live ] && continue
		refused "$mode" "$kind" "$t/dir" "a directory"
		refused "$mode" "$kind" /dev/null "a character device"
	done
done

# A directory is what signature_dir names; of its entries, only regular
# files are read.
mkdir "$t/sigs" "$t/sigs/dir.rules"
mkfifo "$t/sigs/fifo.rules"
ln -s /dev/null "$t/sigs/null.rules"
echo 'id=F08-0001 category=proxy confidence=high ip=198.51.100.7' \
    'msg="the one good rule"' >"$t/sigs/a.rules"
for mode in check replay; do
	run "$mode" signature_dir "$t/sigs"
	what="$mode: signature_dir with a FIFO, a directory and /dev/null"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		say "not ok" "$what: did not end within $limit s, killed"
		continue
	fi
	if [ $rc -eq 0 ]; then
		say ok "$what: exit 0"
	else
		say "not ok" "$what: exit $rc, want 0 ($(head -c 200 "$t/err"))"
	fi
	for e in "fifo.rules: is a FIFO" "dir.rules: is a directory" \
	    "null.rules: is a character device"; do
		want="egressd: $t/sigs/$e, not a regular file: skipped"
		if grep -qF -- "$want" "$t/err"; then
			say ok "$what: warns '${e%%:*}: ... skipped'"
		else
			say "not ok" "$what: no '$want' ($(head -c 200 "$t/err"))"
		fi
	done
	if [ "$mode" = check ]; then
		if grep -qx 'egressd: 1 signatures loaded' "$t/out"; then
			say ok "$what: the good rule file is loaded"
		else
			say "not ok" "$what: the good rule file is not loaded" \
			    "($(head -c 200 "$t/out"))"
		fi
	fi
done

# The capture is the one input that may be a FIFO. The writer opens it
# itself, under timeout: it would wait for good if egressd never did.
mkfifo "$t/capture"
timeout -k 2 $limit dd if="$cap" of="$t/capture" bs=64k status=none &
rc=0
timeout -k 2 $limit "$egressd" -r "$t/capture" >"$t/fifo.json" \
    2>"$t/err" || rc=$?
wait
"$egressd" -r "$cap" >"$t/file.json" 2>/dev/null
if [ $rc -eq 0 ] && [ -s "$t/fifo.json" ] &&
    cmp -s "$t/fifo.json" "$t/file.json"; then
	say ok "replay of a capture read from a FIFO: exit 0, the file's events"
else
	say "not ok" "replay of a capture read from a FIFO: exit $rc" \
	    "($(head -c 200 "$t/err"))"
fi

[ $fails -eq 0 ]
