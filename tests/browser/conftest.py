"""Real-browser tests: Playwright driving Debian's Chromium against pytest-django's
`live_server`, with a real django-q2 worker where a test needs one.

Chromium is never downloaded (`playwright install` cannot work here): `make test` installs
Debian's package, and these tests launch it by its path. Where it is missing, every browser
test is skipped, and the run says why, loudly, at the end.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from companies.models import Company, CompanyGroup, Membership
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.helpers import BASE_DIR, Worker

# Playwright's sync API keeps an event loop running in the main thread from the first
# browser test to the end of the session; Django refuses ORM calls from a thread with a
# running loop unless told it is safe (it is: nothing here is async). Set for the whole
# process, since every test that runs after a browser test needs it too.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# docs/JOBS.md: without the background-networking flags Chromium keeps trying to reach
# Google's hosts, and this machine's closed network refuses it many times a second.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
BROWSER_DIR = Path(__file__).resolve().parent
# `make screenshots` (UPDATE_SCREENSHOTS=1) refreshes the committed pictures the README
# shows; an ordinary run writes them under .pytest_cache, so `make test` leaves the work
# tree clean.
SCREENSHOTS = (BASE_DIR / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") == "1"
               else BASE_DIR / ".pytest_cache" / "screenshots")

# Fixed documents and names, so that screenshots look the same from run to run.
MATRIZ_CNPJ = "11222333000181"
NORTE_CNPJ = "12ABC34501DE35"
SUL_CNPJ = "52601815908369"
OUTRA_CNPJ = "01661318609164"
ADMIN_EMAIL = "admin@grupoexemplo.com.br"


def _missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"Chromium not found at {CHROMIUM}. `make test` installs it as root with "
            "`apt-get install -y chromium` (Debian's package); see its output above for why that "
            "failed, or install it yourself. Playwright's own browser download is never used."
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:  # pragma: no cover - requirements-dev.txt installs it
        return f"Playwright is not installed ({error}): run `make venv`."
    return None


MISSING = _missing_reason()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if MISSING is None:
        return
    skip = pytest.mark.skip(reason=f"BROWSER TESTS SKIPPED: {MISSING}")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if MISSING is None:
        return
    terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
    terminalreporter.write_line(MISSING, red=True, bold=True)


# --- the browser ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """`page.goto("/apps/")` goes to the live server (this also replaces pytest-playwright's
    fallback fixture, which pytest 9 warns about)."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "locale": "pt-BR", "timezone_id": "America/Sao_Paulo",
            "viewport": {"width": 1280, "height": 860}}


@pytest.fixture(autouse=True)
def _fail_fast(page) -> None:
    """Ten seconds for any element (not Playwright's 30): a broken step fails quickly."""
    page.set_default_timeout(10_000)


@pytest.fixture
def shot(page) -> Callable[[str], Path]:
    """`shot("01-meus-aplicativos")` saves the whole page as a PNG."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        return path

    return _shot


# --- people and companies ----------------------------------------------------------------


@pytest.fixture
def group_companies(transactional_db) -> dict[str, Company]:
    """The Grupo Exemplo: a matriz and two filiais (one with an alphanumeric CNPJ)."""
    group = CompanyGroup.objects.create(name="Grupo Exemplo")
    return {
        "matriz": Company.objects.create(group=group, cnpj=MATRIZ_CNPJ, legal_name="Exemplo Comércio Ltda",
                                         trade_name="Matriz"),
        "norte": Company.objects.create(group=group, cnpj=NORTE_CNPJ, legal_name="Exemplo Norte Ltda",
                                        trade_name="Filial Norte", enforce_unique_records=True),
        "sul": Company.objects.create(group=group, cnpj=SUL_CNPJ, legal_name="Exemplo Sul Ltda",
                                      trade_name="Filial Sul"),
    }


@pytest.fixture
def group_admin(group_companies):
    """Persona: administrator of the three companies of the group."""
    user = UserFactory(username=ADMIN_EMAIL, first_name="Ana", last_name="Administradora")
    for company in group_companies.values():
        Membership.objects.create(user=user, company=company, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def browser_outsider(transactional_db):
    """Persona: administrator of a company outside the group, with no access to it."""
    other = Company.objects.create(cnpj=OUTRA_CNPJ, legal_name="Outra Empresa S.A.", trade_name="Outra")
    return MembershipFactory(company=other, role=Membership.Role.ADMIN,
                             user=UserFactory(username="fora@outra.com.br", first_name="Otávio")).user


@pytest.fixture
def log_in(page) -> Callable:
    def _log_in(user, *, screenshot: Callable[[str], Path] | None = None) -> None:
        page.goto("/entrar/")
        page.get_by_label("E-mail").fill(user.username)
        page.get_by_label("Senha").fill(PASSWORD)
        if screenshot is not None:
            screenshot("00-entrar")
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url(re.compile(r"/apps/$"))

    return _log_in


# --- a real django-q2 worker --------------------------------------------------------------


@pytest.fixture
def worker(live_server) -> Iterator[Worker]:
    """`manage.py qcluster` against the database the live server uses: with `live_server`
    the test runs in transactional mode, so what the server commits the worker sees."""
    started = Worker().start()
    yield started
    started.stop()
    started.log.unlink(missing_ok=True)
