"""The benchmarks and the demo data live in the dev-only devtools package (issue 11).

A production image may leave devtools/ out: none of the product's apps may import it, and
without it the site must start with every other command in place. Each check runs in a
fresh interpreter, since this test process has long imported devtools (seed_demo's tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

BASE_DIR = Path(__file__).resolve().parents[1]
DEV_COMMANDS = {
    "bench_api", "bench_api_lote", "bench_metrics", "bench_propagation", "bench_search", "bench_sharing",
    "bench_webhooks", "seed_demo",
}

# Loads what a running site and `manage.py help` load: the apps (admin included), the URLs
# with every view, the command list, and every command module of the product's apps.
PROBE = """
import importlib, json, sys
{block}
import django
django.setup()
from django.conf import settings
from django.core.management import get_commands, call_command
from django.core.management.base import BaseCommand
importlib.import_module(settings.ROOT_URLCONF)
commands = get_commands()
for name, app in commands.items():
    if app != "devtools" and not app.startswith("django"):
        module = importlib.import_module(f"{app}.management.commands.{name}")
        assert issubclass(module.Command, BaseCommand), name
call_command("check", stdout=open("/dev/null", "w"))
print(json.dumps({
    "apps": settings.INSTALLED_APPS,
    "commands": commands,
    "devtools_modules": sorted(
        m for m, module in sys.modules.items() if module and (m == "devtools" or m.startswith("devtools."))
    ),
}))
"""


def probe(block: str = "", **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.replace("{block}", block)],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "omieshare.settings", **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_dev_commands_keep_their_names_in_a_checkout():
    commands = get_commands()

    assert {name: commands.get(name) for name in DEV_COMMANDS} == dict.fromkeys(DEV_COMMANDS, "devtools")


def test_the_product_apps_never_import_the_benchmarks_or_the_demo_data():
    loaded = probe()

    assert "devtools" in loaded["apps"]
    assert set(loaded["commands"]) >= DEV_COMMANDS
    # Only the app's registration: no command module, no demo data.
    assert loaded["devtools_modules"] == ["devtools", "devtools.apps"]


@pytest.mark.parametrize(
    ("block", "env"),
    [
        # The package left out of the image: `import devtools` fails.
        ("sys.modules['devtools'] = None", {}),
        # Shipped but switched off.
        ("", {"OMIESHARE_DEVTOOLS": "0"}),
    ],
    ids=["package-absent", "switched-off"],
)
def test_the_site_and_its_other_commands_run_without_devtools(block, env):
    loaded = probe(block, **env)

    assert "devtools" not in loaded["apps"]
    assert not DEV_COMMANDS & set(loaded["commands"])
    assert {"share_activate", "resync", "api_credentials", "queue_drop_unreadable"} <= set(loaded["commands"])
    assert loaded["devtools_modules"] == []
