#!/usr/bin/env bash
# Make sure Redis answers on 127.0.0.1:6379, for the tests that run gunicorn and qclusters
# on Redis as a deployment does (tests/deploy, tests marked `deployment`). On a fresh
# machine: install Debian's redis-server if it is missing and start it in the background,
# keeping nothing on disk. Where that cannot be done, say so; those tests then skip, naming
# the reason, and the rest of the suite runs.
set -uo pipefail

HOST=127.0.0.1
PORT=6379

say() { echo "[ensure_redis] $*"; }

answers() {
  python3 - "$HOST" "$PORT" <<'PY'
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

if answers; then
  say "Redis ready on $HOST:$PORT"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  say "Redis does not answer on $HOST:$PORT and installing or starting it needs root:"
  say "  sudo bash scripts/ensure_redis.sh   (the deployment tests skip until then)"
  exit 0
fi
if ! command -v redis-server >/dev/null; then
  if ! command -v apt-get >/dev/null; then
    say "Redis is not installed and this is not a Debian/Ubuntu system: the deployment tests skip."
    exit 0
  fi
  say "Redis is not installed: installing it from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
say "starting redis-server on $HOST:$PORT (nothing kept on disk)"
redis-server --bind "$HOST" --port "$PORT" --save "" --appendonly no --daemonize yes >/dev/null
for _ in $(seq 50); do
  answers && { say "Redis ready on $HOST:$PORT"; exit 0; }
  sleep 0.1
done
say "Redis did not start: the deployment tests skip."
exit 0
