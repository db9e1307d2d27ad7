#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis that the integration tests use answer.
#
# The URLs are TEST_DATABASE_URL / TEST_REDIS_URL (defaults: the local servers). When one
# points at this machine and does not answer, start the locally installed server; when that
# is not possible, print one line saying what to start and exit 1.
set -euo pipefail

DB_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
WAIT_S="${SERVICES_WAIT_S:-30}"

# host and port of a URL, e.g. "127.0.0.1 5432" (IPv6 brackets removed).
host_port() {
  python3 - "$1" "$2" <<'EOF'
import sys
from urllib.parse import urlsplit
parts = urlsplit(sys.argv[1])
try:
    port = parts.port or int(sys.argv[2])
except ValueError:
    sys.exit(f"invalid port in {sys.argv[1]!r}")
print(parts.hostname or "127.0.0.1", port)
EOF
}

is_local() {
  case "$1" in 127.* | localhost | ::1) return 0 ;; *) return 1 ;; esac
}

tcp_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

pg_ok() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -t 2 -d "$DB_URL"
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

redis_ok() {
  if command -v redis-cli >/dev/null; then
    [ "$(timeout 3 redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = "PONG" ]
  else
    tcp_open "$REDIS_HOST" "$REDIS_PORT"
  fi
}

wait_for() {
  local check=$1 i
  for ((i = 0; i < WAIT_S * 2; i++)); do
    "$check" && return 0
    sleep 0.5
  done
  return 1
}

read -r PG_HOST PG_PORT < <(host_port "$DB_URL" 5432)
read -r REDIS_HOST REDIS_PORT < <(host_port "$REDIS_URL" 6379)
failed=0

if ! pg_ok; then
  if is_local "$PG_HOST" && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] \
    && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "PostgreSQL at $PG_HOST:$PG_PORT is down: starting the local cluster"
    # shellcheck disable=SC2046,SC2012
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main start \
      || true
    wait_for pg_ok || true
  fi
  if ! pg_ok; then
    echo "PostgreSQL does not answer at $PG_HOST:$PG_PORT: start it" \
      "(pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)" \
      "or set TEST_DATABASE_URL" >&2
    failed=1
  fi
fi

if ! redis_ok; then
  if is_local "$REDIS_HOST" && command -v redis-server >/dev/null; then
    echo "Redis at $REDIS_HOST:$REDIS_PORT is down: starting a local server"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
      --appendonly no >/dev/null || true
    wait_for redis_ok || true
  fi
  if ! redis_ok; then
    echo "Redis does not answer at $REDIS_HOST:$REDIS_PORT: start it (redis-server" \
      "--daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save '' --appendonly no)" \
      "or set TEST_REDIS_URL" >&2
    failed=1
  fi
fi

if [ "$failed" = 0 ]; then
  echo "services: PostgreSQL $PG_HOST:$PG_PORT and Redis $REDIS_HOST:$REDIS_PORT answer"
fi
exit "$failed"
