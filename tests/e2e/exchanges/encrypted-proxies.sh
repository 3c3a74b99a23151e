# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# Encrypted proxies that hide inside random-looking or TLS streams, recorded
# with the real programs (sourced by record-captures.sh, whose helpers these
# functions use):
#   shadowsocks-aead  shadowsocks-libev ss-server + ss-local, three AEAD
#                     ciphers (aes-128-gcm on 443, aes-256-gcm on 8000,
#                     chacha20-ietf-poly1305 on 5222), two connections each
#   shadowsocks-v6    the same over IPv6 with chacha20-ietf-poly1305 on 993
#   vmess-tcp         v2ray VMess over plain TCP on 8880
#   vmess-ws-tls      v2ray VMess over WebSocket inside TLS on 443 (self-signed
#                     certificate, the client allows it)
#   vless-tcp         v2ray VLESS over plain TCP on 2053
#   v2ray-mkcp        v2ray VMess over mKCP (UDP, header "none", no seed) on
#                     7443
#   v2ray-quic        v2ray VMess over its QUIC transport (security "none",
#                     header "none", so plain QUIC v1 with v2ray's built-in
#                     certificate) on UDP 8443
#   trojan            trojan-gfw server (self-signed certificate, fallback to a
#                     local HTTP server) and client on 443
# In every exchange curl on the VM talks SOCKS5 to the proxy client on the
# VM's loopback (not on the veth), which carries the request to the proxy
# server at 192.0.2.1 (or 2001:db8::1); the proxy server fetches a small file
# from a Python HTTP server in its own namespace (over its loopback or local
# address, not on the veth either).  So the captures hold only the
# VM -> proxy server flows.  Passwords, UUIDs, keys and certificates are
# made afresh in $TMP at record time.

ALL_NAMES+=(shadowsocks-aead shadowsocks-v6 vmess-tcp vmess-ws-tls vless-tcp
    v2ray-mkcp v2ray-quic trojan)

# proxy_www DIR: a small file to fetch through the proxies (8 KB of text,
# so the reply is a few full-sized segments).
proxy_www() {
    mkdir -p "$1/www"
    printf 'egressd encrypted proxy capture payload line %03d\n' {1..160} \
        >"$1/www/data.txt"
}

# proxy_fetch DIR SOCKSPORT URL TAG: curl through the SOCKS5 inbound on the
# VM's loopback, then compare the download.
proxy_fetch() {
    local d=$1 port=$2 url=$3 tag=$4
    run_vm 20 curl -q -sS --fail --connect-timeout 5 --max-time 15 \
        --socks5 "127.0.0.1:$port" -o "$d/got-$tag" "$url" 2>"$d/curl-$tag.log" || {
        cat "$d/curl-$tag.log" "$TMP"/*.log >&2
        die "download through $tag failed"
    }
    cmp -s "$d/www/data.txt" "$d/got-$tag" || die "download through $tag differs"
}

# vm_listening PORT: something listens on 127.0.0.1:PORT in the VM.
vm_listening() {
    [[ -n "$(ip netns exec "$VM_NS" ss -Hlnt "sport = :$1" 2>/dev/null)" ]]
}

wait_vm_listen() { # NAME PORT
    wait_until 10 vm_listening "$2" || {
        cat "$TMP/$1.log" >&2 2>/dev/null || true
        die "$1 did not start listening on 127.0.0.1:$2"
    }
}

# vm_conns_closed PORT: the VM holds no connection to PORT any more (the
# proxy client has closed its server connections, so the capture ends with
# their FINs).
vm_conns_closed() {
    [[ -z "$(ip netns exec "$VM_NS" ss -Htn state established \
        state fin-wait-1 state fin-wait-2 state close-wait state last-ack \
        state closing "dport = :$1" 2>/dev/null)" ]]
}

# vm_udp_closed PORT: the VM holds no UDP socket connected to PORT any more
# (v2ray's mKCP dialer uses one connected socket per session, closed once
# the session has terminated; its QUIC dialer uses an unconnected socket,
# not seen here, and keeps the QUIC connection open for reuse).
vm_udp_closed() {
    [[ -z "$(ip netns exec "$VM_NS" ss -Hun "dport = :$1" 2>/dev/null)" ]]
}

# check_conns FILE PORT N: at least N connections from the VM to PORT.
check_conns() {
    local n
    n=$(count_packets "$1" "src host $VM_IP and tcp[tcpflags] == tcp-syn and dst port $2")
    ((n >= $3)) || die "$1: $n connections to port $2, want $3"
}

# selfsigned DIR CN: an EC P-256 self-signed certificate for CN.
selfsigned() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
        -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# ------------------------------------------------------------ shadowsocks --

# shadowsocks-libev: one ss-server per cipher on the server, one ss-local
# (SOCKS5 on the VM's loopback) per server; curl downloads the file twice
# through each.  ss-server reaches the HTTP server at 192.0.2.1:8080 over
# the server namespace's own stack, so only the VM <-> ss-server flows are
# on the veth.
run_shadowsocks_aead() {
    local d=$TMP/shadowsocks-aead pw i spec cipher port lport
    local -a specs=(aes-128-gcm:443:1081 aes-256-gcm:8000:1082
        chacha20-ietf-poly1305:5222:1083)
    need ss-server shadowsocks-libev
    need ss-local shadowsocks-libev
    mkdir -p "$d"
    proxy_www "$d"
    pw=$(openssl rand -base64 18)
    start_srv http python3 -m http.server --bind "$SRV_IP" 8080 \
        --directory "$d/www"
    wait_listen http t 8080
    for spec in "${specs[@]}"; do
        IFS=: read -r cipher port lport <<<"$spec"
        start_srv "ss-server-$port" ss-server -s "$SRV_IP" -p "$port" \
            -k "$pw" -m "$cipher" -t 30 -v
        wait_listen "ss-server-$port" t "$port"
        start_vm "ss-local-$lport" ss-local -s "$SRV_IP" -p "$port" \
            -b 127.0.0.1 -l "$lport" -k "$pw" -m "$cipher" -t 30 -v
        wait_vm_listen "ss-local-$lport" "$lport"
    done

    cap_start "$d/cap.pcap"
    for spec in "${specs[@]}"; do
        IFS=: read -r cipher port lport <<<"$spec"
        for i in 1 2; do
            proxy_fetch "$d" "$lport" "http://$SRV_IP:8080/data.txt" \
                "$cipher-$i"
        done
    done
    cap_stop
    for spec in "${specs[@]}"; do
        IFS=: read -r cipher port lport <<<"$spec"
        check_conns "$d/cap.pcap" "$port" 2
        log_has "ss-server-$port" "connect to $SRV_IP:8080" || {
            cat "$TMP/ss-server-$port.log" >&2
            die "ss-server ($cipher) never connected to the HTTP server"
        }
    done
    check_capture "$d/cap.pcap" ""
    # Encrypted: the request must not be visible on the wire.
    ! grep -aqF "GET /data.txt" "$d/cap.pcap" ||
        die "$d/cap.pcap: the HTTP request is in clear"
    CAPTURE=$d/cap.pcap
}

# check_capture_v6 FILE: only IPv6 between the two test addresses, besides
# the link's own ICMPv6 (neighbour discovery, and MLD reports to ff02::16,
# which carry a hop-by-hop header that tcpdump's "icmp6" does not match).
check_capture_v6() {
    local stray
    stray=$(tcpdump -r "$1" -nn "not (icmp6 or ip6 dst net ff02::/16 or
        (ip6 and (src host $VM_IP6 or src host $SRV_IP6) and
        (dst host $VM_IP6 or dst host $SRV_IP6)))" 2>/dev/null | wc -l)
    ((stray == 0)) || die "$1: $stray packets not between $VM_IP6 and $SRV_IP6"
    (($(count_packets "$1" "ip6 and tcp") > 10)) || die "$1: too few TCP/IPv6 packets"
}

# shadowsocks-libev over IPv6: chacha20-ietf-poly1305 on port 993, two
# downloads from an HTTP server on [2001:db8::1]:8080.
run_shadowsocks_v6() {
    local d=$TMP/shadowsocks-v6 pw i
    need ss-server shadowsocks-libev
    need ss-local shadowsocks-libev
    mkdir -p "$d"
    net_v6
    proxy_www "$d"
    pw=$(openssl rand -base64 18)
    start_srv http python3 -m http.server --bind "$SRV_IP6" 8080 \
        --directory "$d/www"
    wait_listen http t 8080
    start_srv ss-server ss-server -6 -s "$SRV_IP6" -p 993 -k "$pw" \
        -m chacha20-ietf-poly1305 -t 30 -v
    wait_listen ss-server t 993
    start_vm ss-local ss-local -6 -s "$SRV_IP6" -p 993 -b 127.0.0.1 -l 1081 \
        -k "$pw" -m chacha20-ietf-poly1305 -t 30 -v
    wait_vm_listen ss-local 1081
    # Let the link's IPv6 start-up chatter (MLD reports) pass first.
    sleep 1

    cap_start "$d/cap.pcap"
    for i in 1 2; do
        proxy_fetch "$d" 1081 "http://[$SRV_IP6]:8080/data.txt" "ss-v6-$i"
    done
    cap_stop
    log_has ss-server "connect to [$SRV_IP6]:8080" || {
        cat "$TMP/ss-server.log" >&2
        die "ss-server never connected to the HTTP server"
    }
    check_capture_v6 "$d/cap.pcap"
    (($(count_packets "$d/cap.pcap" "ip6 and src host $VM_IP6 and dst port 993 and ip6[53] & 2 != 0") >= 2)) ||
        die "$d/cap.pcap: fewer than 2 connections to [$SRV_IP6]:993"
    ! grep -aqF "GET /data.txt" "$d/cap.pcap" ||
        die "$d/cap.pcap: the HTTP request is in clear"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------ v2ray --

# v2ray_exchange NAME PORT INBOUND_JSON OUTBOUND_JSON [clear] [udp]: v2ray
# 4.x as server (INBOUND on 192.0.2.1:PORT, freedom outbound) and as client
# (SOCKS inbound on 127.0.0.1:1080 in the VM, OUTBOUND to the server); curl
# downloads the file twice through the client.  The JSON fragments are
# complete "inbound"/"outbound" objects (protocol, settings, streamSettings).
# With "clear" (VLESS, which does not encrypt) the HTTP request must be
# visible inside the proxy stream, otherwise it must not.  With "udp" (the
# mKCP and QUIC transports) the server listens on UDP PORT, and the capture
# must hold datagrams both ways instead of a TCP connection.
v2ray_exchange() {
    local name=$1 port=$2 inbound=$3 outbound=$4 d=$TMP/$1 i opt
    local clear="" proto=t
    for opt in "${@:5}"; do
        case $opt in
        clear) clear=clear ;;
        udp) proto=u ;;
        *) die "v2ray_exchange: unknown option $opt" ;;
        esac
    done
    need v2ray v2ray
    start_srv http python3 -m http.server --bind 127.0.0.1 8080 \
        --directory "$d/www"
    wait_listen http t 8080
    cat >"$d/server.json" <<EOF
{
  "log": {"loglevel": "info"},
  "inbounds": [$inbound],
  "outbounds": [{"protocol": "freedom", "settings": {}}]
}
EOF
    cat >"$d/client.json" <<EOF
{
  "log": {"loglevel": "info"},
  "inbounds": [{"listen": "127.0.0.1", "port": 1080, "protocol": "socks",
                "settings": {"auth": "noauth", "udp": false}}],
  "outbounds": [$outbound]
}
EOF
    v2ray -test -config "$d/server.json" >"$d/test-server.log" 2>&1 || {
        cat "$d/test-server.log" >&2
        die "$name: v2ray rejects the server configuration"
    }
    v2ray -test -config "$d/client.json" >"$d/test-client.log" 2>&1 || {
        cat "$d/test-client.log" >&2
        die "$name: v2ray rejects the client configuration"
    }
    start_srv v2ray-srv env V2RAY_LOCATION_ASSET="$d" v2ray -config "$d/server.json"
    wait_listen v2ray-srv "$proto" "$port"
    start_vm v2ray-vm env V2RAY_LOCATION_ASSET="$d" v2ray -config "$d/client.json"
    wait_vm_listen v2ray-vm 1080

    cap_start "$d/cap.pcap"
    for i in 1 2; do
        proxy_fetch "$d" 1080 "http://127.0.0.1:8080/data.txt" "$name-$i"
    done
    # v2ray closes an idle VLESS connection only after a few seconds.
    if [[ "$proto" == u ]]; then
        wait_until 20 vm_udp_closed "$port" || log "$name: sessions still open"
    else
        wait_until 10 vm_conns_closed "$port" || log "$name: connections still open"
    fi
    cap_stop
    log_has v2ray-srv "accepted tcp:127.0.0.1:8080" || {
        cat "$TMP/v2ray-srv.log" >&2
        die "$name: the v2ray server never accepted the request"
    }
    check_capture "$d/cap.pcap" ""
    if [[ "$proto" == u ]]; then
        (($(count_packets "$d/cap.pcap" "udp and src host $VM_IP and dst port $port") >= 4)) ||
            die "$d/cap.pcap: too few datagrams to UDP $port"
        (($(count_packets "$d/cap.pcap" "udp and src host $SRV_IP and src port $port") >= 4)) ||
            die "$d/cap.pcap: too few datagrams from UDP $port"
    else
        check_conns "$d/cap.pcap" "$port" 1
    fi
    if [[ "$clear" == clear ]]; then
        grep -aqF "GET /data.txt" "$d/cap.pcap" ||
            die "$d/cap.pcap: the HTTP request is not in clear"
    else
        ! grep -aqF "GET /data.txt" "$d/cap.pcap" ||
            die "$d/cap.pcap: the HTTP request is in clear"
    fi
    CAPTURE=$d/cap.pcap
}

# VMess (AEAD header: alterId 0) over plain TCP on port 8880.
run_vmess_tcp() {
    local d=$TMP/vmess-tcp id
    mkdir -p "$d"
    proxy_www "$d"
    id=$(cat /proc/sys/kernel/random/uuid)
    v2ray_exchange vmess-tcp 8880 "
    {\"listen\": \"$SRV_IP\", \"port\": 8880, \"protocol\": \"vmess\",
     \"settings\": {\"clients\": [{\"id\": \"$id\", \"alterId\": 0}]}}" "
    {\"protocol\": \"vmess\",
     \"settings\": {\"vnext\": [{\"address\": \"$SRV_IP\", \"port\": 8880,
       \"users\": [{\"id\": \"$id\", \"alterId\": 0, \"security\": \"aes-128-gcm\"}]}]}}"
}

# VMess over WebSocket (path /egd-ws) inside TLS on port 443, server name
# cdn.example.test, self-signed certificate (client: allowInsecure).
run_vmess_ws_tls() {
    local d=$TMP/vmess-ws-tls id
    mkdir -p "$d"
    proxy_www "$d"
    selfsigned "$d" cdn.example.test
    id=$(cat /proc/sys/kernel/random/uuid)
    v2ray_exchange vmess-ws-tls 443 "
    {\"listen\": \"$SRV_IP\", \"port\": 443, \"protocol\": \"vmess\",
     \"settings\": {\"clients\": [{\"id\": \"$id\", \"alterId\": 0}]},
     \"streamSettings\": {\"network\": \"ws\", \"security\": \"tls\",
       \"wsSettings\": {\"path\": \"/egd-ws\"},
       \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$d/cert.pem\",
                                             \"keyFile\": \"$d/key.pem\"}]}}}" "
    {\"protocol\": \"vmess\",
     \"settings\": {\"vnext\": [{\"address\": \"$SRV_IP\", \"port\": 443,
       \"users\": [{\"id\": \"$id\", \"alterId\": 0, \"security\": \"auto\"}]}]},
     \"streamSettings\": {\"network\": \"ws\", \"security\": \"tls\",
       \"wsSettings\": {\"path\": \"/egd-ws\",
                        \"headers\": {\"Host\": \"cdn.example.test\"}},
       \"tlsSettings\": {\"serverName\": \"cdn.example.test\", \"allowInsecure\": true}}}"
    check_capture "$TMP/vmess-ws-tls/cap.pcap" "cdn.example.test"
}

# VLESS (v2ray >= 4.27; no encryption of its own, so the proxied HTTP
# request is in clear after VLESS's header) over plain TCP on 2053.
run_vless_tcp() {
    local d=$TMP/vless-tcp id
    mkdir -p "$d"
    proxy_www "$d"
    id=$(cat /proc/sys/kernel/random/uuid)
    v2ray_exchange vless-tcp 2053 "
    {\"listen\": \"$SRV_IP\", \"port\": 2053, \"protocol\": \"vless\",
     \"settings\": {\"clients\": [{\"id\": \"$id\"}], \"decryption\": \"none\"}}" "
    {\"protocol\": \"vless\",
     \"settings\": {\"vnext\": [{\"address\": \"$SRV_IP\", \"port\": 2053,
       \"users\": [{\"id\": \"$id\", \"encryption\": \"none\"}]}]}}" clear
}

# VMess (as in run_vmess_tcp) over mKCP on UDP 7443: v2ray's defaults
# (header type "none", so no packet disguise, and no seed, so no
# obfuscation key beyond mKCP's fixed one).
run_v2ray_mkcp() {
    local d=$TMP/v2ray-mkcp id
    mkdir -p "$d"
    proxy_www "$d"
    id=$(cat /proc/sys/kernel/random/uuid)
    v2ray_exchange v2ray-mkcp 7443 "
    {\"listen\": \"$SRV_IP\", \"port\": 7443, \"protocol\": \"vmess\",
     \"settings\": {\"clients\": [{\"id\": \"$id\", \"alterId\": 0}]},
     \"streamSettings\": {\"network\": \"kcp\"}}" "
    {\"protocol\": \"vmess\",
     \"settings\": {\"vnext\": [{\"address\": \"$SRV_IP\", \"port\": 7443,
       \"users\": [{\"id\": \"$id\", \"alterId\": 0, \"security\": \"aes-128-gcm\"}]}]},
     \"streamSettings\": {\"network\": \"kcp\"}}" udp
}

# VMess (as in run_vmess_tcp) over v2ray's QUIC transport on UDP 8443,
# quicSettings security "none" and header "none" (the documented defaults,
# given explicitly: v2ray 4.34 without quicSettings seals every datagram
# with AES-128-GCM under an empty key), so the packets are plain QUIC v1;
# its TLS 1.3 handshake uses the certificate v2ray makes up when none is
# configured (server name quic.internal.v2ray.com).
run_v2ray_quic() {
    local d=$TMP/v2ray-quic id
    local qs='{"security": "none", "header": {"type": "none"}}'
    mkdir -p "$d"
    proxy_www "$d"
    id=$(cat /proc/sys/kernel/random/uuid)
    v2ray_exchange v2ray-quic 8443 "
    {\"listen\": \"$SRV_IP\", \"port\": 8443, \"protocol\": \"vmess\",
     \"settings\": {\"clients\": [{\"id\": \"$id\", \"alterId\": 0}]},
     \"streamSettings\": {\"network\": \"quic\", \"quicSettings\": $qs}}" "
    {\"protocol\": \"vmess\",
     \"settings\": {\"vnext\": [{\"address\": \"$SRV_IP\", \"port\": 8443,
       \"users\": [{\"id\": \"$id\", \"alterId\": 0, \"security\": \"aes-128-gcm\"}]}]},
     \"streamSettings\": {\"network\": \"quic\", \"quicSettings\": $qs}}" udp
}

# ----------------------------------------------------------------- trojan --

# trojan-gfw: the server on 443 with a self-signed certificate for
# www.example.test; anything that is not a trojan request falls back to a
# plain HTTP server on 127.0.0.1:8080 (checked once before the capture with
# an ordinary HTTPS request).  The client exposes SOCKS5 on the VM's
# loopback; curl downloads the file twice through it.
run_trojan() {
    local d=$TMP/trojan pw i
    need trojan trojan
    mkdir -p "$d"
    proxy_www "$d"
    printf 'egressd trojan fallback page\n' >"$d/www/index.html"
    selfsigned "$d" www.example.test
    pw=$(openssl rand -hex 12)
    start_srv http python3 -m http.server --bind 127.0.0.1 8080 \
        --directory "$d/www"
    wait_listen http t 8080
    cat >"$d/server.json" <<EOF
{
  "run_type": "server",
  "local_addr": "$SRV_IP",
  "local_port": 443,
  "remote_addr": "127.0.0.1",
  "remote_port": 8080,
  "password": ["$pw"],
  "log_level": 1,
  "ssl": {"cert": "$d/cert.pem", "key": "$d/key.pem",
          "alpn": ["http/1.1"], "session_ticket": false, "reuse_session": true},
  "tcp": {"no_delay": true, "keep_alive": true, "fast_open": false}
}
EOF
    cat >"$d/client.json" <<EOF
{
  "run_type": "client",
  "local_addr": "127.0.0.1",
  "local_port": 1080,
  "remote_addr": "$SRV_IP",
  "remote_port": 443,
  "password": ["$pw"],
  "log_level": 1,
  "ssl": {"verify": false, "verify_hostname": false, "sni": "www.example.test"},
  "tcp": {"no_delay": true, "keep_alive": true, "fast_open": false}
}
EOF
    start_srv trojan-srv trojan -c "$d/server.json"
    wait_listen trojan-srv t 443
    # The fallback: a request that is not trojan's gets the HTTP server.
    run_vm 10 curl -q -sS --fail -k --connect-timeout 5 \
        --resolve "www.example.test:443:$SRV_IP" -o "$d/fallback" \
        https://www.example.test/ || {
        cat "$TMP/trojan-srv.log" >&2
        die "trojan's fallback did not answer"
    }
    grep -q 'trojan fallback page' "$d/fallback" || die "trojan's fallback page differs"
    start_vm trojan-vm trojan -c "$d/client.json"
    wait_vm_listen trojan-vm 1080

    cap_start "$d/cap.pcap"
    for i in 1 2; do
        proxy_fetch "$d" 1080 "http://127.0.0.1:8080/data.txt" "trojan-$i"
    done
    wait_until 10 vm_conns_closed 443 || log "trojan: connections still open"
    cap_stop
    log_has trojan-srv "authenticated as" || {
        cat "$TMP/trojan-srv.log" >&2
        die "trojan: the server never authenticated the client"
    }
    check_capture "$d/cap.pcap" "www.example.test"
    check_conns "$d/cap.pcap" 443 2
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------- HTTPS inside proxies --
#
# The same proxies, but carrying what their users mostly carry: HTTPS.  In
# each of these curl fetches three small files (4000, 9000 and 15000 random
# bytes) from an HTTPS server, nginx with a self-signed certificate for
# www.example.test, over three separate curl runs, so three
# separate inner TLS handshakes (with their ClientHello, server flight and
# Finished) travel inside the proxy's stream -- inside the outer TLS session
# for trojan, VMess over WebSocket+TLS and VLESS over TLS (what Xue et al.,
# USENIX Security 2024, look for), inside the AEAD stream for Shadowsocks:
#   trojan-https        trojan-gfw on 443 (outer SNI www.proxy.example.test)
#   vmess-ws-tls-https  VMess over WebSocket inside TLS on 443
#   vless-tls-https     VLESS over TLS on 443
#   shadowsocks-https   shadowsocks-libev, chacha20-ietf-poly1305 on 8388
#   benign-https-curl   the three fetches without a proxy, straight to the
#                       HTTPS server at 192.0.2.1:443, then again at :8443
# curl resolves www.example.test itself (--resolve) and hands the proxy an
# address: 127.0.0.1:443 in the server namespace, where the HTTPS server
# listens, so the proxy server's side of the fetch stays off the veth.
# curl checks no certificate (-k); the downloads are compared byte for
# byte, and the inner server name must not be visible on the wire.

ALL_NAMES+=(trojan-https vmess-ws-tls-https vless-tls-https shadowsocks-https
    benign-https-curl)

readonly HTTPS_FILES=(asset-1.bin asset-2.bin asset-3.bin)
readonly HTTPS_HOST=www.example.test

# https_www DIR: the three files to fetch (random, so incompressible).
https_www() {
    mkdir -p "$1/www"
    head -c 4000 /dev/urandom >"$1/www/asset-1.bin"
    head -c 9000 /dev/urandom >"$1/www/asset-2.bin"
    head -c 15000 /dev/urandom >"$1/www/asset-3.bin"
}

# srv_listening_on ADDR PORT: something listens on ADDR:PORT (TCP) in the
# server namespace (the proxy servers listen on the same port of another
# address).
srv_listening_on() {
    [[ -n "$(in_srv ss -Hlnt "src $1 and sport = :$2" 2>/dev/null)" ]]
}

# https_target DIR ADDR:PORT...: the HTTPS server, nginx (one master, one
# worker, HTTP/1.1, TLS 1.2 and 1.3: nginx 1.22 leaves 1.3 out by
# default) listening on every ADDR:PORT, serving DIR/www with a
# self-signed certificate for www.example.test made in DIR/inner.  (openssl
# s_server -WWW serves one connection at a time, and held a VLESS flow's
# inner handshake back ~0.5 s while v2ray kept the previous one open.)
# Its configuration, pid file, logs and temporary directories are in
# DIR/nginx; the worker stays root to read $TMP.
https_target() {
    local d=$1 l n=$1/nginx addr port
    need nginx nginx
    shift
    mkdir -p "$d/inner" "$n"
    [[ -s "$d/inner/cert.pem" ]] || selfsigned "$d/inner" "$HTTPS_HOST"
    {
        cat <<EOF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $n/nginx.pid;
error_log $n/error.log info;
events { worker_connections 64; }
http {
    access_log $n/access.log;
    client_body_temp_path $n/body;
    proxy_temp_path $n/proxy;
    fastcgi_temp_path $n/fastcgi;
    uwsgi_temp_path $n/uwsgi;
    scgi_temp_path $n/scgi;
    default_type application/octet-stream;
    server {
EOF
        for l in "$@"; do
            echo "        listen $l ssl;"
        done
        cat <<EOF
        server_name $HTTPS_HOST;
        ssl_certificate $d/inner/cert.pem;
        ssl_certificate_key $d/inner/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $d/www;
    }
}
EOF
    } >"$n/nginx.conf"
    in_srv nginx -t -q -e "$n/error.log" -p "$n" -c "$n/nginx.conf" 2>"$n/test.log" || {
        cat "$n/test.log" >&2
        die "nginx rejects its configuration"
    }
    start_srv nginx nginx -e "$n/error.log" -p "$n" -c "$n/nginx.conf"
    for l in "$@"; do
        addr=${l%:*} port=${l##*:}
        wait_until 10 srv_listening_on "$addr" "$port" || {
            cat "$TMP/nginx.log" "$n/error.log" >&2
            die "nginx did not start listening on $l"
        }
    done
}

# https_fetch3 DIR TAG ADDR PORT [SOCKSPORT]: the three downloads, one curl
# run (so one TLS connection) each, from https://www.example.test:PORT
# resolved to ADDR, through the SOCKS5 inbound on the VM's loopback at
# SOCKSPORT if given (curl resolves the name, the proxy gets ADDR), then
# compare them.
https_fetch3() {
    local d=$1 tag=$2 addr=$3 port=$4 socks=${5:-} f url
    local -a via=()
    [[ -z "$socks" ]] || via=(--socks5 "127.0.0.1:$socks")
    for f in "${HTTPS_FILES[@]}"; do
        url=https://$HTTPS_HOST/$f
        [[ "$port" == 443 ]] || url=https://$HTTPS_HOST:$port/$f
        run_vm 20 curl -q -sS --fail -k --connect-timeout 5 --max-time 15 \
            "${via[@]}" --resolve "$HTTPS_HOST:$port:$addr" \
            -o "$d/got-$tag-$f" "$url" 2>"$d/curl-$tag-$f.log" || {
            cat "$d/curl-$tag-$f.log" "$TMP"/*.log >&2
            die "$tag: download of $url failed"
        }
        cmp -s "$d/www/$f" "$d/got-$tag-$f" || die "$tag: download of $url differs"
    done
}

# check_inner_hidden FILE: neither the inner server name nor anything of
# the HTTP exchange is in clear.
check_inner_hidden() {
    ! grep -aqF "$HTTPS_HOST" "$1" || die "$1: the inner server name is in clear"
    ! grep -aqF "GET /asset-" "$1" || die "$1: the HTTP request is in clear"
}

# trojan-gfw as in run_trojan (the fallback to a local HTTP server stays
# configured, but is not exercised), outer SNI www.proxy.example.test.
run_trojan_https() {
    local d=$TMP/trojan-https pw
    need trojan trojan
    mkdir -p "$d"
    https_www "$d"
    selfsigned "$d" www.proxy.example.test
    pw=$(openssl rand -hex 12)
    cat >"$d/server.json" <<EOF
{
  "run_type": "server",
  "local_addr": "$SRV_IP",
  "local_port": 443,
  "remote_addr": "127.0.0.1",
  "remote_port": 8080,
  "password": ["$pw"],
  "log_level": 1,
  "ssl": {"cert": "$d/cert.pem", "key": "$d/key.pem",
          "alpn": ["http/1.1"], "session_ticket": false, "reuse_session": true},
  "tcp": {"no_delay": true, "keep_alive": true, "fast_open": false}
}
EOF
    cat >"$d/client.json" <<EOF
{
  "run_type": "client",
  "local_addr": "127.0.0.1",
  "local_port": 1080,
  "remote_addr": "$SRV_IP",
  "remote_port": 443,
  "password": ["$pw"],
  "log_level": 1,
  "ssl": {"verify": false, "verify_hostname": false,
          "sni": "www.proxy.example.test"},
  "tcp": {"no_delay": true, "keep_alive": true, "fast_open": false}
}
EOF
    start_srv http python3 -m http.server --bind 127.0.0.1 8080 --directory "$d/www"
    start_srv trojan-srv trojan -c "$d/server.json"
    wait_until 10 srv_listening_on "$SRV_IP" 443 || {
        cat "$TMP/trojan-srv.log" >&2
        die "trojan-srv did not start listening on $SRV_IP:443"
    }
    https_target "$d" 127.0.0.1:443
    start_vm trojan-vm trojan -c "$d/client.json"
    wait_vm_listen trojan-vm 1080

    cap_start "$d/cap.pcap"
    https_fetch3 "$d" trojan-https 127.0.0.1 443 1080
    wait_until 10 vm_conns_closed 443 || log "trojan-https: connections still open"
    cap_stop
    log_has trojan-srv "authenticated as" || {
        cat "$TMP/trojan-srv.log" >&2
        die "trojan-https: the server never authenticated the client"
    }
    log_has trojan-srv "127.0.0.1:443" || {
        cat "$TMP/trojan-srv.log" >&2
        die "trojan-https: the server never asked for 127.0.0.1:443"
    }
    check_capture "$d/cap.pcap" "www.proxy.example.test"
    check_conns "$d/cap.pcap" 443 3
    check_inner_hidden "$d/cap.pcap"
    CAPTURE=$d/cap.pcap
}

# v2ray_https_exchange NAME PORT INBOUND_JSON OUTBOUND_JSON: v2ray 4.x as
# server (INBOUND on 192.0.2.1:PORT, freedom outbound) and as client (SOCKS
# inbound on 127.0.0.1:1080 in the VM, OUTBOUND to the server), as in
# v2ray_exchange, but curl makes the three HTTPS downloads through it.
v2ray_https_exchange() {
    local name=$1 port=$2 inbound=$3 outbound=$4 d=$TMP/$1
    need v2ray v2ray
    cat >"$d/server.json" <<EOF
{
  "log": {"loglevel": "info"},
  "inbounds": [$inbound],
  "outbounds": [{"protocol": "freedom", "settings": {}}]
}
EOF
    cat >"$d/client.json" <<EOF
{
  "log": {"loglevel": "info"},
  "inbounds": [{"listen": "127.0.0.1", "port": 1080, "protocol": "socks",
                "settings": {"auth": "noauth", "udp": false}}],
  "outbounds": [$outbound]
}
EOF
    v2ray -test -config "$d/server.json" >"$d/test-server.log" 2>&1 || {
        cat "$d/test-server.log" >&2
        die "$name: v2ray rejects the server configuration"
    }
    v2ray -test -config "$d/client.json" >"$d/test-client.log" 2>&1 || {
        cat "$d/test-client.log" >&2
        die "$name: v2ray rejects the client configuration"
    }
    start_srv v2ray-srv env V2RAY_LOCATION_ASSET="$d" v2ray -config "$d/server.json"
    wait_until 10 srv_listening_on "$SRV_IP" "$port" || {
        cat "$TMP/v2ray-srv.log" >&2
        die "v2ray-srv did not start listening on $SRV_IP:$port"
    }
    https_target "$d" 127.0.0.1:443
    start_vm v2ray-vm env V2RAY_LOCATION_ASSET="$d" v2ray -config "$d/client.json"
    wait_vm_listen v2ray-vm 1080

    cap_start "$d/cap.pcap"
    https_fetch3 "$d" "$name" 127.0.0.1 443 1080
    wait_until 10 vm_conns_closed "$port" || log "$name: connections still open"
    cap_stop
    log_has v2ray-srv "accepted tcp:127.0.0.1:443" || {
        cat "$TMP/v2ray-srv.log" >&2
        die "$name: the v2ray server never accepted the request"
    }
    check_capture "$d/cap.pcap" ""
    check_conns "$d/cap.pcap" "$port" 3
    check_inner_hidden "$d/cap.pcap"
    CAPTURE=$d/cap.pcap
}

# VMess over WebSocket (path /egd-ws) inside TLS on 443, outer server name
# cdn.example.test, as in run_vmess_ws_tls.
run_vmess_ws_tls_https() {
    local d=$TMP/vmess-ws-tls-https id
    mkdir -p "$d"
    https_www "$d"
    selfsigned "$d" cdn.example.test
    id=$(cat /proc/sys/kernel/random/uuid)
    v2ray_https_exchange vmess-ws-tls-https 443 "
    {\"listen\": \"$SRV_IP\", \"port\": 443, \"protocol\": \"vmess\",
     \"settings\": {\"clients\": [{\"id\": \"$id\", \"alterId\": 0}]},
     \"streamSettings\": {\"network\": \"ws\", \"security\": \"tls\",
       \"wsSettings\": {\"path\": \"/egd-ws\"},
       \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$d/cert.pem\",
                                             \"keyFile\": \"$d/key.pem\"}]}}}" "
    {\"protocol\": \"vmess\",
     \"settings\": {\"vnext\": [{\"address\": \"$SRV_IP\", \"port\": 443,
       \"users\": [{\"id\": \"$id\", \"alterId\": 0, \"security\": \"auto\"}]}]},
     \"streamSettings\": {\"network\": \"ws\", \"security\": \"tls\",
       \"wsSettings\": {\"path\": \"/egd-ws\",
                        \"headers\": {\"Host\": \"cdn.example.test\"}},
       \"tlsSettings\": {\"serverName\": \"cdn.example.test\", \"allowInsecure\": true}}}"
    check_capture "$d/cap.pcap" "cdn.example.test"
}

# VLESS over TLS (plain TCP transport, "security": "tls") on 443, outer
# server name edge.example.test, self-signed (client: allowInsecure).
run_vless_tls_https() {
    local d=$TMP/vless-tls-https id
    mkdir -p "$d"
    https_www "$d"
    selfsigned "$d" edge.example.test
    id=$(cat /proc/sys/kernel/random/uuid)
    v2ray_https_exchange vless-tls-https 443 "
    {\"listen\": \"$SRV_IP\", \"port\": 443, \"protocol\": \"vless\",
     \"settings\": {\"clients\": [{\"id\": \"$id\"}], \"decryption\": \"none\"},
     \"streamSettings\": {\"network\": \"tcp\", \"security\": \"tls\",
       \"tlsSettings\": {\"certificates\": [{\"certificateFile\": \"$d/cert.pem\",
                                             \"keyFile\": \"$d/key.pem\"}]}}}" "
    {\"protocol\": \"vless\",
     \"settings\": {\"vnext\": [{\"address\": \"$SRV_IP\", \"port\": 443,
       \"users\": [{\"id\": \"$id\", \"encryption\": \"none\"}]}]},
     \"streamSettings\": {\"network\": \"tcp\", \"security\": \"tls\",
       \"tlsSettings\": {\"serverName\": \"edge.example.test\", \"allowInsecure\": true}}}"
    check_capture "$d/cap.pcap" "edge.example.test"
}

# shadowsocks-libev, chacha20-ietf-poly1305 on 8388 (its usual port);
# ss-server connects to the HTTPS server on its namespace's loopback.
run_shadowsocks_https() {
    local d=$TMP/shadowsocks-https pw
    need ss-server shadowsocks-libev
    need ss-local shadowsocks-libev
    mkdir -p "$d"
    https_www "$d"
    pw=$(openssl rand -base64 18)
    https_target "$d" 127.0.0.1:443
    start_srv ss-server ss-server -s "$SRV_IP" -p 8388 -k "$pw" \
        -m chacha20-ietf-poly1305 -t 30 -v
    wait_listen ss-server t 8388
    start_vm ss-local ss-local -s "$SRV_IP" -p 8388 -b 127.0.0.1 -l 1080 \
        -k "$pw" -m chacha20-ietf-poly1305 -t 30 -v
    wait_vm_listen ss-local 1080

    cap_start "$d/cap.pcap"
    https_fetch3 "$d" shadowsocks-https 127.0.0.1 443 1080
    wait_until 10 vm_conns_closed 8388 || log "shadowsocks-https: connections still open"
    cap_stop
    log_has ss-server "connect to 127.0.0.1:443" || {
        cat "$TMP/ss-server.log" >&2
        die "shadowsocks-https: ss-server never connected to the HTTPS server"
    }
    check_capture "$d/cap.pcap" ""
    check_conns "$d/cap.pcap" 8388 3
    check_inner_hidden "$d/cap.pcap"
    CAPTURE=$d/cap.pcap
}

# The benign comparison: the same three downloads with no proxy, straight
# from the VM to the HTTPS server at 192.0.2.1:443, then to a second one at
# 192.0.2.1:8443 (the same files and certificate).
run_benign_https_curl() {
    local d=$TMP/benign-https-curl
    mkdir -p "$d"
    https_www "$d"
    https_target "$d" "$SRV_IP:443" "$SRV_IP:8443"

    cap_start "$d/cap.pcap"
    https_fetch3 "$d" benign-443 "$SRV_IP" 443
    https_fetch3 "$d" benign-8443 "$SRV_IP" 8443
    cap_stop
    check_capture "$d/cap.pcap" "$HTTPS_HOST"
    check_conns "$d/cap.pcap" 443 3
    check_conns "$d/cap.pcap" 8443 3
    CAPTURE=$d/cap.pcap
}
