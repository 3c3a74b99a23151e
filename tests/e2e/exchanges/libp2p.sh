# shellcheck shell=bash
# shellcheck disable=SC2034  # CAPTURE is read by record-captures.sh
# libp2p.sh: IPFS / libp2p peers (sourced by ../record-captures.sh).
#
#   libp2p   two nodes of npm's js-libp2p (libp2p-node.mjs beside this
#            file): node A listens on tcp 192.0.2.1:4101 (not IPFS's usual
#            4001) in the server namespace; node B in the VM dials
#            /ip4/192.0.2.1/tcp/4101/p2p/<A's peer id>: multistream-select
#            (/multistream/1.0.0), Noise (/noise, XX), multistream-select
#            again inside it, yamux (/yamux/1.0.0), identify both ways
#            (/ipfs/id/1.0.0), 3 pings (/ipfs/ping/1.0.0), one 6000-byte
#            block fetched over Helia's bitswap (/ipfs/bitswap/1.2.0), then
#            B hangs up.  No mDNS, DHT, bootstrap list, relay, websockets
#            or any address beyond the two namespaces (check_capture
#            refuses a packet to anywhere else); new random Ed25519 peer
#            ids each run.
#
# Nothing here downloads anything at record time: the npm packages are
# installed beforehand under EGD_NPM_DIR (default /tmp/egd-npm, as for
# mining.sh), at exactly these versions (LIBP2P_NPM below, checked):
#   mkdir -p /tmp/egd-npm && cd /tmp/egd-npm &&
#   npm install --no-audit --no-fund libp2p@3.3.11 @libp2p/tcp@11.0.28 \
#       @chainsafe/libp2p-noise@17.0.0 @chainsafe/libp2p-yamux@8.0.1 \
#       @libp2p/identify@4.1.14 @libp2p/ping@3.1.13 \
#       @multiformats/multiaddr@13.0.3 @helia/bitswap@4.0.19 \
#       blockstore-core@7.0.1 multiformats@14.0.5
# js-libp2p 3 wants Node 22 (npm warns about p-retry's engines, used only
# by its reconnect queue); on Debian 12's Node 20 the node script supplies
# the one missing call, Promise.withResolvers.

ALL_NAMES+=(libp2p)

EGD_NPM_DIR=${EGD_NPM_DIR:-/tmp/egd-npm}

readonly LIBP2P_NPM=(libp2p@3.3.11 @libp2p/tcp@11.0.28
    @chainsafe/libp2p-noise@17.0.0 @chainsafe/libp2p-yamux@8.0.1
    @libp2p/identify@4.1.14 @libp2p/ping@3.1.13 @multiformats/multiaddr@13.0.3
    @helia/bitswap@4.0.19 blockstore-core@7.0.1 multiformats@14.0.5)
readonly LIBP2P_PORT=4101

# libp2p_npm_check: every package of LIBP2P_NPM is installed under
# EGD_NPM_DIR at its pinned version.
libp2p_npm_check() {
    local spec name want have
    for spec in "${LIBP2P_NPM[@]}"; do
        name=${spec%@*}
        want=${spec##*@}
        have=$(node -p 'require(process.argv[1]).version' \
            "$EGD_NPM_DIR/node_modules/$name/package.json" 2>/dev/null) || true
        [[ "$have" == "$want" ]] ||
            die "libp2p: npm package $name is ${have:-not installed} under" \
                "$EGD_NPM_DIR, want $want: cd $EGD_NPM_DIR && npm install" \
                "--no-audit --no-fund ${LIBP2P_NPM[*]} (or set EGD_NPM_DIR)"
    done
}

run_libp2p() {
    local d=$TMP/libp2p addr
    mkdir -p "$d"
    need node nodejs
    libp2p_npm_check
    start_srv libp2p-srv node "$HERE/exchanges/libp2p-node.mjs" \
        "$EGD_NPM_DIR" listen "$SRV_IP" "$LIBP2P_PORT"
    wait_listen libp2p-srv t "$LIBP2P_PORT"
    wait_until 10 log_has libp2p-srv "listen: /ip4/$SRV_IP/tcp/$LIBP2P_PORT/p2p/" ||
        die "libp2p: the listening node printed no address"
    addr=$(sed -n "s|^libp2p-node listen: \(/ip4/$SRV_IP/tcp/$LIBP2P_PORT/p2p/[1-9A-HJ-NP-Za-km-z]*\)$|\1|p" \
        "$TMP/libp2p-srv.log")
    [[ -n "$addr" ]] || die "libp2p: bad listen address"

    cap_start "$d/cap.pcap"
    run_vm 30 node "$HERE/exchanges/libp2p-node.mjs" "$EGD_NPM_DIR" dial \
        "$addr" 3 >"$d/out" 2>&1 || {
        cat "$d/out" "$TMP/libp2p-srv.log" >&2
        die "libp2p: the dialing node failed"
    }
    cap_stop
    grep -q '^libp2p-node dial: ping 3 rtt ' "$d/out" &&
        grep -q '^libp2p-node dial: bitswap block .* 6000 bytes matches$' "$d/out" &&
        log_has libp2p-srv "listen: identified " &&
        log_has libp2p-srv "listen: bitswap message from " || {
        cat "$d/out" "$TMP/libp2p-srv.log" >&2
        die "libp2p: no identify, ping and bitswap exchange"
    }
    check_capture "$d/cap.pcap" "/multistream/1.0.0"
    log "libp2p: $(grep -c '' "$d/out") lines from the dialer, $(count_packets \
        "$d/cap.pcap" "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0") TCP connection(s)"
    CAPTURE=$d/cap.pcap
}
