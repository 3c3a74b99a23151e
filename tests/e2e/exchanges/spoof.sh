# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# spoof.sh: a SYN flood from spoofed source addresses, made by hping3 from
# the VM (sourced by ../record-captures.sh, whose helpers it uses).
#
#   synflood-spoofed  hping3 -S -p 80 --faster -a ADDR, 40 SYNs from each
#                     of 198.51.100.1-100 (four senders at once, 4000 SYNs
#                     in all), to the server's closed port 80.  Every frame
#                     carries the VM's MAC; no source is the VM's address,
#                     and each is far below any per-source threshold.  The
#                     server's RSTs go to addresses it has no route to and
#                     never reach the wire.  The capture keeps 96 bytes of
#                     each frame.
#
# The golden, e2e and live tests replay it with the inventory
# tests/golden/synflood-spoofed/inventory (the VM by its MAC and its
# address), which is what lets egressd attribute the flood to the VM and
# see the spoofing.
#
# Packages (Debian 12): hping3 tcpdump.

ALL_NAMES+=(synflood-spoofed)

readonly SPOOF_NET=198.51.100
readonly SPOOF_SOURCES=100
readonly SPOOF_EACH=40

# spoof_sender FIRST STEP LOG [FLAG]: hping3 for sources FIRST,
# FIRST+STEP, ... with TCP flag FLAG (default -S: SYNs)
spoof_sender() {
    local i rc
    for ((i = $1; i <= SPOOF_SOURCES; i += $2)); do
        rc=0
        run_vm 10 hping3 -c "$SPOOF_EACH" --faster "${4:--S}" -p 80 \
            -a "$SPOOF_NET.$i" "$SRV_IP" >>"$3" 2>&1 || rc=$?
        ((rc <= 1)) || return 1
    done
}

# spoof_flood NAME FLAG KIND [MATCH]: hping3 FLAG from every spoofed
# source (four senders at once), captured where CAP_NS and CAP_IF say
# (cap_start), with the live egressd of the recording (EGRESSD_LIVE) given
# tests/golden/NAME/inventory; the capture must hold every packet sent
# (tcp[tcpflags] == KIND, and the tcpdump filter MATCH when given) and
# none of the VM's own address.
spoof_flood() {
    local name=$1 flag=$2 kind=$3 match=${4:+$4 and } d=$TMP/$1 n want
    local pids=() p
    local EGRESSD_LIVE_ARGS="$EGRESSD_LIVE_ARGS --inventory $HERE/../golden/$name/inventory"
    mkdir -p "$d"
    cap_start "$d/cap.pcap" 96
    for p in 1 2 3 4; do
        spoof_sender "$p" 4 "$d/hping3-$p.log" "$flag" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || die "$name: hping3 failed (see $d/hping3-*.log)"
    done
    cap_stop
    want=$((SPOOF_SOURCES * SPOOF_EACH))
    n=$(count_packets "$d/cap.pcap" "${match}src net $SPOOF_NET.0/24 and dst host $SRV_IP and tcp[tcpflags] == $kind and dst port 80")
    ((n == want)) || die "$d/cap.pcap: $n spoofed packets ($kind), want $want"
    n=$(count_packets "$d/cap.pcap" "ip and (src host $VM_IP or dst host $VM_IP)")
    ((n == 0)) || die "$d/cap.pcap: $n packets of the VM's own address"
    log "$name: $want packets ($kind) from $SPOOF_SOURCES spoofed sources"
    CAPTURE=$d/cap.pcap
}

run_synflood_spoofed() {
    local n
    spoof_flood synflood-spoofed -S tcp-syn
    n=$(count_packets "$CAPTURE" "ip and not src net $SPOOF_NET.0/24 and not src host $SRV_IP")
    ((n == 0)) || die "$CAPTURE: $n packets from neither a spoofed source nor the server"
}

# synflood-spoofed-tap: the same flood, seen from the host end of the VM's
# link, as a sidecar on a VM's tap sees it: tcpdump -i any in the server
# namespace (a Linux cooked capture, whose packet type says which way each
# frame went; veth-srv is the namespace's only interface besides lo).  The
# inventory tests/golden/synflood-spoofed-tap/inventory names the VM only
# by that interface (iface:veth-srv), and the golden and e2e tests replay
# it with -i veth-srv (tests/golden/synflood-spoofed-tap/iface); the live
# egressd of the recording runs on veth-srv with that inventory, reading
# the interface by direction.
ALL_NAMES+=(synflood-spoofed-tap)

run_synflood_spoofed_tap() {
    local CAP_NS=$SRV_NS CAP_IF=any LIVE_IF=$SRV_IF
    spoof_flood synflood-spoofed-tap -S tcp-syn inbound
}

# ackflood-spoofed: hping3 -A (ACKs, no SYN) from the same 100 spoofed
# sources, 40 each, at the server's closed port 80, captured on the VM's
# veth and replayed with tests/golden/ackflood-spoofed/inventory (the VM
# by its MAC): distributed_tcp_flood and spoofed_source.  The server's
# RSTs go to addresses it has no route to.
ALL_NAMES+=(ackflood-spoofed)

run_ackflood_spoofed() { spoof_flood ackflood-spoofed -A tcp-ack; }
