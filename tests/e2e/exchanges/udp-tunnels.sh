# shellcheck shell=bash
# shellcheck disable=SC2015,SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by record-captures.sh; A && B || die is meant
# Tunnels without a handshake to recognise them by, beyond the built-in
# OpenVPN exchanges of record-captures.sh (TLS mode): OpenVPN's static-key
# mode, whose packets carry no opcode and no session id (an HMAC, an IV and
# ciphertext from the first byte on), over UDP and over TCP on ports that
# are not 1194, and shadowsocks' UDP relay, whose AEAD datagrams are a salt
# and ciphertext only.  Sourced by record-captures.sh, whose helpers it
# uses.
#
#   openvpn-static-udp  two OpenVPN peers in static-key mode (one key made
#                       by openvpn --genkey secret, --cipher AES-256-CBC
#                       --auth SHA256) over udp/5000; four pings cross the
#                       tunnel (10.8.0.0/30, only inside the tun devices).
#   openvpn-static-tcp  the same over tcp/8081 (tcp-server / tcp-client).
#   shadowsocks-udp     ss-server -u on udp/8389 (chacha20-ietf-poly1305)
#                       and ss-tunnel -u in the VM forwarding 127.0.0.1:5300
#                       to a UDP echo service on the server's loopback; six
#                       datagrams of different sizes go through and come
#                       back.
#
# Packages (Debian 12): openvpn (2.6.14) iputils-ping shadowsocks-libev
# (3.3.5) python3 (Debian's /usr/bin/python3, for the echo service and its
# client).

ALL_NAMES+=(openvpn-static-udp openvpn-static-tcp shadowsocks-udp)

readonly UDPT_PY=/usr/bin/python3

# ------------------------------------------------------ openvpn static key --

# OpenVPN 2.6 peer to peer with a pre-shared static key (--secret, which
# 2.6 still runs, with a deprecation warning, and 2.7 drops) over PROTO udp
# or tcp: no TLS, no control channel, no negotiation, so the data channel
# cipher and HMAC are given on both sides: AES-256-CBC and SHA256, since
# the static-key default, BF-CBC, is only in OpenSSL 3's legacy provider
# ("Cipher BF-CBC not supported" without it).  --disable-dco: the kernel's
# data channel offload does not do static keys either.  The server listens on 5000/udp or
# 8081/tcp, not 1194.  The server, which has no --remote, completes its
# start-up ("Peer Connection Initiated", "Initialization Sequence
# Completed") on the first packet from the VM; with IPv6 off nothing crosses
# the tun on its own, so that is the options check (OCC) request which
# either peer sends 10 s after start-up (the other answers with its options
# string).  Once both peers are up (openvpn_up) four pings cross the tunnel;
# only the outer packets are captured (tcpdump is on the veth).
udpt_openvpn_static() { # PROTO
    local d=$TMP/openvpn-static-$1 vm_pid port
    local -a srv_proto vm_proto
    local -a common=(--dev tun0 --dev-type tun --disable-dco
        --secret "$d/static.key" --cipher AES-256-CBC --auth SHA256 --verb 3)
    need openvpn openvpn
    need ping iputils-ping
    mkdir -p "$d"
    need_tun
    openvpn --genkey secret "$d/static.key" >/dev/null 2>&1 ||
        die "openvpn --genkey secret failed"
    if [[ "$1" == tcp ]]; then
        port=8081
        srv_proto=(--proto tcp-server)
        vm_proto=(--proto tcp-client --connect-retry 1 1)
    else
        port=5000
        srv_proto=(--proto udp)
        vm_proto=(--proto udp --nobind)
    fi
    start_srv ovpn-srv openvpn "${common[@]}" "${srv_proto[@]}" \
        --local "$SRV_IP" --lport "$port" --ifconfig 10.8.0.1 10.8.0.2
    wait_listen ovpn-srv "${1:0:1}" "$port"

    cap_start "$d/cap.pcap"
    start_vm ovpn-vm openvpn "${common[@]}" "${vm_proto[@]}" \
        --remote "$SRV_IP" "$port" --ifconfig 10.8.0.2 10.8.0.1
    vm_pid=$!
    wait_until 20 openvpn_up "$1" || {
        cat "$TMP/ovpn-srv.log" "$TMP/ovpn-vm.log" >&2
        die "openvpn static-key ($1) tunnel did not come up"
    }
    run_vm 20 ping -n -c 4 -i 0.2 -W 2 10.8.0.1 >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" "$TMP/ovpn-srv.log" "$TMP/ovpn-vm.log" >&2
        die "no ping answer through the openvpn static-key ($1) tunnel"
    }
    grep -q ' 4 received' "$d/ping.out" || {
        cat "$d/ping.out" >&2
        die "pings lost in the openvpn static-key ($1) tunnel"
    }
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" ""
    (($(count_packets "$d/cap.pcap" "$1 port $port and greater 100") >= 8)) ||
        die "$d/cap.pcap: too few OpenVPN data packets"
    (($(count_packets "$d/cap.pcap" "icmp") == 0)) ||
        die "$d/cap.pcap: ICMP outside the tunnel"
    CAPTURE=$d/cap.pcap
}

run_openvpn_static_udp() { udpt_openvpn_static udp; }
run_openvpn_static_tcp() { udpt_openvpn_static tcp; }

# -------------------------------------------------------- shadowsocks UDP --

# A UDP echo service for at most COUNT datagrams or SECS seconds, whichever
# ends first: ADDR PORT COUNT SECS.
readonly UDPT_ECHO='
import socket, sys, time
addr, port, count, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
end = time.monotonic() + secs
n = 0
while n < count and time.monotonic() < end:
    s.settimeout(max(0.1, end - time.monotonic()))
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        break
    s.sendto(data, peer)
    n += 1
print("echoed", n, flush=True)
'

# Its client: one datagram of each SIZE to ADDR:PORT, one at a time, each
# answer awaited (3 s) and compared: ADDR PORT SIZE...
readonly UDPT_ECHO_CLIENT='
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i, size in enumerate(int(a) for a in sys.argv[3:]):
    line = b"egressd shadowsocks udp datagram %d " % i
    data = (line * (size // len(line) + 1))[:size]
    s.sendto(data, (addr, port))
    got, _ = s.recvfrom(65535)
    if got != data:
        sys.exit("datagram %d: echo differs (%d bytes back, %d sent)" % (i, len(got), size))
    print("datagram", i, size, "ok", flush=True)
'

# udpt_vm_udp_listening PORT: something listens on udp PORT in the VM.
udpt_vm_udp_listening() {
    [[ -n "$(ip netns exec "$VM_NS" ss -Hlnu "sport = :$1" 2>/dev/null)" ]]
}

# shadowsocks-libev's UDP relay: ss-server -u on 192.0.2.1:8389 and, in the
# VM, ss-tunnel -u listening on 127.0.0.1:5300 with its fixed destination
# 127.0.0.1:7777 (the server's loopback, where the echo service runs), both
# with chacha20-ietf-poly1305 and a fresh password.  Every datagram the
# client sends to the tunnel goes to ss-server as one AEAD datagram (salt,
# encrypted target address and payload, tag) and the echo comes back the
# same way; ss-server reaches the echo service over its own loopback, so
# only the ss-tunnel <-> ss-server datagrams are on the veth.  -u also opens
# the TCP relay, which nothing uses.
run_shadowsocks_udp() {
    local d=$TMP/shadowsocks-udp pw
    local -a sizes=(17 64 150 333 777 1200)
    need ss-server shadowsocks-libev
    need ss-tunnel shadowsocks-libev
    [[ -x "$UDPT_PY" ]] || die "missing program: $UDPT_PY (apt-get install python3)"
    mkdir -p "$d"
    pw=$(openssl rand -base64 18)
    start_srv echo "$UDPT_PY" -c "$UDPT_ECHO" 127.0.0.1 7777 "${#sizes[@]}" 40
    wait_listen echo u 7777
    start_srv ss-server ss-server -s "$SRV_IP" -p 8389 -k "$pw" \
        -m chacha20-ietf-poly1305 -u -t 30 -v
    wait_listen ss-server u 8389
    start_vm ss-tunnel ss-tunnel -s "$SRV_IP" -p 8389 -b 127.0.0.1 -l 5300 \
        -L 127.0.0.1:7777 -k "$pw" -m chacha20-ietf-poly1305 -u -t 30 -v
    wait_until 10 udpt_vm_udp_listening 5300 || {
        cat "$TMP/ss-tunnel.log" >&2
        die "ss-tunnel did not start listening on 127.0.0.1:5300/udp"
    }

    cap_start "$d/cap.pcap"
    run_vm 30 "$UDPT_PY" -c "$UDPT_ECHO_CLIENT" 127.0.0.1 5300 "${sizes[@]}" \
        >"$d/client.log" 2>&1 || {
        cat "$d/client.log" "$TMP/ss-tunnel.log" "$TMP/ss-server.log" \
            "$TMP/echo.log" >&2
        die "datagrams through ss-tunnel failed"
    }
    cap_stop
    (($(grep -c ' ok$' "$d/client.log") == ${#sizes[@]})) || {
        cat "$d/client.log" >&2
        die "not every datagram came back through ss-tunnel"
    }
    check_capture "$d/cap.pcap" ""
    (($(count_packets "$d/cap.pcap" "udp and src host $VM_IP and dst port 8389") == ${#sizes[@]})) ||
        die "$d/cap.pcap: want ${#sizes[@]} datagrams to ss-server"
    (($(count_packets "$d/cap.pcap" "udp and src host $SRV_IP and src port 8389") == ${#sizes[@]})) ||
        die "$d/cap.pcap: want ${#sizes[@]} datagrams from ss-server"
    # Encrypted: the payload must not be visible on the wire.
    ! grep -aqF "egressd shadowsocks udp" "$d/cap.pcap" ||
        die "$d/cap.pcap: the datagrams are in clear"
    CAPTURE=$d/cap.pcap
}
