#!/usr/bin/env python3
"""A real browser on the review page: Debian's chromium, headless, through
chromedriver's WebDriver protocol (urllib only; nothing downloaded).
Usage: browser.py BASE_URL DB USER PASSWORD [SHOT_DIR]
Logs in, sees the queue, opens the case with the keyboard, measures the
on-screen image from a screenshot (protected: grey, low detail), reveals the
original (measured: colour, detail), checks the reveal log, waits for it to
hide again, confirms with A1 by keyboard, checks the store, checks the page
at 200% zoom (640x400 CSS px) does not scroll sideways. Exit 77 = skipped
(chromium cannot start), 1 = a check failed."""
import base64, json, os, socket, sqlite3, subprocess, sys, tempfile, time, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pngstat  # noqa: E402  (its main() only runs as a script)

BASE, DB, USER, PW = sys.argv[1:5]
SHOTS = sys.argv[5] if len(sys.argv) > 5 else None
fails = 0


def ok(cond, what):
    global fails
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    if not cond:
        fails += 1
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class WD:
    def __init__(self, port):
        self.u = "http://127.0.0.1:%d" % port
        self.sid = None

    def call(self, method, path, body=None):
        url = self.u + (("/session/" + self.sid) if self.sid and not path.startswith("/session") else "") + path
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s" % (method, path, e.read()[:300]))

    def find(self, css):
        v = self.call("POST", "/element", {"using": "css selector", "value": css})
        return list(v.values())[0]

    def finds(self, css):
        return [list(x.values())[0] for x in self.call("POST", "/elements", {"using": "css selector", "value": css})]

    def keys(self, text):
        acts = []
        for ch in text:
            acts += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
        self.call("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": acts}]})
        self.call("DELETE", "/actions")

    def js(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def shot(self, path):
        png = base64.b64decode(self.call("GET", "/screenshot"))
        open(path, "wb").write(png)
        return path

    def wait(self, cond, what, secs=20):
        end = time.time() + secs
        while time.time() < end:
            try:
                if cond():
                    return True
            except RuntimeError:
                pass
            time.sleep(0.1)
        return ok(False, "waited for " + what)


def view_rect(wd, el_id):
    """Scrolls an element into view; its rectangle in the viewport."""
    return wd.js("var e=document.getElementById(arguments[0]); e.scrollIntoView({block:'start'});"
                 "var r=e.getBoundingClientRect(); return {x:r.left,y:r.top,width:r.width,"
                 "height:Math.min(r.height, window.innerHeight-r.top)};", el_id)


def crop_stats(shot, rect, dpr):
    """Channel difference and detail of a screenshot region (the element)."""
    w, h, ch, rows = pngstat.read(shot)
    x0, y0 = int(rect["x"] * dpr) + 2, int(rect["y"] * dpr) + 2
    x1, y1 = min(w, int((rect["x"] + rect["width"]) * dpr) - 2), min(h, int((rect["y"] + rect["height"]) * dpr) - 2)
    diff, luma = 0, []
    for y in range(y0, y1):
        r = rows[y]
        lr = []
        for x in range(x0, x1):
            p = r[x * ch:x * ch + 3]
            diff = max(diff, abs(p[0] - p[1]), abs(p[1] - p[2]))
            lr.append(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
        luma.append(lr)
    e, n = 0.0, 0
    for y in range(len(luma) - 1):
        for x in range(len(luma[y]) - 1):
            e += abs(luma[y][x + 1] - luma[y][x]) + abs(luma[y + 1][x] - luma[y][x])
            n += 2
    return diff, e / max(n, 1), (x1 - x0, y1 - y0)


def main():
    port = free_port()
    prof = tempfile.mkdtemp(prefix="vigil-chromium-")
    try:
        drv = subprocess.Popen(["/usr/bin/chromedriver", "--port=%d" % port],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as e:
        print("SKIP - chromedriver cannot start: %s" % e)
        return 77
    wd = WD(port)
    try:
        for _ in range(100):
            try:
                wd.call("GET", "/status")
                break
            except Exception:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
                     "--force-device-scale-factor=1", "--user-data-dir=" + prof,
                     "--force-color-profile=srgb", "--no-first-run", "--disable-extensions"]}}}}
        try:
            r = wd.call("POST", "/session", caps)
        except Exception as e:
            print("SKIP - chromium cannot start: %s" % str(e)[:300])
            return 77
        wd.sid = r["sessionId"]
        return run(wd)
    finally:
        try:
            if wd.sid:
                wd.call("DELETE", "/session/" + wd.sid)
        except Exception:
            pass
        drv.terminate()
        drv.wait()
        subprocess.run(["rm", "-rf", prof])


def run(wd):
    tmp = tempfile.mkdtemp(prefix="vigil-shots-")
    db = sqlite3.connect(DB)
    wd.call("POST", "/url", {"url": BASE + "/review"})
    ok(wd.js("return location.pathname") == "/review/login", "not logged in: sent to the login page")
    wd.call("POST", "/element/%s/value" % wd.find("#name"), {"text": USER})
    wd.call("POST", "/element/%s/value" % wd.find("#password"), {"text": PW + "\ue007"})
    wd.wait(lambda: wd.js("return location.pathname") == "/review", "the queue after login")
    rows = wd.finds("tbody tr")
    ok(len(rows) >= 1 and "#" in wd.js("return document.querySelector('tbody td').textContent"),
       "the queue lists the case")
    if SHOTS:
        wd.shot(os.path.join(SHOTS, "review-queue.png"))
    wd.keys("n")  # the next case, by keyboard
    wd.wait(lambda: wd.js("return location.pathname").startswith("/review/case/"), "the case page after n")
    case_id = int(wd.js("return location.pathname").rsplit("/", 1)[1])
    ok(wd.js("return !document.getElementById('warning').hidden && document.getElementById('case').hidden"),
       "a warning screen first, naming: " + wd.js("return document.querySelector('#warning strong').textContent"))
    ok(wd.js("return document.activeElement.id") == "proceed", "focus on the warning's button")
    wd.keys("\ue007")  # Enter
    ok(wd.js("return !document.getElementById('case').hidden"), "Enter shows the evidence")
    ok("watch" in wd.js("return document.querySelector('#case table').textContent"),
       "match evidence (bank, label, distance) on the page")
    wd.wait(lambda: wd.js("var i=document.getElementById('item-1'); return i && i.complete && i.naturalWidth > 0"),
            "the protected image loads")
    dpr = wd.js("return window.devicePixelRatio")
    if SHOTS:
        wd.js("window.scrollTo(0, 0)")
        wd.shot(os.path.join(SHOTS, "review-case.png"))
    view_rect(wd, "item-1")
    shot = wd.shot(os.path.join(tmp, "case.png"))
    pdiff, phf, psz = crop_stats(shot, view_rect(wd, "item-1"), dpr)
    print("# on-screen protected image %dx%d: max channel difference %d, detail %.3f" % (psz[0], psz[1], pdiff, phf))
    ok(pdiff <= 2, "the image on screen is grey (max |R-G|,|G-B| = %d)" % pdiff)
    # Reveal item 1 (one click), measured on screen, logged.
    wd.call("POST", "/element/%s/click" % wd.find("#reveal-1"))
    wd.wait(lambda: wd.js("var o=document.getElementById('original'); return o && o.complete && o.naturalWidth>0"),
            "the original shows")
    rect = view_rect(wd, "original")
    shot = wd.shot(os.path.join(tmp, "orig.png"))
    odiff, ohf, osz = crop_stats(shot, rect, dpr)
    print("# on-screen original %dx%d: max channel difference %d, detail %.3f" % (osz[0], osz[1], odiff, ohf))
    ok(odiff > 20 and phf * 2 < ohf,
       "protected vs original on screen: colour %d vs %d, detail %.3f vs %.3f (ratio %.2f)" %
       (pdiff, odiff, phf, ohf, phf / ohf if ohf else 0))
    n = db.execute("SELECT count(*) FROM reveals WHERE case_id=? AND who=? AND n=1", (case_id, USER)).fetchone()[0]
    ok(n == 1, "the reveal is logged (who, case, item)")
    ok(db.execute("SELECT count(*) FROM audit WHERE action='case.reveal' AND object=? AND who=?",
                  (str(case_id), USER)).fetchone()[0] == 1, "and audited")
    wd.wait(lambda: wd.js("return !document.getElementById('original')"), "the original hides again")
    ok(wd.js("return !document.getElementById('original')"), "time-limited: the original is gone")
    # 200% zoom: 640x400 CSS pixels; nothing wider than the window.
    wd.call("POST", "/window/rect", {"width": 640, "height": 400})
    ok(wd.js("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
       "at 200%% zoom (%s CSS px wide) no sideways scrolling" % wd.js("return window.innerWidth"))
    wd.call("POST", "/window/rect", {"width": 1280, "height": 800})
    # Confirm with a classification, by keyboard.
    sel = wd.find("#classification")
    wd.call("POST", "/element/%s/value" % sel, {"text": "A1"})
    wd.js("document.activeElement.blur()")
    wd.keys("c")
    wd.wait(lambda: wd.js("return location.pathname") == "/review", "back to the queue after confirm")
    db.close()
    db = sqlite3.connect(DB)
    row = db.execute("SELECT decision, classification, decided_by FROM case_review WHERE case_id=?", (case_id,)).fetchone()
    ok(row == ("confirm", "A1", USER), "store: case decided confirm A1 by %s (%s)" % (USER, row))
    ok(db.execute("SELECT count(*) FROM entries e JOIN banks b ON b.id=e.bank_id WHERE b.name='confirmed'").fetchone()[0] >= 1,
       "store: the hash is in the confirmed bank")
    ok(db.execute("SELECT count(*) FROM audit WHERE action='case.decision' AND object=? AND who=?",
                  (str(case_id), USER)).fetchone()[0] == 1, "store: the decision is audited")
    # Event bodies are sealed under the master key (docs/evidence.md): the
    # row is counted, and its body must not be readable in the store.
    ok(db.execute("SELECT count(*) FROM outbox WHERE type='verdict'").fetchone()[0] >= 1 and
       db.execute("SELECT count(*) FROM outbox WHERE type='verdict' AND body NOT LIKE 'vs1:%'").fetchone()[0] == 0,
       "store: the verdict webhook is in the outbox, sealed")
    subprocess.run(["rm", "-rf", tmp])
    return 1 if fails else 0


sys.exit(main())
