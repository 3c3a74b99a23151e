#!/bin/sh
# tests/fleet/record.sh OUTDIR: records the fleet test's captures with the
# real hping3: one tenant's 8 VMs (198.51.100.11 - .18) each send 600 TCP
# SYNs to 203.0.113.9:80 at 150 per second (hping3 -i u6667), all at once,
# so each VM, and each half of them, stays under syn_flood_pps (1000/s)
# while the 8 together send 1,200/s. The target never answers: its
# gateway (198.51.100.1, a namespace of its own that does not forward)
# drops the SYNs, as a firewall in front of a flooded host would.
# tcpdump on the VMs' side keeps 96 bytes of each frame; the capture is
# then split in two hosts' captures, OUTDIR/hostA.pcap (.11 - .14) and
# OUTDIR/hostB.pcap (.15 - .18). Runs as root in two namespaces it makes
# (joined by one veth pair, no other interface) and removes on exit.
set -eu
out=$1
ns_vm=egd-fleet-vm-$$
ns_gw=egd-fleet-gw-$$
tmp=$(mktemp -d)
cleanup() {
	ip netns pids "$ns_vm" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns_vm" 2>/dev/null || true
	ip netns del "$ns_gw" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ip netns add "$ns_vm"
ip netns add "$ns_gw"
ip link add veth-fvm netns "$ns_vm" type veth peer name veth-fgw netns "$ns_gw"
ip -n "$ns_vm" link set veth-fvm address 02:00:c6:33:64:0b
ip -n "$ns_gw" link set veth-fgw address 02:00:c6:33:64:01
for i in 11 12 13 14 15 16 17 18; do
	ip -n "$ns_vm" addr add 198.51.100.$i/24 dev veth-fvm
done
ip -n "$ns_gw" addr add 198.51.100.1/24 dev veth-fgw
ip -n "$ns_vm" link set lo up
ip -n "$ns_vm" link set veth-fvm up
ip -n "$ns_gw" link set veth-fgw up
ip netns exec "$ns_gw" sysctl -qw net.ipv4.ip_forward=0
ip -n "$ns_vm" route add default via 198.51.100.1
ip netns exec "$ns_vm" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$ns_vm" tcpdump -i veth-fvm -s 96 -U -w "$tmp/all.pcap" \
    'tcp and dst host 203.0.113.9 or src host 203.0.113.9' 2>"$tmp/tcpdump.log" &
cap=$!
sleep 1
for i in 11 12 13 14 15 16 17 18; do
	ip netns exec "$ns_vm" timeout 20 hping3 -q -S -p 80 -i u6667 -c 600 \
	    -a 198.51.100.$i 203.0.113.9 >"$tmp/hping.$i.log" 2>&1 &
done
wait_hping() {
	while pgrep -x hping3 >/dev/null; do sleep 0.2; done
}
wait_hping
sleep 1
kill -INT "$cap"
wait "$cap" || true
mkdir -p "$out"
tcpdump -r "$tmp/all.pcap" -w "$out/hostA.pcap" \
    'src host 198.51.100.11 or src host 198.51.100.12 or src host 198.51.100.13 or src host 198.51.100.14' 2>/dev/null
tcpdump -r "$tmp/all.pcap" -w "$out/hostB.pcap" \
    'src host 198.51.100.15 or src host 198.51.100.16 or src host 198.51.100.17 or src host 198.51.100.18' 2>/dev/null
for h in hostA hostB; do
	printf '%s: %s packets\n' "$h" "$(tcpdump -r "$out/$h.pcap" 2>/dev/null | wc -l)"
done
