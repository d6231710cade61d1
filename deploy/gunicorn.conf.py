"""gunicorn's settings for deploy/omieshare-web.service. GUNICORN_CMD_ARGS in the
environment file overrides them (bind, workers).

Minimal placeholder of the deploy branch: the security work of issue 14 ships the full
file (access log without credentials, proxy headers); keep that one when merging."""

wsgi_app = "omieshare.wsgi"
bind = "127.0.0.1:8000"
workers = 3
# systemctl stop: the master lets requests finish for this long (TimeoutStopSec is 40 s).
graceful_timeout = 30
timeout = 60
