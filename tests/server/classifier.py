#!/usr/bin/env python3
"""A stand-in for a platform's classifier (the hook of classifier_url), for
tests only: no model. Usage: classifier.py PORTFILE LOG MODEFILE.
Every POST is logged as one line
  CONTENT_TYPE BYTES SHA256 WIDTH HEIGHT CHANNELS
(the last three from the PNG, '-' if the body is not a PNG) and answered
as MODEFILE says when the request comes: 'score X' -> {"score": X},
'slow' -> waits 5 s first, 'fail' -> 500, 'bad' -> a body that is not JSON."""
import hashlib, http.server, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pngstat  # noqa: E402

PORTFILE, LOG, MODE = sys.argv[1:4]


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ctype = self.headers.get("Content-Type", "-")
        tmp = LOG + ".body"
        with open(tmp, "wb") as f:
            f.write(body)
        try:
            w, h, ch, _ = pngstat.read(tmp)
            stat = "%d %d %d" % (w, h, ch)
        except Exception:
            stat = "- - -"
        with open(LOG, "a") as f:
            f.write("%s %d %s %s\n" % (ctype, len(body), hashlib.sha256(body).hexdigest(), stat))
        mode = open(MODE).read().split()
        if mode[0] == "slow":
            time.sleep(5)
        if mode[0] == "fail":
            self.send_response(500)
            self.end_headers()
            return
        out = b"not json" if mode[0] == "bad" else ('{"score": %s}' % mode[1]).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass  # the caller gave up (slow)


http.server.ThreadingHTTPServer.daemon_threads = True
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
