#!/usr/bin/env bash
# A province on one PostgreSQL database (issue 21 item 2): `yingshang bench-province` loads COUNTIES counties with
# ROWS enterprises each (their own campaigns and register partitions), then one more county's register of TARGET rows
# is measured as a lone county's would be:
#   import of TARGET rows             vs psql \copy of the same file into a plain table (goal ≤ 1.5×)
#   stratified draw of 1,000          (goal < 1 s, CLI start included)
#   register page filtered by township, and page 1 with its counts by township: p99 of 60 sequential requests (< 200 ms)
#   CSV export of the county's register (goal < 10 s)
#   database size, and the county's partition
# Run it with COUNTIES=0 for the lone county's figures on the same machine.
# Usage: DATABASE_URL=postgres://… scripts/bench-province.sh [BIN=.build/release/yingshang] [COUNTIES=100] [ROWS=300000] [TARGET=1000000]
# Needs: an empty PostgreSQL database it may fill, psql, curl, python3, GNU time.
set -euo pipefail
BIN=${1:-.build/release/yingshang}
COUNTIES=${2:-100}
ROWS=${3:-300000}
TARGET=${4:-1000000}
PORT=${BENCH_PORT:-8097}
PG=${DATABASE_URL:?set DATABASE_URL to an empty PostgreSQL database}
for tool in psql curl python3; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install -y time)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/yingshang-province.XXXX)
SERVER=
trap '[ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null; rm -rf "$WORK"; true' EXIT
export YINGSHANG_DATA_DIR=$WORK/data YINGSHANG_ENV=production YINGSHANG_SECURE_COOKIES=false LOG_LEVEL=warning
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
q() { psql -qtAX "$PG" -c "$1"; }
section() { printf '\n== %s\n' "$1"; }

echo "binary: $BIN  cores: $(nproc)  $(psql -qtAX "$PG" -c 'show server_version' | sed 's/^/PostgreSQL /')"
"$BIN" demo --password demo12345 --register-size 600 >/dev/null
section "province: $COUNTIES counties × $ROWS enterprises"
t0=$(now)
CAMPAIGN=$("$BIN" bench-province --counties "$COUNTIES" --rows "$ROWS" | tail -1)
t1=$(now)
echo "loaded in $(secs "$t0" "$t1") s: $(q "select count(*) from enterprises") enterprises in $(q "select count(*) from register_snapshots") registers"

section "the measured county: import of $TARGET rows into '$CAMPAIGN'"
"$BIN" enterprises generate --rows "$TARGET" --out "$WORK/register.csv" >/dev/null
echo "file: $(du -h "$WORK/register.csv" | cut -f1)"
sync
t0=$(now)
/usr/bin/time -f "%M" -o "$WORK/import.rss" "$BIN" enterprises import "$WORK/register.csv" --campaign "$CAMPAIGN" >/dev/null 2>"$WORK/import.err" || { cat "$WORK/import.err" >&2; exit 1; }
t1=$(now)
IMPORT=$(secs "$t0" "$t1")
psql -qX "$PG" -c "drop table if exists bench_plain; create table bench_plain (uscc text, name text, township text, industry text, size text, status text, founded text, contact text, phone text)"
t2=$(now); psql -qX "$PG" -c "\\copy bench_plain from '$WORK/register.csv' csv header"; t3=$(now)
psql -qX "$PG" -c "drop table bench_plain"
echo "yingshang import $IMPORT s (CLI start included, max RSS $(( $(tail -1 "$WORK/import.rss") / 1024 )) MB); psql \\copy into a plain table $(secs "$t2" "$t3") s; ratio $(ratio "$IMPORT" "$(secs "$t2" "$t3")")  (goal ≤ 1.5×)"
CID=$(q "select id from campaigns where name = '$CAMPAIGN'")
SNAPSHOT=$(q "select id from register_snapshots where campaign_id = '$CID'")
echo "stored: $(q "select count(*) from enterprises where snapshot_id = $SNAPSHOT") rows in snapshot $SNAPSHOT"
q "analyze enterprises" >/dev/null

section "stratified draw of 1,000 (township × industry × size)"
for run in 1 2 3; do
  t0=$(now)
  "$BIN" sample draw --campaign "$CAMPAIGN" --size 1000 --strata township,industry,size --seed "$run" >/dev/null
  t1=$(now)
  echo "run $run: $(secs "$t0" "$t1") s, CLI start included  (goal < 1 s)"
done

section "register pages: p99 of 60 sequential requests (goal < 200 ms)"
"$BIN" serve --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
jar=$WORK/jar
csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/login" | grep -o 'name="_csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "username=coordinator" \
  --data-urlencode "password=demo12345" "http://127.0.0.1:$PORT/login"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
p99() {  # label, path
  : > "$WORK/times"
  for _ in $(seq 1 60); do curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$PORT$2" >> "$WORK/times"; done
  sort -k2 -n "$WORK/times" | awk -v label="$1" '{ s[NR] = $2; if ($1 != 200) bad++ } END {
    k = int(NR * 0.99 + 0.999); if (k > NR) k = NR
    printf "%-40s median %4.0f ms  p99 %4.0f ms%s\n", label, s[int(NR / 2) + 1] * 1000, s[k] * 1000, bad ? "  NON-200 " bad : "" }'
}
TOWNSHIP=$(q "select township_code from enterprises where snapshot_id = $SNAPSHOT limit 1")
R=/campaigns/$CID/register
p99 "page 1 with the counts by township" "$R"
p99 "filter: township" "$R?township=$(enc "$TOWNSHIP")"
p99 "filter: township, page 50" "$R?township=$(enc "$TOWNSHIP")&page=50"

section "CSV export of the county's register (goal < 10 s)"
t0=$(now)
code=$(curl -s -o "$WORK/export.csv" -b "$jar" -w '%{http_code}' "http://127.0.0.1:$PORT$R.csv")
t1=$(now)
echo "yingshang export $(secs "$t0" "$t1") s (HTTP $code, $(( $(wc -l < "$WORK/export.csv") - 1 )) rows, $(du -h "$WORK/export.csv" | cut -f1))"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
SERVER=

section "size"
echo "database $(q "select pg_size_pretty(pg_database_size(current_database()))"); the county's partition $(q "select pg_size_pretty(pg_total_relation_size('enterprises_s$SNAPSHOT'))") (table and its indexes); partitions: $(q "select count(*) from pg_inherits where inhparent = 'enterprises'::regclass")"
