# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# Shadowsocks dressed up by its SIP003 plugins, and kcptun, a TCP stream
# carried in encrypted KCP datagrams over UDP, recorded with the real
# programs (sourced by record-captures.sh, whose helpers these functions
# use, as they use those of encrypted-proxies.sh: proxy_www, proxy_fetch,
# wait_vm_listen, vm_conns_closed, check_conns):
#   ss-obfs-http  shadowsocks-libev ss-server + ss-local
#                 (chacha20-ietf-poly1305) with simple-obfs in http mode
#                 (obfs-server / obfs-local, obfs-host www.example.com) on
#                 8080: the stream opens with an HTTP/1.1 Upgrade request
#                 and a "101 Switching Protocols" answer
#   ss-obfs-tls   the same with obfs=tls on 443: a TLS 1.2 ClientHello with
#                 the server name www.example.com, then application data
#                 records
#   ss-v2ray-ws   shadowsocks-libev with v2ray-plugin in its default mode,
#                 WebSocket without TLS (Host cloudfront.com, path /), on
#                 8081
#   kcptun        kcptun-server on udp/29900 forwarding to the HTTP server,
#                 kcptun-client in the VM listening on 127.0.0.1:12948;
#                 default crypt (aes) and mode (fast), a fresh key
# In the shadowsocks exchanges curl on the VM talks SOCKS5 to ss-local on the
# VM's loopback, which hands the stream to its plugin there, which carries it
# to the plugin on 192.0.2.1; with kcptun curl asks kcptun-client on the
# VM's loopback directly.  Either way the far end fetches the file (the 8 KB
# of proxy_www) once from a Python HTTP server on the server namespace's
# loopback (127.0.0.1:8000), so the captures hold only the VM -> server
# flows.  Passwords and keys are made afresh in $TMP at record time.
#
# Packages (Debian 12): shadowsocks-libev (3.3.5) simple-obfs (0.0.5)
# shadowsocks-v2ray-plugin (1.3.1, binary ss-v2ray-plugin) kcptun
# (20210922, binaries kcptun-client and kcptun-server) curl python3.

ALL_NAMES+=(ss-obfs-http ss-obfs-tls ss-v2ray-ws kcptun)

readonly SSP_HTTP_PORT=8000
readonly SSP_URL=http://127.0.0.1:$SSP_HTTP_PORT/data.txt

# ssp_www DIR: the file to fetch (proxy_www) and the HTTP server serving it
# on the server namespace's loopback.
ssp_www() {
    proxy_www "$1"
    start_srv http python3 -m http.server --bind 127.0.0.1 "$SSP_HTTP_PORT" \
        --directory "$1/www"
    wait_listen http t "$SSP_HTTP_PORT"
}

# ssp_exchange NAME PORT MARKER SERVER_PLUGIN SERVER_OPTS CLIENT_PLUGIN
# [CLIENT_OPTS]: ss-server on 192.0.2.1:PORT and ss-local (SOCKS5 on the
# VM's 127.0.0.1:1080), both with a SIP003 plugin (an empty CLIENT_OPTS
# gives the client plugin none); curl downloads the file once through them.
# The capture must hold MARKER (the plugin's disguise) and not the proxied
# request or file.
ssp_exchange() {
    local name=$1 port=$2 marker=$3 splug=$4 sopts=$5 cplug=$6 copts=${7:-}
    local d=$TMP/$1 pw vm_pid
    local -a vm_opts=()
    need ss-server shadowsocks-libev
    need ss-local shadowsocks-libev
    [[ -z "$copts" ]] || vm_opts=(--plugin-opts "$copts")
    mkdir -p "$d"
    ssp_www "$d"
    pw=$(openssl rand -base64 18)
    # With a plugin ss-server listens on a loopback port of its own and
    # starts the plugin on $SRV_IP:PORT, which forwards to it.
    start_srv ss-server ss-server -s "$SRV_IP" -p "$port" -k "$pw" \
        -m chacha20-ietf-poly1305 -t 30 -v --plugin "$splug" --plugin-opts "$sopts"
    wait_listen ss-server t "$port"
    start_vm ss-local ss-local -s "$SRV_IP" -p "$port" -b 127.0.0.1 -l 1080 \
        -k "$pw" -m chacha20-ietf-poly1305 -t 30 -v --plugin "$cplug" \
        "${vm_opts[@]}"
    vm_pid=$!
    wait_vm_listen ss-local 1080

    cap_start "$d/cap.pcap"
    proxy_fetch "$d" 1080 "$SSP_URL" "$name"
    # v2ray-plugin keeps its one multiplexed connection open: stopping
    # ss-local (which stops its plugin) closes it inside the capture.
    wait_until 3 vm_conns_closed "$port" || {
        log "$name: connection still open, stopping ss-local"
        stop_pid "$vm_pid"
        wait_until 5 vm_conns_closed "$port" || log "$name: connections still open"
    }
    cap_stop
    log_has ss-server "connect to 127.0.0.1:$SSP_HTTP_PORT" || {
        cat "$TMP/ss-server.log" >&2
        die "$name: ss-server never connected to the HTTP server"
    }
    check_capture "$d/cap.pcap" "$marker"
    check_conns "$d/cap.pcap" "$port" 1
    # Encrypted inside the disguise: neither request nor file in clear.
    ! grep -aqF "GET /data.txt" "$d/cap.pcap" ||
        die "$d/cap.pcap: the HTTP request is in clear"
    ! grep -aqF "egressd encrypted proxy" "$d/cap.pcap" ||
        die "$d/cap.pcap: the file is in clear"
    CAPTURE=$d/cap.pcap
}

# simple-obfs, HTTP mode: the first request of each connection is dressed
# as a WebSocket upgrade for www.example.com, the answer as its 101.
run_ss_obfs_http() {
    need obfs-server simple-obfs
    need obfs-local simple-obfs
    ssp_exchange ss-obfs-http 8080 "Host: www.example.com" \
        obfs-server obfs=http obfs-local "obfs=http;obfs-host=www.example.com"
}

# simple-obfs, TLS mode: a TLS 1.2 handshake look-alike (ClientHello with a
# session ticket and the server name www.example.com), then the stream in
# application data records.
run_ss_obfs_tls() {
    need obfs-server simple-obfs
    need obfs-local simple-obfs
    ssp_exchange ss-obfs-tls 443 "www.example.com" \
        obfs-server obfs=tls obfs-local "obfs=tls;obfs-host=www.example.com"
}

# v2ray-plugin (Debian's ss-v2ray-plugin): "server" on the server side,
# nothing on the client side, so its defaults: WebSocket without TLS, Host
# cloudfront.com, path /, one multiplexed connection.
run_ss_v2ray_ws() {
    need ss-v2ray-plugin shadowsocks-v2ray-plugin
    ssp_exchange ss-v2ray-ws 8081 "Upgrade: websocket" \
        ss-v2ray-plugin server ss-v2ray-plugin
}

# kcptun: kcptun-server on 192.0.2.1:29900/udp forwards every stream to the
# HTTP server; kcptun-client, started once the capture runs (so its first
# datagrams are in it), listens on 127.0.0.1:12948 in the VM, and curl
# downloads the file through it.  The client is stopped once the server has
# closed the stream, before the capture ends.
run_kcptun() {
    local d=$TMP/kcptun key vm_pid n
    need kcptun-server kcptun
    need kcptun-client kcptun
    mkdir -p "$d"
    ssp_www "$d"
    key=$(openssl rand -hex 16)
    start_srv kcptun-server env KCPTUN_KEY="$key" kcptun-server \
        -l "$SRV_IP:29900" -t "127.0.0.1:$SSP_HTTP_PORT"
    wait_listen kcptun-server u 29900

    cap_start "$d/cap.pcap"
    start_vm kcptun-client env KCPTUN_KEY="$key" kcptun-client \
        -l 127.0.0.1:12948 -r "$SRV_IP:29900"
    vm_pid=$!
    wait_vm_listen kcptun-client 12948
    run_vm 20 curl -q -sS --fail --connect-timeout 5 --max-time 15 \
        -o "$d/got-kcptun" http://127.0.0.1:12948/data.txt 2>"$d/curl.log" || {
        cat "$d/curl.log" "$TMP"/*.log >&2
        die "download through kcptun failed"
    }
    cmp -s "$d/www/data.txt" "$d/got-kcptun" || die "download through kcptun differs"
    wait_until 5 log_has kcptun-server "stream closed" ||
        log "kcptun: the server has not closed the stream"
    # Let the last acknowledgements cross, so no datagram reaches a closed
    # port (and draws an ICMP error) once the client is gone.
    sleep 0.5
    stop_pid "$vm_pid"
    cap_stop
    log_has kcptun-server "stream opened" || {
        cat "$TMP/kcptun-server.log" >&2
        die "kcptun: the server never opened a stream"
    }
    check_capture "$d/cap.pcap" ""
    (($(count_packets "$d/cap.pcap" "tcp") == 0)) ||
        die "$d/cap.pcap: TCP outside the tunnel"
    n=$(count_packets "$d/cap.pcap" "udp and src host $VM_IP and dst port 29900")
    ((n >= 3)) || die "$d/cap.pcap: $n datagrams to kcptun-server, want 3"
    n=$(count_packets "$d/cap.pcap" "udp and src host $SRV_IP and src port 29900")
    ((n >= 3)) || die "$d/cap.pcap: $n datagrams from kcptun-server, want 3"
    ! grep -aqF "GET /data.txt" "$d/cap.pcap" ||
        die "$d/cap.pcap: the HTTP request is in clear"
    ! grep -aqF "egressd encrypted proxy" "$d/cap.pcap" ||
        die "$d/cap.pcap: the file is in clear"
    CAPTURE=$d/cap.pcap
}
