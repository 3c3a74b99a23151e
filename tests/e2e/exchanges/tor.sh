# shellcheck shell=bash disable=SC2034  # CAPTURE is read by record-captures.sh
# Tor exchanges, sourced by record-captures.sh (its helpers and variables).
#
# Two real tor processes: a bridge relay in the server namespace (no
# directory authorities, no published descriptor, nothing reachable but the
# VM) and a tor client in the VM namespace that uses it as its only bridge.
# The client opens the link to the bridge, does the full link-protocol
# handshake (TLS, VERSIONS, CERTS, AUTH_CHALLENGE, NETINFO), then asks the
# bridge for its own descriptor over a BEGIN_DIR stream; it gets no further
# (the bridge has no consensus to give), which is all the captures need.
#
#   tor-link   plain Tor link protocol on the bridge's ORPort, 192.0.2.1:8443
#   obfs4      the same link wrapped in obfs4 (obfs4proxy on both sides) on
#              192.0.2.1:8000, iat-mode=0
#   obfs4-iat  the same with iat-mode=1 (obfs4 splits and delays writes)
#   meek       the link carried in HTTPS POSTs by obfs4proxy's meek_lite to
#              a meek server on 192.0.2.1:443 (a small Python one written
#              from the protocol description: Debian has no meek-server),
#              which relays to the bridge's ORPort
#
# Snowflake is not recorded: it needs a broker and a snowflake server (the
# WebSocket/KCP/smux end that feeds tor), and Debian packages neither (only
# snowflake-client, snowflake-proxy and the client/proxy library).

ALL_NAMES+=(tor-link obfs4 obfs4-iat meek)

readonly TOR_OR_PORT=8443
readonly TOR_OBFS4_PORT=8000

# tor_client_up NAME: the client's log shows the link handshake with the
# bridge done (bootstrap 15%, "Handshake with a relay done") or later.
tor_client_up() {
    grep -qE 'Bootstrapped (1[5-9]|[2-9][0-9]|100)%' "$TMP/$1.log" 2>/dev/null
}

# tor_bridge_exchange NAME MODE: MODE is plain, obfs4, obfs4-iat or meek.
tor_bridge_exchange() {
    local name=$1 mode=$2 d=$TMP/$1 fpr bl iat=0 vm_pid
    local -a cenv=()
    need tor tor
    mkdir -p "$d/srv" "$d/vm"
    chmod 0700 "$d/srv" "$d/vm"
    [[ "$mode" == obfs4-iat ]] && iat=1
    cat >"$d/torrc-srv" <<EOF
DataDirectory $d/srv
Log notice stdout
RunAsDaemon 0
SocksPort 0
ControlPort 0
DirPort 0
Nickname egdbridge
ContactInfo egressd-tests
Address $SRV_IP
ORPort $SRV_IP:$TOR_OR_PORT
BridgeRelay 1
BridgeDistribution none
PublishServerDescriptor 0
AssumeReachable 1
ExitRelay 0
ExitPolicy reject *:*
AvoidDiskWrites 1
EOF
    if [[ "$mode" == obfs4* ]]; then
        need obfs4proxy obfs4proxy
        cat >>"$d/torrc-srv" <<EOF
ServerTransportPlugin obfs4 exec /usr/bin/obfs4proxy
ServerTransportListenAddr obfs4 $SRV_IP:$TOR_OBFS4_PORT
ServerTransportOptions obfs4 iat-mode=$iat
ExtORPort auto
EOF
    fi
    start_srv tor-srv tor -f "$d/torrc-srv" --defaults-torrc /dev/null
    wait_listen tor-srv t "$TOR_OR_PORT"
    if [[ "$mode" == plain ]]; then
        bl="$SRV_IP:$TOR_OR_PORT"
    elif [[ "$mode" == meek ]]; then
        need obfs4proxy obfs4proxy
        meek_server "$d"
        wait_until 10 test -s "$d/srv/fingerprint" ||
            die "$name: the bridge has no fingerprint"
        fpr=$(awk '{ print $2 }' "$d/srv/fingerprint")
        # The address is a placeholder (meek_lite dials the front); the
        # front is an address literal: the namespaces have no DNS.
        bl="meek_lite 192.0.2.2:2 $fpr url=https://$MEEK_HOST/ front=$SRV_IP"
    else
        wait_listen tor-srv t "$TOR_OBFS4_PORT"
        wait_until 10 test -s "$d/srv/pt_state/obfs4_bridgeline.txt" ||
            die "$name: obfs4proxy wrote no bridge line"
        wait_until 10 test -s "$d/srv/fingerprint" ||
            die "$name: the bridge has no fingerprint"
        fpr=$(awk '{ print $2 }' "$d/srv/fingerprint")
        # "Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=... iat-mode=N"
        bl=$(sed -n 's/^Bridge obfs4 .* \(cert=[^ ]*\) iat-mode=.*/\1/p' \
            "$d/srv/pt_state/obfs4_bridgeline.txt")
        [[ -n "$bl" ]] || die "$name: no cert= in the obfs4 bridge line"
        bl="obfs4 $SRV_IP:$TOR_OBFS4_PORT $fpr $bl iat-mode=$iat"
    fi
    cat >"$d/torrc-vm" <<EOF
DataDirectory $d/vm
Log notice stdout
RunAsDaemon 0
SocksPort 127.0.0.1:9050
ControlPort 0
ClientUseIPv6 0
AvoidDiskWrites 1
UseBridges 1
Bridge $bl
EOF
    case $mode in
    obfs4*) echo "ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy" ;;
    meek) echo "ClientTransportPlugin meek_lite exec /usr/bin/obfs4proxy" ;;
    esac >>"$d/torrc-vm"

    cap_start "$d/cap.pcap"
    # meek_lite (Go) trusts the meek server's certificate through
    # SSL_CERT_FILE, which tor passes on to the transports it starts.
    [[ "$mode" != meek ]] || cenv=(SSL_CERT_FILE="$d/meek-cert.pem")
    start_vm tor-vm timeout 30 env "${cenv[@]}" \
        tor -f "$d/torrc-vm" --defaults-torrc /dev/null
    vm_pid=$!
    wait_until 20 tor_client_up tor-vm || {
        cat "$TMP/tor-srv.log" "$TMP/tor-vm.log" >&2
        die "$name: the tor client did not finish the handshake with the bridge"
    }
    # Let the client fetch the bridge's descriptor over BEGIN_DIR, retry
    # the consensus it cannot get, and send a few padding cells: ~10 s of
    # link in all.
    wait_until 8 log_has tor-vm 'new bridge descriptor' || {
        cat "$TMP/tor-srv.log" "$TMP/tor-vm.log" >&2
        die "$name: the client got no descriptor from the bridge"
    }
    sleep 8
    stop_pid "$vm_pid"
    cap_stop
    check_capture "$d/cap.pcap" ""
    if [[ "$mode" == plain ]]; then
        (($(count_packets "$d/cap.pcap" "tcp port $TOR_OR_PORT") >= 10)) ||
            die "$d/cap.pcap: too few packets on the ORPort"
    elif [[ "$mode" == meek ]]; then
        log_has meek-srv "new session" || die "$name: no meek session"
        (($(count_packets "$d/cap.pcap" "tcp port $MEEK_PORT") >= 10)) ||
            die "$d/cap.pcap: too few meek packets"
        (($(count_packets "$d/cap.pcap" "tcp port $TOR_OR_PORT") == 0)) ||
            die "$d/cap.pcap: the client went to the plain ORPort"
    else
        (($(count_packets "$d/cap.pcap" "tcp port $TOR_OBFS4_PORT") >= 10)) ||
            die "$d/cap.pcap: too few obfs4 packets"
        (($(count_packets "$d/cap.pcap" "tcp port $TOR_OR_PORT") == 0)) ||
            die "$d/cap.pcap: the client went to the plain ORPort"
    fi
    CAPTURE=$d/cap.pcap
}

readonly MEEK_HOST=meek.example.test
readonly MEEK_PORT=443

# meek_server DIR: Debian packages no meek-server, so a small Python one,
# written from the meek protocol description (HTTPS POSTs with an
# X-Session-Id header carry the upstream bytes; each answer carries the
# downstream bytes; see the docstring), listens on $SRV_IP:$MEEK_PORT and
# relays each session to the bridge's ORPort.  The client side is the real
# meek_lite of obfs4proxy under a real tor.
meek_server() {
    local d=$1
    need python3 python3
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj "/CN=$MEEK_HOST" \
        -addext "subjectAltName=DNS:$MEEK_HOST,IP:$SRV_IP" \
        -keyout "$d/meek-key.pem" -out "$d/meek-cert.pem" 2>/dev/null
    cat >"$d/meek-server.py" <<'PYEOF'
#!/usr/bin/env python3
"""meek-server.py ADDR PORT CERT KEY ORADDR ORPORT: a minimal meek server.

Debian packages no meek-server; this follows the meek protocol as the meek
README/meek-server describe it: every HTTPS POST carries an X-Session-Id
header and, as its body, the next upstream bytes of that session; the
server writes them to the session's TCP connection to the relay (here the
bridge's ORPort) and answers 200 with whatever downstream bytes arrive
within the turnaround time (10 ms without new data, at most 64 KiB).
"""
import http.server, socket, ssl, sys, threading, time, select

ADDR, PORT, CERT, KEY, ORADDR, ORPORT = sys.argv[1:7]
MAX_PAYLOAD = 0x10000
TURNAROUND = 0.010
sessions = {}
lock = threading.Lock()

def session(sid):
    with lock:
        s = sessions.get(sid)
        if s is None:
            s = socket.create_connection((ORADDR, int(ORPORT)))
            sessions[sid] = s
            print("new session", sid, flush=True)
        return s

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, fmt, *a):
        pass
    def reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.reply(200, b"I\xe2\x80\x99m just a happy little web server.\n")
    def do_POST(self):
        sid = self.headers.get("X-Session-Id")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not sid:
            return self.reply(400)
        s = session(sid)
        if body:
            s.sendall(body)
        out = b""
        while len(out) < MAX_PAYLOAD:
            r, _, _ = select.select([s], [], [], TURNAROUND)
            if not r:
                break
            chunk = s.recv(MAX_PAYLOAD - len(out))
            if not chunk:
                break
            out += chunk
        self.reply(200, out)

srv = http.server.ThreadingHTTPServer((ADDR, int(PORT)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("listening", flush=True)
srv.serve_forever()
PYEOF
    start_srv meek-srv python3 "$d/meek-server.py" "$SRV_IP" "$MEEK_PORT" \
        "$d/meek-cert.pem" "$d/meek-key.pem" "$SRV_IP" "$TOR_OR_PORT"
    wait_listen meek-srv t "$MEEK_PORT"
}

run_tor_link() { tor_bridge_exchange tor-link plain; }
run_obfs4() { tor_bridge_exchange obfs4 obfs4; }
run_obfs4_iat() { tor_bridge_exchange obfs4-iat obfs4-iat; }
run_meek() { tor_bridge_exchange meek meek; }
