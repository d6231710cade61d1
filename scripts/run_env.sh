# Sourced by scripts/run.sh (and by tests/test_run_script.py): how `make run` chooses its
# database and its DEBUG mode. Functions only, so that each choice can be tested alone.
#
# Inputs (environment): DATABASE_URL, DB (postgres | sqlite), DEBUG, HOST, ALLOWED_HOSTS,
# SECRET_KEY; ENSURE_POSTGRES (the script that makes PostgreSQL answer; tests replace it).

LOCAL_DATABASE_URL=postgresql://omieshare:omieshare@127.0.0.1:5432/omieshare

# Sets DATABASE_URL, or returns 1 when the user must act. The main job (the sharing preview
# and activation) runs only on PostgreSQL, so SQLite is used only when asked for (DB=sqlite)
# or as a last resort, with a warning the user cannot miss.
choose_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    case "$DATABASE_URL" in
      sqlite*) sqlite_warning "DATABASE_URL aponta para um arquivo SQLite." ;;
      *) echo "Banco de dados: DATABASE_URL (${DATABASE_URL%%://*})" ;;
    esac
    return 0
  fi
  if [ "${DB:-postgres}" = sqlite ]; then
    sqlite_warning "Você escolheu SQLite (DB=sqlite)."
    return 0
  fi
  local log
  log=$(mktemp)
  # Installing the package on a fresh machine takes a minute or two: say what is going on.
  echo "Preparando o PostgreSQL local (scripts/ensure_postgres.sh)..."
  if bash "${ENSURE_POSTGRES:-scripts/ensure_postgres.sh}" >"$log" 2>&1; then
    rm -f "$log"
    export DATABASE_URL=$LOCAL_DATABASE_URL
    echo "Banco de dados: PostgreSQL local (omieshare em 127.0.0.1:5432)"
    return 0
  fi
  cat >&2 <<TXT

========================================================================================
 Não foi possível usar um PostgreSQL local, e o compartilhamento de cadastros (prévia e
 ativação) só funciona com PostgreSQL. O que aconteceu:
$(sed 's/^/   /' "$log")

 Para resolver, escolha um:
   - como root: sudo bash scripts/ensure_postgres.sh   (instala o pacote "postgresql" do
     Debian/Ubuntu, inicia o servidor e cria o papel e o banco omieshare), depois make run;
   - instale e inicie o PostgreSQL você mesmo (sudo apt-get install postgresql; no macOS:
     brew install postgresql@16 && brew services start postgresql@16) e crie o papel:
     CREATE ROLE omieshare LOGIN CREATEDB PASSWORD 'omieshare'; CREATE DATABASE omieshare
     OWNER omieshare;
   - use um PostgreSQL que você já tem: make run DATABASE_URL=postgresql://usuario:senha@host:5432/banco
   - ou, só para olhar as telas sem o compartilhamento: make run DB=sqlite
========================================================================================
TXT
  rm -f "$log"
  return 1
}

sqlite_warning() {
  cat >&2 <<TXT

========================================================================================
 ATENÇÃO: banco SQLite (db.sqlite3). $1
 Cadastros, telas e admin funcionam, mas a PRÉVIA e a ATIVAÇÃO do compartilhamento não:
 elas precisam de PostgreSQL. Para usá-lo: make run (sem DB=sqlite), ou DATABASE_URL.
========================================================================================
TXT
}

# With DEBUG off (the default of `make run`) users see the product's own pt-BR 403, 404 and
# 500 pages instead of Django's English debug pages; `make run DEBUG=1` brings those back
# for a developer. DEBUG off needs a real SECRET_KEY: one is generated on the first run and
# kept in run/secret_key (ignored by git, readable only by its owner). Both modes use it,
# so that switching keeps sessions and the tasks django-q2 signed with it readable.
debug_env() {
  case "${DEBUG:-0}" in
    1|true|yes|on) export DEBUG=1 ;;
    *) export DEBUG=0 ;;
  esac
  if [ -z "${SECRET_KEY:-}" ]; then
    local key_file=run/secret_key
    if [ ! -s "$key_file" ]; then
      mkdir -p run
      (umask 077 && "${PY:-python3}" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$key_file")
    fi
    SECRET_KEY=$(cat "$key_file")
    export SECRET_KEY
  fi
  [ "$DEBUG" = 1 ] && return 0
  if [ -z "${ALLOWED_HOSTS:-}" ]; then
    local hosts="localhost,127.0.0.1,[::1]"
    case "${HOST:-127.0.0.1}" in
      0.0.0.0|::|"[::]")
        # Listening on every interface: the names and addresses other machines reach us by.
        hosts="$hosts,$(hostname 2>/dev/null || true)"
        for address in $(hostname -I 2>/dev/null || true); do
          case "$address" in *:*) hosts="$hosts,[$address]" ;; *) hosts="$hosts,$address" ;; esac
        done
        ;;
      *) hosts="$hosts,${HOST:-127.0.0.1}" ;;
    esac
    export ALLOWED_HOSTS=$hosts
  fi
  # runserver speaks plain HTTP: cookies marked Secure would never come back (no login).
  export SECURE_COOKIES=${SECURE_COOKIES:-0}
  # runserver serves no static files with DEBUG off: WhiteNoise serves them from static/
  # and the apps, and picks up an edited CSS file without a restart.
  export WHITENOISE_AUTOREFRESH=1
}
