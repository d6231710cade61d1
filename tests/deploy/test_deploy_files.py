"""deploy/: the environment file both units read, and the units themselves."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BASE_DIR

DEPLOY = BASE_DIR / "deploy"
UNITS = ["omieshare-web.service", "omieshare-worker@.service", "omieshare-webhooks.service"]


def test_the_example_environment_configures_redis_and_production_through_the_shell_wrapper():
    """deploy/manage.sh reads the file as /bin/sh does (quoted values with spaces included),
    and the settings it gives are the production ones: DEBUG off, Redis as the broker."""
    result = subprocess.run(
        ["sh", str(DEPLOY / "manage.sh"), "shell", "-c",
         "from django.conf import settings as s; import os; "
         "print(s.DEBUG, 'redis' in s.Q_CLUSTER, s.Q_CLUSTER['name'], os.environ['GUNICORN_CMD_ARGS'])"],
        env={"OMIESHARE_ENV": str(DEPLOY / "omieshare.env.example"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "False True omieshare --bind 0.0.0.0:8000 --workers 3"


def test_every_setting_the_example_names_is_read_by_the_code():
    names = re.findall(r"^([A-Z_]+)=", (DEPLOY / "omieshare.env.example").read_text(), flags=re.MULTILINE)
    code = "".join(path.read_text() for path in [*BASE_DIR.glob("omieshare/**/*.py")])
    read_by_libraries = {"GUNICORN_CMD_ARGS", "DATABASE_URL"}  # gunicorn, dj-database-url
    assert [name for name in names if name not in read_by_libraries and f'"{name}"' not in code] == []


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_stop_the_main_process_first_and_check_the_settings_at_start(unit):
    text = (DEPLOY / unit).read_text()
    assert "KillMode=mixed" in text
    assert "EnvironmentFile=/etc/omieshare/omieshare.env" in text
    assert "ExecStartPre=/opt/omieshare/.venv/bin/python manage.py deploy_check" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze não está instalado")
def test_systemd_accepts_the_units(tmp_path: Path):
    """`systemd-analyze verify`, with the paths moved to this checkout (it checks that the
    programs exist)."""
    for unit in UNITS:
        text = (DEPLOY / unit).read_text().replace("/opt/omieshare", str(BASE_DIR)).replace(
            "/etc/omieshare/omieshare.env", str(DEPLOY / "omieshare.env.example"))
        (tmp_path / unit.replace("@.", "@1.")).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", *map(str, tmp_path.iterdir())],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if str(tmp_path) in line]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr


def test_the_webhooks_queue_is_chosen_by_q_queue_and_nothing_else_is_taken_silently():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="Q_QUEUE=webhooks"):
        call_command("qcluster", "--name", "omieshare-webhooks")  # django-q2's option did nothing
    show = "from django.conf import settings as s; print(s.Q_CLUSTER.get('cluster_name'), s.Q_CLUSTER['name'])"
    for queue, expected in (("webhooks", "omieshare-webhooks omieshare"), ("", "None omieshare")):
        result = subprocess.run([sys.executable, "manage.py", "shell", "-c", show], cwd=BASE_DIR, text=True,
                                capture_output=True, timeout=60,
                                env={**os.environ, "Q_QUEUE": queue, "Q_CLUSTER_NAME": "omieshare"})
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr
    wrong = subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE_DIR, text=True, capture_output=True,
                           timeout=60, env={**os.environ, "Q_QUEUE": "webhook"})
    assert wrong.returncode != 0 and "use Q_QUEUE=webhooks" in wrong.stderr
