# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# amule.sh: eDonkey / Kad, the eMule network (sourced by ../record-captures.sh).
#
# amule   two aMule 2.3.3 daemons (Debian's amule-daemon: amuled; driven with
#         amulecmd from amule-utils), eDonkey TCP on 4762 and UDP on 4772
#         (not the default 4662 / 4672), no eD2k server, Kad only, protocol
#         obfuscation off: the VM's bootstraps its Kad from the server's (a
#         bootstrap nodes.dat naming only it: KADEMLIA2_BOOTSTRAP_REQ / _RES,
#         then KADEMLIA2_PING / _PONG for its external UDP port, plain 0xE4
#         datagrams), downloads a 32 KB file shared by the server's
#         through an ed2k link with the server as source: OP_HELLO /
#         OP_HELLOANSWER (0xE3), the eMule extensions (0xC5: OP_EMULEINFO,
#         secure identification), the file request and OP_SENDINGPART blocks
#         over one TCP connection.
#
# aMule refuses every address of 192.0.2.0/24 (TEST-NET-1 is one of the
# reserved ranges hard-coded in its IsGoodIP(), whatever FilterLanIPs says):
# it would neither take the source of the link nor a Kad contact there.  So
# each daemon is shown its peer under a TEST-NET-3 alias by nftables NAT in
# its own namespace -- the server is 203.0.113.1 to the VM, the VM
# 203.0.113.10 to the server (DNAT of what goes out to the alias, SNAT of
# what comes in from the peer) -- while the link, and so the capture, only
# ever carries 192.0.2.10 <-> 192.0.2.1.  Payloads hold no addresses here
# (client ID 1 in the hellos: both are "low ID", no server).
ALL_NAMES+=(amule)

readonly AMULE_TCP=4762 AMULE_UDP=4772 AMULE_EC=4712
readonly AMULE_SRV_ALIAS=203.0.113.1 AMULE_VM_ALIAS=203.0.113.10
readonly AMULE_PASS=egd-amule-ec

# amule_le BYTES VALUE: VALUE as a little-endian integer of BYTES bytes.
amule_le() {
    local i
    for ((i = 0; i < $1; i++)); do
        # shellcheck disable=SC2059
        printf "\\x$(printf %02x $((($2 >> (8 * i)) & 255)))"
    done
}

# amule_hex HEX: the bytes HEX spells.
amule_hex() {
    local i
    for ((i = 0; i < ${#1}; i += 2)); do
        # shellcheck disable=SC2059
        printf "\\x${1:i:2}"
    done
}

# amule_ip A.B.C.D: the address as the host-order integer aMule stores.
amule_ip() {
    local a b c d
    IFS=. read -r a b c d <<<"$1"
    echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# amule_conf DIR NICK: an amule.conf in DIR: TCP 4762, UDP 4772, Kad on,
# eD2k servers off (empty server list, no server.met / nodes.dat URLs), no
# UPnP, web server, version check, GeoIP or IP filter downloads, LAN and
# IP filtering off, obfuscation neither supported nor requested (so the
# protocol headers are in the clear), External Connections on loopback
# port 4712 with a password (its MD5, as amuled keeps it).
amule_conf() {
    local d=$1 nick=$2 md5
    md5=$(printf %s "$AMULE_PASS" | md5sum | cut -d' ' -f1)
    mkdir -p "$d/Temp" "$d/Incoming"
    cat >"$d/amule.conf" <<EOF
[eMule]
AppVersion=2.3.3
Nick=$nick
Port=$AMULE_TCP
UDPPort=$AMULE_UDP
UDPEnable=1
Address=
Autoconnect=1
Reconnect=1
Serverlist=0
AddServerListFromServer=0
AddServerListFromClient=0
SafeServerConnect=0
UPnPEnabled=0
ConnectToKad=1
ConnectToED2K=0
TempDir=$d/Temp
IncomingDir=$d/Incoming
OSDirectory=$d/
MaxUpload=0
MaxDownload=0
CheckDiskspace=0
NewVersionCheck=0
GeoIPEnabled=0
FilterLanIPs=0
ParanoidFiltering=0
IPFilterAutoLoad=0
IPFilterURL=
FilterLevel=0
KadNodesUrl=
Ed2kServersUrl=
[ExternalConnect]
AcceptExternalConnections=1
ECAddress=127.0.0.1
ECPort=$AMULE_EC
ECPassword=$md5
UPnPECEnabled=0
IpFilterClients=0
IpFilterServers=0
[WebServer]
Enabled=0
UPnPWebServerEnabled=0
[Obfuscation]
IsClientCryptLayerSupported=0
IsCryptLayerRequested=0
IsClientCryptLayerRequired=0
EOF
}

# amule_nat NS DEV PEER ALIAS: in namespace NS, the peer at PEER is reached
# (and seen) as ALIAS: a host route for ALIAS on DEV, DNAT ALIAS -> PEER on
# output, SNAT PEER -> ALIAS on input (replies are undone by conntrack).
amule_nat() {
    ip -n "$1" route add "$4/32" dev "$2"
    ip netns exec "$1" nft -f - <<EOF
table ip egd_amule {
    chain out {
        type nat hook output priority -100; policy accept;
        ip daddr $4 dnat to $3
    }
    chain in {
        type nat hook input priority 100; policy accept;
        ip saddr $3 snat to $4
    }
}
EOF
}

# amule_cmd NS COMMAND: amulecmd against the amuled of namespace NS.
amule_cmd() {
    timeout 10 ip netns exec "$1" amulecmd -h 127.0.0.1 -p "$AMULE_EC" \
        -P "$AMULE_PASS" -c "$2" </dev/null 2>&1
}

amule_vm_listening() { # PROTO(t|u) PORT
    [[ -n "$(ip netns exec "$VM_NS" ss -Hln"$1" "sport = :$2" 2>/dev/null)" ]]
}

# amule_shared HASH: the server's amuled shares (has hashed) the file.
amule_shared() { amule_cmd "$SRV_NS" "show shared" | grep -qi "$1"; }

# amule_cap_has FILE FILTER: the (growing) capture FILE has a packet
# matching FILTER.
amule_cap_has() { (($(count_packets "$1" "$2") >= 1)); }

# amule_kad_up: the VM's amuled reports Kad connected.
amule_kad_up() { amule_cmd "$VM_NS" status | grep -q 'Kad: Connected'; }

# ---------------------------------------------------------------- amule --

run_amule() {
    local d=$TMP/amule name=egd-sample.bin size=32768 hash kad_id kad_ip n
    need amuled amule-daemon
    need amulecmd amule-utils
    need nft nftables
    mkdir -p "$d"
    amule_nat "$SRV_NS" "$SRV_IF" "$VM_IP" "$AMULE_VM_ALIAS"
    amule_nat "$VM_NS" "$VM_IF" "$SRV_IP" "$AMULE_SRV_ALIAS"

    amule_conf "$d/srv" egd-srv
    amule_conf "$d/vm" egd-vm
    head -c "$size" /dev/urandom >"$d/srv/Incoming/$name"
    # The ed2k hash of a file under one part (9,728,000 bytes) is its MD4.
    hash=$(openssl dgst -provider legacy -provider default -md4 -r \
        "$d/srv/Incoming/$name" | cut -d' ' -f1)
    [[ $hash =~ ^[0-9a-f]{32}$ ]] || die "amule: could not compute the MD4 of the file"
    # The server's Kad node ID, random as amuled would pick it, set in
    # advance (preferencesKad.dat: IP, 0, ID, 0) for the VM's nodes.dat.
    kad_id=$(openssl rand -hex 16)
    {
        amule_le 4 0
        amule_le 2 0
        amule_hex "$kad_id"
        amule_le 1 0
    } >"$d/srv/preferencesKad.dat"
    # The VM's nodes.dat, a "bootstrap" one (version 3, edition 1): its
    # contacts are only sent KADEMLIA2_BOOTSTRAP_REQ, one: the server
    # (ID, IP, UDP port, TCP port, Kad version 8).
    kad_ip=$(amule_ip "$AMULE_SRV_ALIAS")
    {
        amule_le 4 0
        amule_le 4 3
        amule_le 4 1
        amule_le 4 1
        amule_hex "$kad_id"
        amule_le 4 "$kad_ip"
        amule_le 2 "$AMULE_UDP"
        amule_le 2 "$AMULE_TCP"
        amule_le 1 8
    } >"$d/vm/nodes.dat"

    start_srv amuled-srv amuled -c "$d/srv"
    wait_listen amuled-srv t "$AMULE_TCP"
    wait_listen amuled-srv u "$AMULE_UDP"
    wait_listen amuled-srv t "$AMULE_EC"
    wait_until 15 amule_shared "$hash" || {
        cat "$TMP/amuled-srv.log" >&2
        die "amule: the server's amuled does not share the file"
    }

    cap_start "$d/cap.pcap"
    start_vm amuled-vm amuled -c "$d/vm"
    wait_until 10 amule_vm_listening t "$AMULE_EC" || {
        cat "$TMP/amuled-vm.log" >&2
        die "amule: the VM's amuled did not start"
    }
    wait_until 20 amule_kad_up || {
        cat "$d/vm/logfile" >&2
        die "amule: the VM's Kad did not connect"
    }
    amule_cmd "$VM_NS" \
        "add ed2k://|file|$name|$size|$hash|/|sources,$AMULE_SRV_ALIAS:$AMULE_TCP|/" \
        >"$d/add.log" || true
    grep -q 'Operation was successful' "$d/add.log" || {
        cat "$d/add.log" >&2
        die "amule: amulecmd could not add the ed2k link"
    }
    wait_until 60 cmp -s "$d/srv/Incoming/$name" "$d/vm/Incoming/$name" || {
        amule_cmd "$VM_NS" "show dl" >&2 || true
        tail -20 "$d/vm/logfile" "$d/srv/logfile" >&2
        die "amule: the download did not complete"
    }
    # aMule asks a Kad contact for its external UDP port 15 s after Kad
    # starts (KADEMLIA2_PING, answered by KADEMLIA2_PONG): wait for that.
    wait_until 30 amule_cap_has "$d/cap.pcap" "udp and src host $SRV_IP and
        src port $AMULE_UDP and udp[8:2] = 0xe461" || {
        tail -20 "$d/vm/logfile" >&2
        die "amule: no KADEMLIA2_PONG from the server"
    }
    sleep 1
    # SIGTERM: amuled shuts down cleanly (closes its connections, saves).
    stop_servers
    cap_stop

    check_capture "$d/cap.pcap" "$name"
    # Kad: the bootstrap request (0xE4 0x01, no payload) and its answer.
    n=$(count_packets "$d/cap.pcap" "udp and src host $VM_IP and dst port $AMULE_UDP and
        udp[8:2] = 0xe401")
    ((n >= 1)) || die "$d/cap.pcap: no KADEMLIA2_BOOTSTRAP_REQ from the VM"
    n=$(count_packets "$d/cap.pcap" "udp and src host $SRV_IP and src port $AMULE_UDP and
        udp[8:2] = 0xe409")
    ((n >= 1)) || die "$d/cap.pcap: no KADEMLIA2_BOOTSTRAP_RES from the server"
    n=$(count_packets "$d/cap.pcap" "udp and src host $VM_IP and dst port $AMULE_UDP and
        udp[8:2] = 0xe460")
    ((n >= 1)) || die "$d/cap.pcap: no KADEMLIA2_PING from the VM"
    # eDonkey: OP_HELLO (0xE3, length, 0x01) from the VM to port 4762.
    n=$(count_packets "$d/cap.pcap" "tcp and src host $VM_IP and dst port $AMULE_TCP and
        tcp[((tcp[12] >> 4) * 4):1] = 0xe3 and tcp[((tcp[12] >> 4) * 4) + 5:1] = 0x01")
    ((n >= 1)) || die "$d/cap.pcap: no eDonkey OP_HELLO from the VM"
    n=$(count_packets "$d/cap.pcap" "tcp and tcp[((tcp[12] >> 4) * 4):1] = 0xc5")
    ((n >= 1)) || die "$d/cap.pcap: no eMule extended (0xC5) packet"
    log "amule: Kad bootstrap and ping, eDonkey hello and a $size-byte download"
    CAPTURE=$d/cap.pcap
}
