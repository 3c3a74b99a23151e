#!/bin/sh
# Fault 7: a full disk was reported as "spool full". With the spool on a
# 256 KiB file system, the log showed 1489 "spool full (49 KB)" lines
# against a 64 MiB bound and 2936 verdicts were dropped, although the code
# promised that a disk error keeps the message in memory.
#
# Provoked: the spool on a 256 KiB tmpfs; 3000 verdicts with the endpoint
# down; then a disk that fills and gets room again during a run.
# Must hold: the log names the disk's error (No space left on device) once,
# not a line per message, and never calls it the spool's bound; messages
# wait in memory within queue_size verdicts and reach the spool when the
# disk has room; every verdict is in the spool or counted lost (exit 1),
# and with room again nothing is lost (exit 3).
set -u
nn=07
egressd=${1:?usage: 07-disk-full.sh EGRESSD}
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (mount)"
mkdir "$t/fs"
mount -t tmpfs -o size=256k,mode=0700 egressd-fault-07 "$t/fs" 2>/dev/null ||
    skip "cannot mount a tmpfs"
unmount() { umount "$t/fs"; }
cleanups=unmount

python3 "$here/copies.py" "$golden/stratum/capture.pcap" "$t/many.pcap" 3000 192.0.2.10
python3 "$here/copies.py" "$golden/stratum/capture.pcap" "$t/few.pcap" 100 192.0.2.10
port=$(closed_port)
hook="http://127.0.0.1:$port/hook"

# 1. The disk is full long before the bound (64 MiB) is reached.
rc=0
"$egressd" -r "$t/many.pcap" --suppress-window 0 --webhook "$hook" \
    --webhook-secret-file "$secret" --spool "$t/fs/spool" --queue-size 500 \
    --webhook-batch 10 --drain-timeout 1 >"$t/full.events" 2>"$t/full.err" || rc=$?
figures=$(python3 "$here/account.py" "$t/full.events" --spool "$t/fs/spool")
arc=$?
check "full disk: each verdict in the spool or counted lost ($figures)" [ $arc -eq 0 ]
check "full disk: exit 1, verdicts were lost ($rc)" [ $rc -eq 1 ]
check "full disk: the log names the disk's error" \
    grep -q "No space left on device" "$t/full.err"
check "full disk: ... once, not per message ($(grep -c 'No space left' "$t/full.err") lines)" \
    [ "$(grep -c 'No space left' "$t/full.err")" -le 2 ]
check "full disk: never called the spool's bound" \
    sh -c "! grep -q 'spool full' '$t/full.err'"
check "full disk: stats count the failed writes ($(stat_of "$t/full.events" webhook.spool_errors))" \
    [ "$(stat_of "$t/full.events" webhook.spool_errors)" -gt 0 ]
held=$(( $(stat_of "$t/full.events" webhook.backlog_dropped) + \
    $(stat_of "$t/full.events" webhook.abandoned) ))
check "full disk: what memory could not hold is counted ($held)" [ "$held" -gt 0 ]
rm -rf "$t/fs/spool"

# 2. The disk fills, then gets room while the run drains: the messages
# kept in memory reach the spool and nothing is lost. A 2 MiB file system
# this time, all but 16 KiB of it taken: even if each verdict goes in a
# message of its own (a slow build batches less), they fit once the
# filler is gone.
umount "$t/fs"
mount -t tmpfs -o size=2m,mode=0700 egressd-fault-07 "$t/fs"
mkdir -m 700 "$t/fs/spool"
dd if=/dev/zero of="$t/fs/filler" bs=4k count=508 2>/dev/null
"$egressd" -r "$t/few.pcap" --suppress-window 0 --webhook "$hook" \
    --webhook-secret-file "$secret" --spool "$t/fs/spool" \
    --webhook-batch 10 --drain-timeout 4 >"$t/room.events" 2>"$t/room.err" &
epid=$!
i=0
while ! grep -q "No space left" "$t/room.err" && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
rm -f "$t/fs/filler"
rc=0
wait $epid || rc=$?
figures=$(python3 "$here/account.py" "$t/room.events" --spool "$t/fs/spool")
arc=$?
check "room again: each verdict in the spool or counted lost ($figures)" [ $arc -eq 0 ]
check "room again: all $(verdicts "$t/room.events") verdicts are in the spool, exit 3 ($rc)" \
    sh -c "[ $rc -eq 3 ] && [ \$(cat '$t/fs/spool'/*.msg | grep -o '\"verdict_id\"' | wc -l) -eq $(verdicts "$t/room.events") ]"
check "room again: the log says the spool is writable again" \
    grep -q "writable again" "$t/room.err"
finish
