# shellcheck shell=bash
# shellcheck disable=SC2015,SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by record-captures.sh; A && B || die is meant
# SoftEther VPN, the native "SE-VPN" protocol (HTTPS on tcp/443): Debian's
# own vpnserver in the server namespace and vpnclient in the VM, set up
# with vpncmd.  Sourced by record-captures.sh, whose helpers it uses.
#
#   softether  vpnserver 5.01 build 9674 with its default listeners
#              (tcp and udp 443, 992, 1194, 5555), a virtual hub EGD with
#              one user (password authentication) and a local bridge to a
#              tap device (tap_egd, 10.14.0.1/24 in the server namespace);
#              vpnclient in the VM with a virtual NIC (tap vpn_egd,
#              10.14.0.10/24) and an account to 192.0.2.1:443.  The capture
#              holds the client's session (TLS 1.3 on tcp/443, whose
#              ClientHello names the server's IP address as its SNI; two
#              TCP connections, the second ~1.3 s after the first, as the
#              account's defaults with VoIP/QoS on give), the UDP
#              acceleration flow between the two (server port 40000), the
#              NetBIOS node status queries each side sends the other on
#              udp/137, the client's R-UDP probes of the server over ICMP
#              and over DNS (udp/53, answered by ICMP unreachables), five
#              pings of 10.14.0.1 through the tunnel, and the client's
#              disconnection about 5 s later.  Neither namespace has a
#              default route, so the daemons' attempts to reach the
#              internet (DDNS, NAT traversal and keepalive servers, the
#              update check) fail locally and never reach the wire; the
#              hub has no SecureNAT, whose kernel-mode NAT would DHCP for
#              an address of its own on the server's LAN (the veth).
#
# Packages (Debian 12): softether-vpnserver softether-vpnclient
# softether-vpncmd (5.01.9674+git20200806).
#
# The Debian build keeps its state in fixed places: the configuration in
# /var/lib/softether, logs in /var/log/softether, pid and control files in
# /run/softether, a lock and a cache in /tmp.  Each daemon and each vpncmd
# runs in its own mount namespace (SE_SANDBOX) where directories under $TMP
# are bind-mounted over those four, so nothing is written outside $TMP.
# The package's systemd units stay unused (the daemons run in the
# foreground with "execsvc").  vpnserver and vpnclient ignore SIGTERM in
# that mode: they are stopped with "vpnserver stop" / "vpnclient stop"
# (through their control files) before record-captures.sh reaps them.

ALL_NAMES+=(softether)

readonly SE_DIR=/usr/libexec/softether

# sh -c script: DIR (its $1) holds lib, log, run and tmp, bound over
# /var/lib, /var/log, /run and /tmp; then runs the rest of the arguments.
# Relative paths after the cd, so a DIR under /tmp or /run stays reachable.
SE_SANDBOX='mkdir -p "$1" && cd "$1" && shift &&
    mkdir -p lib/softether log/softether run/softether tmp &&
    mount --bind lib /var/lib && mount --bind log /var/log &&
    mount --bind run /run && mount --bind tmp /tmp && exec "$@"'

# se_cmd NS-RUNNER DIR LOG TARGET MODE CMD-FILE: vpncmd (bounded) with the
# commands of CMD-FILE (copied into DIR/lib) against TARGET in MODE
# (/SERVER or /CLIENT), in its own sandbox DIR; output in LOG.
se_cmd() {
    local runner=$1 dir=$2 log=$3 target=$4 mode=$5 in=$6
    mkdir -p "$dir/lib"
    cp "$in" "$dir/lib/cmds.in"
    "$runner" timeout 20 unshare -m --propagation private sh -c "$SE_SANDBOX" \
        sh "$dir" "$SE_DIR/vpncmd/vpncmd" "$target" "$mode" \
        /IN:/var/lib/cmds.in >"$log" 2>&1 </dev/null
}

run_vm_now() { ip netns exec "$VM_NS" "$@"; }

# The client's log says the session is up.
se_connected() { grep -qs 'Now connected' "$1"/vm/log/softether/client_log/*.log; }
# ... and that it is down again.
se_disconnected() { grep -qs 'disconnected or it failed' "$1"/vm/log/softether/client_log/*.log; }

se_client_listening() {
    [[ -n "$(ip netns exec "$VM_NS" ss -Hlnt 'sport = :9931' 2>/dev/null)" ]]
}

se_tap_up() { ip -n "$1" link show "$2" >/dev/null 2>&1; }

# se_stop NS-RUNNER DIR PROG: "PROG stop" in the daemon's own sandbox.
se_stop() {
    "$1" timeout 20 unshare -m --propagation private sh -c "$SE_SANDBOX" \
        sh "$2" "$SE_DIR/$3/$3" stop >>"$2.stop.log" 2>&1 </dev/null || true
}

run_softether() {
    local d=$TMP/softether pw hubpw srv_pid vm_pid
    need "$SE_DIR/vpnserver/vpnserver" softether-vpnserver
    need "$SE_DIR/vpnclient/vpnclient" softether-vpnclient
    need "$SE_DIR/vpncmd/vpncmd" softether-vpncmd
    need_tun
    mkdir -p "$d"
    pw=$(openssl rand -hex 8)
    hubpw=$(openssl rand -hex 8)

    start_srv se-server unshare -m --propagation private sh -c "$SE_SANDBOX" \
        sh "$d/srv" "$SE_DIR/vpnserver/vpnserver" execsvc
    srv_pid=$!
    wait_listen se-server t 443
    wait_listen se-server t 5555
    # The hub, its user and its local bridge, through the admin port on
    # the server's loopback (not on the veth).
    cat >"$d/srv.cmds" <<EOF
HubCreate EGD /PASSWORD:$hubpw
Hub EGD
UserCreate egduser /GROUP:none /REALNAME:none /NOTE:none
UserPasswordSet egduser /PASSWORD:$pw
BridgeCreate EGD /DEVICE:egd /TAP:yes
EOF
    se_cmd in_srv "$d/cmd-srv" "$d/srv-cmd.log" 127.0.0.1:5555 /SERVER \
        "$d/srv.cmds" && ! grep -q 'Error occurred' "$d/srv-cmd.log" || {
        cat "$d/srv-cmd.log" "$TMP/se-server.log" >&2
        die "softether: vpncmd could not configure the server"
    }
    # The hub's local bridge: a tap device tap_egd in the server namespace,
    # the far end of the pings through the tunnel.
    wait_until 10 se_tap_up "$SRV_NS" tap_egd || die "softether: no tap_egd"
    ip -n "$SRV_NS" addr add 10.14.0.1/24 dev tap_egd
    ip -n "$SRV_NS" link set tap_egd up

    start_vm se-client unshare -m --propagation private sh -c "$SE_SANDBOX" \
        sh "$d/vm" "$SE_DIR/vpnclient/vpnclient" execsvc
    vm_pid=$!
    # The client's management port (9931) is on the VM's loopback.
    wait_until 10 se_client_listening || {
        cat "$TMP/se-client.log" >&2
        die "softether: vpnclient did not start"
    }
    cat >"$d/vm.cmds" <<EOF
NicCreate egd
AccountCreate egd /SERVER:$SRV_IP:443 /HUB:EGD /USERNAME:egduser /NICNAME:egd
AccountPasswordSet egd /PASSWORD:$pw /TYPE:standard
EOF
    se_cmd run_vm_now "$d/cmd-vm" "$d/vm-cmd.log" 127.0.0.1 /CLIENT \
        "$d/vm.cmds" && ! grep -q 'Error occurred' "$d/vm-cmd.log" || {
        cat "$d/vm-cmd.log" "$TMP/se-client.log" >&2
        die "softether: vpncmd could not configure the client"
    }
    wait_until 10 se_tap_up "$VM_NS" vpn_egd || die "softether: no virtual NIC vpn_egd"

    cap_start "$d/cap.pcap"
    echo "AccountConnect egd" >"$d/connect.cmds"
    se_cmd run_vm_now "$d/cmd-vm" "$d/connect.log" 127.0.0.1 /CLIENT \
        "$d/connect.cmds" || {
        cat "$d/connect.log" >&2
        die "softether: AccountConnect failed"
    }
    wait_until 20 se_connected "$d" || {
        cat "$d"/vm/log/softether/client_log/*.log \
            "$d"/srv/log/softether/server_log/*.log >&2 2>/dev/null || true
        die "softether: the VPN session was not established"
    }
    echo "AccountStatusGet egd" >"$d/status.cmds"
    se_cmd run_vm_now "$d/cmd-vm" "$d/status.log" 127.0.0.1 /CLIENT \
        "$d/status.cmds" || true
    grep -q 'Session Established' "$d/status.log" || {
        cat "$d/status.log" >&2
        die "softether: AccountStatusGet does not show the session"
    }
    # Across the tunnel: the VM's virtual NIC pings the server's tap.
    ip -n "$VM_NS" addr add 10.14.0.10/24 dev vpn_egd
    ip -n "$VM_NS" link set vpn_egd up
    run_vm 20 ping -n -c 5 -i 0.5 -W 2 10.14.0.1 >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" >&2
        die "softether: no ping answer through the tunnel"
    }
    sleep 5
    echo "AccountDisconnect egd" >"$d/disconnect.cmds"
    se_cmd run_vm_now "$d/cmd-vm" "$d/disconnect.log" 127.0.0.1 /CLIENT \
        "$d/disconnect.cmds" || true
    wait_until 10 se_disconnected "$d" || true
    sleep 0.5
    cap_stop

    se_stop run_vm_now "$d/vm" vpnclient
    stop_pid "$vm_pid"
    se_stop in_srv "$d/srv" vpnserver
    stop_pid "$srv_pid"

    # The TLS ClientHello carries the server's address as its SNI.
    check_capture "$d/cap.pcap" $'\x09'"$SRV_IP"
    (($(count_packets "$d/cap.pcap" "tcp dst port 443 and tcp[tcpflags] == tcp-syn") >= 1)) ||
        die "$d/cap.pcap: no connection to 443"
    CAPTURE=$d/cap.pcap
}
