#!/bin/sh
# Fault 3: a spool that other users can write made egressd a signing
# oracle. With the spool directory at mode 1777, a message file that the
# user nobody wrote there was POSTed with a valid signature.
#
# Provoked: spools that are world-writable, group-writable, owned by
# another user, or a symbolic link, and a forged message owned by nobody
# in an otherwise sound spool.
# Must hold: -t and a run refuse such a spool (exit 2) with a message that
# says why; a message file not owned by the running user is refused and
# never sent; a sound spool still works.
set -u
nn=03
egressd=${1:?usage: 03-spool-ownership.sh EGRESSD}
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (chown)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
chmod 711 "$t"	# nobody may reach the spools below, as on a real host

start_receiver ok "$t/recv.log"
hook="http://127.0.0.1:$port/hook"

# forge DIR ID: a message in egressd's own format, written as nobody.
forge() {
	body='{"type":"egressd.verdicts","timestamp":"2026-12-06T00:00:00.000000Z","data":{"verdicts":[{"event_type":"verdict","verdict_id":"forged-1","vm":"vm-x","category":"mining"}]}}'
	su nobody -s /bin/sh -c "printf '%s' '$body' >'$1/$2.msg'"
}

# refused NAME DIR WHY ARGS...: -t and a replay both exit 2 naming WHY.
refused() {
	name=$1 dir=$2 why=$3; shift 3
	rc=0
	"$egressd" -t --webhook "$hook" --webhook-secret-file "$secret" \
	    --spool "$dir" "$@" >"$t/$name.t.out" 2>"$t/$name.t.err" || rc=$?
	check "$name: -t exits 2 ($rc)" [ $rc -eq 2 ]
	check "$name: -t says \"$why\"" grep -q "$why" "$t/$name.t.err"
	rc=0
	"$egressd" -r "$caps/demo.pcap" --webhook "$hook" \
	    --webhook-secret-file "$secret" --spool "$dir" --drain-timeout 5 \
	    "$@" >"$t/$name.r.out" 2>"$t/$name.r.err" || rc=$?
	check "$name: a run exits 2 ($rc)" [ $rc -eq 2 ]
	check "$name: a run says \"$why\"" grep -q "$why" "$t/$name.r.err"
}

# The attack as found: a world-writable spool with a forged message.
mkdir "$t/open" && chmod 1777 "$t/open"
forge "$t/open" msg_0000000000001_000000_00000001
refused world-writable "$t/open" "mode 1777 lets other users write"
check "world-writable: the forged message was never sent" \
    sh -c "! grep -q forged-1 '$t/recv.log' 2>/dev/null"

mkdir "$t/group" && chmod 770 "$t/group"
refused group-writable "$t/group" "mode 0770 lets other users write"

mkdir "$t/theirs" && chmod 700 "$t/theirs" && chown nobody "$t/theirs"
refused other-owner "$t/theirs" "owned by uid $(id -u nobody), not by uid 0"

mkdir "$t/real" && chmod 700 "$t/real" && ln -s "$t/real" "$t/link"
refused symlink "$t/link" "is a symbolic link"

# -t checks for the user the run switches to, not for the one running -t.
mkdir "$t/rootown" && chmod 700 "$t/rootown"
rc=0
"$egressd" -t -u nobody --webhook "$hook" --webhook-secret-file "$secret" \
    --spool "$t/rootown" >/dev/null 2>"$t/user.err" || rc=$?
check "-t -u nobody: a spool of root's is refused for nobody (exit $rc)" \
    sh -c "[ $rc -eq 2 ] && grep -q 'not by uid $(id -u nobody)' '$t/user.err'"
rc=0
"$egressd" -t -u nobody --webhook "$hook" --webhook-secret-file "$secret" \
    --spool "$t/not-yet" >/dev/null 2>&1 || rc=$?
check "-t: a spool not made yet passes and is not made by -t (exit $rc)" \
    sh -c "[ $rc -eq 0 ] && [ ! -e '$t/not-yet' ]"

# A sound spool holding one forged message (root put nobody's file there):
# that message is refused and never sent; the run's own verdicts arrive.
mkdir "$t/sound" && chmod 700 "$t/sound"
forge /tmp "forged-$$" 2>/dev/null
mv "/tmp/forged-$$.msg" "$t/sound/msg_0000000000001_000000_00000002.msg"
rc=0
"$egressd" -r "$caps/demo.pcap" --webhook "$hook" --webhook-secret-file "$secret" \
    --spool "$t/sound" --drain-timeout 10 >"$t/sound.out" 2>"$t/sound.err" || rc=$?
check "sound spool: the run exits 0 ($rc)" [ $rc -eq 0 ]
check "sound spool: the foreign message is refused, by name" \
    grep -q "msg_0000000000001_000000_00000002.msg is owned by uid $(id -u nobody)" "$t/sound.err"
check "sound spool: the foreign message was never sent" \
    sh -c "! grep -q forged-1 '$t/recv.log'"
check "sound spool: it is left where it was" \
    [ -f "$t/sound/msg_0000000000001_000000_00000002.msg" ]
check "sound spool: the run's own $(verdicts "$t/sound.out") verdicts arrived" \
    sh -c "[ \$(python3 '$top/tests/delivery/verdicts.py' delivered '$t/recv.log' | sort -u | wc -l) -eq $(verdicts "$t/sound.out") ]"
finish
