#!/usr/bin/env bash
# Two instances of the built binary behind Debian's nginx, on one PostgreSQL database and one shared data directory
# (the evidence store), checked from outside by scripts/two_instances.py: sessions across instances, an import
# started on one followed on the other, evidence uploaded through one served by the other, survey submissions
# spread over both losing nothing when one is killed with SIGKILL mid-load, and scheduled work run once per period.
#   scripts/two-instances.sh [path/to/yingshang]
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "${1:-.build/debug/yingshang}")"
command -v nginx >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
scripts/postgres-test-db.sh >/dev/null
runuser -u postgres -- dropdb --if-exists yingshang_two
runuser -u postgres -- createdb -O yingshang yingshang_two
export DATABASE_URL="postgres://yingshang:yingshang@127.0.0.1:5432/yingshang_two"
work=$(mktemp -d /tmp/yingshang-two.XXXX)
export YINGSHANG_DATA_DIR="$work/data" YINGSHANG_SECURE_COOKIES=false YINGSHANG_SWEEP_SECONDS=10 LOG_LEVEL=notice
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_a=$(free_port); port_b=$(free_port); port_front=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$binary" demo --password demo12345 --register-size 2000 >"$work/demo.log" 2>&1
start() {  # port, name
  "$binary" serve --port "$1" --no-migrate >"$work/$2.log" 2>&1 &
  pids+=($!)
  echo $! >"$work/$2.pid"
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$1/healthz" >/dev/null && return 0; sleep 0.2; done
  echo "instance $2 did not start" >&2; cat "$work/$2.log" >&2; exit 1
}
start "$port_a" a
start "$port_b" b

mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
user root;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream yingshang {
    server 127.0.0.1:$port_a max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$port_b max_fails=1 fail_timeout=5s;
  }
  server {
    listen 127.0.0.1:$port_front;
    client_max_body_size 700m;
    location / {
      proxy_pass http://yingshang;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      # A request the dead instance never answered goes to the other one, posts included: survey submissions are
      # idempotent per token.
      proxy_next_upstream error timeout http_502 non_idempotent;
      proxy_request_buffering off;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work/nginx"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port_front/healthz" >/dev/null && break; sleep 0.2; done

python3 scripts/two_instances.py --front "http://127.0.0.1:$port_front" --a "http://127.0.0.1:$port_a" \
  --b "http://127.0.0.1:$port_b" --binary "$binary" --work "$work" --database-url "$DATABASE_URL"
