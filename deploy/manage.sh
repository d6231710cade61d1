#!/bin/sh
# manage.py with the units' environment, as the units' user:
#   runuser -u omieshare -- /opt/omieshare/deploy/manage.sh migrate
set -eu
ENV_FILE=${OMIESHARE_ENV:-/etc/omieshare/omieshare.env}
APP_DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
cd "$APP_DIR"
exec "$APP_DIR/.venv/bin/python" manage.py "$@"
