# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# shellcheck disable=SC2016  # NMDC commands begin with a literal "$"
# dc.sh: Direct Connect (DC++ style) peer-to-peer file sharing, sourced by
# ../record-captures.sh (its helpers and variables).
#
# dc-adc   ADC: Debian's uhub 0.4.1 (package uhub) on 192.0.2.1:4111/tcp
#          (not its default 1511), two ncdc 1.23.1 clients (package ncdc)
#          with their default settings but for nick, debug log and, on the
#          server's, active mode and a share: "bob" in the server namespace
#          (active, peer port 192.0.2.1:4112, shares two small files) and
#          "alice" in the VM (passive).  Alice logs in (HSUP / ISID / BINF),
#          says one chat line (BMSG), searches (BSCH, answered by bob
#          through the hub: DRES), then browses bob's share: a reverse
#          connect request through the hub (DRCM, answered DCTM ADCS/0.10)
#          and a client-to-client connection from the VM to 192.0.2.1:4112,
#          TLS (ncdc's tls_policy default "prefer"; GnuTLS, self-signed
#          certificates checked against the keyprint KP of the hub's BINF)
#          carrying CSUP / CINF / CGET files.xml.bz2 / CSND and the list;
#          then she quits.  Bob's own hub connection stays on the server's
#          loopback and is not captured.
# dc-nmdc  NMDC: the same ncdc as "alice" in the VM (passive) logs in to an
#          NMDC hub on 192.0.2.1:4411/tcp (not NMDC's usual 411) -- a
#          SPEC-BUILT hub, dc-nmdc-hub.py beside this file, since Debian 12
#          packages no NMDC hub -- ($Lock / $Supports / $Key / $ValidateNick
#          / $Hello / $Version / $MyINFO / $GetNickList), says one chat
#          line, searches ($Search Hub:alice ..., answered by a passive
#          $SR through the hub), then browses the share of "bob", Debian's
#          microdc2 0.15.6 (package microdc2; NMDC only, no TLS) in the
#          server namespace, active on 192.0.2.1:4112: $RevConnectToMe
#          through the hub, answered $ConnectToMe alice 192.0.2.1:4112, and
#          a plaintext client-to-client connection from the VM ($MyNick /
#          $Lock / $Supports / $Direction / $Key / $ADCGET files.xml.bz2 /
#          $ADCSND and the list); then she quits.
#
# ncdc and microdc2 read their commands only from a terminal: dc-pty.py
# (beside this file) runs each on a pseudo-terminal and types the lines
# appended to a control file, as `tmux send-keys` would; every byte on the
# wire comes from uhub, ncdc, microdc2 and (for dc-nmdc's hub only)
# dc-nmdc-hub.py.  Every config, share and session directory is made in
# $TMP at record time.
ALL_NAMES+=(dc-adc dc-nmdc)

readonly DC_HUB_PORT=4111
readonly DC_NMDC_PORT=4411
readonly DC_PEER_PORT=4112

# dc_ncdc NAME NS SESSION: start ncdc (through dc-pty.py, bounded to 60 s)
# in namespace NS ("srv" or "vm") with session directory SESSION (also its
# HOME); it is then driven with dc_say SESSION LINE..., which types each
# LINE into it.
dc_ncdc() {
    local name=$1 ns=$2 s=$3
    mkdir -p "$s"
    : >"$s.ctl"
    "start_$ns" "$name" python3 "$HERE/exchanges/dc-pty.py" --timeout 60 \
        --screen "$s.screen" "$s.ctl" env HOME="$s" ncdc -c "$s"
}

dc_say() { # SESSION LINE...
    local s=$1
    shift
    printf '%s\n' "$@" >>"$s.ctl"
}

# dc_debug_has SESSION TEXT: ncdc's debug log (log_debug) of SESSION has TEXT.
dc_debug_has() { grep -qF -- "$2" "$1/stderr.log" 2>/dev/null; }

# dc_main_has SESSION TEXT: ncdc's main tab log of SESSION has TEXT.
dc_main_has() { grep -qF -- "$2" "$1/logs/main.log" 2>/dev/null; }

# dc_wait SECONDS SESSION TEXT WHAT: wait for TEXT in SESSION's debug log.
dc_wait() {
    wait_until "$1" dc_debug_has "$2" "$3" || {
        tail -n 30 "$2/stderr.log" >&2 2>/dev/null || true
        die "dc: $4"
    }
}

# dc_share DIR: two small text files to share in DIR.
dc_share() {
    local i
    mkdir -p "$1"
    printf 'Direct Connect test share of egressd.\n' >"$1/readme.txt"
    for i in $(seq 1 64); do
        printf 'line %02d of the egressd test notes\n' "$i"
    done >"$1/notes.txt"
}

# dc_alice D: start the VM's ncdc "alice" (session D/alice, passive,
# default settings but nick and debug log), configured before the capture
# starts: ncdc opens no socket until it is told to connect (/open).
dc_alice() {
    dc_ncdc ncdc-alice vm "$1/alice"
    wait_until 15 test -e "$1/alice/db.sqlite3" || die "dc: ncdc (alice) did not start"
    dc_say "$1/alice" "/set nick alice" "/set log_debug true"
    wait_until 10 dc_main_has "$1/alice" "global.log_debug = true" ||
        die "dc: ncdc (alice) did not take its settings"
}

run_dc_adc() {
    local d=$TMP/dc-adc
    need uhub uhub
    need ncdc ncdc
    dc_share "$d/share"

    # uhub with no plugins (no user database, MOTD or chat history).
    : >"$d/plugins.conf"
    cat >"$d/uhub.conf" <<EOF
server_port=$DC_HUB_PORT
server_bind_addr=$SRV_IP
hub_name=egd test hub
hub_description=egressd test hub
hub_enabled=1
max_users=50
registered_users_only=0
show_banner=1
file_plugins=$d/plugins.conf
EOF
    start_srv uhub uhub -c "$d/uhub.conf" -v
    wait_listen uhub t "$DC_HUB_PORT"

    # bob: the server side's sharing, active client.
    dc_ncdc ncdc-bob srv "$d/bob"
    wait_until 15 test -e "$d/bob/db.sqlite3" || die "dc: ncdc (bob) did not start"
    dc_say "$d/bob" "/set nick bob" "/set log_debug true" \
        "/set active_ip $SRV_IP" "/set active_port $DC_PEER_PORT" \
        "/set active true" "/share pub $d/share"
    dc_wait 20 "$d/bob" "Completed hashing $d/share/readme.txt" \
        "bob did not hash his share"
    dc_wait 20 "$d/bob" "Completed hashing $d/share/notes.txt" \
        "bob did not hash his share"
    dc_say "$d/bob" "/open egd adc://$SRV_IP:$DC_HUB_PORT/"
    wait_listen ncdc-bob t "$DC_PEER_PORT"
    dc_wait 10 "$d/bob" "< BINF AAAB " "bob did not log in to uhub"

    dc_alice "$d"

    cap_start "$d/cap.pcap"
    dc_say "$d/alice" "/open egd adc://$SRV_IP:$DC_HUB_PORT/"
    dc_wait 10 "$d/alice" "NIbob" "alice did not see bob on the hub"
    sleep 1
    dc_say "$d/alice" "hello from alice"
    dc_wait 5 "$d/alice" "< BMSG AAAC hello\\sfrom\\salice" \
        "alice's chat line did not come back"
    dc_say "$d/alice" "/search notes"
    dc_wait 5 "$d/alice" "< DRES AAAB AAAC" "no search result from bob"
    # The search opened (and focused) a results tab without an input line:
    # back to the hub's tab (Alt+2) to type commands again.
    dc_say "$d/alice" '@keys \x1b2' "/browse bob"
    dc_wait 10 "$d/alice" "< CSND file files.xml.bz2" "bob sent no file list"
    dc_wait 10 "$d/alice" "finished, removing from queue" \
        "alice did not finish bob's file list"
    sleep 1.5
    dc_say "$d/alice" "/quit"
    dc_wait 10 "$d/alice" "Clean shutdown." "alice did not quit"
    dc_say "$d/bob" "/quit"
    stop_servers
    cap_stop
    check_capture "$d/cap.pcap" "HSUP ADBASE"
    (($(count_packets "$d/cap.pcap" "src host $VM_IP and tcp dst port $DC_PEER_PORT and tcp[tcpflags] & tcp-syn != 0") == 1)) ||
        die "$d/cap.pcap: no client-to-client connection to bob"
    CAPTURE=$d/cap.pcap
}

# dc_screen_has FILE TEXT: a dc-pty.py screen log has TEXT.
dc_screen_has() { grep -aqF -- "$2" "$1" 2>/dev/null; }

run_dc_nmdc() {
    local d=$TMP/dc-nmdc
    need ncdc ncdc
    need microdc2 microdc2
    dc_share "$d/share"
    mkdir -p "$d/bob/home" "$d/bob/list" "$d/bob/dl"

    start_srv nmdc-hub python3 "$HERE/exchanges/dc-nmdc-hub.py" --timeout 60 \
        "$SRV_IP" "$DC_NMDC_PORT"
    wait_listen nmdc-hub t "$DC_NMDC_PORT"

    # bob: microdc2 in the server namespace, active on port 4112, sharing.
    : >"$d/bob.ctl"
    start_srv microdc2-bob python3 "$HERE/exchanges/dc-pty.py" --timeout 60 \
        --screen "$d/bob.screen" "$d/bob.ctl" \
        env HOME="$d/bob/home" microdc2 -n
    wait_until 10 dc_screen_has "$d/bob.screen" "microdc2>" ||
        die "dc: microdc2 (bob) did not start"
    dc_say "$d/bob" "set nick bob" "set listingdir $d/bob/list" \
        "set downloaddir $d/bob/dl" "set listenport $DC_PEER_PORT" \
        "set active on" "share $d/share"
    wait_listen microdc2-bob t "$DC_PEER_PORT"
    wait_until 20 dc_screen_has "$d/bob.screen" "Sharing 2214 bytes" || {
        cat -v "$d/bob.screen" >&2
        die "dc: microdc2 (bob) did not share its files"
    }
    dc_say "$d/bob" "connect $SRV_IP:$DC_NMDC_PORT"
    wait_until 10 dc_screen_has "$d/bob.screen" "You are now logged in." || {
        cat -v "$d/bob.screen" "$TMP/nmdc-hub.log" >&2
        die "dc: microdc2 (bob) did not log in to the hub"
    }

    dc_alice "$d"

    cap_start "$d/cap.pcap"
    dc_say "$d/alice" "/open egd nmdc://$SRV_IP:$DC_NMDC_PORT/"
    dc_wait 10 "$d/alice" '< $MyINFO $ALL bob ' "alice did not see bob on the hub"
    sleep 1
    dc_say "$d/alice" "hello from alice"
    dc_wait 5 "$d/alice" "< <alice> hello from alice|" \
        "alice's chat line did not come back"
    dc_say "$d/alice" "/search notes"
    dc_wait 5 "$d/alice" '< $SR bob ' "no search result from bob"
    # Back from the search results to the hub's tab, as in run_dc_adc.
    dc_say "$d/alice" '@keys \x1b2' "/browse bob"
    dc_wait 10 "$d/alice" '< $ADCSND file files.xml.bz2' "bob sent no file list"
    dc_wait 10 "$d/alice" "finished, removing from queue" \
        "alice did not finish bob's file list"
    sleep 1.5
    dc_say "$d/alice" "/quit"
    dc_wait 10 "$d/alice" "Clean shutdown." "alice did not quit"
    dc_say "$d/bob" "exit"
    stop_servers
    cap_stop
    check_capture "$d/cap.pcap" '$Lock EXTENDEDPROTOCOL'
    grep -q "key ok" "$TMP/nmdc-hub.log" || {
        cat "$TMP/nmdc-hub.log" >&2
        die "dc: alice's \$Key did not match the hub's \$Lock"
    }
    (($(count_packets "$d/cap.pcap" "src host $VM_IP and tcp dst port $DC_PEER_PORT and tcp[tcpflags] & tcp-syn != 0") == 1)) ||
        die "$d/cap.pcap: no client-to-client connection to bob"
    grep -aqF '$MyNick alice|' "$d/cap.pcap" ||
        die "$d/cap.pcap: no plaintext \$MyNick from alice"
    CAPTURE=$d/cap.pcap
}
