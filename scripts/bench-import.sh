#!/usr/bin/env bash
# Register import (issue 6): `yingshang enterprises import` of a synthetic register against sqlite3's `.import` of the
# same file into a plain table, measured in the same run. Prints both times, the ratio and the import's peak memory.
# Usage: scripts/bench-import.sh [BIN=.build/release/yingshang] [ROWS=1000000] [RUNS=3]
# Needs: sqlite3, GNU time. Uses a scratch directory; SQLite only (DATABASE_URL must be unset).
set -euo pipefail
BIN=${1:-.build/release/yingshang}
ROWS=${2:-1000000}
RUNS=${3:-3}
WORK=$(mktemp -d /tmp/yingshang-import-bench.XXXX)
unset DATABASE_URL
echo "data: $WORK" >&2
"$BIN" enterprises generate --rows "$ROWS" --out "$WORK/register.csv" >/dev/null
echo "file: $(du -h "$WORK/register.csv" | cut -f1), $ROWS rows" >&2
export YINGSHANG_DATA_DIR=$WORK/base
"$BIN" demo --password demo12345 --register-size 600 >/dev/null
# The city campaign of the demo has an empty register.
CID=$(sqlite3 "$WORK/base/yingshang.sqlite" "select id from campaigns where name like '%8 县示例%' limit 1")
now() { date +%s.%N; }
for run in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/data" "$WORK/plain.db"
  cp -r "$WORK/base" "$WORK/data"
  sync
  export YINGSHANG_DATA_DIR=$WORK/data
  t0=$(now)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" enterprises import "$WORK/register.csv" --campaign "$CID" >"$WORK/out" 2>/dev/null
  t1=$(now)
  sqlite3 "$WORK/plain.db" ".mode csv" ".import $WORK/register.csv plain"
  t2=$(now)
  stored=$(sqlite3 "$WORK/data/yingshang.sqlite" "select count(*) from enterprises where campaign_id = '$CID'")
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v rss="$(tail -1 "$WORK/rss")" -v run="$run" -v n="$stored" 'BEGIN {
    printf "run %d: yingshang import %.2f s (max RSS %d MB, %d rows stored), sqlite3 .import %.2f s, ratio %.2f\n",
      run, b - a, rss / 1024, n, c - b, (b - a) / (c - b) }'
done
rm -rf "$WORK"
