# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# p2p-more.sh: more BitTorrent captures (sourced by ../record-captures.sh).
#
# bittorrent-utp   two qbittorrent-nox (libtorrent 2.0) exchange a 64 KB
#                  torrent over uTP (BEP 29) only, on non-default ports
# bittorrent-dht6  two aria2c with IPv6 DHT (BEP 32): the VM's bootstraps from
#                  the server's (--dht-entry-point6), KRPC ping / find_node /
#                  get_peers / announce_peer, then the download over IPv6
# transmission     transmission-cli in the VM downloads from a qbittorrent-nox
#                  seeder, encryption "preferred" (both defaults)
# qbittorrent      qbittorrent-nox in the VM downloads from a transmission-cli
#                  seeder, encryption "preferred" (both defaults)
#
# Where peers meet through opentracker (192.0.2.1:6969, as in run_bittorrent)
# its HTTP announces are cut out of the finished capture, so the capture
# holds the peer-to-peer traffic only.
ALL_NAMES+=(bittorrent-utp bittorrent-dht6 transmission qbittorrent)

# p2pm_cut ALL CAP: CAP is the capture ALL without the tracker's HTTP
# (port 6969), checked: only IPv4 between the two test addresses.
p2pm_cut() { # ALL CAP
    tcpdump -r "$1" -w "$2" 'not port 6969' 2>/dev/null ||
        die "could not cut the tracker out of the capture"
    check_capture "$2" ""
    (($(count_packets "$2" "port 6969") == 0)) || die "$2: tracker traffic left"
}

# p2pm_tracker DIR FILE: a 64 KB FILE in DIR/seed, its torrent DIR/t.torrent
# announcing to opentracker on 192.0.2.1:6969, which is started with it
# whitelisted; sets P2PM_IH to the URL-encoded info hash.
p2pm_tracker() {
    local dir=$1 file=$2 ih_hex
    need opentracker opentracker
    mkdir -p "$dir/seed" "$dir/dl" "$dir/tracker" "$TMP/bittorrent"
    head -c 65536 /dev/urandom >"$dir/seed/$file"
    read -r ih_hex P2PM_IH < <(make_torrent "$dir/seed/$file" \
        "http://$SRV_IP:6969/announce" "$dir/t.torrent")
    [[ -n "$P2PM_IH" ]] || die "could not create the torrent"
    echo "$ih_hex" >"$dir/tracker/whitelist"
    start_srv opentracker env -C "$dir/tracker" opentracker -i "$SRV_IP" \
        -p 6969 -P 6969 -d . -w whitelist
    wait_listen opentracker t 6969
    wait_until 10 tracker_ready "$P2PM_IH" || {
        cat "$TMP/opentracker.log" >&2
        die "opentracker does not accept the torrent"
    }
}

# p2pm_same A B: file B exists and equals A.
p2pm_same() { [[ -f "$2" ]] && cmp -s "$1" "$2"; }

# qbt_profile DIR ADDR PORT PROTO SAVE: a qbittorrent-nox profile in DIR whose
# BitTorrent port is ADDR:PORT, peer protocol PROTO (Both, TCP or UTP), saving to
# SAVE: legal notice accepted, DHT, LSD, PeX, UPnP/NAT-PMP, queueing, peer
# country lookups (GeoIP download) off; encryption left at its default
# (0: "allow", prefer encrypted); the WebUI only on the namespace's
# loopback, port 18080.
qbt_profile() {
    local dir=$1 addr=$2 port=$3 proto=$4 save=$5
    mkdir -p "$dir/qBittorrent/config" "$dir/home"
    cat >"$dir/qBittorrent/config/qBittorrent.conf" <<EOF
[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Port=$port
Session\\InterfaceAddress=$addr
Session\\BTProtocol=$proto
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\QueueingSystemEnabled=false
Session\\DefaultSavePath=$save
Session\\AddTorrentPaused=false
Session\\GlobalMaxRatio=-1
Session\\IgnoreLimitsOnLAN=true

[Preferences]
Connection\\UPnP=false
Connection\\ResolvePeerCountries=false
General\\Locale=en
WebUI\\Enabled=true
WebUI\\Address=127.0.0.1
WebUI\\Port=18080
WebUI\\LocalHostAuth=false
WebUI\\CSRFProtection=false
Advanced\\AnonymousMode=false
EOF
}

# qbt_cmd DIR TORRENT SAVE: the qbittorrent-nox command line for profile DIR
# adding TORRENT saved to SAVE.
qbt_cmd() {
    echo env HOME="$1/home" qbittorrent-nox --profile="$1" \
        --save-path="$3" --skip-dialog=true "$2"
}

# qbt_seeding NS: the qbittorrent-nox of namespace NS has its torrent
# complete (state uploading / stalledUP).
qbt_seeding() {
    ip netns exec "$1" curl -q -s --max-time 2 \
        http://127.0.0.1:18080/api/v2/torrents/info 2>/dev/null |
        grep -q '"progress":1[,.]'
}

# tr_config DIR PORT: a transmission settings.json in DIR: peer port PORT,
# uTP on, DHT, LPD, PeX, port mapping, RPC, blocklist and speed limits off,
# encryption 1 ("preferred", the default).
tr_config() {
    mkdir -p "$1"
    cat >"$1/settings.json" <<EOF
{
    "dht-enabled": false,
    "lpd-enabled": false,
    "pex-enabled": false,
    "utp-enabled": true,
    "port-forwarding-enabled": false,
    "peer-port": $2,
    "peer-port-random-on-start": false,
    "encryption": 1,
    "rpc-enabled": false,
    "blocklist-enabled": false,
    "speed-limit-up-enabled": false,
    "speed-limit-down-enabled": false,
    "ratio-limit-enabled": false,
    "idle-seeding-limit-enabled": false,
    "incomplete-dir-enabled": false,
    "start-added-torrents": true,
    "message-level": 2
}
EOF
}

# ------------------------------------------------------ bittorrent-utp --

# Two qbittorrent-nox 4.5.2 (libtorrent-rasterbar 2.0.8) with the peer
# protocol set to uTP only (BitTorrent\Session\BTProtocol=UTP): the
# server's seeds a 64 KB file on UDP 4433, the VM's leecher (UDP 47000)
# learns it from opentracker and fetches the file over uTP (BEP 29): ST_SYN,
# ST_STATE, then ST_DATA carrying the plaintext BitTorrent handshake
# (libtorrent does not try MSE on outgoing uTP with encryption at "allow")
# and the pieces, within 10 ms.  No TCP between the peers.
run_bittorrent_utp() {
    local d=$TMP/bittorrent-utp
    need qbittorrent-nox qbittorrent-nox
    p2pm_tracker "$d" checkpoint.bin
    qbt_profile "$d/qsrv" "$SRV_IP" 4433 UTP "$d/seed"
    qbt_profile "$d/qvm" "$VM_IP" 47000 UTP "$d/dl"
    # shellcheck disable=SC2046
    start_srv qbt-srv $(qbt_cmd "$d/qsrv" "$d/t.torrent" "$d/seed")
    wait_listen qbt-srv u 4433
    wait_until 15 qbt_seeding "$SRV_NS" || {
        cat "$TMP/qbt-srv.log" >&2
        die "the qbittorrent-nox seeder did not check its file"
    }
    wait_until 15 seeder_registered "$P2PM_IH" ||
        die "qbittorrent-nox seeder never registered with opentracker"

    cap_start "$d/all.pcap"
    # shellcheck disable=SC2046
    start_vm qbt-vm $(qbt_cmd "$d/qvm" "$d/t.torrent" "$d/dl")
    wait_until 20 p2pm_same "$d/seed/checkpoint.bin" "$d/dl/checkpoint.bin" || {
        cat "$TMP/qbt-vm.log" >&2
        die "qbittorrent-nox (utp) download failed"
    }
    sleep 1
    stop_servers
    cap_stop
    p2pm_cut "$d/all.pcap" "$d/cap.pcap"
    (($(count_packets "$d/cap.pcap" "udp and src host $VM_IP and dst port 4433") >= 10)) ||
        die "$d/cap.pcap: no uTP from the VM to the seeder"
    (($(count_packets "$d/cap.pcap" "tcp") == 0)) ||
        die "$d/cap.pcap: TCP between the peers (not uTP only)"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------- transmission / qbittorrent --

# tr_cmd DIR PORT DOWNLOAD TORRENT: the transmission-cli command line with
# its configuration (tr_config) in DIR, peers on PORT, data in DOWNLOAD,
# encryption preferred (-ep, the default made explicit).
tr_cmd() {
    tr_config "$1" "$2"
    echo env HOME="$1" transmission-cli -g "$1" -p "$2" -ep -M -w "$3" "$4"
}

# p2pm_download NAME SEEDER LEECHER: a download of a 64 KB file from the
# server's SEEDER to the VM's LEECHER ("qbt" for qbittorrent-nox, "tr" for
# transmission-cli), the peers meeting through opentracker; the seeder
# listens on P2PM_SRV_PORT, the leecher on P2PM_VM_PORT.  Transmission
# declares interest / unchokes only on its 10 s rechoke timer, so a
# download with it takes 9-20 s: the wait is 40 s.
p2pm_download() {
    local name=$1 seeder=$2 leecher=$3 d=$TMP/$1
    local -a cmd
    p2pm_tracker "$d" model.bin
    if [[ $seeder == qbt ]]; then
        need qbittorrent-nox qbittorrent-nox
        qbt_profile "$d/qsrv" "$SRV_IP" "$P2PM_SRV_PORT" Both "$d/seed"
        read -ra cmd <<<"$(qbt_cmd "$d/qsrv" "$d/t.torrent" "$d/seed")"
    else
        need transmission-cli transmission-cli
        read -ra cmd <<<"$(tr_cmd "$d/trsrv" "$P2PM_SRV_PORT" "$d/seed" "$d/t.torrent")"
    fi
    start_srv "$seeder-srv" "${cmd[@]}"
    wait_listen "$seeder-srv" t "$P2PM_SRV_PORT"
    wait_until 15 seeder_registered "$P2PM_IH" || {
        cat "$TMP/$seeder-srv.log" >&2
        die "the $seeder seeder never registered with opentracker"
    }
    if [[ $leecher == qbt ]]; then
        need qbittorrent-nox qbittorrent-nox
        qbt_profile "$d/qvm" "$VM_IP" "$P2PM_VM_PORT" Both "$d/dl"
        read -ra cmd <<<"$(qbt_cmd "$d/qvm" "$d/t.torrent" "$d/dl")"
    else
        need transmission-cli transmission-cli
        read -ra cmd <<<"$(tr_cmd "$d/trvm" "$P2PM_VM_PORT" "$d/dl" "$d/t.torrent")"
    fi

    cap_start "$d/all.pcap"
    start_vm "$leecher-vm" "${cmd[@]}"
    wait_until 40 p2pm_same "$d/seed/model.bin" "$d/dl/model.bin" || {
        tail -c 2000 "$TMP/$leecher-vm.log" "$TMP/$seeder-srv.log" >&2
        die "$name: the download failed"
    }
    sleep 1
    stop_servers
    cap_stop
    p2pm_cut "$d/all.pcap" "$d/cap.pcap"
    (($(count_packets "$d/cap.pcap" "src host $VM_IP and dst port $P2PM_SRV_PORT") >= 5)) ||
        die "$d/cap.pcap: no peer connection to the seeder"
    CAPTURE=$d/cap.pcap
}

# transmission-cli 3.00 in the VM (peer port 50321, uTP on, encryption
# preferred) downloads a 64 KB file from a qbittorrent-nox 4.5.2 seeder
# (libtorrent 2.0.8, TCP and uTP, port 8000, encryption "allow").  What
# they negotiate: uTP (Transmission dials uTP first), MSE/PE inside it.
run_transmission() {
    P2PM_SRV_PORT=8000 P2PM_VM_PORT=50321 p2pm_download transmission qbt tr
}

# qbittorrent-nox 4.5.2 in the VM (port 45555, TCP and uTP) downloads a
# 64 KB file from a transmission-cli 3.00 seeder (port 7000, uTP on,
# encryption preferred).  What they negotiate: uTP, plaintext BitTorrent
# handshake (libtorrent's outgoing uTP is unencrypted).
run_qbittorrent() {
    P2PM_SRV_PORT=7000 P2PM_VM_PORT=45555 p2pm_download qbittorrent tr qbt
}

# ----------------------------------------------------- bittorrent-dht6 --

# p2pm_trackerless TORRENT: drop the "announce" key of a make_torrent file
# (a trackerless torrent: peers come from the DHT only).
p2pm_trackerless() {
    python3 - "$1" <<'PY'
import re, sys
p = sys.argv[1]
t = open(p, "rb").read()
m = re.match(rb"d8:announce(\d+):", t)
n = int(m.group(1))
open(p, "wb").write(b"d" + t[m.end() + n:])
PY
}

# krpc_seen FILE METHOD: the capture FILE holds a KRPC query METHOD over
# UDP/IPv6 from the VM.
krpc_seen() {
    tcpdump -r "$1" -nn -w - "ip6 and udp and src host $VM_IP6" 2>/dev/null |
        grep -aqF "1:q${#2}:$2"
}

# dht6_values FILE: a KRPC response from the server carries peer values.
dht6_values() {
    tcpdump -r "$1" -nn -w - "ip6 and udp and src host $SRV_IP6" 2>/dev/null |
        grep -aqF "6:valuesl18:"
}

# check_capture_dht6 FILE: only IPv6 between the two test addresses (and the
# link's own ICMPv6: neighbour discovery, MLD reports to ff02::16).
check_capture_dht6() {
    local stray
    stray=$(tcpdump -r "$1" -nn "not (icmp6 or ip6 dst net ff02::/16 or
        (ip6 and (src host $VM_IP6 or src host $SRV_IP6) and
        (dst host $VM_IP6 or dst host $SRV_IP6)))" 2>/dev/null | wc -l)
    ((stray == 0)) || die "$1: $stray packets not between $VM_IP6 and $SRV_IP6"
}

# Two aria2c 1.36 with the IPv6 DHT on (BEP 32) and the IPv4 DHT, trackers,
# LPD and PeX off: the server's seeds a trackerless 64 KB torrent with its
# DHT node on [2001:db8::1]:4000/udp (not 6881); the VM's, DHT node on
# [2001:db8::10]:51000/udp, bootstraps from it alone (--dht-entry-point6)
# and looks up peers for the torrent: KRPC ping, find_node, get_peers and
# announce_peer queries and their responses, bencoded over UDP/IPv6, with
# BEP 32 "nodes6" (38-byte entries) and 18-byte compact IPv6 peer "values";
# the server's node looks the torrent up at the VM's node the same way.  No
# find_node: aria2 bootstraps with ping and get_peers only.  No peer
# connection either: the seeder's announce reaches only the VM's node and
# aria2 does not consult its own store, so the VM is only ever told about
# itself -- the capture is about the DHT.
run_bittorrent_dht6() {
    local d=$TMP/bittorrent-dht6 m
    local -a a2=(aria2c --no-conf=true --enable-dht=false --enable-dht6=true
        --bt-enable-lpd=false --enable-peer-exchange=false --disable-ipv6=false
        --file-allocation=none --auto-file-renaming=false
        --summary-interval=0 --console-log-level=info)
    need aria2c aria2
    net_v6
    mkdir -p "$d/seed" "$d/dl"
    head -c 65536 /dev/urandom >"$d/seed/corpus.bin"
    make_torrent "$d/seed/corpus.bin" "http://$SRV_IP:6969/announce" \
        "$d/t.torrent" >/dev/null || die "could not create the torrent"
    p2pm_trackerless "$d/t.torrent" || die "could not drop the announce URL"
    start_srv dht-srv "${a2[@]}" --seed-ratio=0.0 --check-integrity=true \
        --listen-port=8443 --dht-listen-port=4000 \
        --dht-listen-addr6="$SRV_IP6" --dht-file-path6="$d/srv.dht6" \
        --dir="$d/seed" "$d/t.torrent"
    wait_listen dht-srv u 4000

    cap_start "$d/cap.pcap"
    start_vm dht-vm "${a2[@]}" --seed-time=0 --bt-stop-timeout=30 \
        --listen-port=40000 --dht-listen-port=51000 \
        --dht-listen-addr6="$VM_IP6" --dht-file-path6="$d/vm.dht6" \
        --dht-entry-point6="[$SRV_IP6]:4000" --dir="$d/dl" "$d/t.torrent"
    for m in ping get_peers announce_peer; do
        wait_until 20 krpc_seen "$d/cap.pcap" "$m" || {
            cat "$TMP/dht-vm.log" >&2
            die "no KRPC $m query over IPv6 from the VM"
        }
    done
    # The lookups repeat every 5 s; the second round finds the announced
    # peers: get_peers responses with "values" (18-byte compact IPv6 peers).
    wait_until 20 dht6_values "$d/cap.pcap" || die "no get_peers response with values"
    sleep 0.5
    stop_servers
    cap_stop
    check_capture_dht6 "$d/cap.pcap"
    (($(count_packets "$d/cap.pcap" "ip6 and udp and src host $SRV_IP6 and src port 4000") >= 2)) ||
        die "$d/cap.pcap: the server's DHT node did not answer"
    grep -aqF "6:nodes638:" "$d/cap.pcap" || die "$d/cap.pcap: no BEP 32 nodes6"
    CAPTURE=$d/cap.pcap
}
