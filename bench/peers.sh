#!/usr/bin/env bash
# Streaming capacity, side by side with the Node socket.io peer: runs the shared peers
# benchmark (../shared/peers, read-only, so copied first) against this checkout.
#
#   bash bench/peers.sh [N...]                  (default N: 1 200 500 1000)
#   PEERS=/path/to/peers WORKERS=2 NODE=0 bash bench/peers.sh 2000
#
# The workload is the peers' own: one cached 227-event explanation paced at about 20
# events/s per client, websocket clients connecting at 50/s and all asking within 5 s,
# every event checked by seq. A stream passes when nothing is missing and the p99 of
# ask -> explanation_complete is within 1.10 x one client alone.
# WORKERS>1 starts the project with SERVER_WORKERS=WORKERS and Redis as the message
# queue. The table is printed and copied to bench/results/peers-<time>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT=$PWD
PEERS=${PEERS:-$CHECKOUT/../shared/peers}
WORKERS=${WORKERS:-1}
REDIS_DB=${REDIS_DB:-0}
[ -f "$PEERS/project.sh" ] || { echo "bench/peers.sh: no peers benchmark at $PEERS" >&2; exit 2; }
[ -x .venv/bin/python ] || make install >/dev/null

work=${PEERS_WORKDIR:-$(mktemp -d)}
if [ ! -d "$work/peers/node_modules" ]; then
  cp -r "$PEERS" "$work/"
  bash "$work/peers/setup.sh" >/dev/null
fi
env_extra="SOCKETIO_ASYNC_MODE=gevent RATE_LIMIT_CONNECTIONS=1000000/minute LOG_LEVEL=WARNING"
if [ "$WORKERS" -gt 1 ]; then
  env_extra+=" SERVER_WORKERS=$WORKERS SOCKETIO_MESSAGE_QUEUE=redis://127.0.0.1:6379/$REDIS_DB"
fi
STREAM_PACE=${STREAM_PACE:-0.094} REDIS_DB=$REDIS_DB PROJECT_ENV="$env_extra ${PROJECT_ENV:-}" \
  bash "$work/peers/project.sh" "$CHECKOUT" "${@:-1 200 500 1000}"
latest=$(ls -t "$work"/peers/results/project-*.md | head -n 1)
mkdir -p bench/results
out="bench/results/peers-$(date -u +%Y%m%d-%H%M%S)-w$WORKERS.md"
cp "$latest" "$out"
sed -n '/^## Capacity/,/^## Details/p' "$out"
echo "bench/peers.sh: wrote $out"
