# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# syncthing-relay.sh: Syncthing through a Syncthing relay (sourced by
# ../record-captures.sh).
#
# syncthing-relay   strelaysrv (Debian's syncthing-relaysrv) on
#                   192.0.2.1:22167, no pool announcement, and two Syncthing
#                   1.19 instances that reach each other only through it:
#                   the VM's relay protocol connection (TLS, join relay,
#                   session invitation) and the session connection (join
#                   session, then BEP over TLS carrying a small folder)
ALL_NAMES+=(syncthing-relay)

readonly STR_PORT=22167

# str_conf HOME SELF_ID PEER_ID RELAY_URL FOLDER: a minimal config.xml: one
# shared folder; the only listen address and the only address of the peer
# are RELAY_URL; local and global discovery, NAT, STUN, upgrades, crash and
# usage reporting and the GUI off.  Without a direct listen address and
# without discovery neither side learns a direct address of the other.
str_conf() {
    cat >"$1/config.xml" <<EOF
<configuration version="36">
    <folder id="egd-relay-share" label="share" path="$5" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="false">
        <filesystemType>basic</filesystemType>
        <device id="$2" introducedBy=""></device>
        <device id="$3" introducedBy=""></device>
    </folder>
    <device id="$2" name="self" compression="metadata" introducer="false">
        <address>dynamic</address>
    </device>
    <device id="$3" name="peer" compression="metadata" introducer="false">
        <address>$4</address>
    </device>
    <gui enabled="false" tls="false">
        <address>127.0.0.1:8384</address>
    </gui>
    <options>
        <listenAddress>$4</listenAddress>
        <globalAnnounceServer></globalAnnounceServer>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <localAnnouncePort>21027</localAnnouncePort>
        <localAnnounceMCAddr>[ff12::8384]:21027</localAnnounceMCAddr>
        <relaysEnabled>true</relaysEnabled>
        <relayReconnectIntervalM>1</relayReconnectIntervalM>
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
str_cmd() { # HOME
    echo env STNOUPGRADE=1 STNORESTART=1 HOME="$1" syncthing serve \
        --home="$1" --no-browser --no-restart --no-upgrade \
        --no-default-folder --skip-port-probing
}

str_synced() { # DIR_A DIR_B
    local f
    for f in a.txt b.txt c.bin; do
        [[ -s "$2/$f" ]] && cmp -s "$1/$f" "$2/$f" || return 1
    done
}

# The VM has an established TCP connection to the relay (its relay
# protocol connection: it joined the relay).
str_vm_joined() {
    [[ -n "$(ip netns exec "$VM_NS" ss -Htn state established \
        "dst $SRV_IP:$STR_PORT" 2>/dev/null)" ]]
}

# The relay: strelaysrv makes its own key pair in DIR/relay at start-up and
# logs its URI with its device id.  No pools (no announcement to
# relays.syncthing.net), no status server, no NAT.  The VM's Syncthing
# listens only on the relay (joins it and waits for invitations); the
# server's Syncthing, started once the VM has joined, dials the VM's device
# through the relay (connect request, session invitations to both, both
# join the session, BEP over TLS inside it).  The server's Syncthing listens
# on the relay too, so the VM's dial of the server (also relay only) can
# succeed as well.  Three small files go from the server to the VM.
run_syncthing_relay() {
    local d=$TMP/syncthing-relay srv_id vm_id relay_id relay_url
    local relay_pid vm_pid srv_pid
    need syncthing syncthing
    need strelaysrv syncthing-relaysrv
    mkdir -p "$d/srv" "$d/vm" "$d/relay" "$d/srv-share/.stfolder" \
        "$d/vm-share/.stfolder"
    syncthing generate --home="$d/srv" --no-default-folder >/dev/null 2>&1 ||
        die "syncthing generate failed"
    syncthing generate --home="$d/vm" --no-default-folder >/dev/null 2>&1 ||
        die "syncthing generate failed"
    srv_id=$(syncthing serve --home="$d/srv" --device-id)
    vm_id=$(syncthing serve --home="$d/vm" --device-id)
    printf 'egressd syncthing relay capture line %s\n' {1..64} >"$d/srv-share/a.txt"
    printf 'second file of the relayed folder, line %s\n' {1..32} >"$d/srv-share/b.txt"
    head -c 4096 /dev/urandom >"$d/srv-share/c.bin"

    start_srv strelaysrv env -C "$d/relay" timeout 120 strelaysrv \
        -keys="$d/relay" -listen="$SRV_IP:$STR_PORT" -protocol=tcp4 \
        -pools="" -status-srv="" -nat=false
    relay_pid=${PIDS[-1]}
    wait_listen strelaysrv t "$STR_PORT"
    wait_until 10 log_has strelaysrv "relay://" || {
        cat "$TMP/strelaysrv.log" >&2
        die "strelaysrv logged no URI"
    }
    relay_id=$(sed -n 's/.*relay:\/\/[^?]*?id=\([A-Z0-9-]*\).*/\1/p' \
        "$TMP/strelaysrv.log" | head -1)
    [[ -n "$relay_id" ]] || die "no relay device id in the strelaysrv log"
    relay_url="relay://$SRV_IP:$STR_PORT/?id=$relay_id"
    log "syncthing-relay: relay $relay_url"
    str_conf "$d/srv" "$srv_id" "$vm_id" "$relay_url" "$d/srv-share"
    str_conf "$d/vm" "$vm_id" "$srv_id" "$relay_url" "$d/vm-share"

    cap_start "$d/cap.pcap"
    # shellcheck disable=SC2046
    start_vm st-vm timeout 120 $(str_cmd "$d/vm")
    vm_pid=${PIDS[-1]}
    wait_until 20 str_vm_joined || {
        cat "$TMP/strelaysrv.log" "$TMP/st-vm.log" >&2
        die "syncthing (vm) did not join the relay"
    }
    # shellcheck disable=SC2046
    start_srv st-srv timeout 120 $(str_cmd "$d/srv")
    srv_pid=${PIDS[-1]}
    wait_until 60 str_synced "$d/srv-share" "$d/vm-share" || {
        cat "$TMP/strelaysrv.log" "$TMP/st-srv.log" "$TMP/st-vm.log" >&2
        die "syncthing did not sync the folder through the relay"
    }
    # A few quiet seconds of the relayed session, then both Syncthings stop
    # at once (one stopping alone makes the other redial), and only then
    # the relay (stopped first, it makes the VM rejoin it at once).
    sleep 3
    kill -TERM "$vm_pid" "$srv_pid" 2>/dev/null || true
    stop_pid "$vm_pid"
    stop_pid "$srv_pid"
    stop_pid "$relay_pid"
    cap_stop
    log_has st-vm "Established secure connection to" ||
        die "syncthing (vm) logged no secure connection"
    grep -q "Established secure connection to.*relay-" "$TMP/st-vm.log" ||
        die "syncthing (vm) connection was not relayed"
    check_capture "$d/cap.pcap" "bep-relay"
    (($(count_packets "$d/cap.pcap" "tcp and not port $STR_PORT") == 0)) ||
        die "$d/cap.pcap: traffic other than to the relay"
    CAPTURE=$d/cap.pcap
}
