#!/usr/bin/env bash
# Register import (issue 6): `yingshang enterprises import` of a synthetic register against sqlite3's `.import` of the
# same file into a plain table, measured in the same run. Prints the times, the ratios and the import's peak memory.
# Two references: a plain table in a fresh database file (rollback journal: the rows are written once), and a plain
# table in a copy of the platform's own database (WAL, as the platform runs it: written to the log, then copied).
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
CAMPAIGN="2022 年度青山市县域营商环境评价（8 县示例）"
now() { date +%s.%N; }
for run in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/data" "$WORK/plain.db" "$WORK/wal"
  cp -r "$WORK/base" "$WORK/data"
  cp -r "$WORK/base" "$WORK/wal"
  sync
  export YINGSHANG_DATA_DIR=$WORK/data
  t0=$(now)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" enterprises import "$WORK/register.csv" --campaign "$CAMPAIGN" >"$WORK/out" 2>/dev/null
  t1=$(now)
  sqlite3 "$WORK/plain.db" ".mode csv" ".import $WORK/register.csv plain"
  t2=$(now)
  sqlite3 "$WORK/wal/yingshang.sqlite" ".mode csv" ".import $WORK/register.csv plain"
  t3=$(now)
  stored=$(sqlite3 "$WORK/data/yingshang.sqlite" "select count(*) from enterprises e join register_snapshots s on s.id = e.snapshot_id join campaigns c on c.id = s.campaign_id where c.name = '$CAMPAIGN'")
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v rss="$(tail -1 "$WORK/rss")" -v run="$run" -v n="$stored" 'BEGIN {
    printf "run %d: yingshang import %.2f s (max RSS %d MB, %d rows stored); sqlite3 .import into a fresh file %.2f s, ratio %.2f; into the platform database (WAL) %.2f s, ratio %.2f\n",
      run, b - a, rss / 1024, n, c - b, (b - a) / (c - b), d - c, (b - a) / (d - c) }'
done
rm -rf "$WORK"
