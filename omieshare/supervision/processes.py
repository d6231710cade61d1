"""A django-q2 cluster whose processes stop together, however they are signalled.

django-q2 1.11.1's `qcluster` is a main process, a sentinel it forks, and the sentinel's
children (the workers, a pusher that reads the broker, a monitor that saves results).
Measured here, two ways it goes wrong under a supervisor:

- SIGTERM to the whole process group (systemd's default KillMode=control-group, or a
  `kill -- -PGID`) kills the sentinel at once (it resets SIGTERM to the default action) while
  the main process's handler asks it to stop: `stop_event.set()` then waits forever, in
  multiprocessing's Condition.notify_all, for the dead sentinel to acknowledge (a futex
  wait of more than 60 s, until someone sends SIGKILL).
- SIGKILL of the main process alone leaves the sentinel and its workers running,
  still taking tasks from Redis, with no one to stop them.

So: every process the cluster forks dies with its parent (PR_SET_PDEATHSIG, SIGKILL),
the sentinel, pusher and monitor ignore SIGTERM (the main process alone decides when the
cluster stops, and stops it in order), and the workers keep SIGTERM's default action, which
the sentinel uses to end a worker whose task timed out.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
_forking_pid = 0


def _remember_parent() -> None:
    global _forking_pid
    _forking_pid = os.getpid()


def _die_with_parent() -> None:
    """In every forked child: SIGKILL when the process that forked it exits. The kernel
    sends it when the forking thread ends; django-q2 forks from each process's main thread."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != _forking_pid:  # the parent died before the prctl: follow it now
        os._exit(1)


_installed = False


def die_with_parents() -> None:
    """From now on, every process this one forks (and they fork) dies with its parent."""
    global _installed
    if _installed or not sys.platform.startswith("linux"):
        return
    os.register_at_fork(before=_remember_parent, after_in_child=_die_with_parent)
    _installed = True


def worker_obeys_sigterm(**_signal_kwargs) -> None:
    """django-q2's post_spawn, in a worker: SIGTERM ends it (the sentinel ends a worker
    whose task timed out with SIGTERM), although the sentinel it was forked from ignores it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
