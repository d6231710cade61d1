"""What a process's view of the deployment is: the broker, the queue and a fingerprint of
SECRET_KEY. Web and workers must agree on all three: a web server without Q_REDIS_URL
enqueues to the database queue, which Redis workers never read, and a worker with another
SECRET_KEY refuses every task it is handed (django-q2 signs them), both with no error the
user sees; the watchdog then applies everything a minute late."""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


@dataclass(frozen=True)
class Identity:
    broker: str
    queue: str
    key_fingerprint: str

    def differences(self, other: Identity) -> list[str]:
        """What differs, in words (pt-BR), `self` being this process and `other` the one
        it is compared with."""
        found = []
        if self.broker != other.broker:
            found.append(f"broker {describe_broker(other.broker)} (aqui: {describe_broker(self.broker)})")
        if self.queue != other.queue:
            found.append(f"fila {other.queue!r} (aqui: {self.queue!r}; Q_CLUSTER_NAME)")
        if self.key_fingerprint != other.key_fingerprint:
            found.append("outra SECRET_KEY")
        return found


def broker_identity() -> str:
    """"redis://host:port/db" (never the password) or "orm"."""
    conf = settings.Q_CLUSTER
    redis = conf.get("redis")
    if redis is None:
        return "orm"
    if isinstance(redis, dict):
        host, port, db = redis.get("host", "localhost"), redis.get("port", 6379), redis.get("db", 0)
        return f"redis://{host}:{port}/{db}"
    parts = urlsplit(str(redis))
    db = parts.path.lstrip("/") or "0"
    return f"{parts.scheme}://{parts.hostname or 'localhost'}:{parts.port or 6379}/{db}"


def describe_broker(broker: str) -> str:
    return "do banco de dados (sem Q_REDIS_URL)" if broker == "orm" else broker


def key_fingerprint() -> str:
    """An HMAC of a constant under SECRET_KEY: equal keys give equal fingerprints, and the
    fingerprint says nothing about the key."""
    return hmac.new(settings.SECRET_KEY.encode(), b"omieshare deployment agreement", hashlib.sha256).hexdigest()[:16]


def current() -> Identity:
    return Identity(broker=broker_identity(), queue=str(settings.Q_CLUSTER.get("name", "default")),
                    key_fingerprint=key_fingerprint())


def process_key(role: str, pid: int | None = None) -> str:
    return f"{role}:{socket.gethostname()}:{pid or os.getpid()}"
