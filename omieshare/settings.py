"""omieshare settings, read from the environment.

Every value that differs between a laptop, CI and production comes from an
environment variable with a default that suits a first `make run` on a bare machine.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", True)
# A built-in key only for development (DEBUG on): named "django-insecure-" so that
# `check --deploy` flags it; with DEBUG off the site refuses to start without a real one.
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "django-insecure-dev-only-key-for-make-run-0123456789" if DEBUG else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Defina SECRET_KEY (uma chave longa e aleatória, ex.: python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'): com DEBUG desligado não há chave embutida."
    )
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Before django_q: its `qcluster` command is replaced by one whose processes stop
    # together (omieshare/supervision/management/commands/qcluster.py).
    "omieshare.supervision",
    "django_q",
    "template_partials",
    "companies",
    "catalog",
    "sharing",
    "api",
    "webhooks",
]
# The benchmarks and the demo data (manage.py bench_*, seed_demo) are the dev-only devtools
# package: registered when it is there, so `make run` and the README's commands work from a
# checkout, while a production image may leave the directory out (or set OMIESHARE_DEVTOOLS=0).
if os.environ.get("OMIESHARE_DEVTOOLS", "1") != "0" and importlib.util.find_spec("devtools"):
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

if not DEBUG:
    # Production serves static files (htmx, CSS) itself; runserver and tests use finders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
# `make run` (DEBUG off, see scripts/run_env.sh): files straight from static/ and the apps,
# re-read when edited, with no collectstatic (a file collected again under a running server
# kept its old length, and pages hung loading it).
WHITENOISE_AUTOREFRESH = env_bool("WHITENOISE_AUTOREFRESH", False)
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH or DEBUG

ROOT_URLCONF = "omieshare.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["omieshare.templatetags.numbers"],
        },
    },
]

WSGI_APPLICATION = "omieshare.wsgi.application"

# PostgreSQL in production and tests (DATABASE_URL); a local SQLite file is the embedded
# default so that a first run on a bare machine needs nothing else installed.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file: wait for a lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "companies:my_apps"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)")]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True
# Off: with it on, every integer a template prints gets a dot, and machine values (ids in
# form values and htmx URLs, versions) came back as "1.865" and were refused. Numbers meant
# for people are grouped explicitly: `|number` (omieshare/templatetags/numbers.py, a
# template builtin, see TEMPLATES), `|money` and `|quantity` (catalog_extras).
USE_THOUSAND_SEPARATOR = False
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Uploaded attachments are refused above this size, with a message (see catalog/forms.py).
MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024)))

# django-q2: the ORM broker by default; Redis when Q_REDIS_URL
# is set, for several worker machines. retry > (1 + queue_limit / workers) * timeout, so a
# task waiting in a worker's queue is never handed out a second time while still queued.
Q_WORKERS = int(os.environ.get("Q_WORKERS", "2"))
Q_TIMEOUT = int(os.environ.get("Q_TIMEOUT", "600"))
Q_CLUSTER: dict = {
    # One name per environment, so that two environments (e.g. staging and production) can
    # share one Redis: it names the queue (the Redis list django_q:<name>:q) and salts task
    # signatures, so web and workers must agree on it, as on the broker and SECRET_KEY
    # (deploy/README.md). django-q2 reads Q_CLUSTER_NAME too, and requires it to equal this.
    "name": os.environ.get("Q_CLUSTER_NAME", "omieshare"),
    "workers": Q_WORKERS,
    "queue_limit": Q_WORKERS,
    "timeout": Q_TIMEOUT,
    "retry": 2 * Q_TIMEOUT + 120,
    "max_attempts": 5,
    "ack_failures": True,
    "save_limit": 500,
    "catch_up": False,
    "poll": float(os.environ.get("Q_POLL", "0.2")),
    "label": "Tarefas em segundo plano",
    "sync": env_bool("Q_SYNC", False),
}
if os.environ.get("Q_REDIS_URL"):
    Q_CLUSTER["redis"] = os.environ["Q_REDIS_URL"]
else:
    Q_CLUSTER["orm"] = "default"

# Webhook deliveries wait on other companies' servers (up to WEBHOOKS_TIMEOUT per request),
# so they have a queue of their own, read by a qcluster of its own started with
# Q_QUEUE=webhooks (deploy/omieshare-webhooks.service, scripts/run.sh): with the engine's
# two workers, an endpoint's deliveries took propagation's lag from 0.4 s to 36 s (p99).
# Same name (the signing salt) and broker; another queue (django-q2's cluster_name).
WEBHOOKS_QUEUE = f"{Q_CLUSTER['name']}-webhooks"
WEBHOOKS_Q_WORKERS = int(os.environ.get("WEBHOOKS_Q_WORKERS", "2"))
Q_QUEUE = os.environ.get("Q_QUEUE", "")
if Q_QUEUE == "webhooks":
    Q_CLUSTER.update(cluster_name=WEBHOOKS_QUEUE, workers=WEBHOOKS_Q_WORKERS, queue_limit=WEBHOOKS_Q_WORKERS)
elif Q_QUEUE:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"Q_QUEUE={Q_QUEUE!r}: use Q_QUEUE=webhooks, or leave it unset (the engine's queue)")

# Webhooks (webhooks/, README "Webhooks"). Private, loopback and link-local addresses are
# refused unless WEBHOOKS_ALLOW_PRIVATE (tests, on-premise installations).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
WEBHOOKS_TIMEOUT = float(os.environ.get("WEBHOOKS_TIMEOUT", "10"))  # seconds, per request
WEBHOOKS_MAX_BODY_BYTES = int(os.environ.get("WEBHOOKS_MAX_BODY_BYTES", str(256 * 1024)))
WEBHOOKS_MAX_ANSWER_BYTES = int(os.environ.get("WEBHOOKS_MAX_ANSWER_BYTES", str(64 * 1024)))
# Seconds before the 2nd, 3rd… attempt; after the last, the event goes to the dead-letter list.
WEBHOOKS_RETRY_DELAYS = [
    float(seconds) for seconds in os.environ.get("WEBHOOKS_RETRY_DELAYS", "30,120,600,3600,21600").split(",")
]
WEBHOOKS_INLINE_WAIT = float(os.environ.get("WEBHOOKS_INLINE_WAIT", "2"))  # shorter waits: the task sleeps
WEBHOOKS_TURN_SECONDS = float(os.environ.get("WEBHOOKS_TURN_SECONDS", "20"))  # then the task yields its worker
# A web or job process enqueues an endpoint's delivery at most once per window; the task
# looks for new events until the window after the last enqueue has passed.
WEBHOOKS_KICK_WINDOW = float(os.environ.get("WEBHOOKS_KICK_WINDOW", "1"))
WEBHOOKS_KEEP_DAYS = int(os.environ.get("WEBHOOKS_KEEP_DAYS", "30"))  # delivered events and the log
WEBHOOKS_SYSTEM_EMAIL = os.environ.get("WEBHOOKS_SYSTEM_EMAIL", "no-reply@omieshare.com.br")
WEBHOOKS_PUBLIC_URL = os.environ.get("WEBHOOKS_PUBLIC_URL", "")  # the site's address, for image links

# --- Logs and Prometheus metrics (README, "Métricas e logs") ---------------------------
# INFO by default: a worker says which broker it reached, a web process which broker it
# queues to, django-q2 each task it runs, the API each fault it answers. LOG_LEVEL=WARNING
# keeps only problems.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
}

# /metrics answers these networks (REMOTE_ADDR: behind a proxy, the proxy's address) and
# any request with "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")


def _networks(text: str) -> list:
    import ipaddress

    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip()]
    except ValueError as error:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS inválido ({error}): use redes separadas por vírgula, "
            "ex.: 127.0.0.1/32,10.0.0.0/8"
        ) from None


METRICS_ALLOWED_NETWORKS = _networks(os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128"))
# Request latency, timed after WhiteNoise (static files are not counted) and around the rest.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "omieshare.metrics.RequestMetricsMiddleware",
)
# --- end of logs and metrics ----------------------------------------------------------

# --- Security of a deployment: HTTPS, login throttling, API credential throttling ---------
# (README "Referência de configuração" lists every variable.)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# HTTPS. Off by default (`make run` and tests are plain HTTP); a production behind TLS sets
# them, and `manage.py check --deploy --fail-level WARNING` then passes
# (tests/test_security_settings.py runs it with a production-like environment).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The header a TLS-terminating proxy sets, as Django names it: "HTTP_X_FORWARDED_PROTO"
# (its value "https" means a secure request) or "HTTP_X_FORWARDED_PROTO=https". Only when
# the proxy always sets or overwrites that header: a client could send it too.
if os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip():
    _header, _, _value = os.environ["SECURE_PROXY_SSL_HEADER"].strip().partition("=")
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")
# Cookies only over HTTPS: on by default with DEBUG off; SECURE_COOKIES=0 turns both off
# (plain-HTTP `make run`), SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE set each one.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", env_bool("SECURE_COOKIES", not DEBUG))
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", env_bool("SECURE_COOKIES", not DEBUG))

# Reverse proxies in front of the web server that append the client's address to
# X-Forwarded-For; 0: the client is the connection's peer (omieshare/lib/client_ip.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# The cache holds the API's counters of wrong credentials (api/throttle.py); every web
# machine must see the same counters, so it is Redis when CACHE_URL (or else Q_REDIS_URL)
# is set, and this process's memory otherwise (one machine; each process counts alone).
_cache_url = os.environ.get("CACHE_URL") or os.environ.get("Q_REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
    | {"KEY_PREFIX": Q_CLUSTER["name"]}
}

# Wrong API credentials (api/throttle.py): per app_key and address, per address, per app_key.
API_AUTH_FAILURE_LIMIT = env_int("API_AUTH_FAILURE_LIMIT", 10)
API_AUTH_ADDRESS_FAILURE_LIMIT = env_int("API_AUTH_ADDRESS_FAILURE_LIMIT", 100)
API_AUTH_KEY_FAILURE_LIMIT = env_int("API_AUTH_KEY_FAILURE_LIMIT", 100)
API_AUTH_WINDOW_SECONDS = env_int("API_AUTH_WINDOW_SECONDS", 300)

# Wrong passwords (django-axes), on the site's login and the admin's: after
# LOGIN_FAILURE_LIMIT failures for one e-mail from one address, that e-mail is refused from
# that address for LOGIN_COOLOFF_MINUTES, even with the right password; other addresses and
# other users are not affected. Support unlocks in the admin ("Bloqueios de login": delete the
# row) or with `manage.py axes_reset_username <e-mail>` / `axes_reset_ip <ip>` / `axes_reset`.
INSTALLED_APPS.append("axes")
# Last, as django-axes asks: it turns a locked-out login into the lockout page.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "omieshare.login_attempts.LoginAttemptsBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# No "AXES: BEGIN version…" line at INFO in every process and command.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "omieshare.login_attempts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "omieshare.lib.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
# The cool-off counts from the lockout: trying again while locked out does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_COOLOFF_MESSAGE = "Muitas tentativas com senha errada. Tente novamente mais tarde."
AXES_PERMALOCK_MESSAGE = "Muitas tentativas com senha errada. Peça ao suporte para desbloquear o acesso."
