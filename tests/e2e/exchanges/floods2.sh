# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# floods2.sh: more floods (TCP floods of one flag each, IPv6 floods), an
# IPv6 host discovery scan, and benign look-alikes of floods and scans,
# made by the real tools from the VM (sourced by ../record-captures.sh,
# whose helpers it uses).  The attack captures keep 96 bytes of each
# frame, the benign ones whole frames; every tool is bounded by a packet
# count or a timeout.
#
#   ackflood            hping3 -A -p 80 -i u100 -c 2500: 2500 ACKs at about
#                       5000 a second to the server's closed port 80 (no
#                       listener: its kernel answers each with a RST)
#   finflood            the same with FIN (-F), answered with RSTs too
#   rstflood            the same with RST (-R), which nothing answers
#   pshflood            the same with PSH+ACK (-P -A), answered with RSTs
#   icmp6flood          atk6-thcping6 -n 1500 -w 0: 1500 identical ICMPv6 echo
#                       requests from 2001:db8::10 to 2001:db8::1 in one
#                       burst (tens of thousands a second), each answered
#   icmp6flood-ext      the same with a hop-by-hop extension header (router
#                       alert) in front of every echo request (-a)
#   alive6              atk6-alive6 host discovery: first on the link (-e
#                       dst,hop: an echo request behind an erroneous
#                       destination-options header and one behind an
#                       erroneous hop-by-hop header, to ff02::1), then a
#                       sweep of the 64 addresses 2001:db8:1::1-40 (a plain
#                       echo request and one behind an erroneous
#                       destination-options header each, sent twice)
#                       routed via the server namespace, which holds 19 of
#                       them (2001:db8:1::1-13) and 2001:db8::1, and drops
#                       the packets to the rest
#   thcsyn6             atk6-thcsyn6 -i 400 to [2001:db8::1]:80 (closed:
#                       RSTs) for 1 s (it floods until killed), about 1600
#                       SYNs from random source ports
#   benign-git-https    git clone over smart HTTPS (nginx, fcgiwrap and git
#                       http-backend, a self-signed certificate) of a
#                       repository of 200 small commits, then 10 git fetches
#                       a second apart, each bringing one new commit
#   benign-reconnect    a client retrying a service that is not up yet: 60
#                       curl --max-time 1 attempts half a second apart to
#                       192.0.2.1:8080, refused (RST), then the service
#                       starts and attempt 61 gets its answer
#   benign-ping-monitor monitoring pings: ping -i 0.2 -c 100 to 192.0.2.1,
#                       192.0.2.2 and 192.0.2.3 (all of the server
#                       namespace) at once
#
#   synflood-vxlan      hping3 -S -p 80 --faster -c 1200 from 192.0.2.10 to
#                       192.0.2.1 (closed port: RSTs), both addresses on a
#                       VXLAN overlay (VNI 42, UDP 4789) whose underlay is
#                       the veth pair at 203.0.113.10 and .1, as a host NIC
#                       sees a platform's overlay; the capture, on the
#                       veth, holds only the outer datagrams (128 bytes of
#                       each frame keep both headers)
#
# A SYN flood over an 802.1Q VLAN sub-interface is not here: the kernel
# these captures were recorded on has no 802.1Q support (no 8021q, no
# bridge VLAN filtering, no tc vlan action), so nothing could tag frames.
#
# Packages (Debian 12): hping3 thc-ipv6 nginx-light fcgiwrap git curl
# iputils-ping python3 tcpdump.

ALL_NAMES+=(ackflood finflood rstflood pshflood icmp6flood icmp6flood-ext
    alive6 thcsyn6 benign-git-https benign-reconnect benign-ping-monitor
    synflood-vxlan)

# floods2_span FILE FILTER: seconds from the first to the last packet of
# FILE that matches FILTER.
floods2_span() {
    tcpdump -r "$1" -nn -tt "$2" 2>/dev/null |
        awk 'NR == 1 { f = $1 } { l = $1 }
            END { printf "%.3f", NR ? l - f : 0 }'
}

# floods2_check4 FILE HOST...: the capture only holds ARP and IPv4 between
# the VM and the HOSTs.
floods2_check4() {
    local file=$1 srcs="" dsts="" h stray
    shift
    for h in "$@"; do
        srcs+=" or src host $h"
        dsts+=" or dst host $h"
    done
    (($(count_packets "$file" "") > 0)) || die "$file: empty capture"
    stray=$(count_packets "$file" "not (arp or (ip and
        ((src host $VM_IP and (${dsts# or })) or
        (dst host $VM_IP and (${srcs# or })))))")
    ((stray == 0)) || die "$file: $stray packets not between $VM_IP and $*"
}

# floods2_check6 FILE [NET]: the capture only holds IPv6 between the two
# test addresses (or from the VM to NET, or from NET to the VM), besides
# the link's own ICMPv6 (neighbour and router discovery, MLD reports to
# ff02::16, which carry a hop-by-hop header) and packets to ff02::/16.
floods2_check6() {
    local also="" stray
    [[ -z "${2:-}" ]] || also=" or (src host $VM_IP6 and dst net $2) or
        (src net $2 and dst host $VM_IP6)"
    (($(count_packets "$1" "") > 0)) || die "$1: empty capture"
    stray=$(count_packets "$1" "not (icmp6 or ip6 dst net ff02::/16 or
        (ip6 and ((src host $VM_IP6 and dst host $SRV_IP6) or
        (src host $SRV_IP6 and dst host $VM_IP6)$also)))")
    ((stray == 0)) || die "$1: $stray packets not between $VM_IP6 and $SRV_IP6${2:+ (or $2)}"
}

# floods2_hping NAME FILTER COUNT REPLIES HPING3-ARGS...: hping3 sends COUNT
# packets to the server (HPING3-ARGS set the rate); the
# capture must hold exactly COUNT packets from the VM that match the
# tcpdump FILTER, and at least REPLIES (exactly 0 when REPLIES is 0)
# packets from the server.
floods2_hping() {
    local name=$1 filter=$2 count=$3 want=$4 d=$TMP/$1 n rc=0 replies
    shift 4
    mkdir -p "$d"
    cap_start "$d/cap.pcap" 96
    # hping3 exits 1 when it counted no reply (the RST flood gets none).
    run_vm 60 hping3 -c "$count" "$@" "$SRV_IP" >"$d/hping3.log" 2>&1 || rc=$?
    ((rc <= 1)) || {
        tail -5 "$d/hping3.log" >&2
        die "$name: hping3 failed (exit status $rc)"
    }
    grep -q "^$count packets transmitted" "$d/hping3.log" || {
        tail -5 "$d/hping3.log" >&2
        die "$name: hping3 did not send $count packets"
    }
    cap_stop
    floods2_check4 "$d/cap.pcap" "$SRV_IP"
    n=$(count_packets "$d/cap.pcap" "src host $VM_IP and ($filter)")
    ((n == count)) || die "$d/cap.pcap: $n flood packets, want $count"
    replies=$(count_packets "$d/cap.pcap" "ip and src host $SRV_IP")
    if ((want == 0)); then
        ((replies == 0)) || die "$d/cap.pcap: the server answered $replies times"
    else
        ((replies >= want)) || die "$d/cap.pcap: $replies answers, want $want"
    fi
    log "$name: $n packets in $(floods2_span "$d/cap.pcap" \
        "src host $VM_IP and ($filter)") s, $replies answers"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------- one-flag TCP floods --

# 2500 packets each to the closed port 80: hping3 -i u100 comes to about
# 5000 a second here (its own overhead doubles the interval); 3000 would
# make captures of 420 kB.
run_ackflood() {
    floods2_hping ackflood "tcp[tcpflags] == tcp-ack and dst port 80" 2500 2500 \
        -A -p 80 -i u100
}
run_finflood() {
    floods2_hping finflood "tcp[tcpflags] == tcp-fin and dst port 80" 2500 2500 \
        -F -p 80 -i u100
}
run_rstflood() {
    floods2_hping rstflood "tcp[tcpflags] == tcp-rst and dst port 80" 2500 0 \
        -R -p 80 -i u100
}
run_pshflood() {
    floods2_hping pshflood "tcp[tcpflags] == tcp-push|tcp-ack and dst port 80" \
        2500 2500 -P -A -p 80 -i u100
}

# --------------------------------------------------------- IPv6 floods --

# floods2_thcping6 NAME [ARG...]: atk6-thcping6 sends 1500 identical echo
# requests (and ARGs' extension headers) back to back (-w 0: no wait
# between them; its default is a second), the MAC addresses
# given so that it does not resolve the server's anew for every packet;
# it then waits for its own payload in a reply, which the kernel's replies
# to the flood do not hold, and exits 255 ("No packet received").  The
# capture must hold the 1500 requests, matched by the tcpdump FILTER of
# the caller (F2_PROBES), and a reply to each.
floods2_thcping6() {
    local name=$1 d=$TMP/$1 n replies rc=0
    shift
    need atk6-thcping6 thc-ipv6
    mkdir -p "$d"
    net_v6
    # Let the link's IPv6 start-up chatter (MLD reports) pass first.
    sleep 1
    cap_start "$d/cap.pcap" 96
    run_vm 30 atk6-thcping6 "$@" -n 1500 -w 0 "$VM_IF" "$VM_IP6" "$SRV_IP6" \
        "$VM_MAC" "$SRV_MAC" >"$d/thcping6.log" 2>&1 || rc=$?
    ((rc == 0 || rc == 255)) || {
        tail -c 500 "$d/thcping6.log" >&2
        die "$name: atk6-thcping6 failed (exit status $rc)"
    }
    cap_stop
    floods2_check6 "$d/cap.pcap"
    n=$(count_packets "$d/cap.pcap" "$F2_PROBES")
    ((n == 1500)) || die "$d/cap.pcap: $n echo requests, want 1500"
    replies=$(count_packets "$d/cap.pcap" \
        "icmp6 and src host $SRV_IP6 and dst host $VM_IP6 and ip6[40] == 129")
    ((replies == 1500)) || die "$d/cap.pcap: $replies echo replies, want 1500"
    log "$name: $n echo requests in $(floods2_span "$d/cap.pcap" "$F2_PROBES") s," \
        "$replies replies"
    CAPTURE=$d/cap.pcap
}

run_icmp6flood() {
    local F2_PROBES="icmp6 and src host $VM_IP6 and dst host $SRV_IP6 and ip6[40] == 128"
    floods2_thcping6 icmp6flood
}

# The hop-by-hop header (next header 0) holds a router alert option (8
# bytes), then comes the ICMPv6 echo request (type 128 at offset 48).
run_icmp6flood_ext() {
    local F2_PROBES="ip6 and src host $VM_IP6 and dst host $SRV_IP6 and
        ip6[6] == 0 and ip6[40] == 58 and ip6[41] == 0 and ip6[48] == 128"
    floods2_thcping6 icmp6flood-ext -a
}

# atk6-thcsyn6 floods until it is killed: 1 s at one SYN every 400 us.
run_thcsyn6() {
    local d=$TMP/thcsyn6 n probes replies rc=0
    need atk6-thcsyn6 thc-ipv6
    mkdir -p "$d"
    net_v6
    sleep 1
    cap_start "$d/cap.pcap" 96
    run_vm 1 atk6-thcsyn6 -i 400 "$VM_IF" "$SRV_IP6" 80 \
        >"$d/thcsyn6.log" 2>&1 || rc=$?
    ((rc == 124)) || {
        cat "$d/thcsyn6.log" >&2
        die "thcsyn6: atk6-thcsyn6 ended by itself (exit status $rc)"
    }
    cap_stop
    floods2_check6 "$d/cap.pcap"
    probes="ip6 and src host $VM_IP6 and dst host $SRV_IP6 and tcp dst port 80 and
        ip6[6] == 6 and ip6[53] & 0x3f == 2"
    n=$(count_packets "$d/cap.pcap" "$probes")
    ((n >= 1000)) || die "$d/cap.pcap: $n SYNs, want at least 1000"
    replies=$(count_packets "$d/cap.pcap" "ip6 and src host $SRV_IP6 and tcp")
    log "thcsyn6: $n SYNs in $(floods2_span "$d/cap.pcap" "$probes") s, $replies answers"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------ IPv6 host discovery --

# The server namespace holds 2001:db8::1 and 19 addresses of 2001:db8:1::/64
# (on its veth, so that net is on-link there); the VM reaches that net
# through it (a default route, forwarding off: packets to the other 45
# addresses are dropped).
run_alive6() {
    local d=$TMP/alive6 i n probes alive
    need atk6-alive6 thc-ipv6
    mkdir -p "$d"
    net_v6
    in_srv sysctl -qw net.ipv6.conf.all.forwarding=0
    for ((i = 1; i <= 19; i++)); do
        ip -n "$SRV_NS" addr add "$(printf '2001:db8:1::%x' "$i")/64" \
            dev "$SRV_IF" nodad
    done
    ip -n "$VM_NS" -6 route add default via "$SRV_IP6" dev "$VM_IF"
    sleep 1
    cap_start "$d/cap.pcap" 96
    run_vm 30 atk6-alive6 -e dst,hop "$VM_IF" >"$d/alive6-link.log" 2>&1 || {
        cat "$d/alive6-link.log" >&2
        die "alive6: atk6-alive6 found nothing on the link"
    }
    run_vm 60 atk6-alive6 "$VM_IF" 2001:db8:1::1-40 >"$d/alive6-sweep.log" 2>&1 || {
        cat "$d/alive6-sweep.log" >&2
        die "alive6: atk6-alive6 found nothing in the sweep"
    }
    cap_stop
    floods2_check6 "$d/cap.pcap" 2001:db8:1::/64
    (($(count_packets "$d/cap.pcap" "ip6 and src host $VM_IP6 and dst host ff02::1") >= 2)) ||
        die "$d/cap.pcap: no probes to ff02::1"
    probes="ip6 and src host $VM_IP6 and dst net 2001:db8:1::/64"
    n=$(tcpdump -r "$d/cap.pcap" -nn "$probes" 2>/dev/null |
        awk '{ sub(":$", "", $5); print $5 }' | sort -u | wc -l)
    ((n == 64)) || die "$d/cap.pcap: probes to $n addresses, want 64"
    # The server answers from all 19 on the wire; alive6 (on one CPU with
    # everything else) does not always see every answer, so it reports
    # between about 10 and 19 of them.
    alive=$(tcpdump -r "$d/cap.pcap" -nn "ip6 and src net 2001:db8:1::/64 and
        dst host $VM_IP6" 2>/dev/null | awk '{ print $3 }' | sort -u | wc -l)
    ((alive == 19)) || die "$d/cap.pcap: answers from $alive addresses of the sweep, want 19"
    log "alive6: $(count_packets "$d/cap.pcap" "$probes") probes to $n addresses" \
        "in $(floods2_span "$d/cap.pcap" "$probes") s, $alive answering" \
        "($(grep -c '^Alive: 2001:db8:1::' "$d/alive6-sweep.log") seen by alive6);" \
        "on the link: $(grep '^Alive' "$d/alive6-link.log" | paste -sd, -)"
    CAPTURE=$d/cap.pcap
}

#   alive6-link         atk6-alive6 on the link only, with its defaults:
#                       an echo request to ff02::1 and one behind a
#                       destination-options header whose unknown option
#                       (0x80) orders every host to answer
run_alive6_link() {
    local d=$TMP/alive6-link
    need atk6-alive6 thc-ipv6
    mkdir -p "$d"
    net_v6
    sleep 1
    cap_start "$d/cap.pcap" 96
    run_vm 30 atk6-alive6 "$VM_IF" >"$d/alive6.log" 2>&1 || {
        cat "$d/alive6.log" >&2
        die "alive6-link: atk6-alive6 found nothing on the link"
    }
    cap_stop
    floods2_check6 "$d/cap.pcap"
    (($(count_packets "$d/cap.pcap" "ip6 and src host $VM_IP6 and dst host ff02::1 and ip6[6] == 60") == 1)) ||
        die "$d/cap.pcap: no destination-options probe to ff02::1"
    log "alive6-link: $(grep '^Alive' "$d/alive6.log" | paste -sd, -)"
    CAPTURE=$d/cap.pcap
}
ALL_NAMES+=(alive6-link)

# ------------------------------------------------- benign look-alikes --

# floods2_git_nginx DIR: nginx on $SRV_IP:443 (TLS 1.2 and 1.3, a
# self-signed certificate for git.example.test) handing /git/ to git
# http-backend through fcgiwrap (a unix socket in DIR), which serves the
# bare repositories of DIR/repos.
floods2_git_nginx() {
    local d=$1
    need nginx nginx-light
    need fcgiwrap fcgiwrap
    mkdir -p "$d/ngx-tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj /CN=git.example.test \
        -addext subjectAltName=DNS:git.example.test \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null ||
        die "openssl: cannot make the nginx certificate"
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root root;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/ngx-tmp/body;
    proxy_temp_path $d/ngx-tmp/proxy;
    fastcgi_temp_path $d/ngx-tmp/fastcgi;
    uwsgi_temp_path $d/ngx-tmp/uwsgi;
    scgi_temp_path $d/ngx-tmp/scgi;
    default_type application/octet-stream;
    keepalive_timeout 30;
    client_max_body_size 0;
    server {
        listen $SRV_IP:443 ssl;
        server_name git.example.test;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location ~ ^/git(/.*)\$ {
            fastcgi_pass unix:$d/fcgiwrap.sock;
            fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
            fastcgi_param GIT_PROJECT_ROOT $d/repos;
            fastcgi_param GIT_HTTP_EXPORT_ALL "";
            fastcgi_param PATH_INFO \$1;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param GIT_PROTOCOL \$http_git_protocol;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        }
    }
}
EOF
    start_srv fcgiwrap fcgiwrap -c 2 -s "unix:$d/fcgiwrap.sock"
    wait_until 10 test -S "$d/fcgiwrap.sock" || {
        cat "$TMP/fcgiwrap.log" >&2
        die "fcgiwrap did not make its socket"
    }
    start_srv nginx nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    wait_listen nginx t 443
}

# floods2_git DIR ARG...: git with DIR/home as its home and no system
# configuration.
floods2_git() {
    local d=$1
    shift
    HOME=$d/home GIT_CONFIG_NOSYSTEM=1 git "$@"
}

# floods2_commit DIR N: commit N in the working repository DIR/work (one
# line more in one of 20 small files).
floods2_commit() {
    printf 'change %d: %s\n' "$2" "$(openssl rand -hex 12)" \
        >>"$1/work/src/module$(($2 % 20)).txt"
    floods2_git "$1" -C "$1/work" add -A &&
        floods2_git "$1" -C "$1/work" commit -q -m "Change $2"
}

# A developer's checkout: clone a repository of 200 commits over HTTPS, then
# fetch 10 times, a second apart, while someone pushes one commit before
# each fetch.
run_benign_git_https() {
    local d=$TMP/benign-git-https i n syn
    need git git
    need curl curl
    mkdir -p "$d/work/src" "$d/repos" "$d/home"
    {
        floods2_git "$d" -C "$d/work" init -q -b main &&
            floods2_git "$d" -C "$d/work" config user.name "Data Scientist" &&
            floods2_git "$d" -C "$d/work" config user.email ds@example.test
    } || die "benign-git-https: git init failed"
    for ((i = 1; i <= 200; i++)); do
        floods2_commit "$d" "$i" || die "benign-git-https: commit $i failed"
    done
    {
        floods2_git "$d" clone -q --bare "$d/work" "$d/repos/proj.git" &&
            floods2_git "$d" -C "$d/work" remote add origin "$d/repos/proj.git"
    } || die "benign-git-https: could not make the bare repository"
    floods2_git_nginx "$d"
    local -a g=(env HOME="$d/home" GIT_CONFIG_NOSYSTEM=1 GIT_SSL_NO_VERIFY=1
        GIT_TERMINAL_PROMPT=0 git -c http.curloptResolve="git.example.test:443:$SRV_IP")

    cap_start "$d/cap.pcap"
    run_vm 60 "${g[@]}" clone -q https://git.example.test/git/proj.git \
        "$d/clone" >"$d/git.log" 2>&1 || {
        cat "$d/git.log" "$d/error.log" "$TMP/fcgiwrap.log" >&2
        die "benign-git-https: git clone failed"
    }
    for ((i = 201; i <= 210; i++)); do
        sleep 1
        {
            floods2_commit "$d" "$i" &&
                floods2_git "$d" -C "$d/work" push -q origin main
        } || die "benign-git-https: could not push commit $i"
        run_vm 30 "${g[@]}" -C "$d/clone" fetch -q origin >>"$d/git.log" 2>&1 || {
            cat "$d/git.log" "$d/error.log" >&2
            die "benign-git-https: git fetch $((i - 200)) failed"
        }
    done
    cap_stop
    n=$(floods2_git "$d" -C "$d/clone" rev-list --count origin/main)
    ((n == 210)) || die "benign-git-https: the clone has $n commits, want 210"
    check_capture "$d/cap.pcap" "git.example.test"
    n=$(grep -c 'POST /git/proj.git/git-upload-pack HTTP/1.1" 200 ' "$d/access.log" || true)
    # Protocol v2: each clone or fetch POSTs ls-refs, then fetch.
    ((n == 22)) || die "benign-git-https: nginx logged $n upload-packs, want 22"
    syn=$(count_packets "$d/cap.pcap" \
        "src host $VM_IP and tcp[tcpflags] == tcp-syn and dst port 443")
    log "benign-git-https: $syn HTTPS connections, $n upload-packs," \
        "$(grep -c ' 200 ' "$d/access.log") requests"
    CAPTURE=$d/cap.pcap
}

# A client retrying a service that is not up yet: curl every half second,
# each attempt refused by the server's kernel (RST), 60 times; then the
# service (Python's http.server) starts and the next attempt succeeds.
run_benign_reconnect() {
    local d=$TMP/benign-reconnect i n ok=0
    need curl curl
    mkdir -p "$d/www"
    printf '{"status":"ok"}\n' >"$d/www/health"
    cap_start "$d/cap.pcap"
    for ((i = 1; i <= 80; i++)); do
        if run_vm 5 curl -q -sS --fail --max-time 1 -o "$d/got" \
            "http://$SRV_IP:8080/health" 2>>"$d/curl.log"; then
            ok=$i
            break
        fi
        if ((i == 60)); then
            start_srv http python3 -m http.server --bind "$SRV_IP" \
                --directory "$d/www" 8080
            wait_listen http t 8080
        fi
        sleep 0.5
    done
    cap_stop
    ((ok == 61)) || die "benign-reconnect: attempt ${ok:-none} succeeded, want 61"
    grep -q '"status":"ok"' "$d/got" || die "benign-reconnect: wrong answer"
    check_capture "$d/cap.pcap" "GET /health "
    n=$(count_packets "$d/cap.pcap" \
        "src host $VM_IP and tcp[tcpflags] == tcp-syn and dst port 8080")
    ((n == 61)) || die "$d/cap.pcap: $n connection attempts, want 61"
    n=$(count_packets "$d/cap.pcap" \
        "src host $SRV_IP and tcp[tcpflags] & tcp-rst != 0 and src port 8080")
    ((n == 60)) || die "$d/cap.pcap: $n refusals, want 60"
    CAPTURE=$d/cap.pcap
}

# Monitoring: three pingers at once, 100 echo requests every 0.2 s each, to
# three addresses of the server namespace.
run_benign_ping_monitor() {
    local d=$TMP/benign-ping-monitor t pids=() p n
    local -a targets=("$SRV_IP" 192.0.2.2 192.0.2.3)
    mkdir -p "$d"
    ip -n "$SRV_NS" addr add 192.0.2.2/24 dev "$SRV_IF"
    ip -n "$SRV_NS" addr add 192.0.2.3/24 dev "$SRV_IF"
    cap_start "$d/cap.pcap"
    for t in "${targets[@]}"; do
        run_vm 40 ping -n -i 0.2 -c 100 -W 1 "$t" >"$d/ping-$t.log" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || die "benign-ping-monitor: ping failed (see $d/ping-*.log)"
    done
    cap_stop
    for t in "${targets[@]}"; do
        grep -q '^100 packets transmitted, 100 received' "$d/ping-$t.log" || {
            cat "$d/ping-$t.log" >&2
            die "benign-ping-monitor: ping $t lost packets"
        }
    done
    floods2_check4 "$d/cap.pcap" "${targets[@]}"
    n=$(count_packets "$d/cap.pcap" "src host $VM_IP and icmp[icmptype] == icmp-echo")
    ((n == 300)) || die "$d/cap.pcap: $n echo requests, want 300"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------ inside a tunnel --

# The underlay of synflood-vxlan: the veth pair moves to 203.0.113.0/24 and
# the test addresses live on the VXLAN interfaces, as a host NIC sees a
# platform's overlay carrying its VMs' traffic.
readonly VX_VM_UNDER=203.0.113.10
readonly VX_SRV_UNDER=203.0.113.1

run_synflood_vxlan() {
    local d=$TMP/synflood-vxlan n rc=0 ns ifc ip under peer mac
    mkdir -p "$d"
    for ns in "$VM_NS" "$SRV_NS"; do
        if [[ $ns == "$VM_NS" ]]; then
            ifc=$VM_IF ip=$VM_IP under=$VX_VM_UNDER peer=$VX_SRV_UNDER
            mac=02:00:cb:00:71:0a
        else
            ifc=$SRV_IF ip=$SRV_IP under=$VX_SRV_UNDER peer=$VX_VM_UNDER
            mac=02:00:cb:00:71:01
        fi
        ip -n "$ns" addr del "$ip/24" dev "$ifc"
        ip -n "$ns" addr add "$under/24" dev "$ifc"
        ip -n "$ns" link add vx42 type vxlan id 42 local "$under" \
            remote "$peer" dstport 4789 dev "$ifc"
        ip -n "$ns" link set vx42 address "$mac"
        ip -n "$ns" addr add "$ip/24" dev vx42
        ip -n "$ns" link set vx42 up
    done
    cap_start "$d/cap.pcap" 128
    run_vm 30 hping3 -c 1200 --faster -S -p 80 "$SRV_IP" \
        >"$d/hping3.log" 2>&1 || rc=$?
    ((rc <= 1)) || {
        tail -5 "$d/hping3.log" >&2
        die "synflood-vxlan: hping3 failed (exit status $rc)"
    }
    grep -q "^1200 packets transmitted" "$d/hping3.log" || {
        tail -5 "$d/hping3.log" >&2
        die "synflood-vxlan: hping3 did not send 1200 packets"
    }
    cap_stop
    n=$(count_packets "$d/cap.pcap" "not (udp port 4789 or arp)")
    ((n == 0)) || die "$d/cap.pcap: $n packets outside the tunnel"
    n=$(count_packets "$d/cap.pcap" "src host $VX_VM_UNDER and udp dst port 4789")
    ((n >= 1200)) || die "$d/cap.pcap: $n tunnel datagrams from the VM, want 1200"
    log "synflood-vxlan: $n datagrams from the VM in the tunnel"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------- IPv6 link control floods --

# floods2_ndp NAME SECONDS TOOL [ARG...]: a thc-ipv6 flooder of the link's
# own control messages (it floods until killed, each message from a random
# link-local address and MAC) runs SECONDS on the VM's veth.  Captured at
# the link's far end, as a sidecar on the VM's tap would (tcpdump -i any in
# the server namespace: a Linux cooked capture, 64 bytes of each frame,
# which keep the ICMPv6 type), replayed with -i veth-srv and the inventory
# tests/golden/NAME/inventory (iface:veth-srv); the live egressd of the
# recording reads veth-srv by direction with that inventory.
floods2_ndp() {
    local name=$1 secs=$2 tool=$3 d=$TMP/$1 n rc=0
    shift 3
    local EGRESSD_LIVE_ARGS="$EGRESSD_LIVE_ARGS --inventory $HERE/../golden/$name/inventory"
    local CAP_NS=$SRV_NS CAP_IF=any LIVE_IF=$SRV_IF
    need "$tool" thc-ipv6
    mkdir -p "$d"
    net_v6
    sleep 1
    cap_start "$d/cap.pcap" 64
    run_vm "$secs" "$tool" "$VM_IF" "$@" >"$d/tool.log" 2>&1 || rc=$?
    ((rc == 124)) || {
        tail -c 500 "$d/tool.log" >&2
        die "$name: $tool ended by itself (exit status $rc)"
    }
    cap_stop
    n=$(count_packets "$d/cap.pcap" "inbound and icmp6 and ip6 dst ff02::1")
    ((n >= 1000)) || die "$d/cap.pcap: $n ICMPv6 messages to ff02::1 from the VM, want 1000"
    log "$name: $n ICMPv6 messages to ff02::1 from the VM"
    CAPTURE=$d/cap.pcap
}

#   ra6flood            atk6-flood_router26 for 0.5 s: router
#                       advertisements to ff02::1 (about 3000)
run_ra6flood() { floods2_ndp ra6flood 0.5 atk6-flood_router26; }
#   na6flood            atk6-flood_advertise6 for 0.05 s: neighbour
#                       advertisements of random addresses to ff02::1
run_na6flood() { floods2_ndp na6flood 0.05 atk6-flood_advertise6; }
ALL_NAMES+=(ra6flood na6flood)
