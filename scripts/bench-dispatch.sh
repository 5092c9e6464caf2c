#!/usr/bin/env bash
# Dispatch benchmark (docs/benchmarks.md): 18 indicators, 60 units, 2,000 tasks; wrk with 50 connections.
# Usage: scripts/bench-dispatch.sh [sqlite|postgres] [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:-sqlite}"
config="${2:-debug}"
port=8099
command -v wrk >/dev/null || { echo "需要 wrk：apt-get install -y wrk" >&2; exit 1; }
swift build -c "$config" --product yingshang >&2
bin="$(swift build -c "$config" --show-bin-path)/yingshang"

export YINGSHANG_BCRYPT_COST=4 LOG_LEVEL=warning
if [ "$db" = postgres ]; then
  base="$(scripts/postgres-test-db.sh)"
  runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS yingshang_bench" >&2
  runuser -u postgres -- createdb -O yingshang yingshang_bench >&2
  export DATABASE_URL="${base%/*}/yingshang_bench"
else
  export YINGSHANG_DATA_DIR="$(mktemp -d)"
fi

campaign="$("$bin" bench-seed --units 60 --tasks 2000 | tail -1)"
"$bin" serve --port "$port" --no-migrate >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
token="$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"coordinator","password":"demo12345"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')"
url="http://127.0.0.1:$port/api/v1/campaigns/$campaign/dispatch?date=2022-10-20"
echo "database=$db build=$config campaign=$campaign"
curl -fs -H "Authorization: Bearer $token" "$url" | head -c 200; echo
wrk -t2 -c50 -d15s --latency -H "Authorization: Bearer $token" "$url"
