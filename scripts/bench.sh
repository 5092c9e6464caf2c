#!/usr/bin/env bash
# One benchmark run (issue 20, docs/benchmarks.md): prepares its own data in a scratch directory and measures each
# workload beside an anchor measured in the same run on the same machine, printing the ratio:
#   import of a 1M-row register        vs sqlite3 `.import` of the same file (and psql \copy when DATABASE_URL is set)
#   stratified draw, n=2,000           vs pandas groupby().sample() on the same rows read from the same database
#   pages, survey submissions          vs the same server's trivial route /healthz (wrk)
#   the dispatch board, 50 connections vs /healthz
#   register page, count and filters   p99 over sequential requests on the 1M-row register (target < 200 ms)
#   CSV export of the 1M-row register  vs `sqlite3 -csv` (or psql \copy) of the same rows in the same (credit-code) order
#   the evaluation PDF                 cold (browser start) and warm
#   server RSS                         idle after start, peak at the end
# Usage: scripts/bench.sh [BIN=.build/release/yingshang] [ROWS=1000000] [SECONDS=10]
# Needs: sqlite3, wrk, curl, GNU time, python3 with pandas (pip install pandas; on PostgreSQL also psycopg[binary]), chromium for the PDF.
# SQLite unless DATABASE_URL is set (then an empty PostgreSQL database it may fill; the HTTP parts run on it too).
set -euo pipefail
BIN=${1:-.build/release/yingshang}
ROWS=${2:-1000000}
DURATION=${3:-10}
PORT=${BENCH_PORT:-8096}
for tool in sqlite3 wrk curl python3; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y $tool)" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install -y time)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/yingshang-bench.XXXX)
SERVER=
trap '[ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null; true' EXIT
export YINGSHANG_DATA_DIR=$WORK/data YINGSHANG_ENV=production YINGSHANG_SECURE_COOKIES=false LOG_LEVEL=warning
PG=${DATABASE_URL:-}
DB=$WORK/data/yingshang.sqlite
CITY="2022 年度青山市县域营商环境评价（8 县示例）"   # the demo's city campaign: its register starts empty
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
q() { if [ -n "$PG" ]; then psql -qtAX "$PG" -c "$1"; else sqlite3 "$DB" "$1"; fi; }
section() { printf '\n== %s\n' "$1"; }

echo "data: $WORK  database: ${PG:+PostgreSQL}${PG:-SQLite}  binary: $BIN  cores: $(nproc)"
# CPU time taken by the hypervisor ("steal") over the run: on a shared virtual machine every figure below is slower
# while it is high, the anchors included; printed at the end so a run on a busy host can be told apart.
cpu_times() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9 }' /proc/stat; }
read -r CPU_TOTAL0 CPU_STEAL0 <<< "$(cpu_times)"
"$BIN" demo --password demo12345 --register-size 60000 >/dev/null
DISPATCH_CAMPAIGN=$("$BIN" bench-seed --units 60 --tasks 2000 | tail -1)
# The county demo whose register was loaded (without an order PostgreSQL may return another demo campaign first).
DEMO=$(q "select c.id from campaigns c where c.name like '%（示例）' and c.name not like '%8 县%' and exists (select 1 from register_snapshots s where s.campaign_id = c.id) order by c.name desc limit 1")
"$BIN" score --campaign "$DEMO" >/dev/null

section "register import, $ROWS rows"
"$BIN" enterprises generate --rows "$ROWS" --out "$WORK/register.csv" >/dev/null
echo "file: $(du -h "$WORK/register.csv" | cut -f1)"
sync
t0=$(now)
/usr/bin/time -f "%M" -o "$WORK/import.rss" "$BIN" enterprises import "$WORK/register.csv" --campaign "$CITY" >/dev/null
t1=$(now)
IMPORT=$(secs "$t0" "$t1")
if [ -n "$PG" ]; then
  psql -qX "$PG" -c "drop table if exists bench_plain; create table bench_plain (uscc text collate \"C\", name text, township text, industry text, size text, status text, founded text, contact text, phone text)"
  t2=$(now); psql -qX "$PG" -c "\\copy bench_plain from '$WORK/register.csv' csv header"; t3=$(now)
  # What the anchor costs once it has the one index a register cannot do without (codes unique; bytewise, as ours).
  psql -qX "$PG" -c "set maintenance_work_mem = '256MB'" -c "alter table bench_plain add unique (uscc)"; t4=$(now)
  psql -qX "$PG" -c "drop table bench_plain"
  echo "yingshang import ${IMPORT} s (max RSS $(( $(tail -1 "$WORK/import.rss") / 1024 )) MB); psql \\copy into a plain table $(secs "$t2" "$t3") s; ratio $(ratio "$IMPORT" "$(secs "$t2" "$t3")")  (target ≤ 1.5×, issue 21)"
  echo "  floor: the same \\copy and then a unique index on the code $(secs "$t2" "$t4") s = $(ratio "$(secs "$t2" "$t4")" "$(secs "$t2" "$t3")")× of the \\copy alone"
else
  t2=$(now); sqlite3 "$WORK/plain.db" ".mode csv" ".import $WORK/register.csv plain"; t3=$(now)
  sqlite3 "$WORK/plain.db" "create unique index plain_code on plain (\"统一社会信用代码\")"; t4=$(now)
  rm -f "$WORK/plain.db"
  echo "yingshang import ${IMPORT} s (max RSS $(( $(tail -1 "$WORK/import.rss") / 1024 )) MB); sqlite3 .import into a fresh file $(secs "$t2" "$t3") s; ratio $(ratio "$IMPORT" "$(secs "$t2" "$t3")")  (target ≤ 1.0×)"
  echo "  floor: the same .import and then a unique index on the code $(secs "$t2" "$t4") s = $(ratio "$(secs "$t2" "$t4")" "$(secs "$t2" "$t3")")× of the .import alone"
fi
CITY_ID=$(q "select id from campaigns where name = '$CITY'")
SNAPSHOT=$(q "select s.id from register_snapshots s where s.campaign_id = '$CITY_ID' order by s.id desc limit 1")
echo "stored: $(q "select count(*) from enterprises where snapshot_id = $SNAPSHOT") rows in snapshot $SNAPSHOT"

section "stratified draw, n = 2,000, strata township × industry × size"
for run in 1 2 3; do
  t0=$(now)
  /usr/bin/time -f "%M" -o "$WORK/draw.rss" "$BIN" sample draw --campaign "$CITY" --size 2000 --strata township,industry,size --seed "$run" >/dev/null
  t1=$(now)
  echo "run $run: yingshang sample draw $(secs "$t0" "$t1") s wall, CLI included (max RSS $(( $(tail -1 "$WORK/draw.rss") / 1024 )) MB)  (target ≤ 0.5 s)"
  DRAW_WALL=$(secs "$t0" "$t1")
done
if [ -n "$PG" ] && ! python3 -c "import psycopg" 2>/dev/null; then
  echo "psycopg not installed (pip install 'psycopg[binary]'): no pandas anchor for the draw on PostgreSQL"
elif python3 -c "import pandas" 2>/dev/null; then
  cat > "$WORK/draw.py" <<'PY'
import sys, time
t0 = time.perf_counter()
import pandas as pd
t1 = time.perf_counter()
url, snapshot, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sql = f"select id, township_code, industry, size from enterprises where snapshot_id = {snapshot} and status in ('存续', '在业')"
if url.startswith("postgres"):
    import psycopg, io
    with psycopg.connect(url) as c, c.cursor() as cur:
        buf = io.StringIO()
        with cur.copy(f"copy ({sql}) to stdout with csv") as cp:
            for chunk in cp: buf.write(bytes(chunk).decode())
        buf.seek(0)
        frame = pd.read_csv(buf, names=["id", "township_code", "industry", "size"], dtype=str)
else:
    import sqlite3
    with sqlite3.connect(url) as c:
        frame = pd.read_sql_query(sql, c)
t2 = time.perf_counter()
# Proportional allocation as a fraction per stratum: what a statistician would type.
sample = frame.groupby(["township_code", "industry", "size"]).sample(frac=n / len(frame), random_state=1)
t3 = time.perf_counter()
print(f"pandas {pd.__version__}: import {t1 - t0:.2f} s, read {len(frame)} rows {t2 - t1:.2f} s, groupby().sample {t3 - t2:.3f} s ({len(sample)} drawn), total {t3 - t0:.2f} s")
print(f"TOTAL {t3 - t0:.3f}")
PY
  out=$(python3 "$WORK/draw.py" "${PG:-$DB}" "$SNAPSHOT" 2000 || true)
  echo "$out" | grep -v '^TOTAL'
  PANDAS=$(echo "$out" | awk '/^TOTAL/ {print $2}')
  [ -n "$PANDAS" ] && echo "ratio yingshang (last run) / pandas total: $(ratio "$DRAW_WALL" "$PANDAS")"
else
  echo "pandas not installed (pip install pandas): no anchor for the draw"
fi

section "server: pages and submissions beside /healthz ($DURATION s each, 2 threads, 32 connections)"
SURVEY_DRAW=$("$BIN" sample draw --campaign "$DEMO" --size 40000 --strata township --seed 1 | grep -oE '[0-9A-F-]{36}' | tail -1)
"$BIN" survey tokens --draw "$SURVEY_DRAW" --out "$WORK/tokens.csv" --issue >/dev/null
q "select token from survey_responses where draw_id = '$SURVEY_DRAW'" > "$WORK/tokens.txt"
TOKEN=$(head -1 "$WORK/tokens.txt")
if [ -n "$PG" ]; then
  # The data just written (the register, 40,000 survey links) would otherwise be vacuumed and analysed by autovacuum
  # while the pages are measured: a steady state first, as a running county's database is.
  t0=$(now); psql -qtAX "$PG" -c "VACUUM (ANALYZE)" 2>/dev/null; echo "VACUUM (ANALYZE) before the server runs: $(secs "$t0" "$(now)") s"
fi
"$BIN" serve --port "$PORT" --no-migrate > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
sleep 1
rss() { awk -v k="$1" '$1 == k":" { printf "%d MB", $2 / 1024 }' "/proc/$SERVER/status"; }
IDLE_RSS=$(rss VmRSS)
login() {  # user -> cookie jar at $WORK/$1.jar, signed in through the login form
  local jar=$WORK/$1.jar csrf
  csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/login" | grep -o 'name="_csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "username=$1" \
    --data-urlencode "password=demo12345" "http://127.0.0.1:$PORT/login"
  SESSION=$(awk '$6 == "yingshang_session" { print $7 }' "$jar")
  [ -n "$SESSION" ] || { echo "login as $1 failed" >&2; exit 1; }
}
login coordinator
COORD_COOKIE="yingshang_session=$SESSION"
TOKEN_API=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"coordinator","password":"demo12345"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
# A whole questionnaire as an enterprise answers it, built from the campaign's served template.
ANSWERS=$(curl -fs -H "Authorization: Bearer $TOKEN_API" "http://127.0.0.1:$PORT/api/v1/campaigns/$DEMO/survey-template" | python3 -c '
import json, sys
value = {"screening": "是", "yes_no": "否", "likert": "4", "number": "3"}
items = json.load(sys.stdin)["items"]
print(",".join(json.dumps(i["code"], ensure_ascii=False) + ":" + json.dumps(value[i["kind"]], ensure_ascii=False) for i in items))')
sessions() { q "select count(*) from _fluent_sessions"; }
SESSIONS_BEFORE=$(sessions)

cat > "$WORK/submit.lua" <<LUA
local tokens, n, counter = {}, 0, 0
function setup(thread) thread:set("me", counter); counter = counter + 1 end
function init(args) for line in io.lines("$WORK/tokens.txt") do tokens[#tokens + 1] = line end end
function request()
  n = n + 1
  local t = tokens[(n - 1) * 2 + me + 1] or "exhausted-token-0000000000"
  return wrk.format("POST", "/api/v1/survey-responses", {["Content-Type"] = "application/json"},
    '{"token":"' .. t .. '","answers":{$ANSWERS}}')
end
LUA
HEALTHZ=
bench() {  # label, url path, extra wrk args...
  local label=$1 path=$2 out rate p99 non2xx
  shift 2
  out=$(wrk -t2 -c"${CONN:-32}" -d"${DURATION}s" --latency "$@" "http://127.0.0.1:$PORT$path")
  rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '/ 99%/ {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  [ -z "$HEALTHZ" ] && HEALTHZ=$rate
  printf '%-44s %10s req/s  p99 %-9s ratio to /healthz %s%s\n' "$label" "$rate" "$p99" "$(ratio "$rate" "$HEALTHZ")" "${non2xx:+  NON-2XX $non2xx}"
}
bench "/healthz (trivial route)" /healthz
bench "/login (anonymous form)" /login
bench "/public (policies and practices)" /public
bench "/s/TOKEN (an enterprise's survey page)" "/s/$TOKEN"
bench "/ (coordinator's home, signed in)" / -H "Cookie: $COORD_COOKIE"
bench "register page, $ROWS rows (signed in)" "/campaigns/$CITY_ID/register" -H "Cookie: $COORD_COOKIE"
bench "/api/v1/me (bearer token)" /api/v1/me -H "Authorization: Bearer $TOKEN_API"
bench "survey submissions (durable, JSON API)" / -s "$WORK/submit.lua"
CONN=50 bench "dispatch board, 60 units × 2,000 tasks, 50 conn" "/api/v1/campaigns/$DISPATCH_CAMPAIGN/dispatch?date=2022-10-20" -H "Authorization: Bearer $TOKEN_API"
echo "session rows: $SESSIONS_BEFORE before the page runs, $(sessions) after (anonymous views must add none)"
echo "submitted responses stored: $(q "select count(*) from survey_responses where draw_id = '$SURVEY_DRAW' and status = 'submitted'")"

section "register on $ROWS rows: sequential requests, p99 of 60 each (target < 200 ms)"
TOWNSHIP=$(q "select township_code from enterprises where snapshot_id = $SNAPSHOT limit 1")
INDUSTRY=$(q "select industry from enterprises where snapshot_id = $SNAPSHOT limit 1")
SIZE=$(q "select size from enterprises where snapshot_id = $SNAPSHOT limit 1")
NAME=$(q "select substr(name, 3, 4) from enterprises where snapshot_id = $SNAPSHOT limit 1 offset 777")
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
p99() {  # label, path
  local label=$1 path=$2 i code
  : > "$WORK/times"
  for i in $(seq 1 60); do
    code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Cookie: $COORD_COOKIE" "http://127.0.0.1:$PORT$path")
    echo "$code" >> "$WORK/times"
  done
  sort -k2 -n "$WORK/times" | awk -v label="$label" '{ s[NR] = $2; if ($1 != 200) bad++ } END {
    k = int(NR * 0.99 + 0.999); if (k > NR) k = NR
    printf "%-44s median %4.0f ms  p99 %4.0f ms%s\n", label, s[int(NR / 2) + 1] * 1000, s[k] * 1000, bad ? "  NON-200 " bad : "" }'
}
R=/campaigns/$CITY_ID/register
p99 "page 1 with the counts" "$R"
p99 "page 10,000 (offset 499,950)" "$R?page=10000"
p99 "filter: township" "$R?township=$(enc "$TOWNSHIP")"
p99 "filter: township × industry × size" "$R?township=$(enc "$TOWNSHIP")&industry=$(enc "$INDUSTRY")&size=$(enc "$SIZE")"
p99 "filter, page 50" "$R?township=$(enc "$TOWNSHIP")&page=50"
p99 "search: name substring" "$R?q=$(enc "$NAME")"

section "CSV export of the $ROWS-row register"
t0=$(now)
code=$(curl -s -o "$WORK/export.csv" -w '%{http_code}' -H "Cookie: $COORD_COOKIE" "http://127.0.0.1:$PORT$R.csv")
t1=$(now)
EXPORT=$(secs "$t0" "$t1")
if [ -n "$PG" ]; then
  t2=$(now); psql -qX "$PG" -c "\\copy (select * from enterprises where snapshot_id = $SNAPSHOT order by uscc) to '$WORK/anchor.csv' csv header"; t3=$(now)
  anchor="psql \\copy"
else
  t2=$(now); sqlite3 -csv -header "$DB" "select * from enterprises where snapshot_id = $SNAPSHOT order by uscc" > "$WORK/anchor.csv"; t3=$(now)
  anchor="sqlite3 -csv"
fi
echo "yingshang export $EXPORT s (HTTP $code, $(( $(wc -l < "$WORK/export.csv") - 1 )) rows, $(du -h "$WORK/export.csv" | cut -f1)); $anchor $(secs "$t2" "$t3") s ($(du -h "$WORK/anchor.csv" | cut -f1)); ratio $(ratio "$EXPORT" "$(secs "$t2" "$t3")")"
rm -f "$WORK/export.csv" "$WORK/anchor.csv"

section "evaluation PDF (the demo county's report)"
for run in cold warm warm warm; do
  t0=$(now)
  code=$(curl -s -o "$WORK/report.pdf" -w '%{http_code}' -H "Cookie: $COORD_COOKIE" "http://127.0.0.1:$PORT/campaigns/$DEMO/report.pdf")
  t1=$(now)
  echo "$run: $(secs "$t0" "$t1") s (HTTP $code, $(stat -c %s "$WORK/report.pdf") bytes)  (target warm < 2 s)"
done

section "server memory"
echo "idle after start $IDLE_RSS; now $(rss VmRSS); peak $(rss VmHWM) (headless Chromium not included)"
section "host"
read -r CPU_TOTAL1 CPU_STEAL1 <<< "$(cpu_times)"
echo "CPU stolen by the hypervisor during the run: $(awk -v s=$((CPU_STEAL1 - CPU_STEAL0)) -v t=$((CPU_TOTAL1 - CPU_TOTAL0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }') %"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
SERVER=
rm -rf "$WORK"
