#!/bin/sh
# Fault 1: the exit status of a live capture ignored lost verdicts; only a
# replay asked delivery what was lost. A webhook answering 400 (refused for
# good) made a replay exit 1 but a live run exit 0; with queue_size 100 and
# a hanging endpoint, 157 of 3000 verdicts were dropped by the full queue
# and the live run still exited 3 ("all left in the spool").
#
# Provoked: egressd live on a veth in a namespace of its own, as nobody,
# with a webhook on the namespace's loopback that refuses everything
# (400), then one that hangs while 3000 verdicts arrive at full speed into
# a queue of one.
# Must hold: the live run exits 1 in both cases, as a replay does; every
# verdict is delivered, in the spool, or counted lost in the last stats
# event; SIGTERM against the hanging endpoint returns within drain_timeout
# and about a second, not drain_timeout + webhook_timeout.
set -u
nn=01
egressd=${1:?usage: 01-live-exit-lost.sh EGRESSD}
. "$(dirname "$0")/lib.sh"
netns_up "egf01-$$"
python3 "$here/copies.py" "$golden/stratum/capture.pcap" "$t/many.pcap" 3000 192.0.2.10

# 1. Every message refused for good.
start_receiver reject400 "$t/r400.log" "$ns"
start_live "$t/r400.events" --webhook "http://127.0.0.1:$port/hook" \
    --webhook-secret-file "$secret" --spool "$t/nobody/spool400" \
    --suppress-window 0 --drain-timeout 5 || { notok "egressd starts"; finish; }
replay_into "$caps/demo.pcap"
i=0
while [ ! -s "$t/r400.log" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.5
stop_live
stop_receiver
figures=$(python3 "$here/account.py" "$t/r400.events" --spool "$t/nobody/spool400" --log "$t/r400.log")
arc=$?
check "400: $(verdicts "$t/r400.events") verdicts made live" [ "$(verdicts "$t/r400.events")" -gt 0 ]
check "400: each one delivered, in the spool or counted lost ($figures)" [ $arc -eq 0 ]
check "400: the live run exits 1, as a replay does ($rc)" [ $rc -eq 1 ]

# 2. A hanging endpoint and a queue of one: the queue drops.
start_receiver slow:60 "$t/hang.log" "$ns"
start_live "$t/hang.events" --webhook "http://127.0.0.1:$port/hook" \
    --webhook-secret-file "$secret" --spool "$t/nobody/spoolhang" \
    --suppress-window 0 --queue-size 1 --webhook-batch 1 \
    --webhook-timeout 60s --drain-timeout 1 || { notok "egressd starts"; finish; }
replay_into "$t/many.pcap"
sleep 1
stop_live
stop_receiver
figures=$(python3 "$here/account.py" "$t/hang.events" --spool "$t/nobody/spoolhang" --log "$t/hang.log")
arc=$?
dropped=$(stat_of "$t/hang.events" webhook.queue_dropped)
check "hang: $(verdicts "$t/hang.events") verdicts made live, $dropped dropped by the queue" \
    [ "$dropped" -gt 0 ]
check "hang: each one delivered, in the spool or counted lost ($figures)" [ $arc -eq 0 ]
check "hang: exit 1, not 3: verdicts were lost ($rc)" [ $rc -eq 1 ]
check "hang: SIGTERM returned in $took/10 s (drain_timeout 1 s, webhook_timeout 60 s)" \
    [ "$took" -le 35 ]
finish
