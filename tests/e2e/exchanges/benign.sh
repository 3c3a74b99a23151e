# shellcheck shell=bash
# Benign exchanges, sourced by record-captures.sh (its helpers and variables).
#
# Traffic a notebook VM legitimately sends, on which egressd must stay
# silent: the false-positive fixtures for the generic detectors (fully
# encrypted traffic, Tor TLS shape, TLS in TLS, mining cadence over TLS).
#
#   benign-web        nginx (HTTPS TLS 1.2 + 1.3, HTTP/1.1 + HTTP/2, plain
#                     HTTP) with curl and headless chromium; DNS queries of
#                     63, 64, 90 and 200-byte names to dnsmasq
#   benign-websocket  a Jupyter-kernel-like websocket session (python3
#                     websockets, server and client) over wss and over ws
#   benign-sse        server-sent events through nginx over HTTPS to curl
#   benign-misc       pip-like HTTPS downloads, an HTTPS JSON POST, a real
#                     git clone over HTTPS (git http-backend), 20 small
#                     requests on one keep-alive connection, NTP (chronyd
#                     client and server), a gRPC-like HTTP/2 stream
#
# The Python programs written into $TMP at record time run with Debian's
# /usr/bin/python3 (python3-websockets, python3-h2), which need not be the
# python3 first on PATH.

ALL_NAMES+=(benign-web benign-websocket benign-sse benign-misc)

readonly BENIGN_PY=/usr/bin/python3

# benign_cert DIR NAME [SAN...]: a self-signed RSA 2048 certificate for NAME
# (CN; subjectAltName NAME and each SAN, "DNS:x" or "IP:x") in DIR/cert.pem,
# DIR/key.pem.
benign_cert() {
    local dir=$1 cn=$2 san="DNS:$2" x
    shift 2
    for x in "$@"; do san+=",$x"; done
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
        -subj "/C=US/O=Example Files Inc/CN=$cn" \
        -addext "subjectAltName=$san" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null ||
        die "openssl req failed for $cn"
}

# benign_nginx DIR EXTRA: writes DIR/nginx.conf for an nginx that serves
# DIR/www on $SRV_IP:443 (TLS 1.2 and 1.3, HTTP/2 offered by ALPN) and
# $SRV_IP:80; EXTRA is added to the server block (locations).
benign_nginx() {
    local d=$1 extra=${2:-}
    mkdir -p "$d/www" "$d/ngx-tmp"
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root root;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 256; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/ngx-tmp/body;
    proxy_temp_path $d/ngx-tmp/proxy;
    fastcgi_temp_path $d/ngx-tmp/fastcgi;
    uwsgi_temp_path $d/ngx-tmp/uwsgi;
    scgi_temp_path $d/ngx-tmp/scgi;
    types {
        text/html html; image/png png; application/octet-stream bin whl;
        text/css css; application/javascript js; application/json json;
    }
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 30;
    server {
        listen $SRV_IP:443 ssl http2;
        listen $SRV_IP:80;
        server_name _;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $d/www;
$extra
    }
}
EOF
}

# benign_png FILE W H: a valid RGB PNG of W x H noise pixels.
benign_png() {
    "$BENIGN_PY" - "$@" <<'EOF'
import os, struct, sys, zlib
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
raw = b"".join(b"\0" + os.urandom(w * 3) for _ in range(h))
with open(path, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
EOF
}

# A plain resolver client (what glibc sends): an A and an AAAA query, RD set,
# random IDs, for each name given; prints "NAME LENGTH A-ANSWERS" per name.
# Used because Debian's dig is not installed here; the server is real
# dnsmasq.  Written to FILE, run as FILE SERVER NAME...
benign_dns_client() { # FILE
    cat >"$1" <<'EOF'
import os, socket, struct, sys
srv, names = sys.argv[1], sys.argv[2:]
for name in names:
    assert len(name) <= 253 and all(len(l) <= 63 for l in name.split("."))
    got = []
    for qtype in (1, 28):
        qid = struct.unpack(">H", os.urandom(2))[0]
        q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
        q += struct.pack(">HH", qtype, 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(q, (srv, 53))
        r, _ = s.recvfrom(4096)
        s.close()
        rid, flags, _, an = struct.unpack(">HHHH", r[:8])
        assert rid == qid and flags & 0x8000
        if qtype == 1:
            got.append(an)
    print(name, len(name), got[0])
EOF
}

# ------------------------------------------------------------ benign-web --

# nginx 1.22 serves objects of 1 KB to 160 KB: curl fetches them over
# HTTP/2 + TLS 1.3, HTTP/1.1 + TLS 1.2, HTTP/2 + TLS 1.2 and HTTP/1.1 + TLS
# 1.3 (several objects on one connection each time), then once over plain
# HTTP; headless chromium loads a page with a stylesheet and three PNG
# images.  Before that the VM resolves four names of 63, 64, 90 and 200
# bytes (A and AAAA) at dnsmasq in the server namespace.
run_benign_web() {
    local d=$TMP/benign-web n
    local -a names=()
    need nginx nginx
    need dnsmasq dnsmasq-base
    need chromium chromium
    mkdir -p "$d/www/img" "$d/chrome"
    benign_cert "$d" files.example.test
    benign_nginx "$d" ""
    head -c 1024 /dev/urandom >"$d/www/small.bin"
    head -c 8192 /dev/urandom >"$d/www/data-8k.bin"
    head -c 24576 /dev/urandom >"$d/www/data-24k.bin"
    head -c 163840 /dev/urandom >"$d/www/data-160k.bin"
    head -c 4096 /dev/urandom | base64 >"$d/www/plain.txt"
    benign_png "$d/www/img/a.png" 24 24
    benign_png "$d/www/img/b.png" 48 40
    benign_png "$d/www/img/c.png" 64 64
    printf 'body { font-family: sans-serif; margin: 2em; }\nimg { border: 1px solid #ccc; }\n' \
        >"$d/www/style.css"
    cat >"$d/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Example files</title>
<link rel="stylesheet" href="/style.css"></head>
<body><h1>Example files</h1><p>Three pictures.</p>
<img src="/img/a.png" alt="a"> <img src="/img/b.png" alt="b">
<img src="/img/c.png" alt="c">
<p id="done">loaded</p></body></html>
EOF
    # Names of exactly 63, 64, 90 and 200 bytes, labels <= 63 bytes each.
    names=(
        storage-eu-west-1-prod1.files-cdn.static-assets-v2.example.test
        objects-3f2a9c.datasets-v2.eu-west-1.storage1.files.example.test
        nightly-build-artifacts-2024.ci-cache.us-east-2.compute.internal.mirror.files.example.test
        a1b2c3d4e5f60718293a4b5c6d7e8f90-notebook-kernel-session-0001.cache-node-0007eu1.us-east-2.elb.compute.regional-endpoint.svc.cluster.local.jupyter-hub-prod.analytics-team.workspaces.files.example.test
    )
    [[ "${#names[0]} ${#names[1]} ${#names[2]} ${#names[3]}" == "63 64 90 200" ]] ||
        die "benign-web: the DNS names have the wrong lengths"
    benign_dns_client "$d/dns.py"

    start_srv dnsmasq dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
        --listen-address="$SRV_IP" --bind-interfaces --port=53 \
        --user=root --pid-file="$d/dnsmasq.pid" --address=/#/"$SRV_IP" --log-queries \
        --log-facility=-
    start_srv nginx nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    wait_listen dnsmasq u 53
    wait_listen nginx t 443
    wait_listen nginx t 80

    local -a c=(curl -q -sS --fail -k --connect-timeout 5
        --resolve "files.example.test:443:$SRV_IP"
        --resolve "files.example.test:80:$SRV_IP"
        -A "curl/7.88.1")
    cap_start "$d/cap.pcap"
    run_vm 20 "$BENIGN_PY" "$d/dns.py" "$SRV_IP" "${names[@]}" >"$d/dns.out" 2>&1 || {
        cat "$d/dns.out" "$TMP/dnsmasq.log" >&2
        die "benign-web: DNS queries failed"
    }
    run_vm 20 "${c[@]}" --http2 --tlsv1.3 \
        -o "$d/g1" https://files.example.test/small.bin \
        -o "$d/g2" https://files.example.test/data-8k.bin || die "benign-web: h2 tls1.3 fetch failed"
    sleep 0.5
    run_vm 20 "${c[@]}" --http1.1 --tlsv1.2 --tls-max 1.2 \
        -o "$d/g3" https://files.example.test/data-24k.bin \
        -o "$d/g4" https://files.example.test/small.bin || die "benign-web: h1 tls1.2 fetch failed"
    sleep 0.5
    run_vm 20 "${c[@]}" --http2 --tlsv1.2 --tls-max 1.2 \
        -o "$d/g5" https://files.example.test/data-160k.bin || die "benign-web: h2 tls1.2 fetch failed"
    sleep 0.5
    run_vm 20 "${c[@]}" --http1.1 --tlsv1.3 \
        -o "$d/g6" https://files.example.test/data-8k.bin \
        -o "$d/g7" https://files.example.test/index.html || die "benign-web: h1 tls1.3 fetch failed"
    sleep 0.5
    run_vm 20 "${c[@]}" -o "$d/g8" http://files.example.test/plain.txt ||
        die "benign-web: plain http fetch failed"
    sleep 0.5
    # Headless chromium, its own profile, every name mapped to the server.
    run_vm 30 env HOME="$d/chrome" chromium --headless --no-sandbox \
        --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update \
        --disable-sync --disable-dev-shm-usage \
        --user-data-dir="$d/chrome/profile" --ignore-certificate-errors \
        --host-resolver-rules="MAP files.example.test $SRV_IP, MAP * ~NOTFOUND" --virtual-time-budget=5000 \
        --dump-dom https://files.example.test/ >"$d/dom.html" 2>"$d/chromium.log" || {
        tail -20 "$d/chromium.log" >&2
        die "benign-web: chromium failed"
    }
    cap_stop
    cmp -s "$d/g1" "$d/www/small.bin" && cmp -s "$d/g2" "$d/www/data-8k.bin" &&
        cmp -s "$d/g3" "$d/www/data-24k.bin" && cmp -s "$d/g5" "$d/www/data-160k.bin" &&
        cmp -s "$d/g7" "$d/www/index.html" && cmp -s "$d/g8" "$d/www/plain.txt" ||
        die "benign-web: a download differs"
    grep -q 'id="done"' "$d/dom.html" || die "benign-web: chromium did not load the page"
    for n in a b c; do
        grep -q "GET /img/$n.png HTTP/2.0\" 200" "$d/access.log" ||
            die "benign-web: chromium did not fetch img/$n.png"
    done
    (($(grep -c ' 1$' "$d/dns.out") == 4)) || {
        cat "$d/dns.out" >&2
        die "benign-web: dnsmasq did not answer every name"
    }
    check_capture "$d/cap.pcap" files.example.test
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------ benign-websocket --

# A Jupyter-kernel-like websocket peer pair on python3-websockets (Debian's
# 10.4, permessage-deflate on, keepalive pings every 20 s as by default).
# The server pushes a small "status" message every 2 s; the client sends an
# "execute_request" every 1.5 s and the server answers each with an
# "execute_reply".  One session over wss (TLS with ssl directly) and one
# over plain ws run side by side for DURATION seconds.  Written to FILE.
benign_ws_peer() { # FILE
    cat >"$1" <<'EOF'
import asyncio, json, ssl, sys, time, uuid
import websockets

def msg(kind, session, content):
    return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "msg_type": kind,
                                  "session": session, "username": "jovyan",
                                  "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                  "version": "5.3"},
                       "parent_header": {}, "metadata": {}, "content": content,
                       "channel": "shell" if kind.startswith("execute") else "iopub"})

async def serve_one(ws, path):
    session = uuid.uuid4().hex
    async def pusher():
        n = 0
        while True:
            await asyncio.sleep(2)
            n += 1
            await ws.send(msg("status", session, {"execution_state": "idle", "seq": n}))
    task = asyncio.create_task(pusher())
    try:
        async for m in ws:
            req = json.loads(m)
            await ws.send(msg("execute_reply", session, {
                "status": "ok", "execution_count": req["content"]["n"],
                "user_expressions": {}}))
    except websockets.ConnectionClosed:
        pass
    finally:
        task.cancel()

async def server(host, wss_port, ws_port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    async with websockets.serve(serve_one, host, wss_port, ssl=ctx), \
               websockets.serve(serve_one, host, ws_port):
        print("listening", flush=True)
        await asyncio.Future()

async def client_one(url, duration, ctx):
    replies = pushes = 0
    kw = {"ssl": ctx} if ctx else {}
    async with websockets.connect(url, origin="https://hub.example.test", **kw) as ws:
        session = uuid.uuid4().hex
        async def reader():
            nonlocal replies, pushes
            async for m in ws:
                kind = json.loads(m)["header"]["msg_type"]
                if kind == "execute_reply":
                    replies += 1
                else:
                    pushes += 1
        rt = asyncio.create_task(reader())
        t0, n = time.monotonic(), 0
        while time.monotonic() - t0 < duration:
            n += 1
            await ws.send(msg("execute_request", session, {
                "code": "df.describe()  # cell %d" % n, "silent": False,
                "store_history": True, "n": n}))
            await asyncio.sleep(1.5)
        await asyncio.sleep(0.5)
        rt.cancel()
    print(url, "sent", n, "replies", replies, "pushes", pushes, flush=True)
    return n, replies, pushes

async def client(urls, duration):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    res = await asyncio.gather(*(client_one(u, duration, ctx if u.startswith("wss:") else None)
                                 for u in urls))
    ok = all(r >= n - 1 and p >= duration / 2 - 2 for n, r, p in res)
    sys.exit(0 if ok else 1)

if sys.argv[1] == "server":
    asyncio.run(server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]))
else:
    asyncio.run(client(sys.argv[3:], float(sys.argv[2])))
EOF
}

# wss on 192.0.2.1:8888 (the port of a Jupyter server) and ws on :8890,
# both at /api/kernels/<uuid>/channels, for 30 s.
run_benign_websocket() {
    local d=$TMP/benign-websocket kid
    "$BENIGN_PY" -c 'import websockets' 2>/dev/null ||
        die "missing python3 module websockets (apt-get install python3-websockets)"
    mkdir -p "$d"
    benign_cert "$d" notebook.example.test
    benign_ws_peer "$d/ws.py"
    kid=$("$BENIGN_PY" -c 'import uuid; print(uuid.uuid4())')
    start_srv ws-srv "$BENIGN_PY" "$d/ws.py" server "$SRV_IP" 8888 8890 \
        "$d/cert.pem" "$d/key.pem"
    wait_listen ws-srv t 8888
    wait_listen ws-srv t 8890

    cap_start "$d/cap.pcap"
    run_vm 45 "$BENIGN_PY" "$d/ws.py" client 30 \
        "wss://$SRV_IP:8888/api/kernels/$kid/channels?session_id=$kid" \
        "ws://$SRV_IP:8890/api/kernels/$kid/channels?session_id=$kid" \
        >"$d/client.log" 2>&1 || {
        cat "$d/client.log" "$TMP/ws-srv.log" >&2
        die "benign-websocket: the websocket sessions failed"
    }
    cap_stop
    cat "$d/client.log" >&2
    check_capture "$d/cap.pcap" "Upgrade: websocket"
    (($(count_packets "$d/cap.pcap" "tcp port 8888 and tcp[tcpflags] & tcp-push != 0") >= 40)) ||
        die "benign-websocket: too few wss messages in the capture"
    CAPTURE=$d/cap.pcap
}

# ----------------------------------------------------------- benign-sse --

# The application behind nginx (proxy_pass to 127.0.0.1:8081 in the server
# namespace), Python's http.server:
#   GET  /events?n=N    text/event-stream, one small "progress" event every
#                       2 s, N events, then the stream ends
#   POST /api/...       a JSON request, answered with a JSON summary
#   GET  /api/...       a small JSON object (a REST poll)
#   /git/...            git http-backend (the real one, as CGI) on
#                       GIT_PROJECT_ROOT=ROOT
# Written to FILE, run as FILE PORT ROOT.
benign_backend() { # FILE
    cat >"$1" <<'EOF'
import http.server, json, os, subprocess, sys, time, uuid

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/git/"):
            return self.git()
        if self.path.startswith("/events"):
            n = int(self.path.partition("n=")[2] or 15)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"retry: 3000\n\n")
            self.wfile.flush()
            for i in range(1, n + 1):
                time.sleep(2)
                ev = {"job": "train-7f3a", "step": i * 50, "of": n * 50,
                      "loss": round(2.5 / i, 4), "ts": time.time()}
                self.wfile.write(("id: %d\nevent: progress\ndata: %s\n\n"
                                  % (i, json.dumps(ev))).encode())
                self.wfile.flush()
            self.wfile.write(b"event: done\ndata: {}\n\n")
            self.wfile.flush()
            self.close_connection = True
            return
        if self.path.startswith("/api/"):
            body = json.dumps({"path": self.path, "status": "ok",
                               "etag": uuid.uuid4().hex[:12]}).encode()
            return self.reply(200, "application/json", body)
        self.reply(404, "text/plain", b"not found\n")

    def do_POST(self):
        if self.path.startswith("/git/"):
            return self.git()
        n = int(self.headers.get("Content-Length", 0))
        req = json.loads(self.rfile.read(n))
        body = json.dumps({"id": uuid.uuid4().hex, "accepted": True,
                           "keys": sorted(req), "bytes": n}).encode()
        self.reply(201, "application/json", body)

    def git(self):
        path, _, query = self.path[len("/git"):].partition("?")
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else b""
        env = dict(os.environ, GIT_PROJECT_ROOT=sys.argv[2], GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(n), REMOTE_ADDR=self.client_address[0],
                   GIT_PROTOCOL=self.headers.get("Git-Protocol", ""))
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        out = subprocess.run(["git", "http-backend"], input=data, env=env,
                             stdout=subprocess.PIPE, check=True).stdout
        head, _, body = out.partition(b"\r\n\r\n")
        code, ctype, extra = 200, "text/plain", []
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(": ")
            if k.lower() == "status":
                code = int(v.split()[0])
            elif k.lower() == "content-type":
                ctype = v
            elif k:
                extra.append((k, v))
        self.reply(code, ctype, body, extra)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))
        sys.stderr.flush()

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
}

# nginx locations that hand /events, /api/ and /git/ to the backend.
readonly BENIGN_PROXY='
        location /events {
            proxy_pass http://127.0.0.1:8081;
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_read_timeout 60s;
        }
        location /api/ { proxy_pass http://127.0.0.1:8081; proxy_http_version 1.1; }
        location /git/ { proxy_pass http://127.0.0.1:8081; proxy_http_version 1.1; }'

# Server-sent events through nginx 1.22 over HTTPS on 443: two curl clients
# at once, one over HTTP/2 and one over HTTP/1.1 (-N, no buffering), each
# reading 15 events 2 s apart (~30 s), as a browser's EventSource or a
# training-progress page would.
run_benign_sse() {
    local d=$TMP/benign-sse p1 p2 rc1=0 rc2=0
    need nginx nginx
    mkdir -p "$d"
    benign_cert "$d" app.example.test
    benign_nginx "$d" "$BENIGN_PROXY"
    benign_backend "$d/backend.py"
    start_srv backend "$BENIGN_PY" "$d/backend.py" 8081 "$d"
    start_srv nginx nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    wait_listen nginx t 443
    wait_until 10 srv_listening t 8081 || die "benign-sse: the backend did not start"

    local -a c=(curl -q -sS --fail -k -N --connect-timeout 5 --max-time 40
        --resolve "app.example.test:443:$SRV_IP" -H "Accept: text/event-stream"
        -A "Mozilla/5.0 (X11; Linux x86_64) curl/7.88.1")
    cap_start "$d/cap.pcap"
    timeout 45 ip netns exec "$VM_NS" "${c[@]}" --http2 \
        -o "$d/ev-h2" "https://app.example.test/events?n=15" </dev/null &
    p1=$!
    PIDS+=("$p1")
    sleep 0.7
    timeout 45 ip netns exec "$VM_NS" "${c[@]}" --http1.1 \
        -o "$d/ev-h1" "https://app.example.test/events?n=15" </dev/null &
    p2=$!
    PIDS+=("$p2")
    wait "$p1" || rc1=$?
    wait "$p2" || rc2=$?
    cap_stop
    ((rc1 == 0 && rc2 == 0)) || {
        cat "$TMP/backend.log" "$d/error.log" >&2
        die "benign-sse: the event streams failed ($rc1, $rc2)"
    }
    (($(grep -c '^event: progress' "$d/ev-h2") == 15 &&
        $(grep -c '^event: progress' "$d/ev-h1") == 15)) ||
        die "benign-sse: not every event arrived"
    check_capture "$d/cap.pcap" app.example.test
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------------- benign-misc --

# A valid pure-Python wheel of about SIZE bytes (mostly an incompressible
# data file) and its PEP 503 simple index page.
benign_wheel() { # WWW SIZE
    "$BENIGN_PY" - "$@" <<'EOF'
import base64, hashlib, os, sys, zipfile
www, size = sys.argv[1], int(sys.argv[2])
name = "egd_sample-1.0-py3-none-any.whl"
files = {
    "egd_sample/__init__.py": b'"""Sample data package."""\n__version__ = "1.0"\n',
    "egd_sample/data.bin": os.urandom(size),
    "egd_sample-1.0.dist-info/METADATA":
        b"Metadata-Version: 2.1\nName: egd-sample\nVersion: 1.0\nSummary: sample data\n",
    "egd_sample-1.0.dist-info/WHEEL":
        b"Wheel-Version: 1.0\nGenerator: egressd-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
rec = "".join("%s,sha256=%s,%d\n" % (k, base64.urlsafe_b64encode(
    hashlib.sha256(v).digest()).rstrip(b"=").decode(), len(v)) for k, v in files.items())
files["egd_sample-1.0.dist-info/RECORD"] = (rec + "egd_sample-1.0.dist-info/RECORD,,\n").encode()
os.makedirs(www + "/packages", exist_ok=True)
os.makedirs(www + "/simple/egd-sample", exist_ok=True)
with zipfile.ZipFile(www + "/packages/" + name, "w", zipfile.ZIP_DEFLATED) as z:
    for k, v in files.items():
        z.writestr(k, v)
h = hashlib.sha256(open(www + "/packages/" + name, "rb").read()).hexdigest()
with open(www + "/simple/egd-sample/index.html", "w") as f:
    f.write('<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
            '<title>Links for egd-sample</title></head><body><h1>Links for egd-sample</h1>\n'
            '<a href="/packages/%s#sha256=%s">%s</a><br>\n</body></html>\n' % (name, h, name))
EOF
}

# A gRPC service on python3-grpcio (Debian's 1.51, the real gRPC core and its
# HTTP/2): metrics.v1.Telemetry/Report (unary) and /Watch (server
# streaming: 10 messages 0.3 s apart), raw bytes as messages (no protobuf
# compiler needed), TLS with the server's certificate.  Written to FILE,
# run as FILE server|client ADDR:PORT CERT [KEY].
benign_grpc_peer() { # FILE
    cat >"$1" <<'EOF'
import os, sys, time
from concurrent import futures
import grpc

SVC = "metrics.v1.Telemetry"

def report(req, ctx):
    return b"\x08\x01\x12\x02ok"

def watch(req, ctx):
    for i in range(10):
        time.sleep(0.3)
        yield b"\x08" + bytes([i + 1]) + b"\x12\x20" + os.urandom(32)

mode, addr, cert = sys.argv[1:4]
if mode == "server":
    key = open(sys.argv[4], "rb").read()
    h = grpc.method_handlers_generic_handler(SVC, {
        "Report": grpc.unary_unary_rpc_method_handler(report),
        "Watch": grpc.unary_stream_rpc_method_handler(watch)})
    srv = grpc.server(futures.ThreadPoolExecutor(4))
    srv.add_generic_rpc_handlers((h,))
    srv.add_secure_port(addr, grpc.ssl_server_credentials([(key, open(cert, "rb").read())]))
    srv.start()
    print("serving", flush=True)
    srv.wait_for_termination()
else:
    creds = grpc.ssl_channel_credentials(root_certificates=open(cert, "rb").read())
    with grpc.secure_channel(addr, creds, options=[
            ("grpc.ssl_target_name_override", "api.example.test")]) as ch:
        r = ch.unary_unary("/%s/Report" % SVC)(b"\x0a\x08notebook\x10\x2a", timeout=10)
        n = sum(1 for m in ch.unary_stream("/%s/Watch" % SVC)(b"\x0a\x03gpu", timeout=15))
    print("report", r, "watch", n, flush=True)
    sys.exit(0 if n == 10 else 1)
EOF
}

# chronyd's client (-Q: measure the offset, set nothing) saw its server.
benign_chrony_conf() { # FILE ROLE(server|client)
    if [[ "$2" == server ]]; then
        cat >"$1" <<EOF
bindaddress $SRV_IP
port 123
allow 192.0.2.0/24
local stratum 8
cmdport 0
bindcmdaddress /
pidfile ${1%.conf}.pid
EOF
    else
        cat >"$1" <<EOF
server $SRV_IP iburst maxsamples 4
port 0
cmdport 0
bindcmdaddress /
pidfile ${1%.conf}.pid
EOF
    fi
}

# What a notebook does besides browsing, all against nginx 1.22 on 443 (one
# certificate for api/git/pypi.example.test and IP 192.0.2.1) and its
# backend:
#   - Debian's pip 23.0.1 downloads a 220 KB wheel from a PEP 503 index
#     (https://192.0.2.1/simple/, as with an internal index by address)
#   - curl POSTs a JSON document to https://api.example.test/api/v1/jobs
#   - git 2.39 clones a small repository over smart HTTPS (protocol v2,
#     the real git http-backend behind nginx)
#   - curl makes 20 small GETs on one keep-alive HTTP/1.1 connection
#   - chronyd 4.3 (-Q) queries chronyd serving NTP on 192.0.2.1:123
#   - a gRPC client and server (python3-grpcio) on 192.0.2.1:50443 over TLS:
#     one unary call and one server stream of 10 messages
run_benign_misc() {
    local d=$TMP/benign-misc i
    local -a urls=()
    need nginx nginx
    need chronyd chrony
    need git git
    "$BENIGN_PY" -c 'import grpc' 2>/dev/null ||
        die "missing python3 module grpc (apt-get install python3-grpcio)"
    mkdir -p "$d/work" "$d/repos" "$d/home"
    benign_cert "$d" api.example.test DNS:git.example.test \
        DNS:pypi.example.test "IP:$SRV_IP"
    benign_nginx "$d" "$BENIGN_PROXY"
    benign_backend "$d/backend.py"
    benign_wheel "$d/www" 225280
    benign_grpc_peer "$d/grpc-peer.py"
    benign_chrony_conf "$d/chrony-srv.conf" server
    benign_chrony_conf "$d/chrony-vm.conf" client
    # The repository: three commits of a small analysis project.
    (
        export GIT_CONFIG_NOSYSTEM=1 HOME=$d/home
        cd "$d/work"
        git init -q -b main
        git config user.name "Data Scientist"
        git config user.email ds@example.test
        printf '# Churn analysis\n\nNotebooks and helpers.\n' >README.md
        printf 'pandas==2.1.4\nscikit-learn==1.3.2\n' >requirements.txt
        git add . && git commit -q -m "Initial commit"
        mkdir -p src
        printf 'def load(path):\n    import pandas as pd\n    return pd.read_csv(path)\n' >src/load.py
        "$BENIGN_PY" -c 'import json; print(json.dumps({"cells": [{"cell_type": "code",
            "source": ["df = load(\"churn.csv\")\n", "df.describe()"], "outputs": [],
            "metadata": {}, "execution_count": None}] * 12, "metadata": {},
            "nbformat": 4, "nbformat_minor": 5}, indent=1))' >analysis.ipynb
        git add . && git commit -q -m "Add loader and notebook"
        printf '\n## Usage\n\nRun analysis.ipynb.\n' >>README.md
        git commit -q -am "Document usage"
        git clone -q --bare "$d/work" "$d/repos/proj.git"
    ) || die "benign-misc: could not build the git repository"
    for ((i = 1; i <= 20; i++)); do
        urls+=(-o "$d/poll-$i" "https://api.example.test/api/v1/runs/42/status?seq=$i")
    done

    start_srv backend "$BENIGN_PY" "$d/backend.py" 8081 "$d/repos"
    start_srv nginx nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    start_srv chronyd chronyd -d -x -u root -f "$d/chrony-srv.conf"
    start_srv grpc "$BENIGN_PY" "$d/grpc-peer.py" server "$SRV_IP:50443" \
        "$d/cert.pem" "$d/key.pem"
    wait_listen nginx t 443
    wait_listen chronyd u 123
    wait_listen grpc t 50443
    wait_until 10 srv_listening t 8081 || die "benign-misc: the backend did not start"

    local -a c=(curl -q -sS --fail -k --connect-timeout 5
        --resolve "api.example.test:443:$SRV_IP")
    cap_start "$d/cap.pcap"
    # A clean environment: no PIP_* or REQUESTS_CA_BUNDLE (which requests
    # prefers to --cert) from this machine, no pip.conf.
    run_vm 30 env -i PATH=/usr/bin:/bin HOME="$d/home" PIP_CONFIG_FILE=/dev/null \
        "$BENIGN_PY" -m pip \
        download --no-deps --no-cache-dir --disable-pip-version-check \
        --no-input --progress-bar off --retries 0 --timeout 10 \
        --index-url "https://$SRV_IP/simple/" --cert "$d/cert.pem" \
        -d "$d/dl" egd-sample >"$d/pip.log" 2>&1 || {
        cat "$d/pip.log" "$d/error.log" >&2
        die "benign-misc: pip download failed"
    }
    sleep 0.5
    run_vm 20 "${c[@]}" -o "$d/post.json" --json \
        '{"name":"train-7f3a","image":"python:3.11","resources":{"cpu":4,"memory":"16Gi"},"args":["--epochs","10"]}' \
        https://api.example.test/api/v1/jobs || die "benign-misc: the JSON POST failed"
    sleep 0.5
    run_vm 30 env HOME="$d/home" GIT_CONFIG_NOSYSTEM=1 git \
        -c http.sslVerify=false \
        -c "http.curloptResolve=git.example.test:443:$SRV_IP" \
        clone -q https://git.example.test/git/proj.git "$d/clone" \
        >"$d/git.log" 2>&1 || {
        cat "$d/git.log" "$TMP/backend.log" >&2
        die "benign-misc: git clone failed"
    }
    sleep 0.5
    run_vm 20 "${c[@]}" --http1.1 "${urls[@]}" ||
        die "benign-misc: the keep-alive polls failed"
    sleep 0.5
    run_vm 20 chronyd -Q -u root -f "$d/chrony-vm.conf" >"$d/chrony.log" 2>&1 || {
        cat "$d/chrony.log" "$TMP/chronyd.log" >&2
        die "benign-misc: chronyd -Q failed"
    }
    sleep 0.5
    run_vm 30 env -u http_proxy -u https_proxy "$BENIGN_PY" "$d/grpc-peer.py" client \
        "$SRV_IP:50443" "$d/cert.pem" >"$d/grpc.log" 2>&1 || {
        cat "$d/grpc.log" "$TMP/grpc.log" >&2
        die "benign-misc: the gRPC calls failed"
    }
    cap_stop

    cmp -s "$d/dl/egd_sample-1.0-py3-none-any.whl" \
        "$d/www/packages/egd_sample-1.0-py3-none-any.whl" ||
        die "benign-misc: the wheel differs"
    grep -q '"accepted": true' "$d/post.json" || die "benign-misc: POST not accepted"
    [[ "$(git -C "$d/clone" log --oneline | wc -l)" == 3 ]] ||
        die "benign-misc: the clone lacks commits"
    for ((i = 1; i <= 20; i++)); do
        grep -q "seq=$i" "$d/poll-$i" || die "benign-misc: poll $i failed"
    done
    (($(grep -c 'GET /api/v1/runs/42/status' "$d/access.log") == 20)) ||
        die "benign-misc: polls missing in the access log"
    # curl reused one connection for all 20 polls.
    (($(count_packets "$d/cap.pcap" "src host $VM_IP and tcp[tcpflags] == tcp-syn and dst port 443") == 4)) ||
        die "benign-misc: want 4 HTTPS connections (pip, POST, git, polls)"
    grep -q 'System clock wrong by' "$d/chrony.log" || {
        cat "$d/chrony.log" >&2
        die "benign-misc: chronyd measured no offset"
    }
    grep -q 'watch 10' "$d/grpc.log" || die "benign-misc: the gRPC stream was short"
    check_capture "$d/cap.pcap" api.example.test
    CAPTURE=$d/cap.pcap
}
