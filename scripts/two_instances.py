#!/usr/bin/env python3
"""Checks two Yingshang instances behind nginx on one PostgreSQL database (started by scripts/two-instances.sh).
Exit 1 on any failed check; each check prints what it saw."""
import argparse
import concurrent.futures
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

PASSWORD = "demo12345"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


class Web:
    """A browser-like client: cookies and the CSRF token of the last page."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def request(self, method, path, data=None, headers=None, base=None):
        req = urllib.request.Request((base or self.base) + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=120) as res:
                body = res.read()
                status, hdrs = res.status, res.headers
        except urllib.error.HTTPError as e:
            body, status, hdrs = e.read(), e.code, e.headers
        m = re.search(rb'name="_csrf" value="([^"]+)"', body)
        if m:
            self.csrf = m.group(1).decode()
        return status, hdrs, body

    def login(self, user):
        self.request("GET", "/login")
        form = urllib.parse.urlencode({"_csrf": self.csrf, "username": user, "password": PASSWORD}).encode()
        return self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})


def api(base, method, path, token=None, body=None, raw=None, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text or b"null")
        except ValueError:
            return e.code, text


def token(base, user):
    status, reply = api(base, "POST", "/api/v1/auth/login", body={"username": user, "password": PASSWORD})
    assert status == 200, reply
    return reply["token"]


def psql(url, sql):
    return subprocess.run(["psql", url, "-tAc", sql], capture_output=True, text=True, check=True).stdout.strip()


def main():
    p = argparse.ArgumentParser()
    for name in ("front", "a", "b", "binary", "work", "database-url"):
        p.add_argument("--" + name, required=True)
    a = p.parse_args()
    started = time.time()
    env = dict(os.environ, DATABASE_URL=a.database_url)

    # 1. A session made through one instance works on the other: nginx alternates upstreams per request.
    web = Web(a.front)
    status, _, _ = web.login("coordinator")
    upstreams, ok = set(), True
    for _ in range(12):
        status, headers, body = web.request("GET", "/")
        upstreams.add(headers.get("X-Upstream"))
        ok = ok and status == 200 and "退出登录".encode() in body
    check(ok and len(upstreams) == 2, f"sessions: 12 signed-in pages through nginx, all signed in, served by {sorted(upstreams)}")

    coordinator = token(a.a, "coordinator")
    campaigns = api(a.b, "GET", "/api/v1/campaigns", coordinator)[1]
    county = next(c for c in campaigns if c["name"].endswith("（示例）") and "8 县" not in c["name"] and c["year"] == 2022)
    cid = county["id"]

    # 2. An import uploaded to instance A is followed on instance B.
    csv_path = os.path.join(a.work, "register.csv")
    subprocess.run([a.binary, "enterprises", "generate", "--rows", "200000", "--out", csv_path], env=env, check=True,
                   capture_output=True)
    direct = Web(a.a)
    direct.login("coordinator")
    direct.request("GET", f"/campaigns/{cid}/register")
    with open(csv_path, "rb") as f:
        data = f.read()
    status, _, body = direct.request("PUT", f"/campaigns/{cid}/register/upload?name=register.csv", data,
                                     {"X-CSRF-Token": direct.csrf, "Content-Type": "text/csv"})
    job = json.loads(body).get("jobID") if status in (200, 201, 202) else None
    check(job is not None, f"import: uploaded {len(data) >> 20} MB to instance A ({status})")
    seen, final = [], None
    deadline = time.time() + 180
    while job and time.time() < deadline:
        s, reply = api(a.b, "GET", f"/api/v1/jobs/{job}", coordinator)
        if s == 200:
            seen.append((reply["status"], reply["done"]))
            if reply["status"] not in ("queued", "running"):
                final = reply
                break
        time.sleep(0.1)
    progress = sorted({d for st, d in seen if st == "running"})
    check(final is not None and final["status"] == "done" and final["imported"] == 200000 and len(progress) >= 2,
          f"import: instance B saw the job on A running at {progress[:5]}… rows, then {final and final['status']} "
          f"with {final and final['imported']} rows")

    # 3. Evidence uploaded through instance A is served by instance B (one evidence store).
    filer = token(a.a, "filer")
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n" + os.urandom(1 << 20).hex().encode()
    attached = None
    for code in county["indicatorCodes"]:
        s, filing = api(a.a, "POST", f"/api/v1/campaigns/{cid}/filings/{code}", filer)
        if s != 200:
            continue
        if filing["state"] == "accepted":  # the bureau reopens it, as it would to have evidence added
            api(a.b, "POST", f"/api/v1/filings/{filing['id']}/transitions", coordinator, body={"action": "reopen", "reason": "补充印证材料"})
        s, att = api(a.a, "PUT", f"/api/v1/filings/{filing['id']}/evidence?name=%E8%AF%81%E6%98%8E.pdf", filer, raw=pdf,
                     headers={"Content-Type": "application/pdf"})
        if s == 201:
            attached = (filing["id"], att["id"])
            break
    check(attached is not None, "evidence: the filer attached a PDF through instance A")
    if attached:
        other = Web(a.b)
        other.login("filer")
        s, _, body = other.request("GET", f"/filings/{attached[0]}/evidence/{attached[1]}?download=1")
        check(s == 200 and body == pdf, f"evidence: instance B served the same {len(pdf)} bytes ({s})")

    # 4. Scheduled work ran once per period: every session sweep slot in exactly one instance's log.
    wait = 35 - (time.time() - started)
    if wait > 0:
        time.sleep(wait)
    # Only periods already over: a sweep claimed in the current one may not have written its line yet.
    current = int(time.time() // 10)
    slots = {}
    for name in ("a", "b"):
        with open(os.path.join(a.work, name + ".log"), encoding="utf-8", errors="replace") as f:
            for m in re.finditer(r"scheduled session-sweep slot=(\d+) ran", f.read()):
                if int(m.group(1)) < current:
                    slots.setdefault(m.group(1), []).append(name)
    twice = {s: who for s, who in slots.items() if len(who) > 1}
    rows = int(psql(a.database_url, f"SELECT count(*) FROM scheduled_runs WHERE name = 'session-sweep' AND slot < {current}"))
    check(len(slots) >= 3 and not twice and rows == len(slots),
          f"scheduled work: {len(slots)} session sweeps in 10 s periods, by {sorted({w for v in slots.values() for w in v})}, "
          f"none twice ({twice or 'none'}), {rows} claims in scheduled_runs")

    # 5. Survey submissions spread over both instances; instance A killed with SIGKILL a third of the way in.
    out = subprocess.run([a.binary, "sample", "draw", "--campaign", cid, "--size", "600", "--strata", "township", "--seed", "7"],
                         env=env, capture_output=True, text=True, check=True).stdout
    draw = re.findall(r"[0-9A-F-]{36}", out)[-1]
    subprocess.run([a.binary, "survey", "tokens", "--draw", draw, "--out", os.path.join(a.work, "tokens.csv"), "--issue"],
                   env=env, capture_output=True, check=True)
    tokens = psql(a.database_url, f"SELECT token FROM survey_responses WHERE draw_id = '{draw.lower()}' OR draw_id::text = '{draw}'").split()
    template = api(a.b, "GET", f"/api/v1/campaigns/{cid}/survey-template", coordinator)[1]
    value = {"screening": "是", "yes_no": "否", "likert": "4", "number": "3"}
    answers = {i["code"]: value[i["kind"]] for i in template["items"]}
    acked, lock, done = {}, threading.Lock(), [0]
    killed = threading.Event()
    pid_a = int(open(os.path.join(a.work, "a.pid")).read())

    def submit(t):
        for attempt in range(8):
            s, reply = api(a.front, "POST", "/api/v1/survey-responses", body={"token": t, "answers": answers})
            if s in (200, 201):
                with lock:
                    acked[t] = s
                    done[0] += 1
                    if done[0] == len(tokens) // 3 and not killed.is_set():
                        os.kill(pid_a, signal.SIGKILL)
                        killed.set()
                return
            time.sleep(0.2 * (attempt + 1))
        with lock:
            acked[t] = None

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(submit, tokens))
    stored = int(psql(a.database_url, f"SELECT count(*) FROM survey_responses WHERE status = 'submitted' AND token IN ({','.join(repr(t) for t in tokens)})"))
    lost = [t for t, s in acked.items() if s is None]
    check(killed.is_set() and len(tokens) >= 300 and not lost and stored == len(tokens),
          f"surveys: {len(tokens)} submissions through nginx, instance A killed (SIGKILL) after {len(tokens) // 3}; "
          f"{len(tokens) - len(lost)} acknowledged, {stored} stored, {len(lost)} unanswered")

    print(f"two instances: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    import urllib.parse  # noqa: E402  (used by Web.login)
    main()
