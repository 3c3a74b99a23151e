# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# One leg of a conversation: what a tap on one direction only sees
# (asymmetric routing, a span port of one direction), cut from the real
# exchanges of record-captures.sh with tcpdump.  Sourced by
# record-captures.sh, whose helpers (openvpn_exchange) it uses.
#
#   openvpn-upstream    the VM's packets of the tls-auth OpenVPN exchange
#   openvpn-downstream  the server's packets of an OpenVPN exchange with no
#                       control-channel wrapping (udp/1196)
#
# Packages (Debian 12): openvpn tcpdump.

ALL_NAMES+=(openvpn-upstream openvpn-downstream)

# A tap that sees one leg only (asymmetric routing, a span of one
# direction): the same real exchanges, keeping the packets one side sent.
# openvpn-upstream keeps the VM's packets of the tls-auth exchange,
# openvpn-downstream the server's packets of the unwrapped one.
one_direction() { # SRC_IP
    local in=$CAPTURE out=${CAPTURE%.pcap}.oneway.pcap
    tcpdump -r "$in" -w "$out" "src host $1" 2>/dev/null ||
        die "tcpdump cannot filter $in"
    (($(count_packets "$out" "src host $1") >= 5)) ||
        die "$out: too few packets from $1"
    # What a live egressd wrote during the exchange (EGRESSD_LIVE) saw
    # both legs; it goes with the one-leg capture.
    if [[ -f "${in%.pcap}.live.json" ]]; then
        cp "${in%.pcap}.live.json" "${out%.pcap}.live.json"
    fi
    CAPTURE=$out
}
run_openvpn_upstream() { openvpn_exchange udp; one_direction "$VM_IP"; }
run_openvpn_downstream() { openvpn_exchange udp-plain; one_direction "$SRV_IP"; }
