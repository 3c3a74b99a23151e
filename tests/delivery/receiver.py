#!/usr/bin/env python3
"""receiver.py: a Standard Webhooks receiver for the delivery tests.

It checks every request on its own, with Python's hmac rather than any code
of egressd, so that a test passing means both sides agree on the
specification (standardwebhooks.com), not merely with themselves:

  webhook-signature: v1,<base64 of HMAC-SHA256(key, id "." ts "." body)>

possibly several, space-separated, any one matching; key is the base64
decoding of what follows "whsec_" in the secret file. A missing or wrong
signature, or a webhook-timestamp more than five minutes from now, gets 401
whatever the mode; the modes only shape the answers to requests that pass:

  ok              200
  fail500:N       500 to the first N, then 200
  ratelimit:N:S   429 with "Retry-After: S" to the first N, then 200
  gone            410
  slow:S          wait S seconds (a float), then 200
  reject400       400

Each request, whatever its fate, appends one JSON line to --log, flushed:
  {"webhook_id", "timestamp", "signature_ok", "status", "body",
   "attempt_time", "reason", "verdict_ids", "shape_ok", "path"}
where body is the parsed JSON body or null, reason says why a request failed
the check (null when it passed), verdict_ids lists data.verdicts[].verdict_id
and shape_ok says whether the body looked like what egressd sends
({"type":"egressd.verdicts","timestamp":...,"data":{"verdicts":[...]}}).
Shape is reported, never enforced.

  receiver.py --port N --secret-file F --log FILE [--mode MODE]
              [--tls CERT KEY] [--ready-file FILE]
  receiver.py --self-test

Binds 127.0.0.1 (--port 0 lets the kernel choose), writes the port it got
into --ready-file once listening, and runs until SIGTERM (a request still
being slowed then is not logged). It can be
imported: load_secret(), sign() and verify() are the checks it makes.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import http.server
import json
import os
import signal
import ssl
import sys
import threading
import time

TOLERANCE_S = 5 * 60
SECRET_PREFIX = "whsec_"
MAX_BODY = 64 * 1024 * 1024


def decode_key(secret):
    """The key bytes of a "whsec_..." secret; ValueError when malformed."""
    secret = secret.strip()
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("secret does not start with %r" % SECRET_PREFIX)
    b64 = secret[len(SECRET_PREFIX):]
    b64 += "=" * (-len(b64) % 4)
    try:
        key = base64.b64decode(b64, validate=True)
    except binascii.Error as e:
        raise ValueError("secret is not base64: %s" % e) from None
    if not key:
        raise ValueError("secret has an empty key")
    return key


def load_secret(path):
    with open(path, "r", encoding="ascii") as f:
        return decode_key(f.read(4096))


def sign(key, msg_id, ts, body):
    """The "v1,<base64>" signature of body (bytes) as msg_id at ts."""
    if isinstance(body, str):
        body = body.encode()
    content = b"%s.%s.%s" % (msg_id.encode(), str(ts).encode(), body)
    mac = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(key, msg_id, ts, sig_header, body, now=None):
    """Checks the three headers' values against body (bytes).

    Returns (True, None) or (False, reason)."""
    if now is None:
        now = time.time()
    if not msg_id:
        return False, "no webhook-id"
    if not ts:
        return False, "no webhook-timestamp"
    if not sig_header:
        return False, "no webhook-signature"
    try:
        ts_i = int(ts, 10)
    except ValueError:
        return False, "webhook-timestamp is not an integer"
    if str(ts_i) != ts.strip():
        return False, "webhook-timestamp is not a plain integer"
    if abs(now - ts_i) > TOLERANCE_S:
        return False, "webhook-timestamp %d is %+d s from now" % (
            ts_i, ts_i - int(now))
    want = sign(key, msg_id, ts_i, body).split(",", 1)[1]
    for sig in sig_header.split(" "):
        version, _, value = sig.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(),
                                                   want.encode()):
            return True, None
    return False, "no matching v1 signature"


def body_shape(body):
    """(shape_ok, verdict_ids) of a parsed body."""
    if not isinstance(body, dict):
        return False, []
    data = body.get("data")
    verdicts = data.get("verdicts") if isinstance(data, dict) else None
    if not isinstance(verdicts, list):
        return False, []
    ids = [v.get("verdict_id") if isinstance(v, dict) else None
           for v in verdicts]
    ok = (body.get("type") == "egressd.verdicts" and
          isinstance(body.get("timestamp"), str) and
          all(isinstance(i, str) for i in ids))
    return ok, ids


def parse_mode(text):
    """("ok"|"fail500"|"ratelimit"|"gone"|"slow"|"reject400", args)."""
    name, _, rest = text.partition(":")
    try:
        if name in ("ok", "gone", "reject400") and not rest:
            return name, ()
        if name == "fail500":
            n = int(rest)
            if n >= 0:
                return name, (n,)
        if name == "ratelimit":
            n, s = rest.split(":")
            if int(n) >= 0 and int(s) >= 0:
                return name, (int(n), int(s))
        if name == "slow":
            s = float(rest)
            if s >= 0:
                return name, (s,)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError("bad mode %r" % text)


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, key, log, mode):
        super().__init__(addr, Handler)
        self.key = key
        self.log = log
        self.mode, self.mode_args = mode
        self.lock = threading.Lock()
        self.valid_seen = 0  # requests that passed the check, for the modes

    def answer_for(self):
        """Status and extra headers for the next valid request."""
        with self.lock:
            self.valid_seen += 1
            n = self.valid_seen
        if self.mode == "fail500" and n <= self.mode_args[0]:
            return 500, {}
        if self.mode == "ratelimit" and n <= self.mode_args[0]:
            return 429, {"Retry-After": str(self.mode_args[1])}
        if self.mode == "gone":
            return 410, {}
        if self.mode == "reject400":
            return 400, {}
        if self.mode == "slow":
            time.sleep(self.mode_args[0])
        return 200, {}

    def record(self, entry):
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock:
            if not self.log.closed:
                self.log.write(line)
                self.log.flush()

    def close_log(self):
        # A handler still in a slow: wait at SIGTERM logs nothing after.
        with self.lock:
            self.log.close()

    def handle_error(self, request, client_address):
        # A client that gave up (slow mode, a timeout) is part of the
        # tests, not an error worth a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as egressd expects
    # The status line and headers go out in one write and the body in
    # another: with Nagle, the body would wait for a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0"))
        if length < 0 or length > MAX_BODY:
            raise ValueError("Content-Length %d" % length)
        return self.rfile.read(length)

    def reply(self, status, extra=None, payload=None):
        data = json.dumps(payload or {}).encode()
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_POST(self):
        srv = self.server
        attempt_time = time.time()
        try:
            raw = self.read_body()
        except (ValueError, OSError) as e:
            self.close_connection = True
            self.reply(400, payload={"error": "body: %s" % e})
            return
        msg_id = self.headers.get("webhook-id")
        ts = self.headers.get("webhook-timestamp")
        ok, reason = verify(srv.key, msg_id, ts,
                            self.headers.get("webhook-signature"), raw,
                            now=attempt_time)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        shape_ok, ids = body_shape(body)
        if ok:
            status, extra = srv.answer_for()
        else:
            status, extra = 401, {}
        try:
            ts_logged = int(ts)
        except (TypeError, ValueError):
            ts_logged = ts
        srv.record({
            "webhook_id": msg_id,
            "timestamp": ts_logged,
            "signature_ok": ok,
            "status": status,
            "body": body,
            "attempt_time": attempt_time,
            "reason": reason,
            "verdict_ids": ids,
            "shape_ok": shape_ok,
            "path": self.path,
        })
        self.reply(status, extra,
                   {"ok": status == 200} if ok else {"error": reason})

    def do_GET(self):
        self.close_connection = True  # any body was not read
        self.reply(405, {"Allow": "POST"}, {"error": "POST only"})

    do_PUT = do_DELETE = do_PATCH = do_GET


def write_ready(path, port):
    """Writes the port so that a reader never sees a partial file."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


def self_test():
    # The Standard Webhooks specification's own example.
    key = decode_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    msg_id, ts = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    body = b'{"test": 2432232314}'
    want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    checks = [
        ("spec vector", sign(key, msg_id, ts, body) == want),
        ("verifies", verify(key, msg_id, str(ts), want, body, now=ts)[0]),
        ("one of several", verify(key, msg_id, str(ts),
                                  "v1,AAAA v1a,xyz " + want, body,
                                  now=ts)[0]),
        ("tampered body", not verify(key, msg_id, str(ts), want,
                                     body + b" ", now=ts)[0]),
        ("other id", not verify(key, msg_id + "x", str(ts), want, body,
                                now=ts)[0]),
        ("stale", not verify(key, msg_id, str(ts), want, body,
                             now=ts + TOLERANCE_S + 1)[0]),
        ("future", not verify(key, msg_id, str(ts), want, body,
                              now=ts - TOLERANCE_S - 1)[0]),
        ("edge of tolerance", verify(key, msg_id, str(ts), want, body,
                                     now=ts + TOLERANCE_S)[0]),
        ("missing", not verify(key, msg_id, str(ts), None, body,
                               now=ts)[0]),
        # The vector test_webhook.c checks egressd's C code against.
        ("egressd vector", sign(
            decode_key("whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="),
            "0001-abc", 1700000000,
            b'{"type":"egressd.verdicts","data":{"verdicts":[]}}') ==
         "v1,hBFkvqmcUmopKpfRNJknfAMhdmP2bYWxTtzUbBBBlrw="),
        ("unpadded secret", decode_key("whsec_YWI") == b"ab"),
        ("shape", body_shape({"type": "egressd.verdicts",
                              "timestamp": "2024-01-01T00:00:00Z",
                              "data": {"verdicts": [{"verdict_id": "a"}]}})
         == (True, ["a"])),
    ]
    for name, bad in (("no prefix", "MfKQ"), ("not base64", "whsec_@@"),
                      ("empty", "whsec_")):
        try:
            decode_key(bad)
            checks.append((name, False))
        except ValueError:
            checks.append((name, True))
    failed = [name for name, passed in checks if not passed]
    if failed:
        print("FAIL: " + ", ".join(failed))
        return 1
    print("OK")
    return 0


def main():
    ap = argparse.ArgumentParser(
        description="Standard Webhooks test receiver for egressd.")
    ap.add_argument("--self-test", action="store_true",
                    help="check signing against known vectors and exit")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret-file")
    ap.add_argument("--log")
    ap.add_argument("--mode", type=parse_mode, default=("ok", ()),
                    help="ok, fail500:N, ratelimit:N:S, gone, slow:S, "
                    "reject400")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--ready-file")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not args.secret_file or not args.log:
        ap.error("--secret-file and --log are required")
    try:
        key = load_secret(args.secret_file)
    except (OSError, ValueError) as e:
        print("receiver.py: %s: %s" % (args.secret_file, e), file=sys.stderr)
        return 2

    log = open(args.log, "a", encoding="utf-8")
    srv = Receiver(("127.0.0.1", args.port), key, log, args.mode)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to return: not from its
        # own thread.
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = srv.server_address[1]
    if args.ready_file:
        write_ready(args.ready_file, port)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()
        srv.close_log()
    return 0


if __name__ == "__main__":
    sys.exit(main())
