#!/usr/bin/env bash
# record-captures.sh OUTDIR [NAME...|all]
#
# Records the small packet captures that egressd's golden replay tests feed
# to the classifier, OUTDIR/NAME.pcap for every NAME of ALL_NAMES below
# (without a NAME the exchanges of this file, with "all" those of
# exchanges/*.sh too, otherwise only the named ones); where OUTDIR/NAME is
# a directory, a golden case (tests/golden/NAME/), OUTDIR/NAME/capture.pcap
# instead, so `record-captures.sh tests/golden NAME` records a case again.
# Each capture is recorded with the real programs talking to each other
# (OpenSSH, openssl s_server + curl, microsocks + curl, opentracker + two
# aria2c peers, two OpenVPN peers over UDP and over TCP, iodined + iodine,
# tinyproxy + curl, an openssl "Tor relay ORPort" + s_client) rather than
# synthesised, so the tests see genuine protocol behaviour.  Where Debian
# packages no peer -- a stratum mining pool and miner, a plain JSON-RPC
# node -- the small Python programs beside this script (stratum-pool.py,
# stratum-miner.py, jsonrpc-peer.py) speak the protocol.  Attacks come from
# the real tools too (hping3 floods, nmap scans, hydra against sshd; only
# the DNS amplification queries come from dns-any.py), as does the benign
# heavy traffic (iperf3, 200 parallel curl downloads, 60 HTTPS fetches);
# floods, scans and bulk transfers keep 96 bytes of each frame.  For every
# exchange the script builds two private network namespaces joined by a
# veth pair -- a "VM" side at 192.0.2.10/24 (the client, where tcpdump
# listens) and a "server" side at 192.0.2.1/24 -- with no other interface
# and no route anywhere else, so the traffic never leaves namespaces the
# script made (tunnels add only their own 10.8.0.0 and 10.9.0.0 point to
# point links between the same two namespaces).  Fixed MAC addresses,
# disabled IPv6 and disabled segmentation offload keep the captures free of
# noise and made of ordinary wire-sized frames.  All keys, certificates,
# payloads and configs live in a mktemp -d directory; a trap kills every
# process started here and removes both namespaces and the temporary
# directory on exit, error or interrupt.  Must run as root.
set -euo pipefail

# The exchanges defined in this file; those of exchanges/*.sh beside it are
# added to ALL_NAMES when those files are read (see the end of the helpers).
ALL_NAMES=(ssh https socks5 bittorrent stratum xmrig jsonrpc openvpn
    openvpn-tcp iodine tinyproxy tor synflood udpflood icmpflood portscan
    addrscan hydra dnsamp iperf3 httpmany httpsburst)
readonly VM_IP=192.0.2.10
readonly SRV_IP=192.0.2.1
readonly VM_NS="egd-vm-$$"
readonly SRV_NS="egd-srv-$$"
readonly VM_IF=veth-vm
readonly SRV_IF=veth-srv
readonly VM_MAC=02:00:c0:00:02:0a
readonly SRV_MAC=02:00:c0:00:02:01

# The Python protocol peers live beside this script.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE

TMP=""
PIDS=()
CAP_PID=""
LIVE_PID=""
CLIENT_PID=""
# With EGRESSD_LIVE set (the path of an egressd binary), egressd also
# captures live on the VM's interface during every exchange, as user nobody
# with two workers, writing OUTDIR/NAME.live.json; EGRESSD_LIVE_ARGS adds
# options (split at blanks). Its exit status must be 0.
EGRESSD_LIVE=${EGRESSD_LIVE:-}
EGRESSD_LIVE_ARGS=${EGRESSD_LIVE_ARGS:-}
MADE_RUN_SSHD=0

die() { echo "record-captures: error: $*" >&2; exit 1; }
log() { echo "record-captures: $*" >&2; }

usage() {
    echo "usage: $0 OUTDIR [${ALL_NAMES[*]}]..." >&2
    exit 2
}

# ---------------------------------------------------------------- cleanup --

# Wait (bounded) for a child of this shell to exit, then reap it.
wait_pid() {
    local pid=$1 secs=${2:-5} i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_servers() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait_pid "$pid" 3
    done
    PIDS=()
}

net_down() {
    local ns pid
    for ns in "$VM_NS" "$SRV_NS"; do
        [[ -e "/run/netns/$ns" ]] || continue
        # Anything still living in the namespace was started by this script.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n "$CLIENT_PID" ]]; then
        kill -TERM "$CLIENT_PID" 2>/dev/null || true
        wait_pid "$CLIENT_PID" 3
    fi
    if [[ -n "$CAP_PID" ]]; then
        kill -INT "$CAP_PID" 2>/dev/null || true
        wait_pid "$CAP_PID" 3
    fi
    if [[ -n "$LIVE_PID" ]]; then
        kill -TERM "$LIVE_PID" 2>/dev/null || true
        wait_pid "$LIVE_PID" 3
    fi
    stop_servers
    net_down
    if ((MADE_RUN_SSHD)); then
        rmdir /run/sshd 2>/dev/null || true
    fi
    [[ -n "$TMP" && -d "$TMP" ]] && rm -rf -- "$TMP"
    exit "$rc"
}

# ---------------------------------------------------------------- helpers --

# wait_until SECONDS CMD...: poll CMD every 0.1 s, fail after SECONDS.
wait_until() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

in_srv() { ip netns exec "$SRV_NS" "$@"; }

# run_vm SECONDS CMD...: run a client in the VM namespace, bounded by
# timeout.  It runs as a background job and is waited for, so an INT/TERM
# reaches our trap at once instead of after the client finishes.
# Its standard input is /dev/null unless VM_STDIN names a file.
run_vm() {
    local secs=$1 rc=0
    shift
    timeout "$secs" ip netns exec "$VM_NS" "$@" <"${VM_STDIN:-/dev/null}" &
    CLIENT_PID=$!
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    return "$rc"
}

# start_srv NAME CMD...: run CMD in the server namespace in the background.
# `ip netns exec` execs the command, so $! is the server process itself.
start_srv() {
    local name=$1
    shift
    ip netns exec "$SRV_NS" "$@" >"$TMP/$name.log" 2>&1 </dev/null &
    PIDS+=("$!")
}

# start_vm NAME CMD...: the same for a long-running client (a tunnel) in the
# VM namespace; stop it with stop_pid before the capture ends.
start_vm() {
    local name=$1
    shift
    ip netns exec "$VM_NS" "$@" >"$TMP/$name.log" 2>&1 </dev/null &
    PIDS+=("$!")
}

# stop_pid PID: stop one process of PIDS now (SIGTERM, bounded wait).
stop_pid() {
    local pid=$1 p keep=()
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid "$pid" 5
    for p in "${PIDS[@]}"; do
        [[ "$p" == "$pid" ]] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
}

# log_has NAME TEXT: the log of NAME (see start_srv) contains TEXT.
log_has() { grep -qF -- "$2" "$TMP/$1.log" 2>/dev/null; }

srv_listening() { # PROTO(t|u) PORT
    [[ -n "$(in_srv ss -Hln"$1" "sport = :$2" 2>/dev/null)" ]]
}

wait_listen() { # NAME PROTO PORT
    wait_until 10 srv_listening "$2" "$3" || {
        cat "$TMP/$1.log" >&2 2>/dev/null || true
        die "$1 did not start listening on $3/${2/t/tcp}"
    }
}

net_up() {
    local ns
    for ns in "$VM_NS" "$SRV_NS"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # No IPv6 at all: no neighbour discovery / MLD noise in captures.
        if [[ -d /proc/sys/net/ipv6 ]]; then
            ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
                net.ipv6.conf.default.disable_ipv6=1
        fi
    done
    ip link add "$VM_IF" netns "$VM_NS" address "$VM_MAC" type veth \
        peer name "$SRV_IF" netns "$SRV_NS" address "$SRV_MAC"
    # veth does TSO/GSO; cap it to one segment per packet so the captures
    # hold ordinary <=1514-byte frames like a real NIC would put on a wire.
    ip -n "$VM_NS" link set "$VM_IF" gso_max_segs 1 gso_max_size 1500
    ip -n "$SRV_NS" link set "$SRV_IF" gso_max_segs 1 gso_max_size 1500
    ip -n "$VM_NS" addr add "$VM_IP/24" dev "$VM_IF"
    ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF"
    ip -n "$VM_NS" link set "$VM_IF" up
    ip -n "$SRV_NS" link set "$SRV_IF" up
}

# net_v6: IPv6 on the link too, for exchanges that need it: the VM at
# 2001:db8::10, the server at 2001:db8::1 (TEST-NET, no route elsewhere),
# without duplicate address detection so the addresses work at once.
readonly VM_IP6=2001:db8::10
readonly SRV_IP6=2001:db8::1
net_v6() {
    local ns
    for ns in "$VM_NS" "$SRV_NS"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
            net.ipv6.conf.default.disable_ipv6=0 \
            net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    ip netns exec "$VM_NS" sysctl -qw net.ipv6.conf."$VM_IF".disable_ipv6=0 \
        net.ipv6.conf."$VM_IF".accept_dad=0
    ip netns exec "$SRV_NS" sysctl -qw net.ipv6.conf."$SRV_IF".disable_ipv6=0 \
        net.ipv6.conf."$SRV_IF".accept_dad=0
    ip -n "$VM_NS" addr add "$VM_IP6/64" dev "$VM_IF" nodad
    ip -n "$SRV_NS" addr add "$SRV_IP6/64" dev "$SRV_IF" nodad
}

cap_listening() { grep -q 'listening on' "$TMP/tcpdump.log" 2>/dev/null; }

cap_start() { # FILE [SNAPLEN]
    : >"$TMP/tcpdump.log"
    # --immediate-mode: without it libpcap's TPACKET_V3 ring hands packets
    # over only per filled block or 1 s timeout, and a short exchange that
    # ends with SIGINT before then is lost ("0 packets captured").
    # -B 65536: veth advertises offloads, so libpcap sizes every ring slot
    # for 64 KiB frames; the default 2 MiB ring then holds ~30 packets and
    # the kernel drops most of a fast local transfer.
    # -Z root: Debian's tcpdump otherwise switches to a "tcpdump" user (and
    # fails where it does not exist); staying root keeps this self-contained.
    # SNAPLEN (default 0, whole frames) keeps floods, scans and bulk
    # transfers small: 96 bytes hold every header the classifier reads.
    # CAP_NS and CAP_IF (default: the VM's namespace and interface) and
    # LIVE_IF (default: the VM's interface), set by an exchange, capture
    # elsewhere: at the host end of the VM's link, say.
    ip netns exec "${CAP_NS:-$VM_NS}" tcpdump --immediate-mode -B 65536 -Z root \
        -i "${CAP_IF:-$VM_IF}" -s "${2:-0}" -U -w "$1" >"$TMP/tcpdump.log" 2>&1 </dev/null &
    CAP_PID=$!
    wait_until 10 cap_listening || {
        cat "$TMP/tcpdump.log" >&2
        die "tcpdump did not start capturing"
    }
    if [[ -n "$EGRESSD_LIVE" ]]; then
        : >"$TMP/live.log"
        # shellcheck disable=SC2086
        ip netns exec "${CAP_NS:-$VM_NS}" "$EGRESSD_LIVE" -i "${LIVE_IF:-$VM_IF}" -u nobody \
            --workers 2 --stats-interval 0 -v $EGRESSD_LIVE_ARGS \
            >"${1%.pcap}.live.json" 2>"$TMP/live.log" </dev/null &
        LIVE_PID=$!
        wait_until 10 grep -q "capturing on" "$TMP/live.log" || {
            cat "$TMP/live.log" >&2
            die "egressd did not start capturing"
        }
    fi
    # The "listening on" line is printed once the socket is bound; give the
    # ring a moment so the very first packet is not missed.
    sleep 0.2
}

cap_stop() {
    # Let the last FIN/ACKs cross the link before stopping.
    sleep 0.5
    kill -INT "$CAP_PID"
    wait_pid "$CAP_PID" 10
    CAP_PID=""
    # tcpdump's exit statistics must show every packet written out.
    local got seen dropped
    got=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$TMP/tcpdump.log")
    seen=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$TMP/tcpdump.log")
    dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$TMP/tcpdump.log")
    [[ -n "$got" && "$got" == "$seen" && "$dropped" == 0 ]] || {
        cat "$TMP/tcpdump.log" >&2
        die "tcpdump lost packets"
    }
    log "tcpdump: $got packets captured, $dropped dropped by kernel"
    if [[ -n "$LIVE_PID" ]]; then
        local rc=0
        kill -TERM "$LIVE_PID"
        wait "$LIVE_PID" || rc=$?
        LIVE_PID=""
        ((rc == 0)) || { cat "$TMP/live.log" >&2; die "live egressd exited $rc"; }
    fi
}

# Check a capture only holds ARP and IPv4 between the two test addresses and
# contains a protocol marker string (none checked when MARKER is empty).
# With NET, packets from the VM to NET (the unrouted documentation network
# of the sweeps, see vm_default_route) are allowed too, but none from NET.
check_capture() { # FILE MARKER [NET]
    local file=$1 marker=$2 net=${3:-} n stray also=""
    n=$(tcpdump -r "$file" -nn 2>/dev/null | wc -l)
    ((n > 0)) || die "$file: empty capture"
    [[ -z "$net" ]] || also=" or (ip and src host $VM_IP and dst net $net)"
    stray=$(tcpdump -r "$file" -nn "not (arp or (ip and
        (src host $VM_IP or src host $SRV_IP) and
        (dst host $VM_IP or dst host $SRV_IP))$also)" 2>/dev/null | wc -l)
    ((stray == 0)) || die "$file: $stray packets not between $VM_IP and $SRV_IP${net:+ (or to $net)}"
    [[ -z "$marker" ]] || grep -aqF -- "$marker" "$file" ||
        die "$file: does not contain '$marker'"
}

# ------------------------------------------------------------- exchanges --

# sshd's privilege separation directory (Debian's sshd refuses to start
# without it).
need_run_sshd() {
    if [[ ! -d /run/sshd ]]; then
        mkdir -m 0755 /run/sshd
        MADE_RUN_SSHD=1
    fi
}

# key_sshd DIR ADDR [LINE...]: sshd on ADDR port 22 in the server
# namespace with a throwaway host key, key login for root with
# DIR/client_key (made here; see ssh_args in exchanges/remote.sh), no
# forwarding unless a LINE of sshd_config says otherwise (LINEs come
# first: the first value of a keyword is the one sshd takes).
key_sshd() {
    local d=$1 addr=$2
    shift 2
    need_run_sshd
    ssh-keygen -q -t ed25519 -N '' -C egd-host -f "$d/host_key"
    ssh-keygen -q -t ed25519 -N '' -C egd-client -f "$d/client_key"
    cp "$d/client_key.pub" "$d/authorized_keys"
    {
        (($# == 0)) || printf '%s\n' "$@"
        cat <<EOF
Port 22
ListenAddress $addr
AddressFamily inet
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
EOF
    } >"$d/sshd_config"
    start_srv sshd /usr/sbin/sshd -D -e -f "$d/sshd_config"
    wait_listen sshd t 22
}

run_ssh() {
    local d=$TMP/ssh out
    mkdir -p "$d"
    key_sshd "$d" "$SRV_IP"

    cap_start "$d/cap.pcap"
    run_vm 20 ssh -F /dev/null \
        -i "$d/client_key" -o IdentitiesOnly=yes -o IdentityAgent=none \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
        "root@$SRV_IP" 'echo hello; uname -s' >"$d/out" || {
        cat "$TMP/sshd.log" >&2
        die "ssh exchange failed"
    }
    cap_stop
    out=$(<"$d/out")
    [[ "$out" == $'hello\nLinux' ]] || die "unexpected ssh output: $out"
    check_capture "$d/cap.pcap" "SSH-2.0-"
    CAPTURE=$d/cap.pcap
}

run_https() {
    local d=$TMP/https
    mkdir -p "$d/www"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj /CN=files.example.test \
        -addext subjectAltName=DNS:files.example.test \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    head -c 20480 /dev/urandom >"$d/www/report.bin"
    # -WWW serves files relative to the working directory (env -C execs).
    start_srv s_server env -C "$d/www" openssl s_server -quiet \
        -accept "$SRV_IP:443" -cert "$d/cert.pem" -key "$d/key.pem" -WWW
    wait_listen s_server t 443

    cap_start "$d/cap.pcap"
    run_vm 20 curl -q -sS --fail -k \
        --connect-timeout 5 --resolve "files.example.test:443:$SRV_IP" \
        -o "$d/got.bin" https://files.example.test/report.bin || {
        cat "$TMP/s_server.log" >&2
        die "https download failed"
    }
    cap_stop
    cmp -s "$d/www/report.bin" "$d/got.bin" || die "https download differs"
    check_capture "$d/cap.pcap" "files.example.test"
    CAPTURE=$d/cap.pcap
}

run_socks5() {
    local d=$TMP/socks5
    mkdir -p "$d/www"
    printf 'egressd socks5 capture payload %s\n' {1..64} >"$d/www/hello.txt"
    start_srv microsocks microsocks -i "$SRV_IP" -p 1080
    start_srv http python3 -m http.server --bind "$SRV_IP" 8080 \
        --directory "$d/www"
    wait_listen microsocks t 1080
    wait_listen http t 8080

    cap_start "$d/cap.pcap"
    run_vm 20 curl -q -sS --fail \
        --connect-timeout 5 --socks5 "$SRV_IP:1080" \
        -o "$d/got.txt" "http://$SRV_IP:8080/hello.txt" || {
        cat "$TMP/microsocks.log" "$TMP/http.log" >&2
        die "socks5 download failed"
    }
    cap_stop
    cmp -s "$d/www/hello.txt" "$d/got.txt" || die "socks5 download differs"
    check_capture "$d/cap.pcap" "GET /hello.txt"
    CAPTURE=$d/cap.pcap
}

# Writes a single-file .torrent; prints the info hash as hex and URL-encoded.
make_torrent() { # FILE ANNOUNCE OUT
    python3 - "$@" <<'EOF'
import hashlib, os, sys, urllib.parse

def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x)
                       for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))

path, announce, out = sys.argv[1:4]
plen = 16384
pieces = b""
with open(path, "rb") as f:
    while chunk := f.read(plen):
        pieces += hashlib.sha1(chunk).digest()
info = {"name": os.path.basename(path), "length": os.path.getsize(path),
        "piece length": plen, "pieces": pieces}
with open(out, "wb") as f:
    f.write(bencode({"announce": announce, "created by": "egressd tests",
                     "info": info}))
ih = hashlib.sha1(bencode(info)).digest()
print(ih.hex(), urllib.parse.quote_from_bytes(ih, safe=""))
EOF
}

# Debian's opentracker is built with a whitelist: until it has loaded ours,
# announces fail with "Requested download is not authorized".  Probe with a
# "stopped" announce, which leaves no peer behind.
tracker_ready() { # INFOHASH_URLENC
    in_srv curl -q -s --max-time 2 -o "$TMP/bittorrent/probe" \
        "http://$SRV_IP:6969/announce?info_hash=$1&peer_id=-EG0000-probeprobe00&port=1&uploaded=0&downloaded=0&left=0&compact=1&event=stopped" ||
        return 1
    grep -aq 'interval' "$TMP/bittorrent/probe" &&
        ! grep -aq 'failure reason' "$TMP/bittorrent/probe"
}

seeder_registered() { # INFOHASH_URLENC
    in_srv curl -q -s --max-time 2 -o "$TMP/bittorrent/scrape" \
        "http://$SRV_IP:6969/scrape?info_hash=$1" || return 1
    grep -aq '8:completei1e' "$TMP/bittorrent/scrape"
}

run_bittorrent() {
    local d=$TMP/bittorrent ih ih_hex
    local -a a2=(aria2c --no-conf=true --enable-dht=false --enable-dht6=false
        --bt-enable-lpd=false --enable-peer-exchange=false --disable-ipv6=true
        --bt-tracker-connect-timeout=5 --bt-tracker-timeout=5
        --file-allocation=none --auto-file-renaming=false
        --summary-interval=0 --console-log-level=warn)
    mkdir -p "$d/seed" "$d/dl" "$d/tracker"
    head -c 262144 /dev/urandom >"$d/seed/dataset.bin"
    read -r ih_hex ih < <(make_torrent "$d/seed/dataset.bin" \
        "http://$SRV_IP:6969/announce" "$d/dataset.torrent")
    [[ -n "$ih" ]] || die "could not create the torrent"
    echo "$ih_hex" >"$d/tracker/whitelist"

    # opentracker chroots into -d and drops to nobody after binding; the
    # whitelist (-w) is opened after the chroot, so it is given relative.
    start_srv opentracker env -C "$d/tracker" opentracker -i "$SRV_IP" \
        -p 6969 -P 6969 -d . -w whitelist
    wait_listen opentracker t 6969
    wait_until 10 tracker_ready "$ih" || {
        cat "$TMP/opentracker.log" >&2
        die "opentracker does not accept the torrent"
    }
    start_srv seeder "${a2[@]}" --seed-ratio=0.0 --check-integrity=true \
        --listen-port=6881 --dir="$d/seed" "$d/dataset.torrent"
    wait_listen seeder t 6881
    wait_until 15 seeder_registered "$ih" ||
        die "aria2c seeder never registered with opentracker"

    cap_start "$d/cap.pcap"
    run_vm 40 "${a2[@]}" --seed-time=0 \
        --bt-stop-timeout=30 --listen-port=6882 --dir="$d/dl" \
        "$d/dataset.torrent" >"$TMP/leecher.log" 2>&1 || {
        cat "$TMP/leecher.log" "$TMP/seeder.log" >&2
        die "bittorrent download failed"
    }
    cap_stop
    cmp -s "$d/seed/dataset.bin" "$d/dl/dataset.bin" ||
        die "bittorrent download differs"
    check_capture "$d/cap.pcap" $'\x13BitTorrent protocol'
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------- mining and JSON-RPC --

# count_packets FILE FILTER: how many packets of FILE match a tcpdump FILTER.
# (Counted by tcpdump: some payloads, such as a VXLAN port in a flood, are
# printed over several lines.)
count_packets() {
    tcpdump -r "$1" -nn --count "$2" 2>/dev/null |
        sed -n 's/^\([0-9]*\) packets\{0,1\}$/\1/p'
}

# Stratum v1 (Bitcoin-style pool mining) between the project's own pool and
# miner: subscribe, authorize, set_difficulty + notify, two shares.
run_stratum() {
    local d=$TMP/stratum
    mkdir -p "$d"
    start_srv pool python3 "$HERE/stratum-pool.py" --timeout 30 "$SRV_IP" 3333
    wait_listen pool t 3333

    cap_start "$d/cap.pcap"
    run_vm 20 python3 "$HERE/stratum-miner.py" --timeout 15 "$SRV_IP" 3333 \
        >"$TMP/miner.log" 2>&1 || {
        cat "$TMP/miner.log" "$TMP/pool.log" >&2
        die "stratum exchange failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" '"method":"mining.notify"'
    grep -aqF '"method":"mining.submit"' "$d/cap.pcap" ||
        die "stratum capture holds no share"
    CAPTURE=$d/cap.pcap
}

# XMRig's Monero stratum: login with a wallet, job, submit, pushed job.
run_xmrig() {
    local d=$TMP/xmrig
    mkdir -p "$d"
    start_srv pool python3 "$HERE/stratum-pool.py" --xmrig --timeout 30 \
        "$SRV_IP" 3334
    wait_listen pool t 3334

    cap_start "$d/cap.pcap"
    run_vm 20 python3 "$HERE/stratum-miner.py" --xmrig --timeout 15 \
        "$SRV_IP" 3334 >"$TMP/miner.log" 2>&1 || {
        cat "$TMP/miner.log" "$TMP/pool.log" >&2
        die "xmrig exchange failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" '"agent":"XMRig/'
    grep -aqF '"method":"job"' "$d/cap.pcap" ||
        die "xmrig capture holds no pushed job"
    CAPTURE=$d/cap.pcap
}

# Benign JSON-RPC 2.0 over raw TCP (an Ethereum node's methods and an app's
# "login"): the negative case for the mining detection.
run_jsonrpc() {
    local d=$TMP/jsonrpc
    mkdir -p "$d"
    start_srv node python3 "$HERE/jsonrpc-peer.py" server --timeout 30 \
        "$SRV_IP" 8545
    wait_listen node t 8545

    cap_start "$d/cap.pcap"
    run_vm 20 python3 "$HERE/jsonrpc-peer.py" client --timeout 15 \
        "$SRV_IP" 8545 >"$TMP/client.log" 2>&1 || {
        cat "$TMP/client.log" "$TMP/node.log" >&2
        die "json-rpc exchange failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" '"method":"web3_clientVersion"'
    CAPTURE=$d/cap.pcap
}

# ----------------------------------------------------------- tunnels --

# The tunnels need the TUN driver's device node (a container may lack it).
need_tun() {
    [[ -c /dev/net/tun ]] && return 0
    mkdir -p /dev/net
    mknod -m 0666 /dev/net/tun c 10 200 || die "cannot create /dev/net/tun"
}

# ADDR is on interface DEV in namespace NS ("inet A/N" or, point to point,
# "inet A peer B/N").
ns_has_addr() { # NS DEV ADDR
    ip -n "$1" -4 -o addr show dev "$2" 2>/dev/null |
        grep -qE " inet ${3//./\\.}[ /]"
}

# openvpn_up PROTO: both tunnel addresses configured, both peers done with
# the TLS handshake ("Peer Connection Initiated") and their start-up
# ("Initialization Sequence Completed"), and over TCP the connection made.
openvpn_up() {
    ns_has_addr "$SRV_NS" tun0 10.8.0.1 && ns_has_addr "$VM_NS" tun0 10.8.0.2 &&
        log_has ovpn-srv 'Peer Connection Initiated' &&
        log_has ovpn-vm 'Peer Connection Initiated' &&
        log_has ovpn-srv 'Initialization Sequence Completed' &&
        log_has ovpn-vm 'Initialization Sequence Completed' &&
        { [[ "$1" != tcp ]] || { log_has ovpn-srv 'TCP connection established' &&
            log_has ovpn-vm 'TCP connection established'; }; }
}

# openvpn_pki DIR: a P-256 CA and the server (vpn.example.test, serverAuth)
# and client (client1, clientAuth) certificates it signs, in DIR.
openvpn_pki() {
    local d=$1 who cn eku
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj "/CN=egressd test VPN CA" \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null ||
        die "openssl: cannot make the OpenVPN CA"
    for who in server client; do
        if [[ "$who" == server ]]; then
            cn=vpn.example.test eku=serverAuth
        else
            cn=client1 eku=clientAuth
        fi
        printf '%s\n' basicConstraints=CA:FALSE \
            keyUsage=critical,digitalSignature,keyAgreement \
            "extendedKeyUsage=$eku" >"$d/$who.ext"
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
            -nodes -subj "/CN=$cn" -keyout "$d/$who.key" \
            -out "$d/$who.csr" 2>/dev/null &&
            openssl x509 -req -in "$d/$who.csr" -days 30 -sha256 \
                -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial "0x$(
                    od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
                -extfile "$d/$who.ext" -out "$d/$who.crt" 2>/dev/null ||
            die "openssl: cannot make the OpenVPN $who certificate"
    done
}

# OpenVPN 2.6 peer to peer in TLS mode (what real deployments run, unlike
# the deprecated --secret static key) over PROTO udp or tcp: certificates
# from a CA made here, --dh none (ECDHE only), the default data-ciphers
# (AES-256-GCM after negotiation).  Over UDP the control channel is
# authenticated with --tls-auth and the server listens on 1195/udp; over
# TCP it is encrypted with --tls-crypt and the server listens on 8443/tcp,
# so neither is found by the default port.  MODE udp-plain is UDP on
# 1196/udp with no control-channel wrapping at all (what many published
# client profiles still use).  Once both peers are up five pings cross the
# tunnel.  Only the outer packets are captured (tcpdump is on the veth).
openvpn_exchange() { # MODE: udp, tcp or udp-plain
    local d=$TMP/openvpn-$1 vm_pid port proto=${1%%-*}
    local -a srv_proto vm_proto srv_key vm_key
    local -a common=(--dev tun0 --dev-type tun --disable-dco
        --ca "$d/ca.crt" --auth SHA256 --verb 3)
    mkdir -p "$d"
    need_tun
    openvpn_pki "$d"
    if [[ "$1" == tcp ]]; then
        port=8443
        srv_proto=(--proto tcp-server)
        vm_proto=(--proto tcp-client --connect-retry 1 1)
        openvpn --genkey tls-crypt "$d/tc.key" >/dev/null 2>&1 ||
            die "openvpn --genkey tls-crypt failed"
        srv_key=(--tls-crypt "$d/tc.key")
        vm_key=(--tls-crypt "$d/tc.key")
    elif [[ "$1" == udp-plain ]]; then
        port=1196
        srv_proto=(--proto udp)
        vm_proto=(--proto udp --nobind)
        srv_key=()
        vm_key=()
    else
        port=1195
        srv_proto=(--proto udp)
        vm_proto=(--proto udp --nobind)
        openvpn --genkey tls-auth "$d/ta.key" >/dev/null 2>&1 ||
            die "openvpn --genkey tls-auth failed"
        srv_key=(--tls-auth "$d/ta.key" 0)
        vm_key=(--tls-auth "$d/ta.key" 1)
    fi
    start_srv ovpn-srv openvpn "${common[@]}" --tls-server --dh none \
        --cert "$d/server.crt" --key "$d/server.key" --remote-cert-tls client \
        "${srv_key[@]}" "${srv_proto[@]}" \
        --local "$SRV_IP" --lport "$port" --ifconfig 10.8.0.1 10.8.0.2
    wait_listen ovpn-srv "${proto:0:1}" "$port"

    cap_start "$d/cap.pcap"
    start_vm ovpn-vm openvpn "${common[@]}" --tls-client \
        --cert "$d/client.crt" --key "$d/client.key" --remote-cert-tls server \
        --verify-x509-name vpn.example.test name \
        "${vm_key[@]}" "${vm_proto[@]}" \
        --remote "$SRV_IP" "$port" --ifconfig 10.8.0.2 10.8.0.1
    vm_pid=$!
    wait_until 15 openvpn_up "$proto" || {
        cat "$TMP/ovpn-srv.log" "$TMP/ovpn-vm.log" >&2
        die "openvpn ($1) tunnel did not come up"
    }
    run_vm 20 ping -n -c 5 -i 0.2 -W 2 10.8.0.1 >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" "$TMP/ovpn-srv.log" "$TMP/ovpn-vm.log" >&2
        die "no ping answer through the openvpn ($1) tunnel"
    }
    grep -q ' 5 received' "$d/ping.out" || {
        cat "$d/ping.out" >&2
        die "pings lost in the openvpn ($1) tunnel"
    }
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" ""
    (($(count_packets "$d/cap.pcap" "$proto port $port") >= 10)) ||
        die "$d/cap.pcap: too few OpenVPN packets"
    CAPTURE=$d/cap.pcap
}

run_openvpn() { openvpn_exchange udp; }
run_openvpn_tcp() { openvpn_exchange tcp; }


iodine_up() { log_has iodine 'Connection setup complete'; }

# The longest first label of a DNS query in the capture.
longest_label() { # FILE
    tcpdump -r "$1" -nn 'udp dst port 53' 2>/dev/null |
        awk '{ for (i = 1; i < NF; i++) if ($i ~ /\?$/) {
                   split($(i + 1), l, "."); if (length(l[1]) > m) m = length(l[1]) } }
             END { print m + 0 }'
}

# IP over DNS: iodined answers for t.example.test on 192.0.2.1:53, iodine
# tunnels twenty pings of 400 bytes.  iodine_exchange dns (-r: no raw UDP
# mode, so everything stays DNS): each ping is split over several queries
# with long encoded labels.  iodine_exchange raw (iodine's default): after
# its login over DNS, iodine finds the server reachable directly and sends
# the pings as raw UDP to port 53 behind its 3-byte raw header.  -m 1024
# skips the downstream fragment size probe, whose oversized answers time
# out one by one (about 9 s of nothing on a veth).
iodine_exchange() { # dns|raw
    local mode=$1 d=$TMP/iodine vm_pid opts=(-f -m 1024)
    [ "$mode" = dns ] && opts+=(-r)
    mkdir -p "$d"
    need_tun
    start_srv iodined iodined -f -c -P secretpw -l "$SRV_IP" -d dns0 \
        10.9.0.1/27 t.example.test
    wait_listen iodined u 53

    cap_start "$d/cap.pcap"
    start_vm iodine iodine "${opts[@]}" -P secretpw -d dns0 "$SRV_IP" \
        t.example.test
    vm_pid=$!
    wait_until 20 iodine_up || {
        cat "$TMP/iodined.log" "$TMP/iodine.log" >&2
        die "iodine tunnel did not come up"
    }
    run_vm 20 ping -n -c 20 -i 0.1 -s 400 -W 3 10.9.0.1 >"$d/ping.out" 2>&1 || {
        cat "$d/ping.out" "$TMP/iodined.log" "$TMP/iodine.log" >&2
        die "no ping answer through the iodine tunnel"
    }
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" $'\x07example\x04test'
    if [ "$mode" = raw ]; then
        # udp[8:3]: the first three payload bytes, iodine's raw header
        (($(count_packets "$d/cap.pcap" "udp port 53 and udp[8:2] = 0x10d1 and udp[10] = 0x9e") >= 20)) ||
            die "$d/cap.pcap: iodine did not switch to raw UDP"
    else
        (($(count_packets "$d/cap.pcap" "udp dst port 53") >= 20)) ||
            die "$d/cap.pcap: too few DNS queries"
        (($(longest_label "$d/cap.pcap") >= 40)) ||
            die "$d/cap.pcap: no long encoded DNS labels"
    fi
    CAPTURE=$d/cap.pcap
}
run_iodine() { iodine_exchange dns; }

# ---------------------------------------------------- proxy and Tor --

# HTTP CONNECT through tinyproxy, then TLS to openssl s_server inside it.
run_tinyproxy() {
    local d=$TMP/tinyproxy
    mkdir -p "$d/www"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj /CN=internal.example.test \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    head -c 8192 /dev/urandom >"$d/www/file"
    cat >"$d/tinyproxy.conf" <<EOF
Port 8888
Listen $SRV_IP
Timeout 30
MaxClients 4
LogLevel Info
Allow 192.0.2.0/24
ConnectPort 443
ConnectPort 8443
DisableViaHeader Yes
EOF
    start_srv tinyproxy tinyproxy -d -c "$d/tinyproxy.conf"
    start_srv s_server env -C "$d/www" openssl s_server -quiet \
        -accept "$SRV_IP:8443" -cert "$d/cert.pem" -key "$d/key.pem" -WWW
    wait_listen tinyproxy t 8888
    wait_listen s_server t 8443

    cap_start "$d/cap.pcap"
    run_vm 20 curl -q -sS --fail -k --connect-timeout 5 \
        --proxy "http://$SRV_IP:8888" -o "$d/got" \
        "https://$SRV_IP:8443/file" || {
        cat "$TMP/tinyproxy.log" "$TMP/s_server.log" >&2
        die "download through tinyproxy failed"
    }
    cap_stop
    cmp -s "$d/www/file" "$d/got" || die "tinyproxy download differs"
    check_capture "$d/cap.pcap" "CONNECT $SRV_IP:8443 HTTP/1.1"
    CAPTURE=$d/cap.pcap
}

# TLS to a Tor relay's ORPort (9001) with Tor-looking random names; the
# client sends a VERSIONS cell and CLOSE (s_server -rev ends the session).
run_tor() {
    local d=$TMP/tor
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
        -subj /CN=www.q7zkv3xbe2mfa.net \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    printf '\0\0\007\0\006\0\003\0\004\0\005\nCLOSE\n' >"$d/input"
    start_srv s_server openssl s_server -quiet -rev \
        -accept "$SRV_IP:9001" -cert "$d/cert.pem" -key "$d/key.pem"
    wait_listen s_server t 9001

    cap_start "$d/cap.pcap"
    VM_STDIN=$d/input run_vm 20 openssl s_client -quiet -ign_eof \
        -connect "$SRV_IP:9001" -servername www.hx4obnfwuyr.com \
        >"$d/out" 2>"$d/s_client.log" || {
        cat "$d/s_client.log" "$TMP/s_server.log" >&2
        die "tls to the relay port failed"
    }
    cap_stop
    [[ -s "$d/out" ]] || die "the relay port sent nothing back"
    check_capture "$d/cap.pcap" www.hx4obnfwuyr.com
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------ attacks and abuse --
#
# Floods, scans, a password guesser and a DNS amplification request pattern,
# each from the VM.  They are recorded with a 96-byte snap length (every
# header, little payload) and bounded packet counts, so the captures stay
# small; the sweeps reach only the server namespace, which drops them.

# distinct_dsts FILE FILTER: how many distinct destination address.port
# pairs the packets of FILE matching FILTER have.
distinct_dsts() {
    tcpdump -r "$1" -nn -q "$2" 2>/dev/null |
        awk '$2 == "IP" && !($5 in d) { d[$5]; n++ } END { print n + 0 }'
}

# Give the VM a default route through the server namespace, whose
# forwarding stays off: packets to any other address reach the server's
# veth and are dropped there (no route, no forwarding, no ICMP error).
vm_default_route() {
    in_srv sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.forwarding=0
    ip -n "$VM_NS" route add default via "$SRV_IP" dev "$VM_IF"
}

# ip_stat NAME: the server namespace's IPv4 counter NAME (/proc/net/snmp).
ip_stat() {
    in_srv cat /proc/net/snmp | awk -v k="$1" '
        $1 == "Ip:" && !h { for (i = 2; i <= NF; i++) c[i] = $i; h = 1; next }
        $1 == "Ip:" { for (i = 2; i <= NF; i++) if (c[i] == k) print $i }'
}

# hping_flood NAME FILTER COUNT HPING3-ARGS...: hping3 sends COUNT packets
# to the server as fast as it can (--faster); the capture must hold exactly
# COUNT packets from the VM that match the tcpdump FILTER.
hping_flood() {
    local name=$1 filter=$2 count=$3 d=$TMP/$1 n rc=0 replies t0 t1
    shift 3
    mkdir -p "$d"
    cap_start "$d/cap.pcap" 96
    # hping3 exits 1 when it counted no reply, which at --faster it mostly
    # does not do (it stops as soon as the last packet is out); the replies
    # are checked in the capture instead.
    run_vm 60 hping3 -c "$count" --faster "$@" "$SRV_IP" \
        >"$d/hping3.log" 2>&1 || rc=$?
    ((rc <= 1)) || {
        tail -5 "$d/hping3.log" >&2
        die "$name: hping3 failed (exit status $rc)"
    }
    grep -q "^$count packets transmitted" "$d/hping3.log" || {
        tail -5 "$d/hping3.log" >&2
        die "$name: hping3 did not send $count packets"
    }
    cap_stop
    check_capture "$d/cap.pcap" ""
    n=$(count_packets "$d/cap.pcap" "src host $VM_IP and ($filter)")
    ((n == count)) || die "$d/cap.pcap: $n flood packets, want $count"
    replies=$(count_packets "$d/cap.pcap" "ip and src host $SRV_IP")
    ((replies > 0)) || die "$d/cap.pcap: the server never answered"
    read -r t0 t1 < <(tcpdump -r "$d/cap.pcap" -nn -tt \
        "src host $VM_IP and ($filter)" 2>/dev/null |
        awk 'NR == 1 { f = $1 } { l = $1 } END { print f, l }')
    log "$name: $n packets in $(awk -v a="$t0" -v b="$t1" \
        'BEGIN { printf "%.3f", b - a }') s, $replies answers"
    CAPTURE=$d/cap.pcap
}

# 3000 SYNs to port 80 (closed: the server answers RST).
run_synflood() {
    hping_flood synflood "tcp[tcpflags] == tcp-syn and dst port 80" 3000 \
        -S -p 80
}

# 8000 UDP datagrams of 64 bytes to port 9999 (closed: the server answers
# with a rate-limited trickle of ICMP port unreachable).
run_udpflood() {
    hping_flood udpflood "udp and dst port 9999" 8000 --udp -p 9999 -d 64
}

# 1500 ICMP echo requests (the server answers each).
run_icmpflood() {
    hping_flood icmpflood "icmp[icmptype] == icmp-echo" 1500 --icmp
}

# A SYN scan of ports 1-200 of the server (all closed: RSTs), one probe each.
run_portscan() {
    local d=$TMP/portscan n
    mkdir -p "$d"
    cap_start "$d/cap.pcap" 96
    run_vm 60 nmap -sS -Pn -n -p 1-200 --max-retries 0 "$SRV_IP" \
        >"$d/nmap.log" 2>&1 || {
        cat "$d/nmap.log" >&2
        die "portscan: nmap failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" ""
    n=$(distinct_dsts "$d/cap.pcap" \
        "src host $VM_IP and tcp[tcpflags] == tcp-syn and dst host $SRV_IP")
    ((n >= 200)) || die "$d/cap.pcap: SYNs to $n ports, want 200"
    log "portscan: SYNs to $n distinct ports"
    CAPTURE=$d/cap.pcap
}

# A sweep of port 22 over 60 addresses that do not exist (TEST-NET-2):
# the SYNs go to the default gateway, the server namespace, and die there.
run_addrscan() {
    local d=$TMP/addrscan n before after fwd
    mkdir -p "$d"
    vm_default_route
    before=$(ip_stat InAddrErrors)
    cap_start "$d/cap.pcap" 96
    run_vm 60 nmap -sS -Pn -n -p 22 --max-retries 0 198.51.100.1-60 \
        >"$d/nmap.log" 2>&1 || {
        cat "$d/nmap.log" >&2
        die "addrscan: nmap failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" "" 198.51.100.0/24
    n=$(distinct_dsts "$d/cap.pcap" "src host $VM_IP and
        tcp[tcpflags] == tcp-syn and dst net 198.51.100.0/24 and dst port 22")
    ((n >= 50)) || die "$d/cap.pcap: SYNs to $n addresses, want >= 50"
    # The server namespace dropped them (not forwarding: InAddrErrors) and
    # forwarded nothing.
    after=$(ip_stat InAddrErrors)
    fwd=$(ip_stat ForwDatagrams)
    ((fwd == 0 && after - before >= n)) ||
        die "addrscan: server namespace forwarded $fwd, dropped $((after - before))"
    log "addrscan: SYNs to $n distinct addresses, $((after - before)) dropped by the server namespace"
    CAPTURE=$d/cap.pcap
}

# Online password guessing: hydra tries 80 made-up passwords for root over
# SSH; sshd allows 2 tries a connection (MaxAuthTries 2, a common hardened
# setting), so hydra opens a connection every guess or two (81 here).  sshd allows password logins, but the namespaces share the host's
# accounts and none is created: the guesses are random, so every one fails
# (and root's password is usually locked anyway).
run_hydra() {
    local d=$TMP/hydra n i
    mkdir -p "$d"
    need_run_sshd
    ssh-keygen -q -t ed25519 -N '' -C egd-host -f "$d/host_key"
    cat >"$d/sshd_config" <<EOF
Port 22
ListenAddress $SRV_IP
AddressFamily inet
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile none
PermitRootLogin yes
PubkeyAuthentication no
PasswordAuthentication yes
MaxAuthTries 2
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
EOF
    for ((i = 1; i <= 80; i++)); do
        printf 'egd-%02d-%s\n' "$i" "$(openssl rand -hex 8)"
    done >"$d/words"
    start_srv sshd /usr/sbin/sshd -D -e -f "$d/sshd_config"
    wait_listen sshd t 22

    cap_start "$d/cap.pcap" 96
    # sshd drops a connection after MaxAuthTries (6) failures, so each of
    # hydra's 4 tasks reconnects every few guesses; hydra then waits -w
    # seconds (32 by default, 97 s in all) before it carries on: 3 is
    # enough here.  hydra leaves hydra.restore in its working directory:
    # keep it in $d.
    run_vm 180 env -C "$d" hydra -l root -P "$d/words" -t 4 -w 1 -f -I \
        "ssh://$SRV_IP" >"$d/hydra.log" 2>&1 || true
    cap_stop
    grep -q '1 of 1 target completed, 0 valid password' "$d/hydra.log" || {
        cat "$d/hydra.log" "$TMP/sshd.log" >&2
        die "hydra did not finish its 80 guesses"
    }
    check_capture "$d/cap.pcap" "SSH-2.0-"
    n=$(count_packets "$d/cap.pcap" \
        "src host $VM_IP and tcp[tcpflags] == tcp-syn and dst port 22")
    ((n >= 32)) || die "$d/cap.pcap: only $n connections to sshd"
    log "hydra: $n TCP connections to port 22"
    CAPTURE=$d/cap.pcap
}

# DNS amplification requests: ANY queries with EDNS0 (4096-byte answers
# welcome) for example.org to 40 resolvers that do not exist (TEST-NET-2).
run_dnsamp() {
    local d=$TMP/dnsamp n
    mkdir -p "$d"
    vm_default_route
    cap_start "$d/cap.pcap" 96
    run_vm 30 python3 "$HERE/dns-any.py" 198.51.100.101 198.51.100.140 \
        >"$d/dns-any.log" 2>&1 || {
        cat "$d/dns-any.log" >&2
        die "dnsamp: dns-any.py failed"
    }
    cap_stop
    check_capture "$d/cap.pcap" $'\x07example\x03org\0\0\xff\0\x01' \
        198.51.100.0/24
    n=$(distinct_dsts "$d/cap.pcap" "src host $VM_IP and udp dst port 53")
    ((n == 40)) || die "$d/cap.pcap: queries to $n resolvers, want 40"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------ benign heavy traffic --

# TCP bulk: iperf3 sends 8 MB over two parallel streams (whole frames would
# make a capture of ~9 MB; 96 bytes each keep it near 1 MB).
run_iperf3() {
    local d=$TMP/iperf3
    mkdir -p "$d"
    start_srv iperf3 iperf3 -s -1 -B "$SRV_IP" -p 5201
    wait_listen iperf3 t 5201

    cap_start "$d/cap.pcap" 96
    run_vm 30 iperf3 -c "$SRV_IP" -p 5201 -P 2 -n 8M \
        >"$d/iperf3.log" 2>&1 || {
        cat "$d/iperf3.log" "$TMP/iperf3.log" >&2
        die "iperf3 failed"
    }
    cap_stop
    grep -q 'iperf Done' "$d/iperf3.log" || {
        cat "$d/iperf3.log" >&2
        die "iperf3 did not finish"
    }
    check_capture "$d/cap.pcap" ""
    CAPTURE=$d/cap.pcap
}

# 200 parallel downloads of a 2 KB file from a plain HTTP server: Python's
# http.server, but with a listen backlog of 256 instead of its 5, which a
# burst of 200 connections overflows (SYNs dropped, retried after 1, 3, 7,
# 15 s ... and some downloads time out).
run_httpmany() {
    local d=$TMP/httpmany i n
    local -a urls=()
    mkdir -p "$d/www"
    head -c 2048 /dev/urandom >"$d/www/asset.bin"
    start_srv http python3 -c '
import functools, http.server as hs, sys
hs.ThreadingHTTPServer.request_queue_size = 256
handler = functools.partial(hs.SimpleHTTPRequestHandler, directory=sys.argv[3])
hs.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
' "$SRV_IP" 8080 "$d/www"
    wait_listen http t 8080
    for ((i = 1; i <= 200; i++)); do
        urls+=(-o /dev/null "http://$SRV_IP:8080/asset.bin?i=$i")
    done

    cap_start "$d/cap.pcap"
    # (-s does not silence the progress meter of --parallel in curl 7.88.)
    run_vm 60 curl -q -sS --no-progress-meter --fail --connect-timeout 10 \
        --parallel --parallel-max 200 \
        -w '%{http_code} %{size_download}\n' "${urls[@]}" \
        >"$d/codes" 2>"$d/curl.log" || {
        cat "$d/curl.log" "$d/codes" "$TMP/http.log" >&2
        die "httpmany: downloads failed"
    }
    cap_stop
    n=$(grep -c '^200 2048$' "$d/codes" || true)
    ((n == 200)) || die "httpmany: $n of 200 downloads complete"
    check_capture "$d/cap.pcap" "GET /asset.bin?i=200 "
    n=$(count_packets "$d/cap.pcap" \
        "src host $VM_IP and tcp[tcpflags] == tcp-syn")
    ((n == 200)) || die "$d/cap.pcap: $n connections, want 200"
    CAPTURE=$d/cap.pcap
}

# A package manager's pattern: 60 short HTTPS connections one after another.
run_httpsburst() {
    local d=$TMP/httpsburst i n
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj /CN=deb.example.test \
        -addext subjectAltName=DNS:deb.example.test \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    # -www answers every GET with a status page, then closes.
    start_srv s_server openssl s_server -quiet -accept "$SRV_IP:443" \
        -cert "$d/cert.pem" -key "$d/key.pem" -www
    wait_listen s_server t 443

    cap_start "$d/cap.pcap"
    for ((i = 1; i <= 60; i++)); do
        run_vm 10 curl -q -sS --fail -k --connect-timeout 5 \
            --resolve "deb.example.test:443:$SRV_IP" -o "$d/got" \
            "https://deb.example.test/pkg$i.deb" || {
            cat "$TMP/s_server.log" >&2
            die "httpsburst: download $i failed"
        }
        [[ -s "$d/got" ]] || die "httpsburst: download $i empty"
    done
    cap_stop
    check_capture "$d/cap.pcap" "deb.example.test"
    n=$(count_packets "$d/cap.pcap" \
        "src host $VM_IP and tcp[tcpflags] == tcp-syn and dst port 443")
    ((n == 60)) || die "$d/cap.pcap: $n connections, want 60"
    CAPTURE=$d/cap.pcap
}

# need PROG PACKAGE: an exchange of exchanges/*.sh checks its own programs,
# so a missing one fails only that exchange, with the package to install.
need() {
    command -v "$1" >/dev/null 2>&1 || die "missing program: $1 (apt-get install $2)"
}

# More exchanges, one file per protocol family: each defines run_NAME
# functions with the helpers above and appends its names to ALL_NAMES.
# Without a NAME the script records the exchanges above (CORE_NAMES, what
# the end-to-end test records afresh on every run); "all" records every
# one, those of exchanges/*.sh too, whose captures the golden tests replay.
readonly CORE_NAMES=("${ALL_NAMES[@]}")
for f in "$HERE"/exchanges/*.sh; do
    [[ -e "$f" ]] || continue
    # shellcheck source=/dev/null
    . "$f"
done
readonly ALL_NAMES

# ------------------------------------------------------------------ main --

(($# >= 1)) || usage
OUTDIR=$1
shift
NAMES=("$@")
((${#NAMES[@]})) || NAMES=("${CORE_NAMES[@]}")
[[ "${NAMES[*]}" != all ]] || NAMES=("${ALL_NAMES[@]}")
for n in "${NAMES[@]}"; do
    [[ " ${ALL_NAMES[*]} " == *" $n "* ]] || usage
done

((EUID == 0)) || die "must run as root (creates network namespaces)"

declare -A PKG=(
    [ip]=iproute2 [ss]=iproute2 [tcpdump]=tcpdump [timeout]=coreutils
    [/usr/sbin/sshd]=openssh-server [ssh]=openssh-client
    [ssh-keygen]=openssh-client [openssl]=openssl [curl]=curl
    [microsocks]=microsocks [python3]=python3 [opentracker]=opentracker
    [aria2c]=aria2 [taskset]=util-linux [openvpn]=openvpn [ping]=iputils-ping
    [iodine]=iodine [iodined]=iodine [tinyproxy]=tinyproxy [mknod]=coreutils
    [hping3]=hping3 [nmap]=nmap [hydra]=hydra [iperf3]=iperf3
)
missing=()
for prog in "${!PKG[@]}"; do
    command -v "$prog" >/dev/null 2>&1 || missing+=("$prog (apt-get install ${PKG[$prog]})")
done
((${#missing[@]} == 0)) || die "missing programs: ${missing[*]}"

# Only talk to the namespaces; never pick up a proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
    no_proxy NO_PROXY ftp_proxy FTP_PROXY

# Run everything on one CPU: with senders on several CPUs, veth can deliver
# a burst out of order, and the captures should show a clean, ordered link.
cpu=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\).*/\1/p' /proc/self/status)
taskset -pc "${cpu:-0}" "$$" >/dev/null

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$OUTDIR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/egd-captures.XXXXXX")

for n in "${NAMES[@]}"; do
    log "recording $n"
    CAPTURE=""
    net_up
    "run_${n//-/_}"
    stop_servers
    net_down
    # A golden case's directory (tests/golden/NAME/) takes it as its
    # capture.pcap; otherwise it is OUTDIR/NAME.pcap.
    dest=$OUTDIR/$n.pcap
    [[ ! -d "$OUTDIR/$n" ]] || dest=$OUTDIR/$n/capture.pcap
    cp "$CAPTURE" "${dest%/*}/.${dest##*/}.tmp"
    chmod 0644 "${dest%/*}/.${dest##*/}.tmp"
    mv -f "${dest%/*}/.${dest##*/}.tmp" "$dest"
    if [[ -n "$EGRESSD_LIVE" ]]; then
        cp "${CAPTURE%.pcap}.live.json" "$OUTDIR/$n.live.json"
    fi
    log "wrote $dest ($(stat -c %s "$dest") bytes)"
done
