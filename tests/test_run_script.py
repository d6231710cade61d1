"""`make run`: which database it picks (scripts/run_env.sh), what it tells a user who has no
PostgreSQL (scripts/ensure_postgres.sh), and the product's own error pages with DEBUG as it
sets it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]
RUN_ENV = BASE_DIR / "scripts" / "run_env.sh"
PRINT = 'echo "DATABASE_URL=${DATABASE_URL:-}"; echo "DEBUG=${DEBUG:-}"; echo "SECRET_KEY=${SECRET_KEY:-}"; ' \
    'echo "ALLOWED_HOSTS=${ALLOWED_HOSTS:-}"; echo "SECURE_COOKIES=${SECURE_COOKIES:-}"; ' \
    'echo "WHITENOISE_AUTOREFRESH=${WHITENOISE_AUTOREFRESH:-}"'


def run_env(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess:
    """Source run_env.sh in a clean environment, in tmp_path (where run/secret_key goes)."""
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PY": sys.executable}
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source {RUN_ENV}; {script}"],
        cwd=tmp_path, env={**base, **env}, capture_output=True, text=True, timeout=60,
    )


def values(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def fake_script(path: Path, body: str) -> Path:
    path.write_text(f"#!/usr/bin/env bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_it_uses_the_local_postgresql_that_ensure_postgres_makes_ready(tmp_path):
    ensure = fake_script(tmp_path / "ensure.sh", "echo ready")

    result = run_env(tmp_path, f"choose_database; {PRINT}", ENSURE_POSTGRES=str(ensure))

    assert result.returncode == 0, result.stderr
    assert values(result.stdout)["DATABASE_URL"] == "postgresql://omieshare:omieshare@127.0.0.1:5432/omieshare"
    assert "PostgreSQL local" in result.stdout


def test_it_stops_and_says_what_to_do_when_postgresql_cannot_be_had(tmp_path):
    ensure = fake_script(tmp_path / "ensure.sh", 'echo "[ensure_postgres] PostgreSQL is not installed"; exit 1')

    result = run_env(tmp_path, f"choose_database || {{ echo refused; {PRINT}; }}", ENSURE_POSTGRES=str(ensure))

    assert "refused" in result.stdout
    assert values(result.stdout)["DATABASE_URL"] == ""  # no silent SQLite
    message = result.stderr
    assert "PostgreSQL is not installed" in message  # why, from ensure_postgres.sh
    assert "sudo bash scripts/ensure_postgres.sh" in message
    assert "apt-get install postgresql" in message
    assert "DATABASE_URL=postgresql://" in message
    assert "make run DB=sqlite" in message


def test_it_uses_sqlite_only_when_asked_and_warns_about_sharing(tmp_path):
    marker = tmp_path / "ensure-called"
    ensure = fake_script(tmp_path / "ensure.sh", f"touch {marker}")

    result = run_env(tmp_path, f"choose_database; {PRINT}", ENSURE_POSTGRES=str(ensure), DB="sqlite")

    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert values(result.stdout)["DATABASE_URL"] == ""
    assert "ATENÇÃO: banco SQLite" in result.stderr
    assert "a PRÉVIA e a ATIVAÇÃO do compartilhamento não" in result.stderr


def test_it_keeps_a_database_url_the_user_gave(tmp_path):
    marker = tmp_path / "ensure-called"
    ensure = fake_script(tmp_path / "ensure.sh", f"touch {marker}")
    url = "postgresql://eu:segredo@banco.exemplo:5432/omie"

    result = run_env(tmp_path, f"choose_database; {PRINT}", ENSURE_POSTGRES=str(ensure), DATABASE_URL=url)

    assert values(result.stdout)["DATABASE_URL"] == url
    assert not marker.exists()
    told = [line for line in result.stdout.splitlines() if line.startswith("Banco de dados")]
    assert told == ["Banco de dados: DATABASE_URL (postgresql)"]  # the password is not echoed


def test_it_runs_with_debug_off_and_a_generated_key_kept_between_runs(tmp_path):
    first = values(run_env(tmp_path, f"debug_env; {PRINT}", HOST="127.0.0.1").stdout)
    second = values(run_env(tmp_path, f"debug_env; {PRINT}", HOST="127.0.0.1").stdout)
    with_debug = values(run_env(tmp_path, f"debug_env; {PRINT}", DEBUG="1").stdout)

    assert first["DEBUG"] == "0"
    assert len(first["SECRET_KEY"]) >= 50 and "insecure" not in first["SECRET_KEY"]
    assert second["SECRET_KEY"] == first["SECRET_KEY"] == with_debug["SECRET_KEY"]
    key_file = tmp_path / "run" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "127.0.0.1" in first["ALLOWED_HOSTS"].split(",") and "localhost" in first["ALLOWED_HOSTS"]
    assert first["SECURE_COOKIES"] == "0"  # runserver is plain HTTP: the login must work
    assert with_debug["DEBUG"] == "1"


def test_it_allows_the_host_the_user_chose(tmp_path):
    chosen = values(run_env(tmp_path, f"debug_env; {PRINT}", HOST="demo.exemplo.local").stdout)
    everywhere = values(run_env(tmp_path, f"debug_env; {PRINT}", HOST="0.0.0.0").stdout)

    assert "demo.exemplo.local" in chosen["ALLOWED_HOSTS"].split(",")
    hostname = subprocess.run(["hostname"], capture_output=True, text=True).stdout.strip()
    assert hostname in everywhere["ALLOWED_HOSTS"].split(",")


def test_ensure_postgres_names_the_commands_when_not_root(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_script(bin_dir / "pg_isready", "exit 2")
    fake_script(bin_dir / "id", 'if [ "${1:-}" = -u ]; then echo 1000; else exit 0; fi')
    apt = tmp_path / "apt-called"
    fake_script(bin_dir / "apt-get", f"touch {apt}")

    result = subprocess.run(
        ["bash", str(BASE_DIR / "scripts" / "ensure_postgres.sh")],
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}"}, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 1
    assert "needs root" in result.stdout
    assert "sudo bash scripts/ensure_postgres.sh" in result.stdout
    assert not apt.exists()


@pytest.mark.parametrize("debug", ["0", "1"])
def test_it_shows_the_products_error_page_with_debug_as_make_run_sets_it(tmp_path, debug):
    """The site as `make run` starts it: our pt-BR 404 (not Django's English debug page)
    unless the developer asked for DEBUG=1, and its CSS served without DEBUG (and without
    collectstatic: STATIC_ROOT is an empty folder here)."""
    env = values(run_env(tmp_path, PRINT.replace("echo", "debug_env >/dev/null; echo", 1), DEBUG=debug).stdout)
    static_root = tmp_path / "static"
    probe = (
        "import django; django.setup();"
        "from django.test import Client;"
        "client = Client(HTTP_HOST='127.0.0.1:8000');"
        "page = client.get('/nao-existe/');"
        "css = client.get('/static/css/app.css');"
        "print(page.status_code, css.status_code);"
        "print(page.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, capture_output=True, text=True, timeout=120,
        env={
            **os.environ, "DJANGO_SETTINGS_MODULE": "omieshare.settings", "STATIC_ROOT": str(static_root),
            **{name: env[name] for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_COOKIES",
                                            "WHITENOISE_AUTOREFRESH")},
        },
    )

    assert result.returncode == 0, result.stderr
    statuses, html = result.stdout.split("\n", 1)
    if debug == "0":
        assert statuses == "404 200"
        assert "Página não encontrada" in html and "Erro 404" in html
        assert "Page not found" not in html
    else:
        assert "Page not found" in html  # the developer's opt-in
