#!/bin/sh
# End-to-end nftables enforcement: a "gw" network namespace, where egressd
# runs, drops what comes from addresses in an nftables set; a "vm"
# namespace, 192.0.2.10 like the VM of the recorded captures, reaches gw
# over a veth pair. egressd replays a mining capture with mining set to
# block; its block verdict must put 192.0.2.10 in the set (with a
# timeout), after which the VM's pings to gw are dropped, as the rule's
# counter shows. Needs root and network namespaces; skipped otherwise.
#
#   tests/delivery/nft-enforce.sh EGRESSD
#   tests/delivery/nft-enforce.sh --stand-in
#
# --stand-in adds the address with nft instead of running egressd: it tests
# this script's own set-up and checks.
set -eu

egressd=${1:?usage: nft-enforce.sh EGRESSD | --stand-in}
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
vm_addr=192.0.2.10
gw_addr=192.0.2.1
set_name="inet egressd blocked4"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: nft-enforce needs root"
	exit 0
fi
for tool in ip nft ping; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: nft-enforce needs $tool"
		exit 0
	fi
done
capture=$top/tests/golden/stratum/capture.pcap
if [ ! -f "$capture" ]; then
	echo "not ok - no stratum capture ($capture)"
	exit 1
fi

gw=egressd-gw-$$
vm=egressd-vm-$$
tmp=$(mktemp -d)
cleanup() {
	ip netns del "$gw" 2>/dev/null || true
	ip netns del "$vm" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! ip netns add "$gw" 2>"$tmp/netns.err"; then
	echo "SKIP: cannot make a network namespace: $(cat "$tmp/netns.err")"
	exit 0
fi
ip netns add "$vm"

failed=0
ok() {
	echo "ok - $*"
}
not_ok() {
	echo "not ok - $*"
	failed=$((failed + 1))
}

# The veth pair is made inside gw, so its names cannot clash with the
# host's.
ip -n "$gw" link add eth0 type veth peer name eth0 netns "$vm"
ip -n "$gw" addr add "$gw_addr/24" dev eth0
ip -n "$vm" addr add "$vm_addr/24" dev eth0
ip -n "$gw" link set lo up
ip -n "$vm" link set lo up
ip -n "$gw" link set eth0 up
ip -n "$vm" link set eth0 up
ip netns exec "$gw" nft -f - <<EOF
table inet egressd {
	set blocked4 {
		type ipv4_addr
		flags timeout
	}
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr @blocked4 counter drop
	}
}
EOF
ok "namespaces $gw and $vm, veth, table inet egressd"

# The link may take a moment to come up: a few tries.
reached=0
for _ in 1 2 3 4 5; do
	if ip netns exec "$vm" ping -c1 -W1 "$gw_addr" >/dev/null 2>&1; then
		reached=1
		break
	fi
	sleep 0.2
done
if [ $reached = 1 ]; then
	ok "vm reaches gw before the block"
else
	not_ok "vm does not reach gw even before the block"
	exit 1
fi

if [ "$egressd" = --stand-in ]; then
	if ip netns exec "$gw" nft add element $set_name "{ $vm_addr timeout 1h }"; then
		ok "stand-in: nft add element $vm_addr"
	else
		not_ok "stand-in: nft add element $vm_addr"
	fi
else
	if ip netns exec "$gw" "$egressd" -r "$capture" \
	    --signature-dir "$top/signatures" --vm-networks 192.0.2.0/24 \
	    --block-categories mining --nft-set "$set_name" --nft-timeout 1h \
	    -o "$tmp/events" 2>"$tmp/egressd.err"; then
		ok "egressd replayed tests/golden/stratum"
	else
		not_ok "egressd replayed tests/golden/stratum: exit status $?"
		sed 's/^/# /' "$tmp/egressd.err"
	fi
	if grep -q '"event_type":"verdict".*"category":"mining".*"action":"block"' \
	    "$tmp/events" 2>/dev/null; then
		ok "egressd gave a mining verdict with action block"
	else
		not_ok "no mining verdict with action block"
	fi
fi

elements=$(ip netns exec "$gw" nft list set $set_name 2>&1) || true
if echo "$elements" | grep -Eq "(^|[ {,])$vm_addr timeout [0-9dhms]+ expires"; then
	ok "$vm_addr is in $set_name with a timeout"
else
	not_ok "$vm_addr is not in $set_name with a timeout:"
	echo "$elements" | sed 's/^/# /'
fi

if ip netns exec "$vm" ping -c2 -i0.2 -W1 "$gw_addr" >/dev/null 2>&1; then
	not_ok "vm still reaches gw after the block"
else
	ok "vm no longer reaches gw"
fi
packets=$(ip netns exec "$gw" nft list chain inet egressd input |
    sed -n 's/.*@blocked4 counter packets \([0-9]*\) .*/\1/p')
if [ "${packets:-0}" -gt 0 ]; then
	ok "the drop rule counted $packets packets from $vm_addr"
else
	not_ok "the drop rule counted no packets"
fi

[ $failed = 0 ]
