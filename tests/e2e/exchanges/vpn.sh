# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by record-captures.sh
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
