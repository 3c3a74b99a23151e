#!/bin/sh
# Fault 2: with drain_timeout 0, verdicts still queued when a run ended were
# stored (or dropped by the spool's bound) only after the exit status and
# the last stats had been decided, so drops went unreported: 1703 of 3000
# verdicts in the spool, spool_dropped 0, exit 3.
#
# Provoked: 3000 mining verdicts, all made in the last 3000 packets of the
# input (3000 copies of the stratum recording, each cut after the
# mining.subscribe that its verdict is made on, those held back to the
# end), replayed with the endpoint down, a spool bounded to 1 MiB (about
# half of them) and drain_timeout 0, in messages of 1 and of 10 verdicts:
# the input ends while most verdicts still wait to be written, each
# message fsync'd.
# Must hold: every verdict is in the spool or counted lost in the last
# stats event (webhook.pending is what the spool holds), and the exit
# status is 1 when any was lost.
set -u
nn=02
egressd=${1:?usage: 02-drain-zero.sh EGRESSD}
. "$(dirname "$0")/lib.sh"

python3 "$here/copies.py" "$golden/stratum/capture.pcap" "$t/many.pcap" 3000 192.0.2.10 3
port=$(closed_port)
for batch in 1 10; do
	rc=0
	"$egressd" -r "$t/many.pcap" --suppress-window 0 \
	    --webhook "http://127.0.0.1:$port/hook" --webhook-secret-file "$secret" \
	    --spool "$t/spool$batch" --spool-max-bytes 1048576 --drain-timeout 0 \
	    --webhook-batch $batch >"$t/b$batch.events" 2>"$t/b$batch.err" || rc=$?
	n=$(verdicts "$t/b$batch.events")
	figures=$(python3 "$here/account.py" "$t/b$batch.events" --spool "$t/spool$batch")
	arc=$?
	check "batch $batch: $n verdicts made" [ "$n" -eq 3000 ]
	check "batch $batch: each one in the spool or counted lost ($figures)" [ $arc -eq 0 ]
	lost=$(($(stat_of "$t/b$batch.events" webhook.spool_dropped) + \
	    $(stat_of "$t/b$batch.events" webhook.backlog_dropped) + \
	    $(stat_of "$t/b$batch.events" webhook.abandoned)))
	check "batch $batch: the bound dropped some ($lost), so exit 1 (got $rc)" \
	    sh -c "[ $lost -gt 0 ] && [ $rc -eq 1 ]"
	check "batch $batch: the spool stays within its bound" \
	    [ "$(cat "$t/spool$batch"/*.msg | wc -c)" -le 1048576 ]
	check "batch $batch: the log says verdicts were lost" \
	    grep -q "verdicts were lost" "$t/b$batch.err"
done
finish
