#!/usr/bin/env python3
"""feedproxy.py PORTFILE UPSTREAM MODEFILE — a stand-in for whoever sits
between two vigils: forwards GETs to UPSTREAM (http://HOST:PORT) and, as
MODEFILE says at each request, passes the answer on or spoils it while
keeping the publisher's Vigil-Feed-Signature header:
  pass     the answer as it came
  tamper   the body with one hash digit changed (or one byte, if none)
  swap     the page of /v1/feed/other instead of the asked feed's
  skip     the page for the cursor after the one asked for (a record
           skipped: the page of another cursor)
Writes its port to PORTFILE."""
import http.server
import re
import sys
import urllib.error
import urllib.request

PORTFILE, UPSTREAM, MODEFILE = sys.argv[1:4]


def mode():
    try:
        with open(MODEFILE) as f:
            return f.read().strip() or "pass"
    except OSError:
        return "pass"


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        m = mode()
        path = self.path
        if m == "swap":
            path = re.sub(r"^/v1/feed/[^/?]+", "/v1/feed/other", path)
        if m == "skip":
            path = re.sub(r"after=(\d+)", lambda a: "after=%d" % (int(a.group(1)) + 1), path)
        req = urllib.request.Request(UPSTREAM + path)
        if self.headers.get("Authorization"):
            req.add_header("Authorization", self.headers["Authorization"])
        try:
            with urllib.request.urlopen(req) as r:
                status, body, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, body, hdrs = e.code, e.read(), e.headers
        if m == "tamper" and status == 200:
            mt = re.search(rb'"hash":"([0-9a-f])', body)
            if mt:
                i = mt.start(1)
                body = body[:i] + (b"1" if body[i:i + 1] != b"1" else b"2") + body[i + 1:]
            else:
                body = body.replace(b'"more":', b'"more" :', 1)
        self.send_response(status)
        self.send_header("Content-Type", hdrs.get("Content-Type", "application/json"))
        sig = hdrs.get("Vigil-Feed-Signature")
        if sig:
            self.send_header("Vigil-Feed-Signature", sig)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
