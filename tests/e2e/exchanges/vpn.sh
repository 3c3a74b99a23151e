# shellcheck shell=bash
# shellcheck disable=SC2015,SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by record-captures.sh; A && B || die is meant
# VPNs and proxies beyond the built-in ones of record-captures.sh: IKEv2
# (strongSwan charon + swanctl) on udp/500 and with forced NAT traversal
# (udp/4500, UDP-encapsulated ESP), the L2TPv2 control connection (xl2tpd),
# the PPTP control connection (pptpd + pptp-linux), SOCKS5 with RFC 1929
# username/password authentication (dante-server), squid and privoxy as
# HTTP proxies (CONNECT and plain absolute-URI GETs).  Sourced by
# record-captures.sh, whose helpers it uses.
#
# Packages (Debian 12): strongswan-charon strongswan-swanctl
# libcharon-extra-plugins (kernel-libipsec) xl2tpd pptpd pptp-linux ppp
# dante-server squid privoxy.
#
# The test kernel has no ESP, AH, PPP, L2TP or GRE support
# (CONFIG_INET_ESP, CONFIG_PPP, CONFIG_L2TP, CONFIG_NET_IPGRE_DEMUX unset),
# which shapes the VPN exchanges; see each one.

ALL_NAMES+=(socks5-auth squid-connect privoxy ipsec-ikev2 ipsec-natt l2tp
    pptp)

# vpn_cert DIR CN: a throwaway self-signed P-256 certificate for an HTTPS
# server, DIR/key.pem and DIR/cert.pem.
vpn_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
        -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# ------------------------------------------------------------ socks5-auth --

# dante-server 1.4.2 (danted) on 192.0.2.1:1443 (not 1080) requiring SOCKS5
# method 0x02, username/password (RFC 1929), checked against the system
# account database.  The account exists only for danted: it runs in its own
# mount namespace where $d/passwd and $d/shadow (with a throwaway user and
# a random password) are bind-mounted over /etc/passwd and /etc/shadow.
# curl fetches a file with the right password, then tries once with a wrong
# one (danted refuses with status 0x01 and closes).
run_socks5_auth() {
    local d=$TMP/socks5-auth pw
    need danted dante-server
    mkdir -p "$d/www"
    printf 'egressd socks5 auth capture payload %s\n' {1..32} >"$d/www/hello.txt"
    pw=$(openssl rand -hex 8)
    cp /etc/passwd "$d/passwd"
    echo "egdsocks:x:60123:60123:egressd test:/nonexistent:/usr/sbin/nologin" >>"$d/passwd"
    cp /etc/shadow "$d/shadow"
    echo "egdsocks:$(openssl passwd -6 "$pw"):19000:0:99999:7:::" >>"$d/shadow"
    chmod 0640 "$d/shadow"
    cat >"$d/danted.conf" <<EOF
logoutput: stderr
internal: $SRV_IP port = 1443
external: $SRV_IP
socksmethod: username
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
    from: 192.0.2.0/24 to: 0.0.0.0/0
    log: connect disconnect error
}
socks pass {
    from: 192.0.2.0/24 to: 0.0.0.0/0
    command: connect
    socksmethod: username
    log: connect disconnect error
}
EOF
    start_srv danted unshare -m --propagation private sh -c '
        mount --bind "$1/passwd" /etc/passwd &&
        mount --bind "$1/shadow" /etc/shadow &&
        exec danted -N 1 -f "$1/danted.conf" -p "$1/danted.pid"' sh "$d"
    start_srv http python3 -m http.server --bind "$SRV_IP" 8080 \
        --directory "$d/www"
    wait_listen danted t 1443
    wait_listen http t 8080

    cap_start "$d/cap.pcap"
    run_vm 20 curl -q -sS --fail --connect-timeout 5 \
        --socks5 "egdsocks:$pw@$SRV_IP:1443" \
        -o "$d/got.txt" "http://$SRV_IP:8080/hello.txt" || {
        cat "$TMP/danted.log" "$TMP/http.log" >&2
        die "socks5-auth download failed"
    }
    sleep 0.3
    if run_vm 20 curl -q -sS --fail --connect-timeout 5 \
        --socks5 "egdsocks:wrong-$pw@$SRV_IP:1443" \
        -o "$d/bad.txt" "http://$SRV_IP:8080/hello.txt" 2>"$d/bad.err"; then
        die "socks5-auth: danted accepted a wrong password"
    fi
    cap_stop
    cmp -s "$d/www/hello.txt" "$d/got.txt" || die "socks5-auth download differs"
    grep -q 'authentication failed\|authentication fail\|User was rejected' "$d/bad.err" || {
        cat "$d/bad.err" >&2
        die "socks5-auth: curl did not report a refused login"
    }
    # RFC 1929 request: version 1, ULEN 8, "egdsocks".
    check_capture "$d/cap.pcap" $'\x01\x08egdsocks'
    (($(count_packets "$d/cap.pcap" "tcp[tcpflags] == tcp-syn and dst port 1443") == 2)) ||
        die "$d/cap.pcap: want two connections to danted"
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------------- squid-connect --

# squid 5.7 listening on 192.0.2.1:3128 and :8443, memory cache only, no
# ICP/HTCP: curl --proxytunnel makes a CONNECT through each port to
# openssl s_server (HTTPS on 443) and fetches a file inside the TLS
# session, then fetches a file from a plain HTTP server (python3
# http.server on 8080) with an absolute-URI GET through :3128.  squid runs
# as user proxy, which cannot write into $TMP: its log goes to stderr (-d 1)
# and it keeps no access log.
run_squid_connect() {
    local d=$TMP/squid-connect
    need squid squid
    mkdir -p "$d/www"
    vpn_cert "$d" secure.example.test
    head -c 6144 /dev/urandom >"$d/www/file"
    printf 'egressd squid plain payload %s\n' {1..32} >"$d/www/plain.txt"
    cat >"$d/squid.conf" <<EOF
http_port $SRV_IP:3128
http_port $SRV_IP:8443
icp_port 0
htcp_port 0
acl vm src 192.0.2.0/24
acl SSL_ports port 443
acl CONNECT method CONNECT
http_access deny CONNECT !SSL_ports
http_access allow vm
http_access deny all
cache deny all
cache_mem 8 MB
pid_filename none
cache_log /dev/null
access_log none
coredump_dir none
cache_effective_user proxy
visible_hostname proxy.example.test
dns_nameservers 127.0.0.1
shutdown_lifetime 1 seconds
EOF
    start_srv squid squid -N -d 1 -f "$d/squid.conf"
    start_srv s_server env -C "$d/www" openssl s_server -quiet \
        -accept "$SRV_IP:443" -cert "$d/cert.pem" -key "$d/key.pem" -WWW
    start_srv http python3 -m http.server --bind "$SRV_IP" 8080 \
        --directory "$d/www"
    wait_listen squid t 3128
    wait_listen squid t 8443
    wait_listen s_server t 443
    wait_listen http t 8080

    cap_start "$d/cap.pcap"
    run_vm 20 curl -q -sS --fail -k --connect-timeout 5 -p \
        --proxy "http://$SRV_IP:3128" -o "$d/got1" \
        "https://$SRV_IP/file" &&
        run_vm 20 curl -q -sS --fail -k --connect-timeout 5 -p \
            --proxy "http://$SRV_IP:8443" -o "$d/got2" \
            "https://$SRV_IP/file" &&
        run_vm 20 curl -q -sS --fail --connect-timeout 5 \
            --proxy "http://$SRV_IP:3128" -o "$d/got3" \
            "http://$SRV_IP:8080/plain.txt" || {
        cat "$TMP/squid.log" "$TMP/s_server.log" >&2
        die "download through squid failed"
    }
    cap_stop
    cmp -s "$d/www/file" "$d/got1" && cmp -s "$d/www/file" "$d/got2" &&
        cmp -s "$d/www/plain.txt" "$d/got3" || die "squid downloads differ"
    check_capture "$d/cap.pcap" "CONNECT $SRV_IP:443 HTTP/1.1"
    grep -aqF "GET http://$SRV_IP:8080/plain.txt HTTP/1.1" "$d/cap.pcap" ||
        die "$d/cap.pcap: no absolute-URI GET"
    grep -aqF "Via: 1.1 proxy.example.test (squid/" "$d/cap.pcap" ||
        die "$d/cap.pcap: no squid Via header"
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------------------- privoxy --

# privoxy 3.0.34 on 192.0.2.1:8281 (not 8118), no action or filter files:
# curl fetches a file from python3 http.server (absolute-URI GET) and one
# over HTTPS from openssl s_server through a CONNECT tunnel.
run_privoxy() {
    local d=$TMP/privoxy
    need privoxy privoxy
    mkdir -p "$d/www"
    vpn_cert "$d" intranet.example.test
    head -c 6144 /dev/urandom >"$d/www/file"
    printf 'egressd privoxy plain payload %s\n' {1..32} >"$d/www/plain.txt"
    cat >"$d/privoxy.conf" <<EOF
confdir $d
logdir $d
listen-address $SRV_IP:8281
toggle 0
enable-remote-toggle 0
enable-edit-actions 0
accept-intercepted-requests 0
forwarded-connect-retries 0
debug 1
debug 4096
EOF
    start_srv privoxy privoxy --no-daemon "$d/privoxy.conf"
    start_srv s_server env -C "$d/www" openssl s_server -quiet \
        -accept "$SRV_IP:443" -cert "$d/cert.pem" -key "$d/key.pem" -WWW
    start_srv http python3 -m http.server --bind "$SRV_IP" 8080 \
        --directory "$d/www"
    wait_listen privoxy t 8281
    wait_listen s_server t 443
    wait_listen http t 8080

    cap_start "$d/cap.pcap"
    run_vm 20 curl -q -sS --fail --connect-timeout 5 \
        --proxy "http://$SRV_IP:8281" -o "$d/got1" \
        "http://$SRV_IP:8080/plain.txt" &&
        run_vm 20 curl -q -sS --fail -k --connect-timeout 5 \
            --proxy "http://$SRV_IP:8281" -o "$d/got2" \
            "https://$SRV_IP/file" || {
        cat "$TMP/privoxy.log" "$TMP/s_server.log" >&2
        die "download through privoxy failed"
    }
    cap_stop
    cmp -s "$d/www/plain.txt" "$d/got1" && cmp -s "$d/www/file" "$d/got2" ||
        die "privoxy downloads differ"
    check_capture "$d/cap.pcap" "CONNECT $SRV_IP:443 HTTP/1.1"
    grep -aqF "GET http://$SRV_IP:8080/plain.txt HTTP/1.1" "$d/cap.pcap" ||
        die "$d/cap.pcap: no absolute-URI GET"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------ IPsec --

# ipsec_charon DIR SIDE NS-RUNNER PLUGINS: writes DIR/SIDE/strongswan.conf
# (only PLUGINS loaded, log to stderr, vici socket DIR/SIDE/charon.vici)
# and starts charon 5.9.8 in the namespace (start_srv or start_vm as
# NS-RUNNER, log $TMP/charon-SIDE.log).  Each charon runs in its own mount
# namespace with DIR/SIDE/run over /run, so the two daemons do not see each
# other's /run/charon.pid (the path is compiled in).
ipsec_charon() { # DIR SIDE START_FN PLUGINS
    local s=$1/$2
    mkdir -p "$s/run"
    cat >"$s/strongswan.conf" <<EOF
charon {
    load = $4
    port = 500
    port_nat_t = 4500
    install_virtual_ip = no
    retransmit_tries = 3
    filelog {
        stderr {
            default = 1
            ike = 2
            knl = 2
            time_format = %T
        }
    }
    plugins {
        vici {
            socket = unix://$s/charon.vici
        }
    }
}
EOF
    "$3" "charon-$2" unshare -m --propagation private sh -c '
        mount --bind "$1/run" /run &&
        exec env STRONGSWAN_CONF="$1/strongswan.conf" /usr/lib/ipsec/charon' \
        sh "$s"
}

ipsec_vici_up() { [[ -S "$1/charon.vici" ]]; }

# ipsec_swanctl_conf FILE LOCAL-ID REMOTE-ID LOCAL-ADDR REMOTE-ADDR
#   LOCAL-TS REMOTE-TS PSK ENCAP: an IKEv2 connection "egd" with PSK
# authentication and one tunnel-mode CHILD_SA "net" between LOCAL-TS and
# REMOTE-TS.  Without MOBIKE, which would move IKE_AUTH to udp/4500 even
# with no NAT in the way.
ipsec_swanctl_conf() {
    cat >"$1" <<EOF
connections {
    egd {
        version = 2
        local_addrs = $4
        remote_addrs = $5
        encap = $9
        mobike = no
        dpd_delay = 0
        local {
            auth = psk
            id = $2
        }
        remote {
            auth = psk
            id = $3
        }
        children {
            net {
                local_ts = $6
                remote_ts = $7
                mode = tunnel
                start_action = none
            }
        }
    }
}
secrets {
    ike-egd {
        id-vm = vm.example.test
        id-gw = gw.example.test
        secret = 0x$8
    }
}
EOF
}

# ipsec_exchange NAME ENCAP PLUGINS: two charons (the VM initiates, the
# server responds) negotiate IKEv2 with a pre-shared key generated now;
# the CHILD_SA joins 203.0.113.10/32 (on the VM's lo) and 198.51.100.1/32
# (on the server's lo).  Sets IPSEC_D to the exchange's directory.
ipsec_exchange() { # NAME ENCAP PLUGINS
    local d=$TMP/$1 psk
    IPSEC_D=$d
    need /usr/lib/ipsec/charon strongswan-charon
    need swanctl strongswan-swanctl
    mkdir -p "$d"
    psk=$(openssl rand -hex 32)
    ip -n "$VM_NS" addr add 203.0.113.10/32 dev lo
    ip -n "$SRV_NS" addr add 198.51.100.1/32 dev lo
    ipsec_swanctl_conf "$d/vm.conf" vm.example.test gw.example.test \
        "$VM_IP" "$SRV_IP" 203.0.113.10/32 198.51.100.1/32 "$psk" "$2"
    ipsec_swanctl_conf "$d/srv.conf" gw.example.test vm.example.test \
        "$SRV_IP" "$VM_IP" 198.51.100.1/32 203.0.113.10/32 "$psk" "$2"
    ipsec_charon "$d" srv start_srv "$3"
    ipsec_charon "$d" vm start_vm "$3"
    wait_until 10 ipsec_vici_up "$d/srv" && wait_until 10 ipsec_vici_up "$d/vm" || {
        cat "$TMP/charon-srv.log" "$TMP/charon-vm.log" >&2
        die "$1: charon did not start"
    }
    wait_listen charon-srv u 500
    swanctl --load-all --noprompt --file "$d/srv.conf" \
        --uri "unix://$d/srv/charon.vici" >"$d/load-srv.log" 2>&1 &&
        swanctl --load-all --noprompt --file "$d/vm.conf" \
            --uri "unix://$d/vm/charon.vici" >"$d/load-vm.log" 2>&1 || {
        cat "$d"/load-*.log >&2
        die "$1: swanctl could not load the configuration"
    }
}

IPSEC_PLUGINS="random nonce openssl pem pkcs1 x509 pubkey aes sha1 sha2 hmac gcm kdf socket-default vici"

ipsec_established() { log_has charon-vm "CHILD_SA net{1} established"; }

# IKEv2 on udp/500 with the kernel's XFRM (kernel-netlink).  The test
# kernel has no ESP (CONFIG_INET_ESP unset: "ip xfrm state add ... proto
# esp" fails), so no ESP packet can be made: the capture holds the IKE
# exchanges only -- IKE_SA_INIT and IKE_AUTH on udp/500 (no NAT, so no
# float to 4500), the IKE_SA established, the CHILD_SA's installation
# failing in the kernel, then the VM's INFORMATIONAL delete of the IKE_SA.
run_ipsec_ikev2() {
    local d
    ipsec_exchange ipsec-ikev2 no "$IPSEC_PLUGINS kernel-netlink"
    d=$IPSEC_D
    cap_start "$d/cap.pcap"
    run_vm 20 swanctl --initiate --child net --timeout 10 \
        --uri "unix://$d/vm/charon.vici" >"$d/initiate.log" 2>&1 || true
    wait_until 5 log_has charon-vm "IKE_SA egd[1] established" || {
        cat "$d/initiate.log" "$TMP/charon-srv.log" "$TMP/charon-vm.log" >&2
        die "ipsec-ikev2: IKE_SA not established"
    }
    run_vm 20 swanctl --terminate --ike egd --timeout 10 \
        --uri "unix://$d/vm/charon.vici" >"$d/terminate.log" 2>&1 || true
    cap_stop
    check_capture "$d/cap.pcap" ""
    (($(count_packets "$d/cap.pcap" "udp port 500") >= 4)) || {
        cat "$TMP/charon-srv.log" "$TMP/charon-vm.log" >&2
        die "$d/cap.pcap: too few IKE packets on udp/500"
    }
    CAPTURE=$d/cap.pcap
}

# IKEv2 with NAT traversal forced (encap = yes: the initiator fakes its
# NAT_DETECTION_SOURCE_IP hash), ESP in userspace (the kernel-libipsec
# plugin, a TUN device ipsec0 in each namespace; it sends ESP in UDP only,
# which suits this exchange): IKE_SA_INIT on udp/500, IKE_AUTH and the rest
# on udp/4500 after the four-byte non-ESP marker, then ten pings between
# 203.0.113.10 and 198.51.100.1 as UDP-encapsulated ESP on 4500.
run_ipsec_natt() {
    local d
    need_tun
    ipsec_exchange ipsec-natt yes "$IPSEC_PLUGINS kernel-libipsec kernel-netlink"
    d=$IPSEC_D
    cap_start "$d/cap.pcap"
    run_vm 20 swanctl --initiate --child net --timeout 10 \
        --uri "unix://$d/vm/charon.vici" >"$d/initiate.log" 2>&1 || {
        cat "$d/initiate.log" "$TMP/charon-srv.log" "$TMP/charon-vm.log" >&2
        die "ipsec-natt: swanctl --initiate failed"
    }
    wait_until 5 ipsec_established || {
        cat "$TMP/charon-srv.log" "$TMP/charon-vm.log" >&2
        die "ipsec-natt: CHILD_SA not established"
    }
    run_vm 20 ping -n -c 10 -i 0.2 -W 2 -I 203.0.113.10 198.51.100.1 \
        >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" "$TMP/charon-srv.log" "$TMP/charon-vm.log" >&2
        die "ipsec-natt: no ping answer through the tunnel"
    }
    grep -q ' 10 received' "$d/ping.out" || {
        cat "$d/ping.out" >&2
        die "ipsec-natt: pings lost in the tunnel"
    }
    run_vm 20 swanctl --terminate --ike egd --timeout 10 \
        --uri "unix://$d/vm/charon.vici" >"$d/terminate.log" 2>&1 || true
    cap_stop
    check_capture "$d/cap.pcap" ""
    (($(count_packets "$d/cap.pcap" "udp port 500") >= 2)) ||
        die "$d/cap.pcap: no IKE_SA_INIT on udp/500"
    # UDP-encapsulated ESP: a non-zero SPI where IKE has its zero marker.
    (($(count_packets "$d/cap.pcap" "udp port 4500 and udp[8:4] != 0") >= 20)) ||
        die "$d/cap.pcap: too few ESP-in-UDP packets"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------- L2TP --

# xl2tpd 1.3.18 as LNS (server) and LAC (VM), plain L2TPv2 on udp/1701, no
# IPsec, no tunnel authentication.  The LAC dials at start (autodial): the
# control connection (SCCRQ, SCCRP, SCCCN, ZLB acks) and an incoming call
# (ICRQ, ICRP, ICCN) come up in userspace.  Each side then starts pppd for
# the session, which exits at once (no /dev/ppp: the test kernel has no
# CONFIG_PPP), so no PPP frame follows and the LNS tears the call down
# (CDN); the LAC is stopped then (it sends no StopCCN on SIGTERM).  The Host Name AVPs are set (hostname =) so
# the machine's own name stays out of the capture.
l2tp_tunnel_up() { grep -q 'Connection established to 192.0.2.1' "$TMP/xl2tpd-lac.log"; }
l2tp_call_done() { grep -q 'Call established\|call_close\|Disconnecting call' "$TMP/xl2tpd-lac.log"; }

run_l2tp() {
    local d=$TMP/l2tp vm_pid
    need xl2tpd xl2tpd
    mkdir -p "$d"
    printf 'noauth\nnodefaultroute\n' >"$d/options"
    cat >"$d/lns.conf" <<EOF
[global]
listen-addr = $SRV_IP
port = 1701
access control = no
auth file = $d/l2tp-secrets
[lns default]
ip range = 10.12.0.2-10.12.0.9
local ip = 10.12.0.1
require authentication = no
refuse chap = yes
refuse pap = yes
length bit = yes
name = lns.example.test
hostname = lns.example.test
pppoptfile = $d/options
EOF
    cat >"$d/lac.conf" <<EOF
[global]
listen-addr = $VM_IP
port = 1701
auth file = $d/l2tp-secrets
[lac egd]
lns = $SRV_IP
autodial = yes
redial = no
require authentication = no
refuse chap = yes
refuse pap = yes
length bit = yes
name = lac.example.test
hostname = lac.example.test
pppoptfile = $d/options
EOF
    : >"$d/l2tp-secrets"
    chmod 0600 "$d/l2tp-secrets"
    start_srv xl2tpd-lns xl2tpd -D -c "$d/lns.conf" -p "$d/lns.pid" \
        -C "$d/lns-control"
    wait_listen xl2tpd-lns u 1701

    cap_start "$d/cap.pcap"
    start_vm xl2tpd-lac xl2tpd -D -c "$d/lac.conf" -p "$d/lac.pid" \
        -C "$d/lac-control"
    vm_pid=$!
    wait_until 15 l2tp_tunnel_up || {
        cat "$TMP/xl2tpd-lns.log" "$TMP/xl2tpd-lac.log" >&2
        die "l2tp: control connection did not come up"
    }
    wait_until 10 l2tp_call_done || true
    sleep 0.5
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" "lac.example.test"
    grep -aqF "lns.example.test" "$d/cap.pcap" || die "$d/cap.pcap: no SCCRP"
    (($(count_packets "$d/cap.pcap" "udp port 1701") >= 6)) ||
        die "$d/cap.pcap: too few L2TP packets"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------- PPTP --

# pptpd 1.4.0 (server, with pptpctrl) and pptp-linux 1.10.0 (VM): the PPTP
# control connection on tcp/1723 -- Start-Control-Connection-Request and
# -Reply, Outgoing-Call-Request and -Reply (magic cookie 0x1a2b3c4d).  Both
# ends then start pppd for the call, which exits at once (no /dev/ppp: the
# test kernel has no CONFIG_PPP), so no GRE (PPP) packet is ever sent:
# pptpctrl closes the connection, pptp answers with Call-Clear-Request.
# pptp runs in its own mount namespace with $d/run over /run (its call
# manager's socket lives in /run/pptp).  pptpd logs only to syslog.
pptp_closed() { # FILE: the server closed the control connection
    (($(count_packets "$1" "tcp src port 1723 and tcp[tcpflags] & tcp-fin != 0") >= 1))
}

run_pptp() {
    local d=$TMP/pptp vm_pid
    need pptpd pptpd
    need pptp pptp-linux
    need pppd ppp
    mkdir -p "$d/run/pptp"
    printf 'name pptpd\nrefuse-pap\nrefuse-chap\nrequire-mschap-v2\nnodefaultroute\n' \
        >"$d/pptpd-options"
    cat >"$d/pptpd.conf" <<EOF
option $d/pptpd-options
localip 10.13.0.1
remoteip 10.13.0.2-9
EOF
    start_srv pptpd pptpd -f -c "$d/pptpd.conf" -l "$SRV_IP" -p "$d/pptpd.pid"
    wait_listen pptpd t 1723

    cap_start "$d/cap.pcap"
    start_vm pptp unshare -m --propagation private sh -c '
        mount --bind "$1/run" /run &&
        exec pptp "$2" --debug --nohostroute --loglevel 1 nodetach noauth \
            user egdvpn' sh "$d" "$SRV_IP"
    vm_pid=$!
    wait_until 15 pptp_closed "$d/cap.pcap" || {
        cat "$TMP/pptp.log" "$TMP/pptpd.log" >&2
        die "pptp: the control connection did not run its course"
    }
    sleep 0.5
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" $'\x1a\x2b\x3c\x4d\x00\x01'
    grep -aqF $'\x1a\x2b\x3c\x4d\x00\x08' "$d/cap.pcap" ||
        die "$d/cap.pcap: no Outgoing-Call-Reply"
    CAPTURE=$d/cap.pcap
}
