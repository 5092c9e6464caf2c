#!/usr/bin/env bash
# Installs (if missing) and starts Debian's PostgreSQL without systemd, creates the test role and database,
# and prints the URL to export as YINGSHANG_TEST_DATABASE_URL. Idempotent; needs root (CI, dev containers).
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
if [ -z "$version" ]; then
  echo "no PostgreSQL cluster found under /etc/postgresql" >&2; exit 1
fi
pg_ctlcluster "$version" main status >/dev/null 2>&1 || pg_ctlcluster "$version" main start >&2
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
# The test suite runs many tests in parallel, each app with its own connection pool: the default 100 is too few.
if [ "$(runuser -u postgres -- psql -tAc 'SHOW max_connections')" -lt 300 ]; then
  runuser -u postgres -- psql -q -c "ALTER SYSTEM SET max_connections = 300" >&2
  pg_ctlcluster "$version" main restart >&2
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
fi
runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='yingshang'" | grep -q 1 \
  || runuser -u postgres -- psql -q -c "CREATE ROLE yingshang LOGIN PASSWORD 'yingshang' CREATEDB" >&2
runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname='yingshang_test'" | grep -q 1 \
  || runuser -u postgres -- createdb -O yingshang yingshang_test >&2
echo "postgres://yingshang:yingshang@127.0.0.1:5432/yingshang_test"
