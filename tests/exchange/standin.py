#!/usr/bin/env python3
"""Stand-in servers for vigil's exchange tests (docs/exchanges.md,
../shared/exchanges.md §8): NCMEC hash sharing (XML), StopNCII, ThreatExchange
and TCAP (JSON), as Meta's python-threatexchange client speaks them.

Usage: standin.py PORTFILE   (listens on 127.0.0.1, an ephemeral port)

One process serves all four APIs under their own paths:
  /hashsharing/v2/...   NCMEC      (Basic auth ncmec_user / ncmec_pass)
  /v1/...               StopNCII   (Ocp-Apim-Subscription-Key + x-functions-key)
  /v21.0/...            ThreatExchange (access_token query)
  /token-auth/tcap/, /api/hash-list/v2/all   TCAP (login, then Bearer)
Control, for the test (no auth): POST /_ctl/<verb> with a JSON body:
  add {"api":A,"records":[...]}   append events to an API's time-ordered log
  vanish {"api":A,"key":K}        forget every event of a record (as if it
                                  expired upstream)
  fault {"status":S,"count":N,"retry_after":R}   fail the next N API requests
  clear {}                        drop the faults not used yet
  hang {"after":N}                the data request after N more hangs until
                                  unhang (to kill the client mid-fetch)
  unhang {}, expire {}            (expire: TCAP's tokens stop working)
  hold {"after":N}                the data request after N more waits until
                                  release, then is answered as usual (to
                                  look at the store while a page downloads)
  release {}; GET /_ctl/held      {"held":K}: K requests wait now
  GET /_ctl/log                   every API request seen, as JSON lines
"""
import base64, calendar, json, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CREDS = {
    "ncmec": ("ncmec_user", "ncmec_pass"),
    "stopncii": {"fetch": "fetchkey123", "sub": "subkey456", "feedback": "feedbackkey789"},
    "te": "123456789|abcdefghijklmnopqrstuvwxyz",
    "tcap": ("tcap_user", "tcap_pass"),
}
NS = "https://hashsharing.ncmec.org/hashsharing/v2"

lock = threading.Lock()
events = {"ncmec": [], "stopncii": [], "te": [], "tcap": []}
clock = {"ncmec": 0, "stopncii": 1000, "te": 3000, "tcap": 1704901040.0}


class Pause:
    """The data request after N more waits until released: hang (then
    answered 503) and hold (then answered as usual). arm and take under
    lock."""

    def __init__(self):
        self.after, self.waiting, self.gate = None, 0, threading.Event()
        self.gate.set()

    def arm(self, after):
        self.after = after

    def take(self):
        """Whether this data request is the one to wait."""
        if self.after is None:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        self.after = None
        self.gate.clear()
        self.waiting += 1
        return True

    def wait(self):
        self.gate.wait(3600)
        with lock:
            self.waiting -= 1


state = {"faults": [], "hang": Pause(), "hold": Pause(), "tokens": set(),
         "ncmec_last_to": 0, "tcap_id": 2000}
log = []
cache = {}  # (api, filter) -> the selected, sorted events; cleared on change


def key_of(api, r):
    if api == "ncmec":
        return "%d-%s" % (r["member"], r["id"])
    if api == "stopncii":
        return r["signalType"] + ":" + r["hashValue"]
    if api == "te":
        return r["type"] + ":" + r["indicator"]
    return r["algorithm"] + ":" + r["hash_digest"]


def add(api, recs):
    for r in recs:
        r = dict(r)
        if api == "ncmec":
            # After every window served so far, so an incremental fetch
            # (from = the last to) sees it once its own to passes it.
            r.setdefault("ts", max(int(time.time()) - 30, state["ncmec_last_to"] + 1))
        elif api == "stopncii":
            clock[api] += 1
            r.setdefault("lastModtimestamp", clock[api])
            r.setdefault("caseNumbers", {"case-1": r.get("hashStatus", "Active")})
        elif api == "te":
            clock[api] += 1
            r.setdefault("last_updated", clock[api])
        else:
            clock[api] += 1.25
            state["tcap_id"] += 1
            r.setdefault("updated_on", clock[api])
            r.setdefault("id", state["tcap_id"])
            r.setdefault("created_on", "2025-03-03T23:05:22.587Z")
        events[api].append(r)


def parse_ts(s):
    s = s.replace(".000Z", "Z")
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def fmt_ts(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="application/json", headers=None):
        if not isinstance(body, bytes):
            body = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed, as the kill -9 test does

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def handle_any(self, method):
        u = urllib.parse.urlsplit(self.path)
        data = self.body()
        if u.path.startswith("/_ctl/"):
            return self.control(u.path[6:], data)
        with lock:
            log.append({"method": method, "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "sub": self.headers.get("Ocp-Apim-Subscription-Key"),
                        "fkey": self.headers.get("x-functions-key"),
                        "body": data.decode("utf-8", "replace")})
            fault = state["faults"].pop(0) if state["faults"] else None
            is_data = method == "GET"
            hang = is_data and state["hang"].take()
            hold = is_data and state["hold"].take()
        if hold:
            state["hold"].wait()
        if hang:
            state["hang"].wait()
            try:
                return self.send(503, {"error": "hung"})
            except (BrokenPipeError, ConnectionResetError):
                return
        if fault:
            h = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
            return self.send(fault["status"], {"error": "injected"}, headers=h)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        q = {k: v[-1] for k, v in q.items()}  # a repeated key: its last value
        if u.path.startswith("/hashsharing/"):
            return self.ncmec(method, u.path[len("/hashsharing"):], q, data)
        if u.path.startswith("/v1/"):
            return self.stopncii(method, u.path[3:], q, data)
        if u.path.startswith("/v21.0/"):
            return self.te(method, u.path[6:], q, data)
        if u.path in ("/token-auth/tcap/", "/api/hash-list/v2/all"):
            return self.tcap(method, u.path, q, data)
        self.send(404, {"error": "no route"})

    def control(self, verb, data):
        arg = json.loads(data or b"{}")
        with lock:
            cache.clear()
            if verb == "add":
                add(arg["api"], arg["records"])
            elif verb == "vanish":
                events[arg["api"]][:] = [r for r in events[arg["api"]]
                                         if key_of(arg["api"], r) != arg["key"]]
            elif verb == "fault":
                state["faults"] += [arg] * arg.get("count", 1)
            elif verb == "clear":
                state["faults"] = []
            elif verb in ("hang", "hold"):
                state[verb].arm(arg.get("after", 0))
            elif verb == "unhang":
                state["hang"].gate.set()
            elif verb == "release":
                state["hold"].gate.set()
            elif verb == "held":
                return self.send(200, {"held": state["hold"].waiting})
            elif verb == "expire":
                state["tokens"].clear()
            elif verb == "log":
                return self.send(200, "".join(json.dumps(e) + "\n" for e in log))
            else:
                return self.send(404, {"error": "unknown verb"})
        self.send(200, {})

    # -- NCMEC ---------------------------------------------------------
    def ncmec(self, method, path, q, data):
        want = "Basic " + base64.b64encode(("%s:%s" % CREDS["ncmec"]).encode()).decode()
        if self.headers.get("Authorization") != want:
            return self.send(401, "<error>unauthorized</error>", "application/xml")
        if path == "/v2/status":
            return self.send(200, '<status xmlns="%s"><username>u</username><member id="7">Me</member></status>' % NS, "application/xml")
        if method == "GET" and path.startswith("/v2/feedback/") and path.endswith("/reasons"):
            return self.send(200, '<feedbackReasons xmlns="%s"><availableFeedbackReasons>'
                             '<reason guid="01234567-abcd-0000-0000-000000000000" name="Not CSAM" type="%s"/>'
                             '</availableFeedbackReasons></feedbackReasons>' % (NS, path.split("/")[3]),
                             "application/xml")
        if method == "PUT" and path.startswith("/v2/entries/") and path.endswith("/feedback"):
            ok = self.headers.get("Content-Type") == "application/xml; charset=utf-8" and (
                b"<affirmative />" in data or b"<negative><reasonIds><guid>" in data)
            return self.send(200 if ok else 400, "<submissionResult/>", "application/xml")
        if path != "/v2/entries" or method != "GET":
            return self.send(404, "<error/>", "application/xml")
        try:
            lo, hi = parse_ts(q["from"]), parse_ts(q["to"])
        except (KeyError, ValueError):
            return self.send(400, "<error>bad from/to</error>", "application/xml")
        start = int(q.get("start", 1))
        size = int(q.get("size", PAGE))
        with lock:
            state["ncmec_last_to"] = max(state["ncmec_last_to"], hi)
            sel = [r for r in events["ncmec"] if lo < r["ts"] <= hi]
        page = sel[start - 1:start - 1 + size]
        imgs, vids = [], []
        for r in page:
            tag = ("deletedVideo" if r.get("kind") == "video" else "deletedImage") if r.get("deleted") \
                else ("video" if r.get("kind") == "video" else "image")
            x = '<%s><member id="%d">Member %d</member><timestamp>%s</timestamp><id>%s</id>' % (
                tag, r["member"], r["member"], fmt_ts(r["ts"]), r["id"])
            if not r.get("deleted"):
                if r.get("classification"):
                    x += "<classification>%s</classification>" % r["classification"]
                x += "<fingerprints>"
                for k, v in r.get("fingerprints", {}).items():
                    x += '<%s rel="self" href="/v2/entries/%s/fingerprints/%s"/>' % (k, r["id"], k) \
                        if v is None else "<%s>%s</%s>" % (k, v, k)
                x += "</fingerprints>"
            x += "</%s>" % tag
            (vids if r.get("kind") == "video" else imgs).append(x)
        mts = fmt_ts(max([r["ts"] for r in page], default=hi))
        out = '<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="%s">' % NS
        out += '<images count="%d" maxTimestamp="%s">%s</images>' % (len(imgs), mts, "".join(imgs)) if imgs else '<images count="0"/>'
        out += '<videos count="%d" maxTimestamp="%s">%s</videos>' % (len(vids), mts, "".join(vids)) if vids else '<videos count="0"/>'
        if start - 1 + size < len(sel):
            nxt = "/v2/entries?from=%s&to=%s&start=%d&size=%d&max=%d" % (
                urllib.parse.quote(fmt_ts(lo).replace("Z", ".000Z")),
                urllib.parse.quote(fmt_ts(hi).replace("Z", ".000Z")), start + size, size, len(sel))
            out += "<paging><next>%s</next></paging>" % nxt.replace("&", "&amp;")
        out += "</queryResult>"
        self.send(200, out, "application/xml")

    # -- StopNCII ------------------------------------------------------
    def stopncii(self, method, path, q, data):
        c = CREDS["stopncii"]
        if path == "/SubmitFeedback" and method == "POST":
            if self.headers.get("Ocp-Apim-Subscription-Key") != c["sub"] or \
                    self.headers.get("x-functions-key") != c["feedback"]:
                return self.send(401, {"message": "Access denied"})
            b = json.loads(data)
            ok = b["count"] == len(b["hashFeedbacks"]) and all(
                set(f) == {"hashValue", "feedbackValue", "tags"} for f in b["hashFeedbacks"])
            return self.send(200 if ok else 400, {})
        if self.headers.get("Ocp-Apim-Subscription-Key") != c["sub"] or \
                self.headers.get("x-functions-key") != c["fetch"]:
            return self.send(401, {"message": "Access denied"})
        if path != "/FetchHashes":
            return self.send(404, {})
        start = int(q["startTimestamp"])
        size = int(q.get("pageSize", 800))
        off = int(base64.b64decode(q["nextPageToken"]).decode()) if q.get("nextPageToken") else 0
        with lock:
            sel = cache.get(("stopncii", start))
            if sel is None:
                sel = cache[("stopncii", start)] = sorted(
                    [r for r in events["stopncii"] if r["lastModtimestamp"] >= start],
                    key=lambda r: r["lastModtimestamp"])
        page = sel[off:off + size]
        more = off + size < len(sel)
        nst = max([r["lastModtimestamp"] for r in sel[:off + size]], default=start)
        self.send(200, {"count": len(page), "nextSetTimestamp": nst,
                        "nextPageToken": base64.b64encode(str(off + size).encode()).decode() if more else None,
                        "hasMoreRecords": more,
                        "hashRecords": [dict(r, hashRegions=[]) for r in page]})

    # -- ThreatExchange ------------------------------------------------
    def te(self, method, path, q, data):
        if q.get("access_token") != CREDS["te"]:
            return self.send(400, {"error": {"message": "Invalid OAuth access token.",
                                             "type": "OAuthException", "code": 190}})
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 1 and parts[0].isdigit():
            ok = q.get("reactions") in ("HELPFUL", "NOT_HELPFUL", "SAW_THIS_TOO")
            return self.send(200, {"success": True} if ok else
                             {"error": {"message": "bad reaction", "code": 100}})
        if len(parts) != 2 or parts[1] != "threat_updates" or method != "GET":
            return self.send(404, {})
        since = int(q.get("start_time") or 0)
        limit = int(q.get("limit", 100))
        off = int(q.get("after") or 0)
        with lock:
            sel = sorted([r for r in events["te"] if r["last_updated"] >= since],
                         key=lambda r: r["last_updated"])
        page = sel[off:off + limit]
        out = {"data": page}
        if page and off + limit < len(sel):
            nq = dict(q, after=str(off + limit))
            out["paging"] = {"cursors": {"after": str(off + limit)},
                             "next": "http://%s/v21.0/%s/threat_updates/?%s" % (
                                 self.headers["Host"], parts[0], urllib.parse.urlencode(nq))}
        self.send(200, out)

    # -- TCAP ----------------------------------------------------------
    def tcap(self, method, path, q, data):
        if path == "/token-auth/tcap/":
            f = {k: v[-1] for k, v in urllib.parse.parse_qs(data.decode()).items()}
            if (f.get("username"), f.get("password")) != CREDS["tcap"]:
                return self.send(400, {"non_field_errors": ["Unable to log in."]})
            tok = base64.b64encode(str(time.time()).encode()).decode()
            with lock:
                state["tokens"].add(tok)
            return self.send(200, {"token": tok, "user": {}})
        auth = self.headers.get("Authorization") or ""
        with lock:
            ok = auth.startswith("Bearer ") and auth[7:] in state["tokens"]
        if not ok:
            return self.send(401, {"detail": "Invalid token."})
        after = q.get("after") or ""
        limit = int(q.get("limit", 1000))
        off = int(q.get("offset", 0))
        ka = (float(after.split(",")[0]), int(after.split(",")[1])) if after else (-1.0, -1)
        with lock:
            sel = cache.get(("tcap", ka))
            if sel is None:
                sel = cache[("tcap", ka)] = sorted(
                    [r for r in events["tcap"] if (r["updated_on"], r["id"]) > ka],
                    key=lambda r: (r["updated_on"], r["id"]))
        page = sel[off:off + limit]
        nxt = None
        if off + limit < len(sel):
            nxt = "http://%s/api/hash-list/v2/all?%s" % (self.headers["Host"], urllib.parse.urlencode(
                {"after": after, "limit": limit, "offset": off + limit, "order": "asc"}))
        ck = "%r,%d" % (page[-1]["updated_on"], page[-1]["id"]) if page else after
        keys = ("hash_digest", "algorithm", "ideology", "file_type", "deleted", "updated_on", "created_on", "id")
        self.send(200, {"count": len(sel), "next": nxt, "previous": None, "checkpoint": ck,
                        "results": [{k: r.get(k) for k in keys} for r in page]})


PAGE = 2

if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()
