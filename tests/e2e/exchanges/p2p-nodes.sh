# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# p2p-nodes.sh: peer-to-peer nodes (sourced by ../record-captures.sh).
#
# syncthing             two Syncthing instances sync a shared folder: BEP over
#                       TLS on a non-default port, plus local discovery
# syncthing-discovery   Syncthing's local discovery alone: IPv4 broadcasts and
#                       IPv6 multicast to [ff12::8384]:21027
# monero-p2p            two monerod (regtest) peer over Levin on a non-default
#                       port: handshake, timed syncs
# monero-rpc            curl calls a monerod's JSON-RPC the way a solo miner
#                       does: get_info, get_block_template, get_block_count
# bittorrent-mse        two peers exchange a torrent with protocol encryption
#                       (MSE/PE) required, no tracker
ALL_NAMES+=(syncthing syncthing-discovery monero-p2p monero-rpc bittorrent-mse)

# p2p_check FILE MARKER EXTRA: check_capture, but packets matching the
# tcpdump filter EXTRA (local discovery broadcasts and multicast) are
# allowed besides those between the two test addresses.
p2p_check() {
    local file=$1 marker=$2 extra=$3 n stray
    n=$(tcpdump -r "$file" -nn 2>/dev/null | wc -l)
    ((n > 0)) || die "$file: empty capture"
    stray=$(tcpdump -r "$file" -nn "not (arp or (ip and
        (src host $VM_IP or src host $SRV_IP) and
        (dst host $VM_IP or dst host $SRV_IP)) or ($extra))" 2>/dev/null | wc -l)
    ((stray == 0)) || die "$file: $stray packets not between $VM_IP and $SRV_IP"
    [[ -z "$marker" ]] || grep -aqF -- "$marker" "$file" ||
        die "$file: does not contain '$marker'"
}

# cap_has FILE FILTER: the (growing) capture FILE has a packet matching FILTER.
cap_has() { (($(count_packets "$1" "$2") >= 1)); }

# ------------------------------------------------------------ syncthing --

# Syncthing's local discovery: from a test address to the link's broadcast
# addresses, udp 21027 to 21027.
readonly ST_DISCO="ip and udp port 21027 and (src host $VM_IP or src host $SRV_IP) and (dst host 192.0.2.255 or dst host 255.255.255.255)"

# syncthing_conf HOME LISTEN SELF_ID PEER_ID PEER_ADDR FOLDER: a minimal
# config.xml: one shared folder, the peer known at PEER_ADDR ("dynamic" for
# none), global discovery, relays, NAT, STUN, upgrades, crash and usage
# reporting and the GUI off; local discovery on.
syncthing_conf() {
    cat >"$1/config.xml" <<EOF
<configuration version="36">
    <folder id="egd-share" label="share" path="$6" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="false">
        <filesystemType>basic</filesystemType>
        <device id="$3" introducedBy=""></device>
        <device id="$4" introducedBy=""></device>
    </folder>
    <device id="$3" name="self" compression="metadata" introducer="false">
        <address>dynamic</address>
    </device>
    <device id="$4" name="peer" compression="metadata" introducer="false">
        <address>$5</address>
    </device>
    <gui enabled="false" tls="false">
        <address>127.0.0.1:8384</address>
    </gui>
    <options>
        <listenAddress>$2</listenAddress>
        <globalAnnounceServer></globalAnnounceServer>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>true</localAnnounceEnabled>
        <localAnnouncePort>21027</localAnnouncePort>
        <localAnnounceMCAddr>[ff12::8384]:21027</localAnnounceMCAddr>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <startBrowser>false</startBrowser>
        <urAccepted>-1</urAccepted>
        <urSeen>3</urSeen>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <crashReportingEnabled>false</crashReportingEnabled>
        <stunKeepaliveStartS>0</stunKeepaliveStartS>
        <stunServer></stunServer>
        <releasesURL></releasesURL>
        <setLowPriority>false</setLowPriority>
        <reconnectionIntervalS>2</reconnectionIntervalS>
    </options>
</configuration>
EOF
}

# The syncthing binary with the environment that keeps it to itself.
syncthing_cmd() { # HOME
    echo env STNOUPGRADE=1 STNORESTART=1 HOME="$1" syncthing serve \
        --home="$1" --no-browser --no-restart --no-upgrade \
        --no-default-folder --skip-port-probing
}

syncthing_synced() { # FILE_A FILE_B
    [[ -s "$2" ]] && cmp -s "$1" "$2"
}

# Two Syncthing 1.19 instances: the server listens on tcp://192.0.2.1:8443
# (not 22000), the VM knows it at that static address and dials it (from
# its own listening port, 21000: Syncthing reuses it for outgoing
# connections).  The
# server's shared folder holds a 3 KB file, which reaches the VM after the
# BEP hello, cluster config and index exchange.
run_syncthing() {
    local d=$TMP/syncthing srv_id vm_id
    need syncthing syncthing
    mkdir -p "$d/srv" "$d/vm" "$d/srv-share/.stfolder" "$d/vm-share/.stfolder"
    syncthing generate --home="$d/srv" --no-default-folder >/dev/null 2>&1 ||
        die "syncthing generate failed"
    syncthing generate --home="$d/vm" --no-default-folder >/dev/null 2>&1 ||
        die "syncthing generate failed"
    srv_id=$(syncthing serve --home="$d/srv" --device-id)
    vm_id=$(syncthing serve --home="$d/vm" --device-id)
    syncthing_conf "$d/srv" "tcp://$SRV_IP:8443" "$srv_id" "$vm_id" dynamic \
        "$d/srv-share"
    syncthing_conf "$d/vm" "tcp://$VM_IP:21000" "$vm_id" "$srv_id" \
        "tcp://$SRV_IP:8443" "$d/vm-share"
    printf 'egressd syncthing capture line %s\n' {1..96} >"$d/srv-share/notes.txt"

    cap_start "$d/cap.pcap"
    # shellcheck disable=SC2046
    start_srv st-srv $(syncthing_cmd "$d/srv")
    wait_listen st-srv t 8443
    # shellcheck disable=SC2046
    start_vm st-vm $(syncthing_cmd "$d/vm")
    wait_until 20 syncthing_synced "$d/srv-share/notes.txt" \
        "$d/vm-share/notes.txt" || {
        cat "$TMP/st-srv.log" "$TMP/st-vm.log" >&2
        die "syncthing did not sync the folder"
    }
    # A few quiet seconds of the established session, then both stop at
    # once (one stopping alone makes the other redial it at once).
    sleep 4
    stop_servers
    cap_stop
    log_has st-vm "Established secure connection to" ||
        die "syncthing (vm) logged no secure connection"
    p2p_check "$d/cap.pcap" "bep/1.0" "$ST_DISCO"
    (($(count_packets "$d/cap.pcap" "udp dst port 21027") >= 1)) ||
        die "$d/cap.pcap: no local discovery packet"
    CAPTURE=$d/cap.pcap
}

# Syncthing's local discovery on its own: a Syncthing in each namespace,
# with IPv6 on the link (net_v6), each announcing itself as IPv4 broadcasts
# to 192.0.2.255:21027 and IPv6 multicast to [ff12::8384]:21027.  Each only
# knows a third device that never runs, so the two do not connect: only
# the announcements (sent at start-up, then every 30 s) are on the wire.
run_syncthing_discovery() {
    local d=$TMP/syncthing-discovery other_id h
    need syncthing syncthing
    net_v6
    for h in srv vm other; do
        mkdir -p "$d/$h" "$d/$h-share/.stfolder"
        syncthing generate --home="$d/$h" --no-default-folder >/dev/null 2>&1 ||
            die "syncthing generate failed"
    done
    other_id=$(syncthing serve --home="$d/other" --device-id)
    syncthing_conf "$d/srv" "tcp://0.0.0.0:8443" \
        "$(syncthing serve --home="$d/srv" --device-id)" "$other_id" dynamic \
        "$d/srv-share"
    syncthing_conf "$d/vm" "tcp://0.0.0.0:8443" \
        "$(syncthing serve --home="$d/vm" --device-id)" "$other_id" dynamic \
        "$d/vm-share"

    cap_start "$d/cap.pcap"
    # shellcheck disable=SC2046
    start_srv st-srv $(syncthing_cmd "$d/srv")
    # shellcheck disable=SC2046
    start_vm st-vm $(syncthing_cmd "$d/vm")
    wait_until 15 cap_has "$d/cap.pcap" "src host $VM_IP and udp dst port 21027" &&
        wait_until 15 cap_has "$d/cap.pcap" "src host $SRV_IP and udp dst port 21027" || {
        cat "$TMP/st-srv.log" "$TMP/st-vm.log" >&2
        die "no syncthing local discovery broadcast"
    }
    wait_until 15 cap_has "$d/cap.pcap" "ip6 dst ff12::8384 and udp dst port 21027" || {
        cat "$TMP/st-srv.log" "$TMP/st-vm.log" >&2
        die "no syncthing IPv6 multicast announcement"
    }
    sleep 2
    stop_servers
    cap_stop
    p2p_check "$d/cap.pcap" "" "$ST_DISCO or ip6"
    CAPTURE=$d/cap.pcap
}

# --------------------------------------------------------------- monero --

# monerod_cmd DIR IP P2P_PORT EXTRA...: a regtest monerod (fixed difficulty
# 1) in DIR that binds its P2P port on IP, with every way out but its P2P
# peers closed: no UPnP, no DNS checkpoints, seed nodes or update checks,
# no ZMQ; RPC on 127.0.0.1:18081 unless EXTRA says otherwise.
monerod_cmd() {
    local dir=$1 ip=$2 port=$3
    shift 3
    echo monerod --regtest --fixed-difficulty 1 --non-interactive \
        --data-dir "$dir" --log-file "$dir/monerod.log" --log-level 1 \
        --no-igd --no-zmq --disable-dns-checkpoints --check-updates disabled \
        --p2p-bind-ip "$ip" --p2p-bind-port "$port" --max-concurrency 2 \
        --prep-blocks-threads 1 "$@"
}

# monerod_rpc NS URL [JSON]: a request to a monerod's RPC from namespace NS.
monerod_rpc() {
    local -a body=()
    [[ -z "${3:-}" ]] || body=(-H 'Content-Type: application/json' -d "$3")
    ip netns exec "$1" curl -q -s --max-time "${RPC_TIMEOUT:-5}" "${body[@]}" "$2"
}

# monerod_info NS FIELD: FIELD of the monerod's /get_info on the namespace's
# loopback (the capture on the veth does not see it).
monerod_info() {
    monerod_rpc "$1" http://127.0.0.1:18081/get_info |
        python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2" 2>/dev/null
}

monerod_up() { [[ -n "$(monerod_info "$1" height)" ]]; }

monero_synced() { # HEIGHT
    [[ "$(monerod_info "$VM_NS" height)" == "$1" ]] &&
        [[ "$(monerod_info "$SRV_NS" incoming_connections_count)" == 1 ]]
}

# A mainnet-format address (what regtest wants) from monero's own
# functional tests (tests/functional_tests/mining.py): public, no key of
# ours.  (Generating one with monero-wallet-cli takes 4-9 s.)
readonly MONERO_ADDR=42ey1afDFnn4886T7196doS9GPMzexD9gXpsZJDwVjeRVdFCSoHnv7KPbBeGpzJBzHRCAs9UxqeoyFQMYbqSWYTfJJQAWDm

# Two monerod 0.18 in regtest mode: the server's P2P port is 9000 (not
# 18080) and it has mined 12 blocks (generateblocks on its loopback RPC,
# before the capture); the VM's monerod has it as its only (exclusive) peer,
# dials it and syncs the chain.  The server makes no outgoing connections
# (--out-peers 0).  Levin handshake, the server's connect-back to the VM's
# announced P2P port, chain request / block download, the relay noise.
run_monero_p2p() {
    local d=$TMP/monero-p2p pid
    need monerod monero
    mkdir -p "$d/srv" "$d/vm"
    # Mine first, offline (a daemon with no peer calls itself not synced and
    # answers BUSY), then serve that chain (--keep-fakechain) to the VM.
    # shellcheck disable=SC2046
    start_srv monerod-mine $(monerod_cmd "$d/srv" "$SRV_IP" 9000 --offline)
    pid=$!
    wait_until 30 monerod_up "$SRV_NS" || die "server monerod did not start"
    RPC_TIMEOUT=60 monerod_rpc "$SRV_NS" http://127.0.0.1:18081/json_rpc \
        '{"jsonrpc":"2.0","id":"0","method":"generateblocks","params":{"amount_of_blocks":12,"wallet_address":"'"$MONERO_ADDR"'"}}' \
        >"$d/generate.json" || true
    grep -q '"height": 12' "$d/generate.json" || {
        cat "$d/generate.json" >&2
        die "the server monerod did not mine its blocks"
    }
    stop_pid "$pid"
    # shellcheck disable=SC2046
    start_srv monerod-srv $(monerod_cmd "$d/srv" "$SRV_IP" 9000 \
        --keep-fakechain --out-peers 0 --add-exclusive-node "$VM_IP:9000")
    wait_listen monerod-srv t 9000
    wait_until 30 monerod_up "$SRV_NS" || die "server monerod did not start"
    [[ "$(monerod_info "$SRV_NS" height)" == 13 ]] ||
        die "the server monerod lost its chain"

    cap_start "$d/cap.pcap"
    # shellcheck disable=SC2046
    start_vm monerod-vm $(monerod_cmd "$d/vm" "$VM_IP" 9000 \
        --add-exclusive-node "$SRV_IP:9000")
    wait_until 30 monero_synced 13 || {
        tail -20 "$d/srv/monerod.log" "$d/vm/monerod.log" >&2
        die "the VM's monerod did not sync from the server's"
    }
    # The VM asks for the server's transaction pool 1 s after syncing.
    sleep 4
    stop_servers
    cap_stop
    check_capture "$d/cap.pcap" $'\x01\x21\x01\x01\x01\x01\x01\x01'
    CAPTURE=$d/cap.pcap
}

# A solo miner's calls to a monerod's JSON-RPC: curl in the VM asks the
# server's monerod (regtest, --offline: no peer, so it calls itself
# synchronised and serves templates; RPC on 192.0.2.1:8081, not 18081) for
# get_info, get_block_template for a wallet address, get_block_count and a
# second get_block_template, four POSTs to /json_rpc over one kept-alive
# connection.
run_monero_rpc() {
    local d=$TMP/monero-rpc tpl
    local -a curl=(curl -q -sS --fail --connect-timeout 5 -H 'Content-Type: application/json')
    need monerod monero
    mkdir -p "$d/srv"
    # shellcheck disable=SC2046
    start_srv monerod-srv $(monerod_cmd "$d/srv" 127.0.0.1 18080 --offline \
        --rpc-bind-ip "$SRV_IP" --rpc-bind-port 8081 --confirm-external-bind)
    wait_listen monerod-srv t 8081
    tpl='{"jsonrpc":"2.0","id":"0","method":"get_block_template","params":{"wallet_address":"'"$MONERO_ADDR"'","reserve_size":60}}'

    cap_start "$d/cap.pcap"
    run_vm 20 "${curl[@]}" -o "$d/info.json" \
        -d '{"jsonrpc":"2.0","id":"0","method":"get_info"}' \
        "http://$SRV_IP:8081/json_rpc" --next "${curl[@]:1}" -o "$d/template.json" \
        -d "$tpl" "http://$SRV_IP:8081/json_rpc" --next "${curl[@]:1}" -o "$d/count.json" \
        -d '{"jsonrpc":"2.0","id":"0","method":"get_block_count"}' \
        "http://$SRV_IP:8081/json_rpc" --next "${curl[@]:1}" -o "$d/template2.json" \
        -d "$tpl" "http://$SRV_IP:8081/json_rpc" 2>"$d/curl.log" || {
        cat "$d/curl.log" "$d/srv/monerod.log" >&2
        die "monero rpc calls failed"
    }
    cap_stop
    grep -q '"blocktemplate_blob"' "$d/template.json" &&
        grep -q '"status": "OK"' "$d/count.json" &&
        grep -q '"nettype": "fakechain"' "$d/info.json" || {
        cat "$d/info.json" "$d/template.json" "$d/count.json" >&2
        die "monerod answered no block template"
    }
    check_capture "$d/cap.pcap" '"method":"get_block_template"'
    (($(count_packets "$d/cap.pcap" "tcp[tcpflags] & tcp-syn != 0 and dst port 8081") == 1)) ||
        die "$d/cap.pcap: the calls did not share one connection"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------- bittorrent-mse --

# Two aria2c peers with protocol encryption required: MSE/PE (the
# "obfuscation handshake": a 96-byte Diffie-Hellman key plus random padding
# each way, then RC4 for the whole stream, --bt-min-crypto-level=arc4), so
# no "\x13BitTorrent protocol" on the wire.  The seeder listens on 8443 (not
# 6881), the VM's leecher on 40000.  aria2c takes no peer on its command
# line, so the peers meet through opentracker on 192.0.2.1:6969 (as in
# run_bittorrent); its HTTP announces are then cut out of the finished
# capture (tcpdump -r ... 'not port 6969'): the capture holds only the
# peer-to-peer connection.  A 64 KB file keeps the capture near 80 KB.
run_bittorrent_mse() {
    local d=$TMP/bittorrent-mse ih ih_hex n
    local -a a2=(aria2c --no-conf=true --enable-dht=false --enable-dht6=false
        --bt-enable-lpd=false --enable-peer-exchange=false --disable-ipv6=true
        --bt-require-crypto=true --bt-min-crypto-level=arc4
        --bt-tracker-connect-timeout=5 --bt-tracker-timeout=5
        --file-allocation=none --auto-file-renaming=false
        --summary-interval=0 --console-log-level=warn)
    need aria2c aria2
    need opentracker opentracker
    # tracker_ready and seeder_registered keep their answers in $TMP/bittorrent.
    mkdir -p "$d/seed" "$d/dl" "$d/tracker" "$TMP/bittorrent"
    head -c 65536 /dev/urandom >"$d/seed/weights.bin"
    read -r ih_hex ih < <(make_torrent "$d/seed/weights.bin" \
        "http://$SRV_IP:6969/announce" "$d/weights.torrent")
    [[ -n "$ih" ]] || die "could not create the torrent"
    echo "$ih_hex" >"$d/tracker/whitelist"
    start_srv opentracker env -C "$d/tracker" opentracker -i "$SRV_IP" \
        -p 6969 -P 6969 -d . -w whitelist
    wait_listen opentracker t 6969
    wait_until 10 tracker_ready "$ih" || {
        cat "$TMP/opentracker.log" >&2
        die "opentracker does not accept the torrent"
    }
    start_srv seeder "${a2[@]}" --seed-ratio=0.0 --check-integrity=true \
        --listen-port=8443 --dir="$d/seed" "$d/weights.torrent"
    wait_listen seeder t 8443
    wait_until 15 seeder_registered "$ih" ||
        die "aria2c seeder never registered with opentracker"

    cap_start "$d/all.pcap"
    run_vm 40 "${a2[@]}" --seed-time=0 \
        --bt-stop-timeout=30 --listen-port=40000 --dir="$d/dl" \
        "$d/weights.torrent" >"$TMP/leecher.log" 2>&1 || {
        cat "$TMP/leecher.log" "$TMP/seeder.log" >&2
        die "bittorrent (mse) download failed"
    }
    cap_stop
    cmp -s "$d/seed/weights.bin" "$d/dl/weights.bin" ||
        die "bittorrent (mse) download differs"
    tcpdump -r "$d/all.pcap" -w "$d/cap.pcap" 'not port 6969' 2>/dev/null ||
        die "could not cut the tracker out of the capture"
    check_capture "$d/cap.pcap" ""
    ! grep -aqF $'\x13BitTorrent protocol' "$d/cap.pcap" ||
        die "$d/cap.pcap: a plaintext BitTorrent handshake"
    n=$(count_packets "$d/cap.pcap" "tcp[tcpflags] == tcp-syn and dst port 8443")
    ((n >= 1)) || die "$d/cap.pcap: no connection to the seeder"
    CAPTURE=$d/cap.pcap
}
