"""The admin in words a support person reads: django-q2's task pages in pt-BR, where a change
came from, the resync's result, and CNPJ/CPF masked."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Task

from catalog import services as catalog_services
from sharing import services
from sharing.models import Change, RecordLink, SyncJob
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, UserFactory
from tests.helpers import ALL, apply_pending, party_data

pytestmark = pytest.mark.django_db

DOCUMENT = "12ABC34501DE35"


@pytest.fixture
def support(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="suporte@exemplo.com.br"))
    return client


def text(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def shared():
    origin = CompanyFactory(trade_name="Matriz Porto Alegre", legal_name="Matriz Porto Alegre Comércio Ltda")
    branch = CompanyFactory(trade_name="Filial Caxias do Sul")
    catalog_services.party_create(company=origin, data=party_data("52998224725", "José Antônio da Conceição"))
    share = services.share_configure(origin=origin, registries=["party"], origin_permissions=ALL,
                                     destinations={branch: ALL})
    job = services.share_activate(share=share, confirmed=True)
    run_sync_job(job.pk)
    share.refresh_from_db()
    party = catalog_services.party_create(company=origin, source="web",
                                          data=party_data(DOCUMENT, "Águas Cristalinas Comércio Ltda"))
    catalog_services.party_update(company=origin, party_id=party.pk, source="api", data={"city": "Gramado"})
    catalog_services.party_update(company=origin, party_id=party.pk, source="admin", data={"city": "Canela"})
    apply_pending()  # a deletion applied later leaves nothing for an earlier change to apply
    catalog_services.party_delete(company=origin, party_id=party.pk, source="command")
    apply_pending()
    return share, origin, branch


def test_it_names_the_background_task_pages_in_portuguese(support):
    page = text(support.get(reverse("admin:index")))

    for name in ("Tarefas em segundo plano", "Tarefas concluídas", "Tarefas com falha", "Tarefas agendadas",
                 "Tarefas na fila"):
        assert name in page
    for english in ("Successful tasks", "Failed tasks", "Scheduled tasks", "Queued tasks", "Django Q"):
        assert english not in page


def test_it_says_what_a_finished_or_failed_task_did(support):
    now = timezone.now()
    for success, func in ((True, "sharing.tasks.apply_change"), (False, "sharing.tasks.run_sync_job")):
        Task.objects.create(id=f"task-{success}", name="alpha-bravo-charlie", func=func, args=(1_000_042,),
                            started=now - timedelta(seconds=2), stopped=now, success=success,
                            result=None if success else "Tempo esgotado")

    finished = text(support.get(reverse("admin:django_q_success_changelist")))
    failed = text(support.get(reverse("admin:django_q_failure_changelist")))
    detail = text(support.get(reverse("admin:django_q_failure_change", args=["task-False"])))

    assert "Aplicar uma alteração nas outras empresas" in finished
    assert "Tarefa de sincronismo (ativação ou ressincronização)" in failed and "Tempo esgotado" in failed
    for header in ("o que faz", "início", "fim", "duração", "tentativas"):
        assert header.upper() in finished.upper()
    for english in ("Started", "Stopped", "Time Taken", "Func", "Cluster", "Resubmit"):
        assert english not in finished and english not in failed
    assert "Argumentos" in detail and "Resultado" in detail and "Attempt count" not in detail


def test_it_shows_the_watchdog_schedule_in_words(support):
    # The schedule comes from a migration, whose rows a transactional test that ran earlier
    # flushed (make test-random's orders): the migration's own function puts it back.
    import_module("sharing.migrations.0002_watchdog_schedule").create_schedule(apps, None)

    page = text(support.get(reverse("admin:django_q_schedule_changelist")))
    form = text(support.get(reverse("admin:django_q_schedule_change",
                                     args=[Schedule.objects.get(name="omieshare-watchdog").pk])))

    assert "Verificação a cada minuto (reenvia o que ficou para trás)" in page
    assert "a cada minuto" in page and "sempre" in page
    assert "Frequência" in form and "A cada n minutos" not in form and "Toda semana" in form
    for english in ("Schedule Type", "Next Run", "Hourly", "Optional label", "e.g. module.tasks"):
        assert english not in form


def test_it_leaves_django_q_migrations_alone():
    # The pt-BR names are not written into django-q2's models: no migration for it appears.
    out = io.StringIO()
    call_command("makemigrations", "django_q", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_it_says_where_each_change_came_from(support, shared):
    page = text(support.get(reverse("admin:sharing_change_changelist")))

    for source in ("Tela (web)", "API", "Admin (suporte)", "Comando (linha de comando)"):
        assert source in page
    assert "Inclusão" in page and "Alteração" in page and "Exclusão" in page
    assert " edição " not in page
    assert "12.ABC.345/01DE-35" in page and DOCUMENT not in page
    filtered = text(support.get(reverse("admin:sharing_change_changelist"), {"source": "api"}))
    assert Change.objects.filter(source="api").count() == 1
    assert "1 alteração a propagar" in filtered


def test_it_names_inclusions_and_exclusions_in_the_audit_trail(support, shared):
    page = text(support.get(reverse("admin:sharing_auditentry_changelist")))

    assert "Inclusão aplicada" in page and "Exclusão" in page
    assert "Cidade" in page and not re.search(r"\b(city|legal_name|cnpj_cpf)\b", page)


def test_it_says_a_clean_resync_found_nothing_to_fix(support, shared):
    share, _origin, _branch = shared
    job = services.resync_start(share=share, company=None)
    run_sync_job(job.pk)
    checked = RecordLink.objects.filter(shared_record__share=share).count()

    listing = text(support.get(reverse("admin:sharing_syncjob_changelist"), {"kind": "resync"}))
    detail = text(support.get(reverse("admin:sharing_syncjob_change", args=[job.pk])))

    assert "nada a corrigir" in listing and "0/0" not in listing
    assert f"Nenhuma divergência: todos os {checked} cadastros conferem." in detail
    assert "Todas as empresas do compartilhamento" in detail
    assert '"drift"' not in detail and "company_id" not in detail


def test_it_lists_each_companys_activation_result(support, shared):
    share, _origin, branch = shared
    job = SyncJob.objects.get(share=share, kind=SyncJob.Kind.ACTIVATE)

    detail = text(support.get(reverse("admin:sharing_syncjob_change", args=[job.pk])))

    assert f"{branch.trade_name} 1 incluído," in detail
    assert "by_company" not in detail


def test_it_shows_the_cnpj_of_a_company_in_a_share_masked(support, shared):
    _share, origin, _branch = shared

    page = text(support.get(reverse("admin:companies_company_change", args=[origin.pk])))

    assert origin.cnpj_masked in page
    assert f" {origin.cnpj} " not in page
