#!/bin/sh
# tests/live/notify.sh EGRESSD: egressd under a stand-in for systemd's
# Type=notify, in live mode. Two network namespaces joined by a veth pair
# (egd-sd-PID-a with vA 192.0.2.1, egd-sd-PID-b with vB 192.0.2.10);
# egressd captures on vB as user nobody with NOTIFY_SOCKET naming a
# datagram socket this script listens on (notify-listen.py) and
# WATCHDOG_USEC=2 s, while ping crosses the pair. Checked: READY=1 comes
# only once egressd captures (its log says so, it runs as nobody), its
# STATUS= names the interface and later ones count the packets, WATCHDOG=1
# comes about every second, SIGHUP brings RELOADING=1 then READY=1. Then
# a worker is made to hang (the event stream it writes to is a FIFO
# nobody reads): STATUS= and the log say so, WATCHDOG=1 stops, and comes
# back once the stream is read again. SIGTERM brings STOPPING=1 and exit 0. With JOURNAL_STREAM naming its
# stderr, every log line starts with a journal priority.
# Needs root and ip netns; skipped otherwise. Every wait is bounded; the
# namespaces and files go at exit.
#
#   tests/live/notify.sh EGRESSD
set -u

egressd=${1:?usage: notify.sh EGRESSD}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case "$egressd" in /*) ;; *) egressd=$(pwd)/$egressd ;; esac

if [ "$(id -u)" -ne 0 ] || ! ip netns add "egd-sd-probe-$$" 2>/dev/null; then
	echo "notify: skipped: needs root and ip netns"
	exit 0
fi
ip netns del "egd-sd-probe-$$"

nsa=egd-sd-$$-a
nsb=egd-sd-$$-b
t=$(mktemp -d /tmp/egressd-notify.XXXXXX)
chmod 755 "$t"		# nobody sends to the socket in it
cp -r "$top/signatures" "$t/signatures"
cp "$top/tests/golden/golden.conf" "$t/golden.conf"
chmod -R a+rX "$t/signatures" "$t/golden.conf"
pass=0
fail=0
epid=
lpid=
ppid_=
cpid=

cleanup() {
	[ -n "$epid" ] && kill -9 "$epid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }

ip netns add "$nsa"
ip netns add "$nsb"
ip link add vA netns "$nsa" type veth peer name vB netns "$nsb"
ip -n "$nsa" addr add 192.0.2.1/24 dev vA
ip -n "$nsb" addr add 192.0.2.10/24 dev vB
for ns in "$nsa" "$nsb"; do
	ip -n "$ns" link set lo up
	# No IPv6: router solicitations would be extra flows.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$nsa" link set vA up
ip -n "$nsb" link set vB up

# The manager's socket: one line per message received, "SECONDS MESSAGE"
# with the message's newlines as '|'.
python3 "$here/notify-listen.py" "$t/notify" "$t/msgs" &
lpid=$!
i=0
until [ -S "$t/notify" ] || [ $i -ge 50 ]; do i=$((i + 1)); sleep 0.1; done

# wait_for PATTERN TENTHS: until a received message matches (grep -E).
wait_for() {
	i=0
	until grep -Eq "$1" "$t/msgs" 2>/dev/null || [ "$i" -ge "$2" ]; do
		i=$((i + 1)); sleep 0.1
	done
	[ "$i" -lt "$2" ]
}
count() { grep -Ec "$1" "$t/msgs" 2>/dev/null; }

# The event stream goes into a FIFO this script holds open (fd 3) and
# reads only when it chooses: filled, it blocks the worker writing an
# event, which then makes no progress.
mkfifo "$t/events"
exec 3<>"$t/events"
cat <&3 >/dev/null &
cpid=$!
# stderr is a file made first, so that JOURNAL_STREAM can name it.
: >"$t/err"
js=$(stat -c '%d:%i' "$t/err")
# Not through a subshell: $! must be egressd itself (ip and env exec it).
ip netns exec "$nsb" env NOTIFY_SOCKET="$t/notify" WATCHDOG_USEC=2000000 \
    JOURNAL_STREAM="$js" "$egressd" -i vB -u nobody -c "$t/golden.conf" \
    --signature-dir "$t/signatures" --workers 2 --stats-interval 0 -v \
    >&3 2>>"$t/err" &
epid=$!

if wait_for '^[0-9.]+ READY=1' 100; then
	ok "READY=1 arrives"
	check "READY=1 comes after the captures are open (the log said so first)" \
	    grep -q 'capturing on vB' "$t/err"
	check "READY=1 comes after the drop to nobody" \
	    grep -Eq '^Uid:[[:space:]]+65534[[:space:]]+65534' "/proc/$epid/status"
	check "READY=1 is the first message" \
	    sh -c "head -1 '$t/msgs' | grep -q ' READY=1'"
	check "its STATUS= names the interface ($(grep -m1 -o 'STATUS=[^|]*' "$t/msgs"))" \
	    grep -Eq ' READY=1\|STATUS=capturing on vB: [0-9]+ packets, [0-9]+ verdicts' "$t/msgs"
else
	notok "READY=1 arrives within 10 s"
	sed 's/^/#   /' "$t/err"
fi

ip netns exec "$nsa" ping -q -i 0.2 -c 40 192.0.2.10 >/dev/null 2>&1 &
ppid_=$!
# A STATUS= every 5 s: one that counts the ping's packets within 8 s.
check "a later STATUS= counts the packets read" \
    wait_for 'STATUS=capturing on vB: [1-9][0-9]* packets' 80
kill "$ppid_" 2>/dev/null; ppid_=
w=$(count ' WATCHDOG=1$')
# One ping every half WATCHDOG_USEC, from READY=1 on (6 s or more).
check "WATCHDOG=1 arrives repeatedly ($w times in $(awk 'NR == 1 {s = $1} END {printf "%.0f", $1 - s}' "$t/msgs") s)" \
    [ "$w" -ge 4 ]
gaps=$(awk '/ WATCHDOG=1$/ { if (last != "" && $1 - last > g) g = $1 - last; last = $1 } END { printf "%.1f", g }' "$t/msgs")
check "no more than 1.5 s between two WATCHDOG=1 (the longest: $gaps s)" \
    awk -v g="$gaps" 'BEGIN { exit !(g <= 1.5) }'

kill -HUP "$epid"
check "SIGHUP: RELOADING=1" wait_for ' RELOADING=1\|STATUS=reloading' 50
check "then READY=1 again" \
    sh -c "sleep 0.5; grep -A20 ' RELOADING=1' '$t/msgs' | grep -q ' READY=1|STATUS=capturing on vB'"

# A stuck event stream: nobody reads it any more, the FIFO is filled, and
# a connect scan from the VM's address makes events to write; the thread
# that writes them blocks (the workers go on until its queue is full).
kill "$cpid"; wait "$cpid" 2>/dev/null; cpid=
python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
try:
    while True:
        os.write(fd, b"x" * 4096)
except BlockingIOError:
    pass' "$t/events"
ip netns exec "$nsb" timeout 20 python3 -c '
import socket
for port in range(1, 400):
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect(("192.0.2.1", port))
    except OSError:
        pass
    s.close()' &
spid=$!
# Stuck after 5 s without progress; the pings stop then.
if wait_for 'STATUS=capturing on vB: .*no progress' 150; then
	ok "a stuck event stream shows in STATUS= ($(grep -o '[a-z ]*: no progress[^|]*' "$t/msgs" | head -1))"
	check "and in the log" grep -q 'watchdog pings stop until it recovers' "$t/err"
	n=$(count ' WATCHDOG=1$')
	sleep 3
	check "no WATCHDOG=1 while it is stuck ($n then $(count ' WATCHDOG=1$') in 3 s)" \
	    [ "$(count ' WATCHDOG=1$')" -eq "$n" ]
else
	notok "a stuck event stream shows in STATUS= within 15 s"
fi
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
cat <&3 >/dev/null &
cpid=$!
n=$(count ' WATCHDOG=1$')
i=0
until [ "$(count ' WATCHDOG=1$')" -gt "$n" ] || [ $i -ge 100 ]; do
	i=$((i + 1)); sleep 0.1
done
check "once the stream is read again, WATCHDOG=1 resumes ($i/10 s)" [ $i -lt 100 ]
check "and the log says so" grep -q 'watchdog pings resume' "$t/err"
check "and STATUS= no longer names anything stuck" \
    sh -c "grep ' STATUS=' '$t/msgs' | tail -1 | grep -vq 'no progress'"

kill -TERM "$epid"
i=0
while kill -0 "$epid" 2>/dev/null && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
rc=0
if kill -0 "$epid" 2>/dev/null; then
	rc=timeout
else
	wait "$epid" || rc=$?
fi
epid=
check "SIGTERM: exit 0 ($rc)" [ "$rc" = 0 ]
check "SIGTERM: STOPPING=1 with STATUS=draining" \
    grep -q ' STOPPING=1|STATUS=draining$' "$t/msgs"
check "STOPPING=1 is the last message" \
    sh -c "tail -1 '$t/msgs' | grep -q ' STOPPING=1'"

# journald's priorities: <6> info, <3> error ...
check "every log line starts with a journal priority (<6>egressd: capturing on vB ...)" \
    sh -c "grep -q '^<6>egressd: capturing on vB' '$t/err' &&
	   ! grep -Ev '^<[3467]>egressd: ' '$t/err' | grep -q ."

if [ "$fail" -ne 0 ]; then
	echo "# messages received:"; sed 's/^/#   /' "$t/msgs"
	echo "# egressd's stderr:"; sed 's/^/#   /' "$t/err"
fi
echo "notify: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
