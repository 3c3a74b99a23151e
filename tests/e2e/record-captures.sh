#!/usr/bin/env bash
# record-captures.sh OUTDIR [NAME...]
#
# Records the small packet captures that egressd's golden replay tests feed
# to the classifier: OUTDIR/ssh.pcap, OUTDIR/https.pcap, OUTDIR/socks5.pcap
# and OUTDIR/bittorrent.pcap (all four when no NAME is given, otherwise only
# the named ones).  Each capture is recorded with the real programs talking
# to each other (OpenSSH, openssl s_server + curl, microsocks + curl,
# opentracker + two aria2c peers) rather than synthesised, so the tests see
# genuine protocol behaviour.  For every exchange the script builds two
# private network namespaces joined by a veth pair -- a "VM" side at
# 192.0.2.10/24 (the client, where tcpdump listens) and a "server" side at
# 192.0.2.1/24 -- with no other interface and no route anywhere else, so the
# traffic never leaves namespaces the script made.  Fixed MAC addresses,
# disabled IPv6 and disabled segmentation offload keep the captures free of
# noise and made of ordinary wire-sized frames.  All keys, certificates,
# payloads and configs live in a mktemp -d directory; a trap kills every
# process started here and removes both namespaces and the temporary
# directory on exit, error or interrupt.  Must run as root.
set -euo pipefail

readonly ALL_NAMES=(ssh https socks5 bittorrent)
readonly VM_IP=192.0.2.10
readonly SRV_IP=192.0.2.1
readonly VM_NS="egd-vm-$$"
readonly SRV_NS="egd-srv-$$"
readonly VM_IF=veth-vm
readonly SRV_IF=veth-srv
readonly VM_MAC=02:00:c0:00:02:0a
readonly SRV_MAC=02:00:c0:00:02:01

TMP=""
PIDS=()
CAP_PID=""
CLIENT_PID=""
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
run_vm() {
    local secs=$1 rc=0
    shift
    timeout "$secs" ip netns exec "$VM_NS" "$@" </dev/null &
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

cap_listening() { grep -q 'listening on' "$TMP/tcpdump.log" 2>/dev/null; }

cap_start() { # FILE
    : >"$TMP/tcpdump.log"
    # --immediate-mode: without it libpcap's TPACKET_V3 ring hands packets
    # over only per filled block or 1 s timeout, and a short exchange that
    # ends with SIGINT before then is lost ("0 packets captured").
    # -B 65536: veth advertises offloads, so libpcap sizes every ring slot
    # for 64 KiB frames; the default 2 MiB ring then holds ~30 packets and
    # the kernel drops most of a fast local transfer.
    # -Z root: Debian's tcpdump otherwise switches to a "tcpdump" user (and
    # fails where it does not exist); staying root keeps this self-contained.
    ip netns exec "$VM_NS" tcpdump --immediate-mode -B 65536 -Z root \
        -i "$VM_IF" -s 0 -U -w "$1" >"$TMP/tcpdump.log" 2>&1 </dev/null &
    CAP_PID=$!
    wait_until 10 cap_listening || {
        cat "$TMP/tcpdump.log" >&2
        die "tcpdump did not start capturing"
    }
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
}

# Check a capture only holds ARP and IPv4 between the two test addresses and
# contains a protocol marker string.
check_capture() { # FILE MARKER
    local file=$1 marker=$2 n stray
    n=$(tcpdump -r "$file" -nn 2>/dev/null | wc -l)
    ((n > 0)) || die "$file: empty capture"
    stray=$(tcpdump -r "$file" -nn "not (arp or (ip and
        (src host $VM_IP or src host $SRV_IP) and
        (dst host $VM_IP or dst host $SRV_IP)))" 2>/dev/null | wc -l)
    ((stray == 0)) || die "$file: $stray packets not between $VM_IP and $SRV_IP"
    grep -aqF -- "$marker" "$file" || die "$file: does not contain '$marker'"
}

# ------------------------------------------------------------- exchanges --

run_ssh() {
    local d=$TMP/ssh out
    mkdir -p "$d"
    if [[ ! -d /run/sshd ]]; then
        mkdir -m 0755 /run/sshd
        MADE_RUN_SSHD=1
    fi
    ssh-keygen -q -t ed25519 -N '' -C egd-host -f "$d/host_key"
    ssh-keygen -q -t ed25519 -N '' -C egd-client -f "$d/client_key"
    cp "$d/client_key.pub" "$d/authorized_keys"
    cat >"$d/sshd_config" <<EOF
Port 22
ListenAddress $SRV_IP
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
    start_srv sshd /usr/sbin/sshd -D -e -f "$d/sshd_config"
    wait_listen sshd t 22

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

# ------------------------------------------------------------------ main --

(($# >= 1)) || usage
OUTDIR=$1
shift
NAMES=("$@")
((${#NAMES[@]})) || NAMES=("${ALL_NAMES[@]}")
for n in "${NAMES[@]}"; do
    [[ " ${ALL_NAMES[*]} " == *" $n "* ]] || usage
done

((EUID == 0)) || die "must run as root (creates network namespaces)"

declare -A PKG=(
    [ip]=iproute2 [ss]=iproute2 [tcpdump]=tcpdump [timeout]=coreutils
    [/usr/sbin/sshd]=openssh-server [ssh]=openssh-client
    [ssh-keygen]=openssh-client [openssl]=openssl [curl]=curl
    [microsocks]=microsocks [python3]=python3 [opentracker]=opentracker
    [aria2c]=aria2 [taskset]=util-linux
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
    "run_$n"
    stop_servers
    net_down
    cp "$CAPTURE" "$OUTDIR/.$n.pcap.tmp"
    chmod 0644 "$OUTDIR/.$n.pcap.tmp"
    mv -f "$OUTDIR/.$n.pcap.tmp" "$OUTDIR/$n.pcap"
    log "wrote $OUTDIR/$n.pcap ($(stat -c %s "$OUTDIR/$n.pcap") bytes)"
done
