# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# appdos.sh: application-layer DoS tools and benign look-alikes, made by the
# real programs from the VM against nginx in the server namespace (sourced
# by ../record-captures.sh, whose helpers it uses).
#
# nginx runs with its own config and prefix under $TMP: plain HTTP on
# 192.0.2.1:8080 and HTTPS on 192.0.2.1:8443 (TLS 1.2 and 1.3, HTTP/1.1,
# a self-signed P-256 certificate made with openssl), one worker with 4096
# connections and generous client_header/body timeouts, so the slow attacks
# hold their connections for the whole test as they would against a badly
# tuned server.  A POST to / is handed to a second server block on
# 127.0.0.1:8081 (proxy_pass with request buffering, nginx's default), so
# nginx reads the whole body before answering, as a reverse proxy does.
# Every capture keeps 128 bytes of each frame.
#
#   httpflood-wrk       wrk -t2 -c20 -d5s: keep-alive GET flood on plain
#                       HTTP, each connection pausing 20 ms after an answer
#                       (about 950 requests a second; wrk first opens and
#                       closes one test connection)
#   httpsflood-wrk      the same over HTTPS
#   httpflood-ab        ab -n 2000 -c 50: one new connection per GET (ab
#                       opens a few more at the end that it closes unused)
#   httpsflood-ab       ab -n 900 -c 20 over HTTPS: a TLS handshake per GET
#   slowloris           slowhttptest -H: 300 connections that send a header
#                       line every 5 s and never end their request, for 15 s
#   slowbody            slowhttptest -B: 300 POSTs announcing 8192 bytes of
#                       body, sent a few bytes every 5 s, for 15 s
#                       (slowhttptest also makes a complete probe request
#                       every 5 s on a connection of its own)
#   benign-aria2-https  aria2c -x16 -s16: one 16 MiB file over 16 HTTPS
#                       connections, one range each
#   benign-pip-burst    40 HTTPS GETs of small files (index pages, wheels):
#                       28 on one keep-alive connection, then 12 on 4
#                       parallel ones
#   benign-poll         curl polls a JSON endpoint once a second for 15 s,
#                       a new connection each time
#
# The floods and the download are bounded so that each capture stays under
# 2 MB (see each run_ function for its numbers).

ALL_NAMES+=(httpflood-wrk httpsflood-wrk httpflood-ab httpsflood-ab slowloris
    slowbody benign-aria2-https benign-pip-burst benign-poll)

readonly APPDOS_HTTP=8080
readonly APPDOS_HTTPS=8443

# The filters of the checks: SYNs from the VM, packets from the VM whose TCP
# payload starts with 4 given bytes, TLS ClientHellos and application data
# records from the VM.
readonly APPDOS_PAYLOAD='tcp[((tcp[12] & 0xf0) >> 2):4]'
readonly APPDOS_SYN="src host $VM_IP and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"
readonly APPDOS_GET="src host $VM_IP and $APPDOS_PAYLOAD = 0x47455420"
readonly APPDOS_POST="src host $VM_IP and $APPDOS_PAYLOAD = 0x504f5354"
readonly APPDOS_HELLO="src host $VM_IP and tcp[((tcp[12] & 0xf0) >> 2)] = 0x16 and
    tcp[((tcp[12] & 0xf0) >> 2) + 5] = 1"
readonly APPDOS_APPDATA="src host $VM_IP and tcp[((tcp[12] & 0xf0) >> 2)] = 0x17"

# appdos_nginx DIR: nginx serving DIR/www on both ports (its prefix, config,
# logs and certificate in DIR), started in the server namespace.
appdos_nginx() {
    local d=$1
    need nginx nginx-light
    mkdir -p "$d/www" "$d/ngx-tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj /CN=www.example.test \
        -addext "subjectAltName=DNS:www.example.test,IP:$SRV_IP" \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null ||
        die "openssl: cannot make the nginx certificate"
    # The size of nginx's stock welcome page.
    cat >"$d/www/index.html" <<'EOF'
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
EOF
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 16384;
user root root;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/ngx-tmp/body;
    proxy_temp_path $d/ngx-tmp/proxy;
    fastcgi_temp_path $d/ngx-tmp/fastcgi;
    uwsgi_temp_path $d/ngx-tmp/uwsgi;
    scgi_temp_path $d/ngx-tmp/scgi;
    types {
        text/html html; application/json json; application/octet-stream bin whl;
    }
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    client_header_timeout 300s;
    client_body_timeout 300s;
    send_timeout 300s;
    server {
        listen $SRV_IP:$APPDOS_HTTP backlog=1024;
        listen $SRV_IP:$APPDOS_HTTPS ssl backlog=1024;
        server_name _;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $d/www;
        location / {
            if (\$request_method = POST) {
                proxy_pass http://127.0.0.1:8081;
            }
        }
    }
    server {
        listen 127.0.0.1:8081;
        access_log off;
        location / { return 200 "stored\n"; }
    }
}
EOF
    start_srv nginx nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    wait_listen nginx t "$APPDOS_HTTP"
    wait_listen nginx t "$APPDOS_HTTPS"
}

# appdos_logged DIR TEXT: how many lines of nginx's access log hold TEXT.
appdos_logged() { grep -cF -- "$2" "$1/access.log" 2>/dev/null || true; }

# appdos_min WHAT N MIN FILE: die unless N >= MIN; log N otherwise.
appdos_min() {
    (($2 >= $3)) || die "$4: $2 $1, want at least $3"
    log "$1: $2"
}

# ------------------------------------------------------------- floods --

# appdos_wrk NAME URL: wrk -t2 -c20 for 5 s against URL.  Unthrottled, wrk
# makes about 10,000 requests a second here (14 MB of capture in 5 s), so
# each connection waits WRK_DELAY_MS (20) ms after an answer before its next
# request (wrk's Lua delay() hook): at most 1,000 requests a second, as 20
# connections over a WAN with a 20 ms round trip would make.
appdos_wrk() {
    local name=$1 url=$2 d=$TMP/$1 n syn logged
    need wrk wrk
    mkdir -p "$d"
    appdos_nginx "$d"
    printf 'function delay() return %d end\n' "${WRK_DELAY_MS:-20}" >"$d/delay.lua"
    cap_start "$d/cap.pcap" 128
    run_vm 20 wrk -t2 -c20 -d5s -s "$d/delay.lua" "$url" >"$d/wrk.log" 2>&1 || {
        cat "$d/wrk.log" >&2
        die "$name: wrk failed"
    }
    cap_stop
    cat "$d/wrk.log" >&2
    grep -q 'requests in' "$d/wrk.log" || die "$name: wrk did not report"
    check_capture "$d/cap.pcap" ""
    syn=$(count_packets "$d/cap.pcap" "$APPDOS_SYN")
    appdos_min "TCP connections" "$syn" 20 "$d/cap.pcap"
    logged=$(appdos_logged "$d" '"GET / HTTP/1.1" 200 ')
    appdos_min "GETs logged by nginx" "$logged" 1000 "$d/cap.pcap"
    if [[ "$url" == https:* ]]; then
        n=$(count_packets "$d/cap.pcap" "$APPDOS_HELLO")
        appdos_min "ClientHellos" "$n" 20 "$d/cap.pcap"
        n=$(count_packets "$d/cap.pcap" "$APPDOS_APPDATA")
        appdos_min "application data records" "$n" 1000 "$d/cap.pcap"
    else
        n=$(count_packets "$d/cap.pcap" "$APPDOS_GET")
        appdos_min "GETs in the capture" "$n" 1000 "$d/cap.pcap"
    fi
    CAPTURE=$d/cap.pcap
}

run_httpflood_wrk() { appdos_wrk httpflood-wrk "http://$SRV_IP:$APPDOS_HTTP/"; }
run_httpsflood_wrk() { appdos_wrk httpsflood-wrk "https://$SRV_IP:$APPDOS_HTTPS/"; }

# appdos_ab NAME REQUESTS CONCURRENCY URL: ApacheBench, one new connection
# per request (no -k).
appdos_ab() {
    local name=$1 total=$2 conc=$3 url=$4 d=$TMP/$1 n syn logged
    need ab apache2-utils
    mkdir -p "$d"
    appdos_nginx "$d"
    cap_start "$d/cap.pcap" 128
    run_vm 30 ab -n "$total" -c "$conc" "$url" >"$d/ab.log" 2>&1 || {
        cat "$d/ab.log" >&2
        die "$name: ab failed"
    }
    cap_stop
    grep -E 'Complete requests|Failed requests|Requests per second|Time taken' \
        "$d/ab.log" >&2
    grep -q "^Complete requests: *$total\$" "$d/ab.log" ||
        die "$name: ab did not complete $total requests"
    check_capture "$d/cap.pcap" ""
    syn=$(count_packets "$d/cap.pcap" "$APPDOS_SYN")
    appdos_min "TCP connections" "$syn" "$total" "$d/cap.pcap"
    logged=$(appdos_logged "$d" '"GET / HTTP/1.0" 200 ')
    appdos_min "GETs logged by nginx" "$logged" "$total" "$d/cap.pcap"
    if [[ "$url" == https:* ]]; then
        n=$(count_packets "$d/cap.pcap" "$APPDOS_HELLO")
        appdos_min "ClientHellos" "$n" "$total" "$d/cap.pcap"
    else
        n=$(count_packets "$d/cap.pcap" "$APPDOS_GET")
        appdos_min "GETs in the capture" "$n" "$total" "$d/cap.pcap"
    fi
    CAPTURE=$d/cap.pcap
}

# ab needs about 880 bytes of capture a request over HTTP (9 packets) and
# 1,900 over HTTPS (17), and answers 6,500 and 600 a second here: 2,000
# and 900 requests keep the captures under 2 MB (ab has no rate limit).
run_httpflood_ab() {
    appdos_ab httpflood-ab "${AB_HTTP_N:-2000}" 50 "http://$SRV_IP:$APPDOS_HTTP/"
}
run_httpsflood_ab() {
    appdos_ab httpsflood-ab "${AB_HTTPS_N:-900}" 20 "https://$SRV_IP:$APPDOS_HTTPS/"
}

# ------------------------------------------------------- slow attacks --

# appdos_slow NAME MODE-ARGS...: slowhttptest with 300 connections opened
# at 100 a second, each sending a little more every 5 s, for 15 s.  nginx
# keeps them all (client_header/body_timeout 300 s), so the test ends on
# its time limit, not because the server closed them.
appdos_slow() {
    local name=$1 d=$TMP/$1 syn n
    shift
    need slowhttptest slowhttptest
    mkdir -p "$d"
    appdos_nginx "$d"
    cap_start "$d/cap.pcap" 128
    run_vm 30 slowhttptest -c 300 "$@" -i 5 -r 100 -l 15 \
        -u "http://$SRV_IP:$APPDOS_HTTP/" >"$d/slow.log" 2>&1 || {
        cat "$d/slow.log" >&2
        die "$name: slowhttptest failed"
    }
    cap_stop
    grep -a 'exit status' "$d/slow.log" >&2 || true
    grep -aq 'Hit test time limit' "$d/slow.log" || {
        tail -20 "$d/slow.log" >&2
        die "$name: slowhttptest did not run to its time limit"
    }
    check_capture "$d/cap.pcap" ""
    syn=$(count_packets "$d/cap.pcap" "$APPDOS_SYN")
    appdos_min "TCP connections" "$syn" 300 "$d/cap.pcap"
    CAPTURE=$d/cap.pcap
}

run_slowloris() {
    local d=$TMP/slowloris n
    appdos_slow slowloris -H
    n=$(count_packets "$d/cap.pcap" "$APPDOS_GET")
    appdos_min "partial GETs" "$n" 300 "$d/cap.pcap"
    # The follow-up header lines: data from the VM that is not a request
    # line (at least two rounds of 300 in 15 s).
    n=$(count_packets "$d/cap.pcap" "src host $VM_IP and tcp dst port $APPDOS_HTTP and
        (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0 and
        not $APPDOS_PAYLOAD = 0x47455420")
    appdos_min "follow-up header segments" "$n" 600 "$d/cap.pcap"
}

run_slowbody() {
    local d=$TMP/slowbody n syn
    appdos_slow slowbody -B -s 8192
    n=$(count_packets "$d/cap.pcap" "$APPDOS_POST")
    appdos_min "POSTs" "$n" 300 "$d/cap.pcap"
    n=$(count_packets "$d/cap.pcap" "src host $VM_IP and tcp dst port $APPDOS_HTTP and
        (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0 and
        not $APPDOS_PAYLOAD = 0x504f5354")
    appdos_min "follow-up body segments" "$n" 600 "$d/cap.pcap"
    # nginx answered none of them, the bodies never ended: only the probe
    # connections slowhttptest opens every 5 s (complete requests) got an
    # answer.
    syn=$(count_packets "$d/cap.pcap" "$APPDOS_SYN")
    n=$(count_packets "$d/cap.pcap" "src host $SRV_IP and $APPDOS_PAYLOAD = 0x48545450")
    ((n <= syn - 300)) || die "$d/cap.pcap: nginx answered $n requests on $syn connections"
}

# ------------------------------------------------- benign look-alikes --

# aria2c downloads one file over HTTPS with up to 16 connections (-x16
# -s16, pieces of 1 MiB).  The file is 16 MiB, one piece a connection: the
# 20 MiB of a first try made a 2.3 MB capture.
run_benign_aria2_https() {
    local d=$TMP/benign-aria2-https syn n
    need aria2c aria2
    mkdir -p "$d/dl"
    appdos_nginx "$d"
    head -c "$((${ARIA2_MB:-16} * 1048576))" /dev/urandom >"$d/www/dataset.bin"
    cap_start "$d/cap.pcap" 128
    run_vm 30 aria2c --no-conf=true -x16 -s16 -k1M --check-certificate=false \
        --file-allocation=none --allow-overwrite=true --auto-file-renaming=false \
        --summary-interval=0 --console-log-level=warn --dir="$d/dl" \
        "https://$SRV_IP:$APPDOS_HTTPS/dataset.bin" >"$d/aria2c.log" 2>&1 || {
        cat "$d/aria2c.log" >&2
        die "benign-aria2-https: aria2c failed"
    }
    cap_stop
    cmp -s "$d/www/dataset.bin" "$d/dl/dataset.bin" ||
        die "benign-aria2-https: the download differs"
    check_capture "$d/cap.pcap" ""
    syn=$(count_packets "$d/cap.pcap" "$APPDOS_SYN")
    appdos_min "TCP connections" "$syn" 8 "$d/cap.pcap"
    n=$(count_packets "$d/cap.pcap" "$APPDOS_HELLO")
    ((n == syn)) || die "$d/cap.pcap: $n ClientHellos on $syn connections"
    n=$(appdos_logged "$d" '"GET /dataset.bin HTTP/1.1" 206 ')
    appdos_min "range GETs logged by nginx" "$n" 8 "$d/cap.pcap"
    CAPTURE=$d/cap.pcap
}

# pip resolving and installing: 14 index pages and 14 wheels fetched one
# after the other over one keep-alive connection, then 12 more wheels
# fetched 4 at a time (4 new connections, each reused).
run_benign_pip_burst() {
    local d=$TMP/benign-pip-burst i syn n
    local -a seq=() par=()
    need curl curl
    mkdir -p "$d"
    appdos_nginx "$d"
    for ((i = 1; i <= 26; i++)); do
        mkdir -p "$d/www/simple/pkg$i"
        head -c "$((2048 + i * 1500))" /dev/urandom >"$d/www/pkg$i-1.0-py3-none-any.whl"
        printf '{"meta":{"api-version":"1.1"},"name":"pkg%d","files":[{"filename":"pkg%d-1.0-py3-none-any.whl","url":"/pkg%d-1.0-py3-none-any.whl"}]}\n' \
            "$i" "$i" "$i" >"$d/www/simple/pkg$i/index.json"
    done
    for ((i = 1; i <= 14; i++)); do
        seq+=(-o /dev/null "https://$SRV_IP:$APPDOS_HTTPS/simple/pkg$i/index.json"
            -o /dev/null "https://$SRV_IP:$APPDOS_HTTPS/pkg$i-1.0-py3-none-any.whl")
    done
    for ((i = 15; i <= 26; i++)); do
        par+=(-o /dev/null "https://$SRV_IP:$APPDOS_HTTPS/pkg$i-1.0-py3-none-any.whl")
    done
    local -a c=(curl -q -sS --no-progress-meter --fail -k --http1.1
        --connect-timeout 5 -A "pip/23.0.1" -w '%{http_code}\n')
    cap_start "$d/cap.pcap" 128
    run_vm 20 "${c[@]}" "${seq[@]}" >"$d/codes" 2>"$d/curl.log" || {
        cat "$d/curl.log" >&2
        die "benign-pip-burst: sequential fetches failed"
    }
    sleep 0.3
    run_vm 20 "${c[@]}" --parallel --parallel-max 4 "${par[@]}" \
        >>"$d/codes" 2>>"$d/curl.log" || {
        cat "$d/curl.log" >&2
        die "benign-pip-burst: parallel fetches failed"
    }
    cap_stop
    n=$(grep -c '^200$' "$d/codes" || true)
    ((n == 40)) || die "benign-pip-burst: $n of 40 fetches answered 200"
    check_capture "$d/cap.pcap" ""
    syn=$(count_packets "$d/cap.pcap" "$APPDOS_SYN")
    ((syn == 5)) || die "$d/cap.pcap: $syn connections, want 5"
    n=$(count_packets "$d/cap.pcap" "$APPDOS_HELLO")
    ((n == 5)) || die "$d/cap.pcap: $n ClientHellos, want 5"
    n=$(appdos_logged "$d" 'HTTP/1.1" 200 ')
    ((n == 40)) || die "benign-pip-burst: nginx logged $n GETs, want 40"
    CAPTURE=$d/cap.pcap
}

# A dashboard polling a JSON endpoint: curl once a second for 15 s, a new
# connection each time.
run_benign_poll() {
    local d=$TMP/benign-poll i syn n
    need curl curl
    mkdir -p "$d/www/api"
    appdos_nginx "$d"
    printf '{"status":"ok","jobs":3,"queue":0}\n' >"$d/www/api/status.json"
    cap_start "$d/cap.pcap" 128
    for ((i = 1; i <= 15; i++)); do
        run_vm 5 curl -q -sS --fail --connect-timeout 3 -o "$d/got" \
            "http://$SRV_IP:$APPDOS_HTTP/api/status.json" || die "benign-poll: poll $i failed"
        grep -q '"status":"ok"' "$d/got" || die "benign-poll: poll $i: wrong answer"
        ((i == 15)) || sleep 1
    done
    cap_stop
    check_capture "$d/cap.pcap" "GET /api/status.json "
    syn=$(count_packets "$d/cap.pcap" "$APPDOS_SYN")
    ((syn == 15)) || die "$d/cap.pcap: $syn connections, want 15"
    n=$(count_packets "$d/cap.pcap" "$APPDOS_GET")
    ((n == 15)) || die "$d/cap.pcap: $n GETs, want 15"
    CAPTURE=$d/cap.pcap
}
