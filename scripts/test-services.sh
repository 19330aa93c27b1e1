#!/usr/bin/env bash
# Starts (or stops) the servers the test suite uses, on loopback only:
#   - a throw-away PostgreSQL cluster (initdb in a temp dir, run as the 'postgres' system user when we are root)
#   - a `chroma run` server on its own data folder
# and writes their URLs to $DATA_DIR/test-services.env for the test run.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${DATA_DIR:-.data}
STATE="$DATA_DIR/test-services"
ENV_FILE="$DATA_DIR/test-services.env"
BIN=.venv/bin
mkdir -p "$STATE"

free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local bin port dir
  bin=$(pg_bin)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed: run 'bash scripts/apt-deps.sh'" >&2; exit 1; }
  port=$(free_port)
  dir=$(mktemp -d /tmp/trainer-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U trainer --auth=trust -E UTF8 >/dev/null
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U trainer trainer_test
  echo "$dir" > "$STATE/pg_dir"
  echo "TRAINER_TEST_DATABASE_URL=postgresql+psycopg://trainer@127.0.0.1:$port/trainer_test" >> "$ENV_FILE"
  echo "postgres up on 127.0.0.1:$port"
}

start_chroma() {
  local port dir
  port=$(free_port)
  dir="$STATE/chroma-server"
  rm -rf "$dir"; mkdir -p "$dir"
  ANONYMIZED_TELEMETRY=False nohup "$BIN/chroma" run --path "$dir" --host 127.0.0.1 --port "$port" \
    > "$STATE/chroma.log" 2>&1 &
  echo $! > "$STATE/chroma.pid"
  for _ in $(seq 1 120); do
    if "$BIN/python" - "$port" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v2/heartbeat", timeout=1).read()
PY
    sleep 0.5
  done
  "$BIN/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/api/v2/heartbeat', timeout=2)" \
    || { echo "chroma server did not start; log:" >&2; cat "$STATE/chroma.log" >&2; exit 1; }
  echo "TRAINER_TEST_CHROMA_URL=http://127.0.0.1:$port" >> "$ENV_FILE"
  echo "chroma up on 127.0.0.1:$port"
}

stop_all() {
  if [ -f "$STATE/chroma.pid" ]; then kill "$(cat "$STATE/chroma.pid")" 2>/dev/null || true; rm -f "$STATE/chroma.pid"; fi
  if [ -f "$STATE/pg_dir" ]; then
    local dir; dir=$(cat "$STATE/pg_dir")
    as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$STATE/pg_dir"
  fi
  rm -f "$ENV_FILE"
}

case "${1:-}" in
  start) stop_all; : > "$ENV_FILE"; start_postgres; start_chroma ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
