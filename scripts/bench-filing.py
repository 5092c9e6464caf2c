"""Filing benchmarks (docs/benchmarks.md): saving a 60-item filing, and 200 concurrent 5 MB evidence uploads.

Usage: python3 scripts/bench-filing.py BASE_URL SERVER_PID DATA_DIR
Needs the demo loaded with password demo12345 (`yingshang demo --password demo12345`). Uses only `requests`.
"""
import hashlib, json, os, statistics, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
import requests

base, pid, data_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = requests.Session()

def token(user):
    r = s.post(base + "/api/v1/auth/login", json={"username": user, "password": "demo12345"})
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["token"]}

coord, filer = token("coordinator"), token("filer")

# A catalog with a 60-item indicator (a new version: the demo campaign keeps V1).
cat = s.get(base + "/api/v1/catalog", headers=coord).json()["catalog"]
items = [{"code": f"q{i}", "dimension": ["steps", "documents", "time", "cost", "safeguards"][i % 5],
          "text": f"第 {i} 题", "help": "", "subIndicatorCode": None} for i in range(1, 61)]
cat["indicators"] = [i for i in cat["indicators"] if i["code"] != "bench_sixty"] + [{
    "code": "bench_sixty", "nameZh": "六十题压测指标", "nameEn": "Sixty items", "description": "", "weight": 1,
    "subIndicators": [], "questionnaire": items, "guide": {"markdown": "", "requiredDocuments": []}}]
s.put(base + "/api/v1/catalog", headers=coord, json=cat).raise_for_status()
county = next(r for r in s.get(base + "/api/v1/regions?per=200", headers=coord).json()["items"] if r["level"] == "county")
phases = {k: {"start": a, "end": b} for k, a, b in [("training", "2022-09-01", "2022-09-30"), ("filing", "2022-10-01", "2022-10-31"),
                                                 ("verification", "2022-11-01", "2022-11-30"), ("report", "2022-12-01", "2022-12-31")]}
c = s.post(base + "/api/v1/campaigns", headers=coord, json={
    "name": f"压测填报 {time.time()}", "year": 2022, "startDate": "2022-09-01", "endDate": "2022-12-31", "perDay": 2,
    "regionIDs": [county["id"]], "indicatorCodes": ["bench_sixty"], "phases": phases}).json()
scjg = next(u for u in s.get(base + "/api/v1/units?q=SCJG", headers=coord).json()["items"] if u["code"] == "SCJG")
a = s.get(base + f"/api/v1/campaigns/{c['id']}/assignments", headers=coord).json()[0]
s.put(base + f"/api/v1/campaigns/{c['id']}/assignments/{a['id']}", headers=coord, json={"leadUnitID": scjg["id"]}).raise_for_status()
f = s.post(base + f"/api/v1/campaigns/{c['id']}/filings/bench_sixty", headers=filer).json()

version, lat = f["version"], []
for n in range(500):
    answers = {f"q{i}": f"第 {n} 次保存，第 {i} 题的答案" for i in range(1, 61)}
    t = time.perf_counter()
    r = s.put(base + f"/api/v1/filings/{f['id']}", headers=filer, json={"version": version, "answers": answers})
    lat.append((time.perf_counter() - t) * 1000)
    r.raise_for_status()
    version = r.json()["version"]
lat.sort()
print(f"save 60-item filing x500 (sequential): p50 {lat[249]:.1f} ms  p90 {lat[449]:.1f} ms  p99 {lat[494]:.1f} ms  max {lat[-1]:.1f} ms")

# 200 concurrent 5 MB uploads, each with different content.
peak = [0]
stop = threading.Event()
def watch():
    while not stop.is_set():
        with open(f"/proc/{pid}/status") as st:
            for line in st:
                if line.startswith("VmRSS:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.05)
threading.Thread(target=watch, daemon=True).start()
open_filing = s.post(base + f"/api/v1/campaigns/{c['id']}/filings/bench_sixty", headers=filer).json()
payloads = [b"%PDF-1.7\n" + os.urandom(16) + bytes(5 * 1024 * 1024 - 25) for _ in range(200)]
def put(i):
    r = requests.put(base + f"/api/v1/filings/{f['id']}/evidence?name=evidence-{i}.pdf", headers=filer, data=payloads[i])
    return r.status_code, (r.json().get("sha256") if r.ok else r.text)
t = time.perf_counter()
with ThreadPoolExecutor(max_workers=200) as pool:
    results = list(pool.map(put, range(200)))
elapsed = time.perf_counter() - t
stop.set()
ok = sum(1 for code, _ in results if code == 201)
failures = {}
for code, body in results:
    if code != 201:
        failures[(code, str(body)[:160])] = failures.get((code, str(body)[:160]), 0) + 1
for (code, body), n in failures.items():
    print(f"  failed x{n}: {code} {body}")
verified = 0
for i, (code, sha) in enumerate(results):
    expected = hashlib.sha256(payloads[i]).hexdigest()
    path = os.path.join(data_dir, "evidence", expected[:2], expected)
    if code == 201 and sha == expected and os.path.exists(path):
        with open(path, "rb") as fh:
            if hashlib.sha256(fh.read()).hexdigest() == expected:
                verified += 1
print(f"upload 200 x 5 MB concurrently: {ok}/200 stored in {elapsed:.1f} s, {verified}/200 hashes verified on disk, "
      f"server peak RSS {peak[0] / 1024:.0f} MB")
