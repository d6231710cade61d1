"""A production's settings come from the environment: HTTPS (so that `check --deploy` passes
cleanly), the cache the web machines share, and a cluster name per environment, so that two
environments can share one Redis."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

BASE_DIR = settings.BASE_DIR

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "omieshare.exemplo.com.br",
    "CSRF_TRUSTED_ORIGINS": "https://omieshare.exemplo.com.br",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
}

SETTINGS_SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.core.cache import caches
print(json.dumps({
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": [settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD],
    "proxy_ssl_header": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "cache": type(caches["default"]).__name__,
    "cache_key": caches["default"].make_key("x"),
}))
"""

# What django-q2 does with the cluster's name when it queues a task on Redis: the broker's
# connection is replaced by one that records the list pushed to (no Redis server needed).
QUEUE_SCRIPT = """
import json, django
django.setup()
from django_q.brokers import get_broker
from django_q.conf import Conf

class Recorder:
    pushed = []
    def rpush(self, key, value):
        self.pushed.append(key)

broker = get_broker()
broker.connection = Recorder()
broker.enqueue("payload")
print(json.dumps({"broker": type(broker).__name__, "queue": Recorder.pushed, "stats": Conf.Q_STAT}))
"""


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """This machine's environment without the project's own variables, plus `extra`."""
    own = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE_COOKIES", "CACHE_URL",
           "Q_REDIS_URL", "Q_CLUSTER_NAME", "DJANGO_SETTINGS_MODULE",
           "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests set it in this process
    env = {name: value for name, value in os.environ.items()
           if name not in own and not name.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    return env | {"DJANGO_SETTINGS_MODULE": "omieshare.settings", "PYTHONPATH": str(BASE_DIR)} | extra


def _run(args: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=_environment(extra), capture_output=True,
                          text=True, timeout=120)


def _python(script: str, extra: dict[str, str]) -> dict:
    result = _run(["-c", script], extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_cleanly_with_a_production_environment():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_names_what_is_missing_without_the_https_variables():
    bare = {name: PRODUCTION[name] for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], bare)

    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_the_https_variables_reach_the_settings():
    production = _python(SETTINGS_SCRIPT, PRODUCTION)
    development = _python(SETTINGS_SCRIPT, {})
    plain_http_run = _python(SETTINGS_SCRIPT, {"DEBUG": "0", "SECRET_KEY": "x" * 50, "SECURE_COOKIES": "0"})
    other_header = _python(SETTINGS_SCRIPT, {"SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_SSL=on"})

    assert production["ssl_redirect"] is True and production["hsts"] == [31536000, True, True]
    assert production["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["secure_cookies"] == [True, True]
    assert development["ssl_redirect"] is False and development["hsts"] == [0, False, False]
    assert development["proxy_ssl_header"] is None and development["secure_cookies"] == [False, False]
    assert plain_http_run["secure_cookies"] == [False, False]
    assert other_header["proxy_ssl_header"] == ["HTTP_X_FORWARDED_SSL", "on"]


def test_two_cluster_names_use_different_redis_queues_and_cache_keys():
    redis = {"Q_REDIS_URL": "redis://127.0.0.1:6379/6"}

    default = _python(QUEUE_SCRIPT, redis)
    staging = _python(QUEUE_SCRIPT, redis | {"Q_CLUSTER_NAME": "omieshare-homologacao"})
    default_cache = _python(SETTINGS_SCRIPT, redis)
    staging_cache = _python(SETTINGS_SCRIPT, redis | {"Q_CLUSTER_NAME": "omieshare-homologacao"})

    assert default["broker"] == staging["broker"] == "Redis"
    assert default["queue"] == ["django_q:omieshare:q"] and staging["queue"] == ["django_q:omieshare-homologacao:q"]
    assert default["stats"] != staging["stats"]
    # The API's counters of wrong credentials live in the same Redis: prefixed apart too.
    assert default_cache["cache"] == staging_cache["cache"] == "RedisCache"
    assert default_cache["cache_key"] != staging_cache["cache_key"]
    assert _python(SETTINGS_SCRIPT, {})["cache"] == "LocMemCache"
