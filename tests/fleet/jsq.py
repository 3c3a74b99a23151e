#!/usr/bin/env python3
"""jsq.py: reads a JetStream stream over NATS's text protocol, for the
fleet tests; no client library, so the check does not share code with
what it checks.

  jsq.py URL info STREAM          the stream's info, as JSON
  jsq.py URL msgs STREAM          every message: {"seq","subject","headers","data"} per line
"""
import base64
import json
import socket
import sys


class Nats:
    def __init__(self, url):
        hostport = url.split('://', 1)[-1]
        host, port = hostport.rsplit(':', 1)
        self.s = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b''
        self.line()  # INFO
        self.s.sendall(b'CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nPING\r\n')
        while self.line() != b'PONG':
            pass
        self.s.sendall(b'SUB _INBOX.jsq 1\r\n')
        self.n = 0

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise SystemExit('jsq: connection closed')
        self.buf += d

    def line(self):
        while b'\r\n' not in self.buf:
            self.fill()
        l, self.buf = self.buf.split(b'\r\n', 1)
        return l

    def take(self, n):
        while len(self.buf) < n + 2:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n + 2:]
        return d

    def request(self, subject, payload):
        self.n += 1
        reply = '_INBOX.jsq.%d' % self.n
        p = payload.encode()
        self.s.sendall(b'PUB %s _INBOX.jsq %d\r\n%s\r\n' % (subject.encode(), len(p), p))
        while True:
            l = self.line()
            if l == b'PING':
                self.s.sendall(b'PONG\r\n')
                continue
            f = l.split()
            if f and f[0] == b'MSG':
                return json.loads(self.take(int(f[-1])))
            if f and f[0] == b'HMSG':
                d = self.take(int(f[-1]))
                hl = int(f[-2])
                if b'503' in d[:hl]:
                    raise SystemExit('jsq: no responders for ' + subject)
                return json.loads(d[hl:] or b'{}')
            if f and f[0] == b'-ERR':
                raise SystemExit('jsq: ' + l.decode())


def main():
    url, cmd, stream = sys.argv[1:4]
    n = Nats(url)
    info = n.request('$JS.API.STREAM.INFO.' + stream, '')
    if cmd == 'info':
        print(json.dumps(info))
        return
    if 'error' in info:
        raise SystemExit('jsq: %s' % info['error'])
    st = info['state']
    for seq in range(st['first_seq'], st['last_seq'] + 1):
        r = n.request('$JS.API.STREAM.MSG.GET.' + stream, json.dumps({'seq': seq}))
        if 'error' in r:
            continue  # deleted
        m = r['message']
        hdrs = {}
        if m.get('hdrs'):
            for h in base64.b64decode(m['hdrs']).decode().split('\r\n')[1:]:
                if ':' in h:
                    k, v = h.split(':', 1)
                    hdrs[k.strip()] = v.strip()
        data = base64.b64decode(m.get('data', '')).decode()
        try:
            data = json.loads(data)
        except ValueError:
            pass
        print(json.dumps({'seq': m['seq'], 'subject': m['subject'], 'headers': hdrs, 'data': data}))


main()
