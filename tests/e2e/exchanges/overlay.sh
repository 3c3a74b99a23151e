# shellcheck shell=bash
# shellcheck disable=SC2015,SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by record-captures.sh; A && B || die is meant
# Overlay networks and tunnels over the web's own transport, beyond the
# built-in ones of record-captures.sh: the Nebula overlay VPN (its Noise IX
# handshake and encrypted data over UDP on a port not its default) and SSH
# carried in a WebSocket over plain HTTP, as chisel, wstunnel and
# websockify's clients carry a TCP stream.  Sourced by record-captures.sh,
# whose helpers it uses.
#
#   nebula         a Nebula lighthouse in the server namespace on udp/4343
#                  (not 4242) and a node in the VM that knows it from
#                  static_host_map: the two handshake messages, the
#                  lighthouse's updates, three pings over the overlay
#                  (10.42.0.0/24, only inside the tun devices) and the
#                  node's CloseTunnel when it stops.
#   ssh-websocket  websockify on 192.0.2.1:8080 in front of an sshd on the
#                  server's loopback; OpenSSH in the VM with ws-bridge.py
#                  (beside this file; python3-websockets) as its
#                  ProxyCommand runs one command in binary WebSocket frames.
#
# Packages (Debian 12): nebula (1.6.1) websockify (0.10.0)
# python3-websockets (10.4, for Debian's /usr/bin/python3, which need not be
# the python3 first on PATH) openssh-server openssh-client.

ALL_NAMES+=(nebula ssh-websocket)

readonly OVERLAY_PY=/usr/bin/python3

# ----------------------------------------------------------------- nebula --

# overlay_nebula_conf FILE DIR NAME LISTEN-HOST LISTEN-PORT AM-LIGHTHOUSE:
# a Nebula 1.6 config for host NAME (DIR/NAME.crt, DIR/NAME.key, the CA
# DIR/ca.crt) on tun device nebula1 (the namespaces keep the two apart).
# A node (AM-LIGHTHOUSE false) knows the lighthouse 10.42.0.1 at
# 192.0.2.1:4343.  No hole punching, no relays, no SSH or stats listener;
# the firewall lets anything out and ICMP in.
overlay_nebula_conf() { # FILE DIR NAME HOST PORT AM_LIGHTHOUSE
    local map="{}" hosts="[]"
    if [[ "$6" != true ]]; then
        map="{ \"10.42.0.1\": [\"$SRV_IP:4343\"] }"
        hosts='["10.42.0.1"]'
    fi
    cat >"$1" <<EOF
pki:
  ca: $2/ca.crt
  cert: $2/$3.crt
  key: $2/$3.key
static_host_map: $map
lighthouse:
  am_lighthouse: $6
  interval: 60
  hosts: $hosts
listen:
  host: $4
  port: $5
punchy:
  punch: false
  respond: false
relay:
  am_relay: false
  use_relays: false
tun:
  disabled: false
  dev: nebula1
  drop_local_broadcast: true
  drop_multicast: true
  tx_queue: 500
  mtu: 1300
logging:
  level: info
  format: text
firewall:
  outbound:
    - port: any
      proto: any
      host: any
  inbound:
    - port: any
      proto: icmp
      host: any
EOF
}

# A throwaway Nebula CA (made now, valid 24 h) signs the two hosts'
# certificates: "lighthouse" at 10.42.0.1/24 and "vm" at 10.42.0.2/24.  The
# lighthouse listens on 192.0.2.1:4343, the VM's node on an ephemeral port
# (listen.port 0) of 192.0.2.10.  The capture starts before the VM's node:
# it holds the handshake (message 1 from the VM, message 2 from the
# lighthouse), the node's lighthouse updates, three pings of 10.42.0.1 and
# their replies, and the CloseTunnel the node sends when it is stopped.
overlay_nebula_up() {
    ns_has_addr "$SRV_NS" nebula1 10.42.0.1 && ns_has_addr "$VM_NS" nebula1 10.42.0.2 &&
        log_has nebula-vm 'Handshake message received'
}

run_nebula() {
    local d=$TMP/nebula vm_pid
    need nebula nebula
    need nebula-cert nebula
    need_tun
    mkdir -p "$d"
    nebula-cert ca -name "egressd test overlay CA" -duration 24h \
        -out-crt "$d/ca.crt" -out-key "$d/ca.key" >/dev/null &&
        nebula-cert sign -ca-crt "$d/ca.crt" -ca-key "$d/ca.key" \
            -name lighthouse -ip 10.42.0.1/24 \
            -out-crt "$d/lighthouse.crt" -out-key "$d/lighthouse.key" &&
        nebula-cert sign -ca-crt "$d/ca.crt" -ca-key "$d/ca.key" \
            -name vm -ip 10.42.0.2/24 \
            -out-crt "$d/vm.crt" -out-key "$d/vm.key" ||
        die "nebula-cert: cannot make the overlay's certificates"
    overlay_nebula_conf "$d/lighthouse.yml" "$d" lighthouse "$SRV_IP" 4343 true
    overlay_nebula_conf "$d/vm.yml" "$d" vm "$VM_IP" 0 false
    start_srv nebula-srv nebula -config "$d/lighthouse.yml"
    wait_listen nebula-srv u 4343
    wait_until 10 ns_has_addr "$SRV_NS" nebula1 10.42.0.1 || {
        cat "$TMP/nebula-srv.log" >&2
        die "nebula (lighthouse) did not bring up its tun device"
    }

    cap_start "$d/cap.pcap"
    start_vm nebula-vm nebula -config "$d/vm.yml"
    vm_pid=$!
    wait_until 15 overlay_nebula_up || {
        cat "$TMP/nebula-srv.log" "$TMP/nebula-vm.log" >&2
        die "the nebula overlay did not come up"
    }
    run_vm 20 ping -n -c 3 -i 0.2 -W 3 10.42.0.1 >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" "$TMP/nebula-srv.log" "$TMP/nebula-vm.log" >&2
        die "no ping answer over the nebula overlay"
    }
    grep -q ' 3 received' "$d/ping.out" || {
        cat "$d/ping.out" >&2
        die "pings lost over the nebula overlay"
    }
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" ""
    # Nebula's header: version 1 in the high nibble, the message type in the
    # low one (0 handshake, 1 message), then the subtype (0: ix_psk0).
    (($(count_packets "$d/cap.pcap" "udp dst port 4343 and udp[8] == 0x10 and udp[9] == 0") >= 1)) ||
        die "$d/cap.pcap: no Nebula handshake from the VM"
    (($(count_packets "$d/cap.pcap" "udp src port 4343 and udp[8] == 0x10 and udp[9] == 0") >= 1)) ||
        die "$d/cap.pcap: no Nebula handshake reply"
    (($(count_packets "$d/cap.pcap" "udp port 4343 and udp[8] == 0x11") >= 6)) ||
        die "$d/cap.pcap: too few Nebula data messages"
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------------- ssh-websocket --

overlay_bridge_gone() { [[ ! -e "$1" ]]; }

# websockify 0.10.0 (Python, Debian's) on 192.0.2.1:8080 forwarding every
# WebSocket connection to 127.0.0.1:22, the loopback sshd, and ending after
# that one (--run-once).  In the VM, ssh (throwaway ed25519 key) runs
# ws-bridge.py as its ProxyCommand: the bridge opens ws://192.0.2.1:8080/
# with "Sec-WebSocket-Protocol: binary" (which websockify echoes) and no
# extension, then carries the SSH session in masked binary frames up and
# websockify's binary frames down; ssh runs 'echo hello; uname -s'.  The
# bridge closes the WebSocket (Close 1000) when ssh is done with it.
run_ssh_websocket() {
    local d=$TMP/ssh-websocket out
    need websockify websockify
    need ssh ssh
    "$OVERLAY_PY" -c 'import websockets' 2>/dev/null ||
        die "missing python3 module websockets (apt-get install python3-websockets)"
    mkdir -p "$d"
    loopback_sshd "$d"  # exchanges/remote.sh
    start_srv websockify websockify --run-once --timeout 30 \
        "$SRV_IP:8080" 127.0.0.1:22
    wait_listen websockify t 8080

    cap_start "$d/cap.pcap"
    run_vm 20 ssh -F /dev/null \
        -i "$d/client_key" -o IdentitiesOnly=yes -o IdentityAgent=none \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
        -o "ProxyCommand=$OVERLAY_PY $HERE/exchanges/ws-bridge.py --timeout 15 --pidfile $d/bridge.pid ws://$SRV_IP:8080/ 2>>$d/bridge.log" \
        root@ssh.example.test 'echo hello; uname -s' >"$d/out" 2>"$d/ssh.err" || {
        cat "$d/ssh.err" "$d/bridge.log" "$TMP/websockify.log" "$TMP/sshd.log" >&2
        die "ssh over the websocket failed"
    }
    # ssh does not wait for its ProxyCommand: let the bridge close.
    wait_until 5 overlay_bridge_gone "$d/bridge.pid" || {
        cat "$d/bridge.log" >&2
        die "ws-bridge.py did not exit"
    }
    cap_stop
    out=$(<"$d/out")
    [[ "$out" == $'hello\nLinux' ]] || die "unexpected ssh output: $out"
    check_capture "$d/cap.pcap" "Upgrade: websocket"
    grep -aqF "Sec-WebSocket-Protocol: binary" "$d/cap.pcap" ||
        die "$d/cap.pcap: no binary subprotocol"
    grep -aqF "HTTP/1.1 101 Switching Protocols" "$d/cap.pcap" ||
        die "$d/cap.pcap: websockify did not switch protocols"
    # The SSH banners are only inside WebSocket frames (the VM's masked).
    (($(count_packets "$d/cap.pcap" "tcp[tcpflags] == tcp-syn and dst port 8080") == 1)) ||
        die "$d/cap.pcap: want one connection to websockify"
    CAPTURE=$d/cap.pcap
}
