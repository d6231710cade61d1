"""Wrong passwords lock an e-mail out from one address (django-axes), on the site's login and
the admin's, until the cool-off ends or support unlocks it; nobody else is affected."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Acesso bloqueado temporariamente"
ATTACKER = "189.45.120.17"
OFFICE = "200.160.2.3"


@pytest.fixture
def user():
    return UserFactory(username="joão.conceição@exemplo.com.br")


def _post_login(client: Client, username: str, password: str, url: str | None = None, **meta):
    return client.post(url or reverse("login"), {"username": username, "password": password}, **meta)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _guess(client: Client, username: str, times: int, url: str | None = None, **meta):
    return [_post_login(client, username, f"senha-errada-{n}", url, **meta) for n in range(times)]


def test_thirty_wrong_passwords_then_the_right_one_is_refused_in_portuguese(user, settings):
    client = Client(REMOTE_ADDR=ATTACKER)

    answers = _guess(client, user.username, 30)
    right = _post_login(client, user.username, PASSWORD)

    assert answers[0].status_code == 200 and "Por favor, entre com um usuário" in answers[0].content.decode()
    assert answers[settings.AXES_FAILURE_LIMIT - 1].status_code == 429
    assert right.status_code == 429
    page = right.content.decode()
    assert LOCKED in page and "nem com a senha certa" in page and "por 15 minutos, nem com a senha certa" in page
    assert user.username not in page  # names no account
    assert not _logged_in(client)


def test_after_the_cool_off_the_right_password_works_again(user):
    client = Client(REMOTE_ADDR=ATTACKER)
    _guess(client, user.username, 12)
    assert _post_login(client, user.username, PASSWORD).status_code == 429

    # 16 minutes later (the cool-off is 15).
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    assert _post_login(client, user.username, PASSWORD).status_code == 302
    assert _logged_in(client)


def test_support_unlocks_from_the_command_line(user):
    client = Client(REMOTE_ADDR=ATTACKER)
    _guess(client, user.username, 12)

    out = StringIO()
    call_command("axes_reset_username", user.username, stdout=out)

    assert _post_login(client, user.username, PASSWORD).status_code == 302
    assert _logged_in(client)


def test_support_sees_the_lock_in_the_admin_and_deletes_it(user):
    _guess(Client(REMOTE_ADDR=ATTACKER), user.username, 12)
    support = UserFactory(username="suporte@exemplo.com.br", is_staff=True, is_superuser=True)
    admin = Client(REMOTE_ADDR=OFFICE)
    assert _post_login(admin, support.username, PASSWORD, reverse("admin:login")).status_code == 302

    listing = admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    attempt = AccessAttempt.objects.get(username=user.username)
    assert user.username in listing and ATTACKER in listing
    assert "Bloqueios de login (tentativas)" in listing and "Senhas erradas" in listing  # pt-BR
    admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    client = Client(REMOTE_ADDR=ATTACKER)
    assert _post_login(client, user.username, PASSWORD).status_code == 302


def test_other_users_and_other_addresses_are_not_affected(user):
    colleague = UserFactory(username="maria.gonçalves@exemplo.com.br")
    _guess(Client(REMOTE_ADDR=ATTACKER), user.username, 30)

    same_address = Client(REMOTE_ADDR=ATTACKER)
    assert _post_login(same_address, colleague.username, PASSWORD).status_code == 302
    from_the_office = Client(REMOTE_ADDR=OFFICE)
    assert _post_login(from_the_office, user.username, PASSWORD).status_code == 302
    assert _logged_in(from_the_office)


def test_the_admin_login_is_throttled_too():
    support = UserFactory(username="suporte@exemplo.com.br", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=ATTACKER)
    url = reverse("admin:login")

    _guess(client, support.username, 30, url)
    right = _post_login(client, support.username, PASSWORD, url)

    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert not _logged_in(client)


def test_without_a_proxy_a_forged_forwarded_for_does_not_escape_the_lock(user):
    client = Client(REMOTE_ADDR=ATTACKER)
    for n in range(30):
        _post_login(client, user.username, f"errada-{n}", HTTP_X_FORWARDED_FOR=f"10.9.{n}.1")

    right = _post_login(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="10.200.0.1")

    assert right.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_behind_a_configured_proxy_the_client_is_the_address_the_proxy_added(user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    # The attacker forges the left part; the proxy appends the address it saw.
    for n in range(30):
        _post_login(proxy, user.username, f"errada-{n}", HTTP_X_FORWARDED_FOR=f"10.9.{n}.1, {ATTACKER}")

    assert _post_login(proxy, user.username, PASSWORD, HTTP_X_FORWARDED_FOR=f"1.1.1.1, {ATTACKER}").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    # The same user, through the same proxy, from the office.
    assert _post_login(proxy, user.username, PASSWORD, HTTP_X_FORWARDED_FOR=OFFICE).status_code == 302
