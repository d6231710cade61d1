"""gunicorn's settings, read from the working directory (`gunicorn omieshare.wsgi` run from
the checkout; elsewhere `gunicorn -c /path/to/gunicorn.conf.py omieshare.wsgi`).

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
import os
import shutil
import tempfile

_runtime = (os.environ.get("RUNTIME_DIRECTORY") or "").split(":")[0]
_chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _chosen:
    _metrics_dir, _ours = _chosen, False
elif _runtime:
    _metrics_dir, _ours = os.path.join(_runtime, "prometheus"), False
else:
    _metrics_dir, _ours = os.path.join(tempfile.gettempdir(), f"omieshare-prometheus-{os.getpid()}"), True
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server) -> None:
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
