#!/usr/bin/env bash
# `make run`: migrate, compile messages, load the demo data once, then run the django-q2
# worker in the background and the web server in the foreground (Ctrl+C stops both).
#
# Database: DATABASE_URL when set; otherwise the local PostgreSQL, installed and started by
# scripts/ensure_postgres.sh where it can be (sharing's preview and activation need it).
# SQLite only when asked for (DB=sqlite). DEBUG off unless DEBUG=1, so that users see the
# product's own error pages. Both choices are made in scripts/run_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
DEMO_RECORDS=${DEMO_RECORDS:-3000}
# shellcheck source=scripts/run_env.sh
source scripts/run_env.sh

choose_database || exit 1
debug_env

$PY manage.py migrate --noinput
# WhiteNoise (DEBUG off) warns about a missing STATIC_ROOT even while it serves from static/.
mkdir -p "${STATIC_ROOT:-staticfiles}"
# The UI is written in pt-BR and Django ships its own pt-BR catalogues (admin, validation)
# compiled. Our .po files, once there are any under locale/, are compiled here (needs
# gettext's msgfmt); compilemessages refuses to run where there is nothing to compile.
if [ -d locale ] && command -v msgfmt >/dev/null; then
  $PY manage.py compilemessages --ignore=.venv -v 0
fi
$PY manage.py seed_demo --records "$DEMO_RECORDS" --once
# Tasks queued under an earlier SECRET_KEY would fail in the worker, again and again.
$PY manage.py queue_drop_unreadable

# The workers (the engine's qcluster and the webhooks queue's, Q_QUEUE=webhooks) get their
# own process groups, stopped once and waited for when this script ends, however it ends
# (Ctrl+C, or a TERM sent to our group by an IDE or supervisor, which used to reach a worker
# twice and leave it hung): TERM, up to 10 s to finish, then KILL whatever is left.
setsid $PY manage.py qcluster &
worker=$!
Q_QUEUE=webhooks WEBHOOKS_Q_WORKERS=1 setsid $PY manage.py qcluster &
webhooks_worker=$!
stop_one() {
  # TERM to the cluster's parent alone: it stops its own processes in order.
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 20); do
    kill -0 -- "-$1" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL -- "-$1" 2>/dev/null || true
}
stop_worker() {
  stop_one "$worker" &
  stop_one "$webhooks_worker" &
  wait
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
if [ "$DEBUG" = 1 ]; then
  echo "  erros:     páginas de depuração do Django (DEBUG=1)"
else
  echo "  erros:     páginas 403, 404 e 500 do produto (make run DEBUG=1 mostra as do Django)"
fi
case "${DATABASE_URL:-}" in
  sqlite*|"") echo "  ATENÇÃO:   SQLite: a prévia e a ativação do compartilhamento não funcionam." ;;
esac
echo
$PY manage.py runserver "$HOST:$PORT"
