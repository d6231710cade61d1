#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 and that the omieshare role and database
# exist. On a fresh machine: install the server from Debian's packages if it is missing,
# start the local cluster if it is down, then create the role and database.
set -euo pipefail

PGHOST=127.0.0.1
PGPORT=5432
ROLE=omieshare
PASSWORD=omieshare
DATABASE=omieshare

say() { echo "[ensure_postgres] $*"; }

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
  # Installing a package and starting the system's cluster both need root: without it,
  # say what to run instead of failing halfway through apt-get.
  if [ "$(id -u)" != 0 ]; then
    if command -v pg_isready >/dev/null; then
      say "PostgreSQL does not answer on $PGHOST:$PGPORT and starting it needs root:"
      say "  sudo bash scripts/ensure_postgres.sh   (or: sudo pg_ctlcluster <version> main start)"
    else
      say "PostgreSQL is not installed and installing it needs root:"
      say "  sudo bash scripts/ensure_postgres.sh   (or: sudo apt-get install postgresql)"
    fi
    exit 1
  fi
  if ! command -v apt-get >/dev/null && ! command -v pg_ctlcluster >/dev/null; then
    say "PostgreSQL is not installed and this is not a Debian/Ubuntu system (no apt-get):"
    say "install and start PostgreSQL, then run this script again, or set DATABASE_URL."
    exit 1
  fi
  if [ -z "$(ls /etc/postgresql 2>/dev/null)" ] || ! command -v pg_ctlcluster >/dev/null; then
    say "PostgreSQL is not installed: installing it from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting the local PostgreSQL $version cluster"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
    sleep 1
  done
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || { say "PostgreSQL did not start"; exit 1; }
fi

# As the postgres system user over the local socket when we are root (works whatever the
# TCP authentication is); otherwise over TCP as postgres (trust auth on these machines).
admin_psql() {
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && [ -S /var/run/postgresql/.s.PGSQL.$PGPORT ]; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres "$@"
  fi
}

admin_psql -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  ELSE
    ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
SQL
if ! admin_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
  admin_psql -d postgres -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi
say "PostgreSQL ready: postgresql://$ROLE:***@$PGHOST:$PGPORT/$DATABASE"
