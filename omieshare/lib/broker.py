"""Which task broker this process uses, said in the logs at INFO when a worker or a web
process starts: with several machines, the first thing to check is that they all talk to
the same queue."""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

logger = logging.getLogger("omieshare.broker")


def redis_url_without_secret(url: str) -> str:
    """redis://:s3cr3t@cache:6379/5 → redis://cache:6379/5; a user name stays, the password
    and any query string (which may carry one) go."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def describe_broker() -> str:
    """E.g. "Redis redis://10.0.0.5:6379/5" or "ORM database queue (PostgreSQL omieshare
    on 10.0.0.4:5432)"."""
    conf = settings.Q_CLUSTER
    redis = conf.get("redis")
    if isinstance(redis, str):
        return f"Redis {redis_url_without_secret(redis)}"
    if isinstance(redis, dict):
        return f"Redis {redis.get('host', 'localhost')}:{redis.get('port', 6379)}/{redis.get('db', 0)}"
    alias = conf.get("orm", "default")
    database = settings.DATABASES.get(alias, {})
    vendor = database.get("ENGINE", "").rsplit(".", 1)[-1]
    where = f"{database.get('HOST') or 'localhost'}:{database.get('PORT') or 'default port'}"
    if vendor == "sqlite3":
        return f"ORM database queue (SQLite {database.get('NAME')})"
    return f"ORM database queue (database alias {alias!r}: {vendor} {database.get('NAME')} on {where})"


def log_worker_ready(sender=None, proc_name: str = "", **kwargs) -> None:
    """django-q2's post_spawn, in each worker process of a qcluster: pings the broker (the
    pusher of the same cluster already reached it) and says which one it is."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    broker = describe_broker()
    try:
        get_broker().ping()
    except Exception as error:  # noqa: BLE001 — a log line, never a reason to stop the worker
        logger.error("qcluster %s worker %s (pid %s) could not reach the broker %s: %s",
                     Conf.PREFIX, proc_name, os.getpid(), broker, error)
        return
    logger.info("qcluster %s worker %s (pid %s) connected to broker %s; %s workers per cluster",
                Conf.PREFIX, proc_name, os.getpid(), broker, Conf.WORKERS)
