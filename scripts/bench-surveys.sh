#!/usr/bin/env bash
# Survey submission throughput and durability (issue 6): N enterprises answer over HTTP with wrk; every acknowledged
# token must be stored as submitted afterwards — also when the server is killed with SIGKILL in the middle of the load,
# and when it is stopped with SIGTERM (it must then exit 0: running requests finish before the database closes).
# Usage: scripts/bench-surveys.sh [BIN=.build/release/yingshang] [SECONDS=10] [CONNECTIONS=32]
# Exits non-zero if an acknowledged answer is missing after any run or the SIGTERM run does not exit 0 (.ci/run runs
# it on the debug build as a check, not for its figures).
# Needs: wrk, sqlite3. Uses a scratch data directory; SQLite only (PostgreSQL: set DATABASE_URL and adapt the checks).
set -euo pipefail
BIN=${1:-.build/release/yingshang}
DURATION=${2:-10}
CONN=${3:-32}
for tool in wrk sqlite3 curl python3; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y $tool)" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/yingshang-survey-bench.XXXX)
SERVER=
# A failed step must not leave a server on the port for the next run to talk to.
trap '[ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null; true' EXIT
export YINGSHANG_DATA_DIR=$WORK/data YINGSHANG_ENV=production
unset DATABASE_URL  # the checks read the SQLite file: a DATABASE_URL in the caller's environment must not redirect the server
PORT=8097
echo "data: $WORK" >&2
"$BIN" demo --password demo12345 --register-size 60000 >/dev/null
CID=$(sqlite3 "$WORK/data/yingshang.sqlite" "select id from campaigns where name like '%（示例）' limit 1")
DRAW=$("$BIN" sample draw --campaign "$CID" --size 40000 --strata township --seed 1 | grep -oE '[0-9A-F-]{36}' | tail -1)
"$BIN" survey tokens --draw "$DRAW" --out "$WORK/tokens.csv" --issue >/dev/null
sqlite3 "$WORK/data/yingshang.sqlite" "select token from survey_responses where draw_id='$DRAW'" > "$WORK/tokens.txt"
echo "tokens: $(wc -l < "$WORK/tokens.txt")" >&2
# A whole questionnaire as an enterprise answers it, built from the campaign's template (the server serves it).
"$BIN" serve --port $PORT --no-migrate > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
API=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"coordinator","password":"demo12345"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
ANSWERS=$(curl -fs -H "Authorization: Bearer $API" "http://127.0.0.1:$PORT/api/v1/campaigns/$CID/survey-template" | python3 -c '
import json, sys
value = {"screening": "是", "yes_no": "否", "likert": "4", "number": "3"}
print(",".join(json.dumps(i["code"], ensure_ascii=False) + ":" + json.dumps(value[i["kind"]], ensure_ascii=False) for i in json.load(sys.stdin)["items"]))')
kill $SERVER; wait $SERVER 2>/dev/null || true

cat > "$WORK/submit.lua" <<LUA
local tokens = {}
local n, threads, out = 0, 1, nil
local counter = 0
function setup(thread)
  thread:set("me", counter)
  counter = counter + 1
end
function init(args)
  threads = counter > 0 and counter or 2
  for line in io.lines("$WORK/tokens.txt") do tokens[#tokens + 1] = line end
  out = io.open("$WORK/acked-" .. me .. ".txt", "w")
end
function request()
  n = n + 1
  local t = tokens[(n - 1) * 2 + me + 1]
  if t == nil then t = "exhausted-token-0000000000" end
  local body = '{"token":"' .. t .. '","answers":{$ANSWERS}}'
  return wrk.format("POST", "/api/v1/survey-responses", {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 201 or status == 200 then
    local t = string.match(body, '"token":"([^"]+)"')
    if t then out:write(t, "\n") out:flush() end
  end
end
LUA

start_server() {
  "$BIN" serve --port $PORT --no-migrate > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.2; done
  echo "server did not start" >&2; exit 1
}
check() {
  cat "$WORK"/acked-*.txt | sort -u > "$WORK/acked.txt"
  local acked stored missing
  acked=$(wc -l < "$WORK/acked.txt")
  sqlite3 "$WORK/data/yingshang.sqlite" "select token from survey_responses where status='submitted'" | sort -u > "$WORK/stored.txt"
  stored=$(wc -l < "$WORK/stored.txt")
  missing=$(comm -23 "$WORK/acked.txt" "$WORK/stored.txt" | wc -l)
  echo "$1: acknowledged $acked, stored as submitted $stored, acknowledged but missing $missing"
  [ "$missing" = 0 ] || LOST=1
}
LOST=0

echo "== run 1: ${DURATION}s, 2 threads, $CONN connections" >&2
start_server
wrk -t2 -c"$CONN" -d"${DURATION}s" --latency -s "$WORK/submit.lua" "http://127.0.0.1:$PORT" | tee "$WORK/wrk1.txt"
kill $SERVER; wait $SERVER 2>/dev/null || true
check "run 1"

echo "== run 2: kill -9 the server 3 s into the load" >&2
sqlite3 "$WORK/data/yingshang.sqlite" "update survey_responses set status='issued', answers='{}', submitted_at=NULL"
rm -f "$WORK"/acked-*.txt
start_server
(sleep 3; kill -9 $SERVER) &
wrk -t2 -c"$CONN" -d6s -s "$WORK/submit.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk2.txt" 2>&1 || true
wait $SERVER 2>/dev/null || true
check "run 2 (kill -9)"

# A stop asked for politely (SIGTERM, as systemd and `docker stop` do) while enterprises are submitting: the requests
# already running finish before the database closes, so the server exits 0 and nothing acknowledged is lost.
echo "== run 3: SIGTERM 3 s into the load" >&2
sqlite3 "$WORK/data/yingshang.sqlite" "update survey_responses set status='issued', answers='{}', submitted_at=NULL"
rm -f "$WORK"/acked-*.txt
start_server
(sleep 3; kill -TERM $SERVER) &
wrk -t2 -c"$CONN" -d6s -s "$WORK/submit.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk3.txt" 2>&1 || true
STATUS=0
wait $SERVER || STATUS=$?
SERVER=
check "run 3 (SIGTERM)"
echo "run 3: server exit status $STATUS (0 expected)"
[ "$STATUS" = 0 ] || { tail -40 "$WORK/serve.log" >&2; exit 1; }
[ "$LOST" = 0 ] || { echo "acknowledged answers are missing" >&2; exit 1; }
