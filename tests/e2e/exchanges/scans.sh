# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# scans.sh: one capture per kind of network scan, made by the real scanners
# from the VM (sourced by ../record-captures.sh, whose helpers it uses).
# Every capture keeps 96 bytes of each frame; every scan is bounded by a
# timeout and sends each probe once (nmap --max-retries 0, -T4).
#
# While the TCP and UDP scans run, the server namespace has a few services
# listening so that the scans find open ports too (see scan_services):
# Python's http.server on 8080/tcp, an SSH-like banner service on 2222/tcp
# and a DNS-like echo on 5353/udp.  Closed ports are answered by the
# server's kernel as it would anyway (RST, rate-limited ICMP unreachables).
#
#   scan-fin         nmap -sF   FIN probes of 1-200, 2222, 8080
#   scan-xmas        nmap -sX   FIN+PSH+URG probes, same ports
#   scan-null        nmap -sN   probes without any flag, same ports
#   scan-ack         nmap -sA   ACK probes, same ports
#   scan-window      nmap -sW   ACK probes (window scan), same ports
#   scan-maimon      nmap -sM   FIN+ACK probes, same ports
#   scan-connect     nmap -sT   full connect() scan, same ports
#   scan-udp         nmap -sU   UDP probes of 1-200, 500, 5353 (53, 123,
#                               161, 177 and 500 get protocol payloads)
#   scan-sctp        nmap -sY   SCTP INIT probes of 1-200 (the server's
#                               kernel has no SCTP: protocol unreachable)
#   scan-ipproto     nmap -sO   one probe of each of the 256 IP protocols
#   scan-ping-sweep  nmap -sn -PE  ICMP echo to 198.51.100.1-30, which do
#                               not exist (dropped by the server namespace)
#   scan-version     nmap -sV   SYN scan of 1-100, 2222, 8080, then service
#                               probes to the open ones
#   scan-icmp6       nmap -6 -sn -PE  ICMPv6 echo to 30 addresses of
#                               2001:db8:1::/64, routed via the server
#                               namespace, which has no route there (its
#                               kernel answers a rate-limited share with
#                               ICMPv6 "no route" unreachables)
#   scan-masscan     masscan    SYNs to 1-500, 2222, 8080 at 2000 pps
#   scan-zmap        zmap       SYNs to port 80 of 198.51.100.0/26 (64
#                               addresses that do not exist) at 500 pps

ALL_NAMES+=(scan-fin scan-xmas scan-null scan-ack scan-window scan-maimon
    scan-connect scan-udp scan-sctp scan-ipproto scan-ping-sweep
    scan-version scan-icmp6 scan-masscan scan-zmap)

# The server's open ports during the scans, and the TCP ports scanned.
readonly SCAN_HTTP_PORT=8080
readonly SCAN_BANNER_PORT=2222
readonly SCAN_UDP_PORT=5353
readonly SCAN_TCP_PORTS="1-200,$SCAN_BANNER_PORT,$SCAN_HTTP_PORT"
readonly SCAN_TCP_COUNT=202

# scan_services DIR: the open ports of the server namespace (stopped with
# the other servers after the exchange): http.server on 8080/tcp, a service
# that greets with an OpenSSH banner on 2222/tcp, and one on 5353/udp that
# sends every datagram back with the DNS "response" bit set.
scan_services() {
    local d=$1
    mkdir -p "$d/www"
    echo "scan target" >"$d/www/index.html"
    cat >"$d/svc.py" <<'EOF'
import socket, sys, threading

addr, tport, uport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def serve(c):
    try:
        c.settimeout(10)
        c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
        while c.recv(4096):
            pass
    except OSError:
        pass
    finally:
        c.close()

def tcp():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, tport))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, uport))
threading.Thread(target=tcp, daemon=True).start()
while True:
    data, peer = u.recvfrom(4096)
    if len(data) >= 4:
        data = data[:2] + bytes([data[2] | 0x80]) + data[3:]
    u.sendto(data or b"\0", peer)
EOF
    start_srv scan-http python3 -m http.server --bind "$SRV_IP" \
        --directory "$d/www" "$SCAN_HTTP_PORT"
    start_srv scan-svc python3 "$d/svc.py" "$SRV_IP" "$SCAN_BANNER_PORT" \
        "$SCAN_UDP_PORT"
    wait_listen scan-http t "$SCAN_HTTP_PORT"
    wait_listen scan-svc t "$SCAN_BANNER_PORT"
    wait_listen scan-svc u "$SCAN_UDP_PORT"
}

# scan_nmap NAME SECONDS NMAP-ARGS...: nmap from the VM, bounded, its output
# in $TMP/NAME/nmap.log.
scan_nmap() {
    local name=$1 secs=$2 d=$TMP/$1
    shift 2
    run_vm "$secs" nmap -n -T4 "$@" >"$d/nmap.log" 2>&1 || {
        cat "$d/nmap.log" >&2
        die "$name: nmap failed"
    }
}

# scan_span FILE FILTER: seconds from the first to the last packet of FILE
# that matches FILTER.
scan_span() {
    tcpdump -r "$1" -nn -tt "$2" 2>/dev/null |
        awk 'NR == 1 { f = $1 } { l = $1 }
            END { printf "%.3f", NR ? l - f : 0 }'
}

# scan_report NAME FILE PROBES [DISTINCT]: log the probes (tcpdump FILTER
# PROBES: count, distinct destinations or DISTINCT, duration) and what the
# server answered.
scan_report() {
    local name=$1 f=$2 probes=$3 n dst rst synack unr udp other
    n=$(count_packets "$f" "$probes")
    dst=${4:-$(distinct_dsts "$f" "$probes") destinations}
    rst=$(count_packets "$f" "src host $SRV_IP and tcp[tcpflags] & tcp-rst != 0")
    synack=$(count_packets "$f" \
        "src host $SRV_IP and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)")
    unr=$(tcpdump -r "$f" -nn "src host $SRV_IP and icmp[icmptype] == icmp-unreach" \
        2>/dev/null | sed -n 's/.* \(port\|protocol\) [0-9]* unreachable.*/\1/p' |
        sort | uniq -c | awk '{ printf "%s%d %s", s, $1, $2; s = ", " }')
    udp=$(count_packets "$f" "src host $SRV_IP and udp")
    other=$(count_packets "$f" "src host $SRV_IP and not arp")
    log "$name: $n probes to $dst in $(scan_span "$f" "$probes") s;" \
        "server sent $other packets: $rst RST, $synack SYN-ACK, $udp UDP," \
        "ICMP unreachable: ${unr:-none}"
}

# scan_open NAME: the ports nmap reported open (or open|filtered, etc.).
scan_open() {
    local states
    states=$(awk '$1 ~ /^[0-9]+(\/[a-z]+)?$/ && $2 ~ /open|closed|filtered/ {
        $1 = $1; print }' "$TMP/$1/nmap.log" | paste -sd, -)
    log "$1: nmap lists ${states:-no port}; $(grep -h '^Not shown' "$TMP/$1/nmap.log" || true)"
}

# scan_tcp NAME NMAP-TYPE FLAGS: a raw TCP scan of SCAN_TCP_PORTS whose
# probes carry exactly the TCP flags FLAGS (tcpdump flag expression, the
# ECN bits ignored), one to each port.
scan_tcp() {
    local name=$1 type=$2 flags=$3 d=$TMP/$1 n probes
    mkdir -p "$d"
    scan_services "$d"
    cap_start "$d/cap.pcap" 96
    scan_nmap "$name" 60 "$type" -Pn --max-retries 0 -p "$SCAN_TCP_PORTS" "$SRV_IP"
    cap_stop
    check_capture "$d/cap.pcap" ""
    probes="src host $VM_IP and dst host $SRV_IP and tcp and tcp[13] & 0x3f == ($flags)"
    n=$(distinct_dsts "$d/cap.pcap" "$probes")
    ((n >= SCAN_TCP_COUNT)) ||
        die "$d/cap.pcap: $name probes to $n ports, want $SCAN_TCP_COUNT"
    scan_report "$name" "$d/cap.pcap" "$probes"
    scan_open "$name"
    CAPTURE=$d/cap.pcap
}

run_scan_fin() { scan_tcp scan-fin -sF "tcp-fin"; }
run_scan_xmas() { scan_tcp scan-xmas -sX "tcp-fin|tcp-push|tcp-urg"; }
run_scan_null() { scan_tcp scan-null -sN "0"; }
run_scan_ack() { scan_tcp scan-ack -sA "tcp-ack"; }
run_scan_window() { scan_tcp scan-window -sW "tcp-ack"; }
run_scan_maimon() { scan_tcp scan-maimon -sM "tcp-fin|tcp-ack"; }

# A connect() scan: the kernel's own SYNs (with options), full handshakes
# with the open ports, which nmap then resets.
run_scan_connect() {
    scan_tcp scan-connect -sT "tcp-syn"
    (($(count_packets "$CAPTURE" "src host $SRV_IP and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)") >= 2)) ||
        die "$CAPTURE: no handshake with the open ports"
}

# A UDP scan: nmap's payloads for 53, 123, 161, 177, 500 and 5353 (which
# answers), empty datagrams elsewhere; closed ports get ICMP port
# unreachable as fast as the server's kernel rate limit allows.
run_scan_udp() {
    local d=$TMP/scan-udp n probes
    mkdir -p "$d"
    scan_services "$d"
    cap_start "$d/cap.pcap" 96
    scan_nmap scan-udp 60 -sU -Pn --max-retries 0 \
        -p "1-200,500,$SCAN_UDP_PORT" "$SRV_IP"
    cap_stop
    check_capture "$d/cap.pcap" ""
    probes="src host $VM_IP and dst host $SRV_IP and udp"
    n=$(distinct_dsts "$d/cap.pcap" "$probes")
    ((n >= 200)) || die "$d/cap.pcap: UDP probes to $n ports, want 202"
    (($(count_packets "$d/cap.pcap" "src host $SRV_IP and udp src port $SCAN_UDP_PORT") >= 1)) ||
        die "$d/cap.pcap: the UDP service never answered"
    (($(count_packets "$d/cap.pcap" "src host $SRV_IP and icmp[icmptype] == icmp-unreach") >= 1)) ||
        die "$d/cap.pcap: no ICMP port unreachable"
    scan_report scan-udp "$d/cap.pcap" "$probes"
    scan_open scan-udp
    CAPTURE=$d/cap.pcap
}

# An SCTP INIT scan of 1-200.
run_scan_sctp() {
    local d=$TMP/scan-sctp n probes
    mkdir -p "$d"
    cap_start "$d/cap.pcap" 96
    scan_nmap scan-sctp 60 -sY -Pn --max-retries 0 -p 1-200 "$SRV_IP"
    cap_stop
    check_capture "$d/cap.pcap" ""
    probes="src host $VM_IP and dst host $SRV_IP and sctp"
    n=$(distinct_dsts "$d/cap.pcap" "$probes")
    ((n >= 200)) || die "$d/cap.pcap: SCTP INITs to $n ports, want 200"
    scan_report scan-sctp "$d/cap.pcap" "$probes"
    scan_open scan-sctp
    CAPTURE=$d/cap.pcap
}

# An IP protocol scan: one packet of each protocol number 0-255.
run_scan_ipproto() {
    local d=$TMP/scan-ipproto n probes
    mkdir -p "$d"
    cap_start "$d/cap.pcap" 96
    scan_nmap scan-ipproto 60 -sO -Pn --max-retries 0 "$SRV_IP"
    cap_stop
    check_capture "$d/cap.pcap" ""
    probes="ip and src host $VM_IP and dst host $SRV_IP"
    n=$(tcpdump -r "$d/cap.pcap" -nn -v "$probes" 2>/dev/null |
        sed -n 's/^[0-9].* proto .*(\([0-9]*\)), length .*/\1/p' | sort -u | wc -l)
    ((n == 256)) || die "$d/cap.pcap: probes of $n IP protocols, want 256"
    scan_report scan-ipproto "$d/cap.pcap" "$probes" "$n IP protocols"
    scan_open scan-ipproto
    CAPTURE=$d/cap.pcap
}

# An ICMP echo sweep of 30 addresses that do not exist (TEST-NET-2), sent
# to the default gateway, the server namespace, which drops them.
run_scan_ping_sweep() {
    local d=$TMP/scan-ping-sweep n probes before after
    mkdir -p "$d"
    vm_default_route
    before=$(ip_stat InAddrErrors)
    cap_start "$d/cap.pcap" 96
    scan_nmap scan-ping-sweep 60 -sn -PE 198.51.100.1-30
    cap_stop
    check_capture "$d/cap.pcap" "" 198.51.100.0/24
    probes="src host $VM_IP and icmp[icmptype] == icmp-echo and dst net 198.51.100.0/24"
    n=$(distinct_dsts "$d/cap.pcap" "$probes")
    ((n == 30)) || die "$d/cap.pcap: echo requests to $n addresses, want 30"
    after=$(ip_stat InAddrErrors)
    (($(ip_stat ForwDatagrams) == 0 && after - before >= n)) ||
        die "scan-ping-sweep: the server namespace did not drop the sweep"
    scan_report scan-ping-sweep "$d/cap.pcap" "$probes"
    grep -h 'Nmap done' "$d/nmap.log" >&2 || true
    CAPTURE=$d/cap.pcap
}

# A version scan: SYN scan of 1-100 and the two open TCP ports, then nmap's
# service probes (NULL probe, GET / ...) to the open ones.
run_scan_version() {
    local d=$TMP/scan-version n probes
    mkdir -p "$d"
    scan_services "$d"
    cap_start "$d/cap.pcap" 96
    scan_nmap scan-version 60 -sV -Pn --max-retries 0 \
        -p "1-100,$SCAN_BANNER_PORT,$SCAN_HTTP_PORT" "$SRV_IP"
    cap_stop
    check_capture "$d/cap.pcap" "SSH-2.0-OpenSSH_9.2p1"
    grep -aqF "GET / HTTP/1." "$d/cap.pcap" ||
        die "$d/cap.pcap: no HTTP service probe"
    grep -qE "^$SCAN_BANNER_PORT/tcp +open +ssh" "$d/nmap.log" || {
        cat "$d/nmap.log" >&2
        die "scan-version: nmap did not identify the SSH banner"
    }
    probes="src host $VM_IP and dst host $SRV_IP and tcp[tcpflags] == tcp-syn"
    n=$(distinct_dsts "$d/cap.pcap" "$probes")
    ((n >= 102)) || die "$d/cap.pcap: SYNs to $n ports, want 102"
    scan_report scan-version "$d/cap.pcap" "$probes"
    scan_open scan-version
    CAPTURE=$d/cap.pcap
}

# An ICMPv6 echo sweep: IPv6 on the link (net_v6) and a default route via
# the server namespace, which has no route to 2001:db8:1::/64: the 30
# addresses get two echo requests each (nmap's host discovery sends each
# probe twice), the server's kernel answers about half with ICMPv6
# destination unreachable (no route; the rest fall to its ICMPv6 rate
# limit).  The link's own ICMPv6 (router solicitation, MLD reports,
# neighbour discovery of the gateway) is in the capture too.
run_scan_icmp6() {
    local d=$TMP/scan-icmp6 n i stray probes targets=()
    mkdir -p "$d"
    net_v6
    in_srv sysctl -qw net.ipv6.conf.all.forwarding=0
    ip -n "$VM_NS" -6 route add default via "$SRV_IP6" dev "$VM_IF"
    for ((i = 1; i <= 30; i++)); do
        targets+=("$(printf '2001:db8:1::%x' "$i")")
    done
    cap_start "$d/cap.pcap" 96
    scan_nmap scan-icmp6 60 -6 -sn -PE "${targets[@]}"
    cap_stop
    stray=$(tcpdump -r "$d/cap.pcap" -nn "not (arp or icmp6 or
        ip6 dst net ff02::/16)" 2>/dev/null | wc -l)
    ((stray == 0)) || die "$d/cap.pcap: $stray packets besides ICMPv6"
    probes="src host $VM_IP6 and icmp6 and ip6[40] == 128 and dst net 2001:db8:1::/64"
    n=$(tcpdump -r "$d/cap.pcap" -nn "$probes" 2>/dev/null |
        awk '{ print $5 }' | sort -u | wc -l)
    ((n == 30)) || die "$d/cap.pcap: echo requests to $n addresses, want 30"
    log "scan-icmp6: $(count_packets "$d/cap.pcap" "$probes") echo requests" \
        "to $n addresses in $(scan_span "$d/cap.pcap" "$probes") s;" \
        "$(count_packets "$d/cap.pcap" "ip6 and src host $SRV_IP6 and ip6[40] == 1")" \
        "ICMPv6 unreachables and" \
        "$(count_packets "$d/cap.pcap" "ip6 and src host $SRV_IP6 and ip6[40] == 136")" \
        "neighbour advertisements from the server"
    CAPTURE=$d/cap.pcap
}

# masscan: SYNs to 1-500 and the two open TCP ports at 2000 packets a
# second, from the VM's own address (its kernel resets the SYN-ACKs).
run_scan_masscan() {
    local d=$TMP/scan-masscan n probes
    need masscan masscan
    mkdir -p "$d"
    scan_services "$d"
    cap_start "$d/cap.pcap" 96
    run_vm 60 masscan "$SRV_IP" -p "1-500,$SCAN_BANNER_PORT,$SCAN_HTTP_PORT" \
        --rate 2000 --wait 2 --adapter "$VM_IF" --adapter-ip "$VM_IP" \
        --adapter-mac "$VM_MAC" --router-mac "$SRV_MAC" \
        >"$d/masscan.log" 2>&1 || {
        cat "$d/masscan.log" >&2
        die "scan-masscan: masscan failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" ""
    probes="src host $VM_IP and dst host $SRV_IP and tcp[tcpflags] == tcp-syn"
    n=$(distinct_dsts "$d/cap.pcap" "$probes")
    ((n == 502)) || die "$d/cap.pcap: SYNs to $n ports, want 502"
    # Both open ports answer on the wire; masscan's own receiver (libpcap
    # on the veth) now and then misses one of the two SYN-ACKs.
    (($(count_packets "$d/cap.pcap" "src host $SRV_IP and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)") == 2)) ||
        die "$d/cap.pcap: want a SYN-ACK from each of the two open ports"
    grep -q "^Discovered open port" "$d/masscan.log" || {
        cat "$d/masscan.log" >&2
        die "scan-masscan: masscan found no open port"
    }
    scan_report scan-masscan "$d/cap.pcap" "$probes"
    log "scan-masscan: $(grep -o '^Discovered open port [^ ]*' "$d/masscan.log" |
        paste -sd, -)"
    CAPTURE=$d/cap.pcap
}

# zmap: SYNs to port 80 of the 64 addresses of 198.51.100.0/26 (not there:
# the server namespace, the gateway, drops them) at 500 packets a second.
# zmap's default blocklist holds TEST-NET-2, so it gets an empty one.
run_scan_zmap() {
    local d=$TMP/scan-zmap n probes before after
    need zmap zmap
    mkdir -p "$d"
    : >"$d/blocklist"
    vm_default_route
    before=$(ip_stat InAddrErrors)
    cap_start "$d/cap.pcap" 96
    run_vm 60 zmap -q -p 80 -i "$VM_IF" -S "$VM_IP" -G "$SRV_MAC" \
        -r 500 -n 64 -c 2 -b "$d/blocklist" -o "$d/hits" 198.51.100.0/26 \
        >"$d/zmap.log" 2>&1 || {
        cat "$d/zmap.log" >&2
        die "scan-zmap: zmap failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" "" 198.51.100.0/24
    probes="src host $VM_IP and tcp[tcpflags] == tcp-syn and dst net 198.51.100.0/24 and dst port 80"
    n=$(distinct_dsts "$d/cap.pcap" "$probes")
    ((n == 64)) || die "$d/cap.pcap: SYNs to $n addresses, want 64"
    after=$(ip_stat InAddrErrors)
    (($(ip_stat ForwDatagrams) == 0 && after - before >= n)) ||
        die "scan-zmap: the server namespace did not drop the sweep"
    scan_report scan-zmap "$d/cap.pcap" "$probes"
    CAPTURE=$d/cap.pcap
}
