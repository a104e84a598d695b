#!/usr/bin/env python3
"""A webhook receiver for the tests: checks Vigil-Signature against the
shared secret, dedupes by Vigil-Event-Id, and logs one line per request:
  new EVENT_ID TYPE BODY   first delivery of an event with a good signature
  dup EVENT_ID TYPE        a redelivery (answered 200 as well)
  badsig EVENT_ID          wrong or missing signature (answered 401)
  arrived EVENT_ID         /slow: the request came (before the 2 s wait)
Paths: /fail always answers 500; /flaky answers 500 to an event's first
delivery, then 200; /slow waits 2 s before it takes the event (a sender
killed meanwhile has the event in flight). Usage: receiver.py PORTFILE LOGFILE SECRET [PORT]"""
import hashlib, hmac, http.server, json, sys, threading, time

portfile, logfile, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
seen, tried, lock = set(), set(), threading.Lock()
log = open(logfile, "a", buffering=1)


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/slow":
            with lock:
                log.write("arrived %s\n" % self.headers.get("Vigil-Event-Id", ""))
            time.sleep(2)
        eid = self.headers.get("Vigil-Event-Id", "")
        etype = self.headers.get("Vigil-Event-Type", "")
        sig = dict(p.split("=", 1) for p in self.headers.get("Vigil-Signature", "").split(",") if "=" in p)
        want = hmac.new(secret, sig.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
        with lock:
            if not hmac.compare_digest(want, sig.get("v1", "")) or json.loads(body).get("id") != eid:
                log.write("badsig %s\n" % eid)
                return self.reply(401)
            if self.path == "/fail" or (self.path == "/flaky" and eid not in tried):
                tried.add(eid)
                log.write("error %s %s\n" % (eid, etype))
                return self.reply(500)
            if eid in seen:
                log.write("dup %s %s\n" % (eid, etype))
            else:
                seen.add(eid)
                log.write("new %s %s %s\n" % (eid, etype, body.decode()))
        try:
            self.reply(200)
        except OSError:
            pass  # the sender is gone (killed): it will send the event again


srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[4]) if len(sys.argv) > 4 else 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
