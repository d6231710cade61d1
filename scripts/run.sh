#!/usr/bin/env bash
# `make run`: migrate, compile messages, load the demo data once, then run the django-q2
# worker in the background and the web server in the foreground (Ctrl+C stops both).
#
# Database: DATABASE_URL when set. Otherwise the local PostgreSQL when one answers on
# 127.0.0.1:5432 (sharing's set-based activation needs it), else the embedded SQLite file,
# which runs everything but the sharing activation and preview.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
DEMO_RECORDS=${DEMO_RECORDS:-3000}

if [ -z "${DATABASE_URL:-}" ]; then
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 \
     && bash scripts/ensure_postgres.sh >/dev/null 2>&1; then
    export DATABASE_URL=postgresql://omieshare:omieshare@127.0.0.1:5432/omieshare
    echo "Banco de dados: PostgreSQL local (omieshare)"
  else
    echo "Banco de dados: SQLite (db.sqlite3). Para o compartilhamento, use PostgreSQL via DATABASE_URL."
  fi
fi

$PY manage.py migrate --noinput
# The UI is written in pt-BR and Django ships its own pt-BR catalogues (admin, validation)
# compiled. Our .po files, once there are any under locale/, are compiled here (needs
# gettext's msgfmt); compilemessages refuses to run where there is nothing to compile.
if [ -d locale ] && command -v msgfmt >/dev/null; then
  $PY manage.py compilemessages --ignore=.venv -v 0
fi
$PY manage.py seed_demo --records "$DEMO_RECORDS" --once

# The worker gets its own process group, stopped once and waited for when this script
# ends, however it ends (Ctrl+C, or a TERM sent to our group by an IDE or supervisor, which
# used to reach the worker twice and leave it hung): TERM, up to 10 s to finish, then KILL
# whatever is left of its group.
setsid $PY manage.py qcluster &
worker=$!
stop_worker() {
  # TERM to the cluster's parent alone: it stops its own processes in order.
  kill -TERM "$worker" 2>/dev/null || return 0
  for _ in $(seq 20); do
    kill -0 -- "-$worker" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL -- "-$worker" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat <<TXT

  omieshare: http://$HOST:$PORT/
  logins:    admin@exemplo.com.br   / omieshare-demo  (administrador das 3 empresas)
             usuario@exemplo.com.br / omieshare-demo  (usuário de uma filial)
  suporte:   http://$HOST:$PORT/admin/ com suporte@exemplo.com.br / omieshare-demo

TXT
$PY manage.py runserver "$HOST:$PORT"
