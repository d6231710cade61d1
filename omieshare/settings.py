"""omieshare settings, read from the environment.

Every value that differs between a laptop, CI and production comes from an
environment variable with a default that suits a first `make run` on a bare machine.
"""

from __future__ import annotations

import importlib.util
import os
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
    # The queue's name (the Redis list django_q:<name>:q) and the salt of task signatures:
    # web and workers must agree on it, as on the broker and SECRET_KEY (deploy/README).
    "name": os.environ.get("Q_NAME", "omieshare"),
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
