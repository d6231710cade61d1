"""gunicorn's settings for omieshare: `gunicorn -c deploy/gunicorn.conf.py omieshare.wsgi`.

The address and the number of workers come from the command line or gunicorn's own
variables (`--bind`, `--workers`, WEB_CONCURRENCY, GUNICORN_CMD_ARGS, FORWARDED_ALLOW_IPS):
this file sets only what every deployment needs the same way.

Logs go to standard output and error (systemd's journal). The access log never holds an
app_secret: the Omie-compatible API also accepts `GET endpoint?JSON=<envelope>` (as Omie's
generated PHP client calls), which puts the app_key and app_secret in the URL. The logger
below replaces the value of a `JSON` or `app_secret` query parameter with "[omitido]" in the
access log (the request line, the query string, the referrer, every header and environ
atom) and in the error log (gunicorn's "Error handling request <uri>"). Django's own logs
name only the path (django.request logs `request.path`, without the query string).
tests/test_gunicorn_logs.py runs gunicorn with this file and reads both logs.

Prometheus' multiprocess mode (omieshare/metrics.py): each gunicorn worker writes its
counters and histograms to files in PROMETHEUS_MULTIPROC_DIR, and /metrics, answered by any
worker, adds up all of them. The directory must be set before the workers import
prometheus_client (it is, here, in the master) and emptied when gunicorn starts: files of an
earlier run would be added to this one's. Default: $RUNTIME_DIRECTORY/prometheus under
systemd (RuntimeDirectory=), else a directory of this gunicorn's own in /tmp, removed when
it stops. Two gunicorns on one machine need two directories.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import tempfile

from gunicorn.glogging import Logger

accesslog = "-"
errorlog = "-"
# gunicorn's default format, plus the time taken in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# The value of a JSON= or app_secret= query parameter: up to the next parameter or blank.
_SECRET_PARAMETER = re.compile(r"(?i)((?:^|[?&;])(?:JSON|app_secret)=)[^&;\s]*")
HIDDEN = "[omitido]"


def scrub(text: str) -> str:
    """`text` with the value of every JSON= and app_secret= query parameter hidden."""
    if "=" not in text:
        return text
    return _SECRET_PARAMETER.sub(lambda match: match.group(1) + HIDDEN, text)


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


class ScrubbingLogger(Logger):
    """gunicorn's logger, with secrets in URLs hidden from the access and error logs."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if not any(isinstance(existing, _ScrubFilter) for existing in self.error_log.filters):
            self.error_log.addFilter(_ScrubFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: scrub(value) if isinstance(value, str) else value for name, value in atoms.items()}


logger_class = ScrubbingLogger


# --- Prometheus' multiprocess directory (omieshare/metrics.py) ---------------------------

_runtime = (os.environ.get("RUNTIME_DIRECTORY") or "").split(":")[0]
_chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _chosen:
    _metrics_dir, _ours = _chosen, False
elif _runtime:
    _metrics_dir, _ours = os.path.join(_runtime, "prometheus"), False
else:
    _metrics_dir, _ours = os.path.join(tempfile.gettempdir(), f"omieshare-prometheus-{os.getpid()}"), True


def on_starting(server) -> None:
    # Set in the master, before any worker is forked (and imports prometheus_client); not at
    # import, so that reading this file (tests/test_gunicorn_logs.py does) changes nothing.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
    os.makedirs(_metrics_dir, exist_ok=True)
    for path in glob.glob(os.path.join(_metrics_dir, "*.db")):  # only prometheus_client's files
        os.remove(path)
    server.log.info("Prometheus multiprocess directory: %s", _metrics_dir)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _ours:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
