# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by record-captures.sh
# Tunnels and remote access beyond the built-in ones of record-captures.sh:
# an ICMP tunnel (ptunnel), WireGuard (wireguard-go), SSH as a VPN
# (sshuttle) and as a SOCKS proxy (ssh -D) next to an interactive SSH
# session, TCP over DNS (dns2tcp) and an AnyConnect-style TLS VPN (ocserv
# + openconnect), with its DTLS channel and without (openconnect-tls: the
# tunnel over the TLS connection only).  Sourced by record-captures.sh,
# whose helpers it uses.
# (hans, the other ICMP tunnel, is not packaged in Debian 12.)
#
# Destinations "behind" a tunnel are on the server namespace's loopback:
# 127.0.0.1 (what the tunnel's far end connects to) or 198.51.100.1/32
# (TEST-NET-2, for the SSH cases, where the VM routes 198.51.100.0/24 to the
# server so an unredirected packet would show on the veth and fail
# check_capture).  Inner tunnel addresses use 10.10.0.0/24 (WireGuard) and
# 10.11.0.0/24 (ocserv); only the outer packets cross the veth.

ALL_NAMES+=(ptunnel wireguard-go sshuttle ssh-socks ssh-interactive dns2tcp
    openconnect openconnect-tls iodine-raw)

# iodine in its default raw mode (record-captures.sh's iodine_exchange).
run_iodine_raw() { iodine_exchange raw; }

# A plain HTTP server for the tunnels' far end: python3 http.server on
# ADDR:PORT serving DIR (log in $TMP/NAME.log).
tun_http() { # NAME ADDR PORT DIR
    start_srv "$1" python3 -m http.server --bind "$2" --directory "$4" "$3"
    wait_listen "$1" t "$3"
}

# tun_sshd DIR: an sshd on 192.0.2.1:22 like run_ssh's, with its own keys
# in DIR, but with TCP forwarding allowed (the tunnel cases).  The client
# options for a matching ssh are in TUN_SSH (an array).
tun_sshd() {
    local d=$1
    key_sshd "$d" "$SRV_IP" "AllowTcpForwarding yes" "PermitTTY yes"
    TUN_SSH=(-F /dev/null -i "$d/client_key" -o IdentitiesOnly=yes
        -o IdentityAgent=none -o StrictHostKeyChecking=no
        -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5
        -o LogLevel=ERROR)
}

# tun_objects DIR: five small HTTP objects (1, 2, 4, 8, 16 KB) in DIR/www.
tun_objects() {
    local k
    mkdir -p "$1/www"
    for k in 1 2 4 8 16; do
        head -c $((k * 1024)) /dev/urandom >"$1/www/obj$k.bin"
    done
}

# tun_fetch_objects DIR CURL-ARGS... -- URL-PREFIX: fetch the five objects
# with one curl (one connection, keep-alive) and compare them.
tun_fetch_objects() {
    local d=$1 k
    local -a args=() urls=()
    shift
    while [[ "$1" != -- ]]; do args+=("$1"); shift; done
    shift
    for k in 1 2 4 8 16; do
        urls+=(-o "$d/got$k.bin" "$1/obj$k.bin")
    done
    run_vm 20 curl -q -sS --fail --connect-timeout 5 "${args[@]}" \
        "${urls[@]}" || return 1
    for k in 1 2 4 8 16; do
        cmp -s "$d/www/obj$k.bin" "$d/got$k.bin" || return 1
    done
}

# ------------------------------------------------------------- ptunnel --

# ptunnel 0.72 (Ping Tunnel): TCP carried in ICMP echo requests and
# replies.  The proxy runs in the server namespace (raw ICMP socket, root),
# the client in the VM listens on 127.0.0.1:8000 and forwards to
# 127.0.0.1:8080 as seen from the proxy, an HTTP server there; curl fetches
# 12 KB through it.  Both ends use a password (-x, MD5 challenge/response).
# The server's kernel also answers the echo requests itself, as any host
# not told otherwise would.
tun_port_open() { ip netns exec "$VM_NS" ss -Hltn "sport = :$1" | grep -q .; }

run_ptunnel() {
    local d=$TMP/ptunnel vm_pid pw
    need ptunnel ptunnel
    mkdir -p "$d/www"
    head -c 12288 /dev/urandom >"$d/www/file"
    pw=$(openssl rand -hex 8)
    tun_http http 127.0.0.1 8080 "$d/www"
    start_srv ptunnel-srv ptunnel -x "$pw" -v 1
    sleep 0.5

    cap_start "$d/cap.pcap"
    start_vm ptunnel-vm ptunnel -p "$SRV_IP" -lp 8000 -da 127.0.0.1 -dp 8080 \
        -x "$pw" -v 1
    vm_pid=$!
    wait_until 10 tun_port_open 8000 || {
        cat "$TMP/ptunnel-vm.log" >&2
        die "ptunnel client does not listen"
    }
    run_vm 20 curl -q -sS --fail --connect-timeout 5 -o "$d/got" \
        "http://127.0.0.1:8000/file" || {
        cat "$TMP/ptunnel-vm.log" "$TMP/ptunnel-srv.log" >&2
        die "download through ptunnel failed"
    }
    sleep 0.5
    stop_pid "$vm_pid"
    cap_stop
    cmp -s "$d/www/file" "$d/got" || die "ptunnel download differs"
    check_capture "$d/cap.pcap" "GET /file HTTP/1.1"
    (($(count_packets "$d/cap.pcap" "icmp[icmptype] == icmp-echo") >= 5)) ||
        die "$d/cap.pcap: too few ICMP echo requests"
    (($(count_packets "$d/cap.pcap" "icmp[icmptype] == icmp-echoreply and src host $SRV_IP and greater 1000") >= 10)) ||
        die "$d/cap.pcap: too few full ICMP echo replies"
    CAPTURE=$d/cap.pcap
}

# -------------------------------------------------------- wireguard-go --

# wireguard-go (userspace WireGuard) in both namespaces, configured with
# wg; the server listens on UDP 51000 (not the usual 51820), the VM's
# endpoint is that port.  Ten pings cross the tunnel.  The interfaces carry
# the script's PID: wg finds a userspace interface by its socket under
# /var/run/wireguard, which the namespaces share.
tun_wg_up() { [[ -S /var/run/wireguard/$1.sock ]]; }

run_wireguard_go() {
    local d=$TMP/wireguard-go srv_if=egwg$$s vm_if=egwg$$v vm_pid
    need wireguard-go wireguard-go
    need wg wireguard-tools
    need_tun
    mkdir -p "$d"
    (umask 077 && wg genkey >"$d/srv.key" && wg genkey >"$d/vm.key")
    wg pubkey <"$d/srv.key" >"$d/srv.pub"
    wg pubkey <"$d/vm.key" >"$d/vm.pub"
    start_srv wg-srv env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose \
        wireguard-go -f "$srv_if"
    wait_until 10 tun_wg_up "$srv_if" || {
        cat "$TMP/wg-srv.log" >&2
        die "wireguard-go (server) did not start"
    }
    in_srv wg set "$srv_if" listen-port 51000 private-key "$d/srv.key" \
        peer "$(<"$d/vm.pub")" allowed-ips 10.10.0.2/32
    ip -n "$SRV_NS" addr add 10.10.0.1/24 dev "$srv_if"
    ip -n "$SRV_NS" link set "$srv_if" up
    wait_listen wg-srv u 51000

    start_vm wg-vm env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose \
        wireguard-go -f "$vm_if"
    vm_pid=$!
    wait_until 10 tun_wg_up "$vm_if" || {
        cat "$TMP/wg-vm.log" >&2
        die "wireguard-go (VM) did not start"
    }
    ip netns exec "$VM_NS" wg set "$vm_if" private-key "$d/vm.key" \
        peer "$(<"$d/srv.pub")" endpoint "$SRV_IP:51000" \
        allowed-ips 10.10.0.0/24
    ip -n "$VM_NS" addr add 10.10.0.2/24 dev "$vm_if"
    ip -n "$VM_NS" link set "$vm_if" up

    cap_start "$d/cap.pcap"
    run_vm 20 ping -n -c 10 -i 0.2 -W 3 10.10.0.1 >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" "$TMP/wg-srv.log" "$TMP/wg-vm.log" >&2
        die "no ping answer through the wireguard tunnel"
    }
    grep -q ' 10 received' "$d/ping.out" || {
        cat "$d/ping.out" >&2
        die "pings lost in the wireguard tunnel"
    }
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" ""
    # A handshake initiation (type 1, 148 bytes of UDP payload) and
    # response (type 2, 92 bytes), then transport data (type 4).
    (($(count_packets "$d/cap.pcap" "udp port 51000 and udp[8] == 1 and udp[4:2] == 156") >= 1)) ||
        die "$d/cap.pcap: no WireGuard handshake initiation"
    (($(count_packets "$d/cap.pcap" "udp port 51000 and udp[8] == 4") >= 20)) ||
        die "$d/cap.pcap: too few WireGuard data packets"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------- SSH tunnels --

# sshuttle 1.1.1 (the "poor man's VPN"): from the VM through sshd on the
# server, for 198.51.100.0/24 (--method nat: iptables REDIRECT in the VM
# namespace).  sshuttle starts its own Python server over the SSH session;
# curl then fetches five objects (1-16 KB) from 198.51.100.1:8080.
run_sshuttle() {
    local d=$TMP/sshuttle vm_pid
    need sshuttle sshuttle
    need iptables iptables
    mkdir -p "$d"
    tun_objects "$d"
    ip -n "$SRV_NS" addr add 198.51.100.1/32 dev lo
    ip -n "$VM_NS" route add 198.51.100.0/24 via "$SRV_IP"
    tun_http http 198.51.100.1 8080 "$d/www"
    tun_sshd "$d"

    cap_start "$d/cap.pcap"
    start_vm sshuttle sshuttle --method nat --disable-ipv6 -v \
        -e "ssh ${TUN_SSH[*]}" -r "root@$SRV_IP" 198.51.100.0/24
    vm_pid=$!
    wait_until 15 log_has sshuttle 'Connected to server' || {
        cat "$TMP/sshuttle.log" "$TMP/sshd.log" >&2
        die "sshuttle did not connect"
    }
    sleep 0.3
    tun_fetch_objects "$d" -- "http://198.51.100.1:8080" || {
        cat "$TMP/sshuttle.log" >&2
        die "downloads through sshuttle failed"
    }
    sleep 0.3
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" "SSH-2.0-"
    CAPTURE=$d/cap.pcap
}

# ssh -D: OpenSSH's dynamic (SOCKS) forward on the VM's 127.0.0.1:1080,
# curl fetching the same five objects as run_sshuttle through it
# (--socks5-hostname), over one SSH connection.
run_ssh_socks() {
    local d=$TMP/ssh-socks vm_pid
    mkdir -p "$d"
    tun_objects "$d"
    ip -n "$SRV_NS" addr add 198.51.100.1/32 dev lo
    ip -n "$VM_NS" route add 198.51.100.0/24 via "$SRV_IP"
    tun_http http 198.51.100.1 8080 "$d/www"
    tun_sshd "$d"

    cap_start "$d/cap.pcap"
    start_vm ssh-d ssh "${TUN_SSH[@]}" -o ExitOnForwardFailure=yes -N \
        -D 127.0.0.1:1080 "root@$SRV_IP"
    vm_pid=$!
    wait_until 10 tun_port_open 1080 || {
        cat "$TMP/ssh-d.log" "$TMP/sshd.log" >&2
        die "ssh -D does not listen"
    }
    tun_fetch_objects "$d" --socks5-hostname 127.0.0.1:1080 -- \
        "http://198.51.100.1:8080" || {
        cat "$TMP/ssh-d.log" >&2
        die "downloads through ssh -D failed"
    }
    sleep 0.3
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" "SSH-2.0-"
    CAPTURE=$d/cap.pcap
}

# An interactive SSH session: ssh -tt (a pty on the server, bash echoing)
# with a typist that sends 30 short commands one keystroke at a time
# (50 ms apart, every keystroke its own write, so its own SSH packet),
# waiting 0.2 s after each Enter, then "exit".
run_ssh_interactive() {
    local d=$TMP/ssh-interactive
    mkdir -p "$d"
    tun_sshd "$d"
    cat >"$d/commands" <<'EOF'
pwd
id
ls /
date
uname -s
echo ok
whoami
ls -d /tmp
true
echo $HOME
uptime
cd /tmp
pwd
ls -ld .
echo a b c
hostname
cd
type ls
echo $((6 * 7))
printf 'x\n'
echo done1
ls /etc | head -3
test -d / && echo y
echo $SHELL
umask
expr 2 + 3
echo "hi"
date +%Y
echo end
cat /etc/hostname
exit
EOF
    cat >"$d/typist.py" <<'EOF'
import os, sys, time
time.sleep(1.5)                      # the login and the first prompt
for line in open(sys.argv[1]):
    for ch in line:
        os.write(1, ch.encode())
        time.sleep(0.05)
    time.sleep(0.2)
time.sleep(1)
EOF

    cap_start "$d/cap.pcap"
    run_vm 40 bash -c 'python3 "$1" "$2" | ssh "${@:5}" -tt "root@$4" \
        >"$3" 2>&1' _ "$d/typist.py" "$d/commands" "$d/out" "$SRV_IP" \
        "${TUN_SSH[@]}" || {
        cat "$d/out" "$TMP/sshd.log" >&2
        die "interactive ssh session failed"
    }
    cap_stop
    # (42 is only in the shell's answer, never in what was typed.)
    if ! grep -q 'logout' "$d/out" || ! grep -q '42' "$d/out"; then
        cat "$d/out" >&2
        die "interactive ssh session output incomplete"
    fi
    check_capture "$d/cap.pcap" "SSH-2.0-"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------- dns2tcp --

# dns2tcp 0.5.2: dns2tcpd answers for t2.example.test on 192.0.2.1:53 (as
# the zone's authoritative server; the VM queries it directly, no
# resolver between) and forwards its resource "http" to 127.0.0.1:8080;
# dns2tcpc in the VM (TXT queries, the default, pre-shared key -k) binds
# 127.0.0.1:8000 for it, and curl fetches 3 KB through the tunnel.
run_dns2tcp() {
    local d=$TMP/dns2tcp vm_pid key
    need dns2tcpd dns2tcp
    need dns2tcpc dns2tcp
    mkdir -p "$d/www" "$d/chroot"
    head -c 3072 /dev/urandom >"$d/www/file"
    key=$(openssl rand -hex 8)
    tun_http http 127.0.0.1 8080 "$d/www"
    cat >"$d/dns2tcpd.conf" <<EOF2
listen = $SRV_IP
port = 53
user = nobody
chroot = $d/chroot
domain = t2.example.test
key = $key
resources = http:127.0.0.1:8080
EOF2
    start_srv dns2tcpd dns2tcpd -F -d 1 -f "$d/dns2tcpd.conf"
    wait_listen dns2tcpd u 53

    cap_start "$d/cap.pcap"
    start_vm dns2tcpc dns2tcpc -z t2.example.test -k "$key" -r http \
        -l 8000 -d 1 "$SRV_IP"
    vm_pid=$!
    wait_until 10 tun_port_open 8000 || {
        cat "$TMP/dns2tcpc.log" "$TMP/dns2tcpd.log" >&2
        die "dns2tcpc does not listen"
    }
    run_vm 20 curl -q -sS --fail --connect-timeout 5 -o "$d/got" \
        "http://127.0.0.1:8000/file" || {
        cat "$TMP/dns2tcpc.log" "$TMP/dns2tcpd.log" >&2
        die "download through dns2tcp failed"
    }
    sleep 0.3
    stop_pid "$vm_pid"
    cap_stop
    cmp -s "$d/www/file" "$d/got" || die "dns2tcp download differs"
    check_capture "$d/cap.pcap" $'\x02t2\x07example\x04test'
    (($(count_packets "$d/cap.pcap" "udp dst port 53") >= 20)) ||
        die "$d/cap.pcap: too few DNS queries"
    CAPTURE=$d/cap.pcap
}

# --------------------------------------------------------- openconnect --

# The VM's side of an openconnect tunnel: openconnect calls this instead of
# vpnc-script (which would rewrite the shared /etc/resolv.conf) to put the
# address it was given on its tun device.
tun_vpnc_script() { # FILE
    cat >"$1" <<'EOF2'
#!/bin/sh
case "$reason" in
connect)
    ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
    ip link set dev "$TUNDEV" up mtu "${INTERNAL_IP4_MTU:-1300}"
    ip route add 10.11.0.0/24 dev "$TUNDEV"
    ;;
esac
exit 0
EOF2
    chmod 0755 "$1"
}

oc_connected() { # DEV
    log_has openconnect 'Configured as ' &&
        ip -n "$VM_NS" -4 -o addr show dev "$1" 2>/dev/null | grep -q ' inet 10\.11\.0\.'
}

# ocserv 1.1.6 (the open source AnyConnect server) on TCP and UDP 10443
# (not 443) with a self-signed certificate for vpn.example.test and a plain
# password file; openconnect 9.01 (--protocol=anyconnect) logs in as user
# egd with the password on stdin to https://vpn.example.test:10443/
# (--resolve: the name, so the SNI, without DNS), pins the certificate's
# key, and pings the server's tunnel address 10.11.0.1 ten times.
# openconnect tries the DTLS channel (UDP 10443) once the HTTPS CONNECT
# channel is up; whether it came up is logged ("Established DTLS
# connection").  ocserv's workers stay root: as nobody they could not reach
# sec-mod's socket inside the script's private (0700) temporary directory.
# openconnect_exchange NAME [no-dtls]: that exchange; with no-dtls
# openconnect is run with --no-dtls (ocserv still offers DTLS), so the
# tunnel's packets travel over the TLS (CSTP) connection only and no UDP
# may be on the wire.
openconnect_exchange() {
    local name=$1 d=$TMP/$1 vm_pid pin pw vm_if=egoc$$v
    local -a dtls=()
    [[ "${2:-}" != no-dtls ]] || dtls=(--no-dtls)
    need ocserv ocserv
    need openconnect openconnect
    need_tun
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
        -subj "/O=Example Test VPN/CN=vpn.example.test" \
        -addext subjectAltName=DNS:vpn.example.test \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    pin=$(openssl x509 -in "$d/cert.pem" -pubkey -noout |
        openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64)
    pw=$(openssl rand -hex 8)
    printf '%s\n' "$pw" >"$d/password"
    printf 'egd:*:%s\n' "$(openssl passwd -6 "$pw")" >"$d/ocpasswd"
    tun_vpnc_script "$d/vpnc-script"
    cat >"$d/ocserv.conf" <<EOF2
auth = "plain[passwd=$d/ocpasswd]"
listen-host = $SRV_IP
tcp-port = 10443
udp-port = 10443
run-as-user = root
run-as-group = root
socket-file = $d/ocserv.sock
pid-file = $d/ocserv.pid
use-occtl = false
isolate-workers = false
server-cert = $d/cert.pem
server-key = $d/key.pem
max-clients = 4
max-same-clients = 2
keepalive = 32400
dpd = 90
try-mtu-discovery = false
auth-timeout = 40
cookie-timeout = 300
device = vpns
predictable-ips = true
ipv4-network = 10.11.0.0
ipv4-netmask = 255.255.255.0
route = 10.11.0.0/24
cisco-client-compat = true
dtls-legacy = true
log-level = 2
EOF2
    start_srv ocserv ocserv -f -c "$d/ocserv.conf"
    wait_listen ocserv t 10443

    cap_start "$d/cap.pcap"
    start_vm openconnect bash -c 'exec openconnect --protocol=anyconnect \
        --non-inter --passwd-on-stdin -u egd --servercert "pin-sha256:$1" \
        --script "$2" --interface "$3" --resolve "vpn.example.test:$4" \
        "${@:6}" "https://vpn.example.test:10443/" <"$5"' _ \
        "$pin" "$d/vpnc-script" "$vm_if" "$SRV_IP" "$d/password" "${dtls[@]}"
    vm_pid=$!
    wait_until 15 oc_connected "$vm_if" || {
        cat "$TMP/openconnect.log" "$TMP/ocserv.log" >&2
        die "openconnect did not connect"
    }
    # Give DTLS its chance before the pings.
    ((${#dtls[@]})) ||
        wait_until 5 log_has openconnect 'Established DTLS connection' || true
    run_vm 20 ping -n -c 10 -i 0.2 -W 3 10.11.0.1 >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" "$TMP/openconnect.log" "$TMP/ocserv.log" >&2
        die "no ping answer through the openconnect tunnel"
    }
    grep -q ' 10 received' "$d/ping.out" || {
        cat "$d/ping.out" >&2
        die "pings lost in the openconnect tunnel"
    }
    stop_pid "$vm_pid"
    cap_stop
    if log_has openconnect 'Established DTLS connection'; then
        ((${#dtls[@]} == 0)) || die "$name: a DTLS channel despite --no-dtls"
        log "$name: DTLS channel up"
    else
        log "$name: no DTLS channel, data over the TLS connection"
    fi
    check_capture "$d/cap.pcap" "vpn.example.test"
    if ((${#dtls[@]})); then
        (($(count_packets "$d/cap.pcap" "udp") == 0)) ||
            die "$d/cap.pcap: UDP packets despite --no-dtls"
    fi
    CAPTURE=$d/cap.pcap
}

run_openconnect() { openconnect_exchange openconnect; }
run_openconnect_tls() { openconnect_exchange openconnect-tls no-dtls; }
