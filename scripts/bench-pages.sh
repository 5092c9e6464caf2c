#!/usr/bin/env bash
# Pages that citizens and enterprises open, beside the same server's trivial route (issue 20): /healthz, /login,
# /public and one enterprise's survey page /s/TOKEN, each with wrk; and whether viewing them wrote session rows.
# Usage: scripts/bench-pages.sh [BIN=.build/release/yingshang] [SECONDS=10] [CONNECTIONS=32]
# Needs: wrk, sqlite3, curl. Scratch data directory; SQLite.
set -euo pipefail
BIN=${1:-.build/release/yingshang}
DURATION=${2:-10}
CONN=${3:-32}
for tool in wrk sqlite3 curl; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y $tool)" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/yingshang-pages-bench.XXXX)
SERVER=
trap '[ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null; true' EXIT
export YINGSHANG_DATA_DIR=$WORK/data YINGSHANG_ENV=production YINGSHANG_SECURE_COOKIES=false
PORT=8098
"$BIN" demo --password demo12345 --register-size 20000 >/dev/null
DB=$WORK/data/yingshang.sqlite
CID=$(sqlite3 "$DB" "select id from campaigns where name like '%（示例）' limit 1")
DRAW=$("$BIN" sample draw --campaign "$CID" --size 200 --strata township --seed 1 | grep -oE '[0-9A-F-]{36}' | tail -1)
"$BIN" survey tokens --draw "$DRAW" --out "$WORK/tokens.csv" --issue >/dev/null
TOKEN=$(sqlite3 "$DB" "select token from survey_responses where draw_id='$DRAW' limit 1")
"$BIN" serve --port $PORT --no-migrate > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
sessions() { sqlite3 "$DB" "select count(*) from _fluent_sessions"; }
before=$(sessions)
declare -A RATE
for path in /healthz /login /public "/s/$TOKEN"; do
  curl -sf "http://127.0.0.1:$PORT$path" >/dev/null
  out=$(wrk -t2 -c"$CONN" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$path")
  rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '/ 99%/ {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  RATE[$path]=$rate
  label=$path; [[ $path == /s/* ]] && label="/s/TOKEN (survey page)"
  printf '%-24s %10s req/s  p99 %-8s  ratio to /healthz %s%s\n' "$label" "$rate" "$p99" \
    "$(awk -v a="$rate" -v b="${RATE[/healthz]}" 'BEGIN { printf "%.2f", a / b }')" "${non2xx:+  non-2xx $non2xx}"
done
after=$(sessions)
echo "session rows: $before before, $after after $(( 4 * DURATION ))s of anonymous page views"
kill $SERVER; wait $SERVER 2>/dev/null || true
