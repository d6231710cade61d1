"""The support staff's commands: share_preview, share_activate, share_remove, sharing_status.

Each test checks what the person at the terminal notices: the exit code (a CommandError
ends `manage.py` with 1), the message, and what is (or is not) written.
"""

from __future__ import annotations

import io
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command, load_command_class
from django.core.management.base import OutputWrapper
from django.utils import timezone

from catalog import services as catalog_services
from sharing import services
from sharing.management.commands.share_activate import follow_job
from sharing.models import Change, Share, ShareMember, SyncJob
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory
from tests.helpers import make_party, make_product, product_in, share_between

pytestmark = pytest.mark.django_db

DOC_A = "11222333000181"
BUSY = "já participa de outro compartilhamento de produtos"


def _run(name: str, *args: str, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(name, *args, stdout=out)
    return out.getvalue()


def _refused(name: str, *args: str, match: str) -> CommandError:
    with pytest.raises(CommandError, match=match) as refusal:
        call_command(name, *args, stdout=io.StringIO())
    assert refusal.value.returncode == 1  # what `manage.py` exits with
    return refusal.value


@pytest.fixture
def matriz_sharing_products():
    """Matriz shares its products with Filial Sul; Filial Norte already shares another
    group's products; Filial Nova shares nothing yet."""
    origin = CompanyFactory(trade_name="Matriz")
    south = CompanyFactory(trade_name="Filial Sul")
    new = CompanyFactory(trade_name="Filial Nova")
    busy = CompanyFactory(trade_name="Filial Norte")
    make_product(origin, "A1", "Água")
    share = share_between(origin, south, registries=("product",))
    share_between(CompanyFactory(trade_name="Outro grupo"), busy, registries=("product",))
    return share, origin, south, new, busy


# --- share_activate: all or nothing -----------------------------------------------------


def test_it_adds_no_destination_when_another_one_is_refused(matriz_sharing_products):
    share, origin, _south, new, busy = matriz_sharing_products

    _refused("share_activate", "--origin", origin.cnpj, "--to", f"{new.cnpj},{busy.cnpj}",
             "--registries", "products", "--destination-permissions", "include", "--yes",
             match=f"Filial Norte {BUSY}")

    assert not ShareMember.objects.filter(company=new).exists()
    assert share.members.count() == 2
    assert share.jobs.count() == 1  # only the first activation


def test_it_leaves_nothing_behind_when_the_activation_itself_refuses(matriz_sharing_products, monkeypatch):
    share, origin, _south, new, _busy = matriz_sharing_products

    def refuse(**kwargs):
        raise ValidationError("Recusado no último momento.")

    monkeypatch.setattr(services, "share_activate", refuse)
    _refused("share_activate", "--origin", origin.cnpj, "--to", new.cnpj, "--registries", "products", "--yes",
             match="Recusado no último momento. Nada foi alterado.")

    assert not ShareMember.objects.filter(company=new).exists()


@pytest.mark.django_db(transaction=True)
def test_it_gives_a_destination_still_waiting_the_permissions_asked_for_now():
    origin = CompanyFactory(trade_name="Matriz")
    south = CompanyFactory(trade_name="Filial Sul")
    waiting = CompanyFactory(trade_name="Filial Nova")
    make_product(origin, "A1", "Água")
    share = share_between(origin, south, registries=("product",))
    # Left waiting by an earlier attempt (or the web wizard) with "include" only.
    services.member_add(share=share, company=waiting, permissions=Permissions(True, False, False))

    text = _run("share_activate", "--origin", origin.cnpj, "--to", waiting.cnpj, "--registries", "products",
                "--destination-permissions", "include,edit,delete", "--yes")

    assert ("Observação: Filial Nova já aguardava ativação: permissões inclusão → "
            "inclusão, edição, exclusão.") in text
    member = ShareMember.objects.get(share=share, company=waiting)
    assert member.state == ShareMember.State.ACTIVE
    assert Permissions.of(member) == Permissions(True, True, True)
    assert product_in(waiting, "A1").description == "Água"
    # Into a file or a pipe: one plain line per step, no \r frames, no 100 % before the totals.
    # Only the progress lines are read: the rest holds CNPJs, and "…260/0423-04" has a "0/0".
    progress = [line for line in text.splitlines() if line.startswith("progresso: ")]
    assert progress and "\r" not in text
    assert not [line for line in progress if re.search(r"\] 0/0 ", line)]
    assert "progresso: [" + "#" * 30 + "] 1/1 (100%)" in text.splitlines()


def test_it_refuses_the_origin_as_a_destination_when_joining_its_share(matriz_sharing_products):
    share, origin, south, _new, _busy = matriz_sharing_products

    _refused("share_activate", "--origin", origin.cnpj, "--to", f"{south.cnpj},{origin.cnpj}",
             "--registries", "products", "--yes", match="A empresa origem não pode ser também destino")

    assert share.members.count() == 2


def test_it_refuses_before_asking_for_confirmation(matriz_sharing_products, monkeypatch):
    _share, origin, _south, _new, busy = matriz_sharing_products
    stdin = io.StringIO("sim\n")
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()

    with pytest.raises(CommandError, match=BUSY):
        call_command("share_activate", "--origin", origin.cnpj, "--to", busy.cnpj, "--registries", "products",
                     stdout=out)

    assert "Digite 'sim'" not in out.getvalue()
    assert stdin.read() == "sim\n"  # never asked


# --- permissions on the command line --------------------------------------------------


@pytest.mark.parametrize("option", ["--destination-permissions", "--origin-permissions"])
def test_it_refuses_empty_permissions(option):
    origin = CompanyFactory()
    dest = CompanyFactory()

    _refused("share_activate", "--origin", origin.cnpj, "--to", dest.cnpj, option, "", "--yes",
             match="Informe as permissões: include, edit e/ou delete .* ou none para nenhuma")

    assert not Share.objects.exists()


def test_none_still_means_no_permissions():
    assert Permissions.parse("none") == Permissions(False, False, False)
    with pytest.raises(ValidationError):
        Permissions.parse(" , ")


# --- share_preview refuses what activation refuses ------------------------------------


@pytest.mark.parametrize(("to", "message"), [
    ("origin", "A empresa origem não pode ser também destino."),
    ("new,new", "Empresa destino informada mais de uma vez: Filial Nova."),
    ("busy", f"Filial Norte {BUSY}"),
])
def test_the_preview_refuses_what_the_activation_refuses(matriz_sharing_products, to, message):
    _share, origin, _south, new, busy = matriz_sharing_products
    companies = {"origin": origin, "new": new, "busy": busy}
    cnpjs = ",".join(companies[name].cnpj for name in to.split(","))

    preview = _refused("share_preview", "--origin", origin.cnpj, "--to", cnpjs, "--registries", "products",
                       match=message)
    activation = _refused("share_activate", "--origin", origin.cnpj, "--to", cnpjs, "--registries", "products",
                          "--yes", match=message)

    assert str(activation).startswith(str(preview))


def test_the_preview_refuses_a_destination_twice_also_for_a_new_share():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")

    _refused("share_activate", "--origin", origin.cnpj, "--to", f"{dest.cnpj},{dest.cnpj_masked}", "--yes",
             match="Empresa destino informada mais de uma vez: Filial")
    assert not Share.objects.exists()


# --- share_preview output ---------------------------------------------------------------


def test_the_preview_speaks_portuguese_with_headers_that_fit():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    make_party(origin, DOC_A, "ACME", city="Campinas")
    make_party(dest, DOC_A, "ACME", city="Santos")

    text = _run("share_preview", "--origin", origin.cnpj, "--to", dest.cnpj, "--registries", "parties",
                "--details", "5")

    header = text.splitlines()[1]
    for title in ("incluir", "sobrescrever", "iguais", "só destino", "sem CNPJ/CPF", "duplicidades", "conflitos"):
        assert title in header
    assert "destination_" not in text and "overwrite" not in text
    assert "sobrescrever = a sobrescrever" in text  # the legend
    assert 'Filial · clientes/fornecedores 11.222.333/0001-81: cidade: "Santos" → "Campinas"' in text


def test_the_preview_refuses_a_negative_details():
    origin = CompanyFactory()
    dest = CompanyFactory()

    _refused("share_preview", "--origin", origin.cnpj, "--to", dest.cnpj, "--details", "-1",
             match="--details deve ser 0 ou mais")


def test_help_explains_every_option():
    def help_of(name: str) -> str:
        return load_command_class("sharing", name).create_parser("manage.py", name).format_help()

    activate = " ".join(help_of("share_activate").split())
    assert "parties (clientes e fornecedores) e/ou products (produtos)" in activate
    assert "padrão: parties,products" in activate
    assert "include, edit e/ou delete, separados por vírgula, ou none para nenhuma (padrão: include,edit)" in activate
    assert "(padrão: include,edit,delete)" in activate
    assert "parties (clientes e fornecedores)" in " ".join(help_of("share_preview").split())
    assert "número do compartilhamento" in help_of("share_remove")
    assert "só este compartilhamento" in help_of("sharing_status")


# --- progress -----------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_no_bar_before_the_totals_are_known(monkeypatch):
    share = Share.objects.create(origin=CompanyFactory(), shares_products=True, code_key=1)
    job = SyncJob.objects.create(share=share, kind=SyncJob.Kind.ACTIVATE)
    frames = iter([])

    def poll_later(seconds):  # each poll finds the job moved on, as a worker would
        done, total, finished = next(frames)
        SyncJob.objects.filter(pk=job.pk).update(
            done=done, total=total, status=SyncJob.Status.DONE if finished else SyncJob.Status.RUNNING)

    # The job is run elsewhere here; the runner only has to look alive until the end.
    monkeypatch.setattr("sharing.management.commands.share_activate._run_inline",
                        lambda job_id: threading.Event().wait(2))
    monkeypatch.setattr("sharing.management.commands.share_activate.time.sleep", poll_later)

    frames = iter([(0, 0, False), (0, 4, False), (4, 4, True)])
    poll_later(0)
    plain = io.StringIO()
    follow_job(OutputWrapper(plain), job.pk)
    assert plain.getvalue().splitlines() == [
        "progresso: preparando…",
        "progresso: [" + "." * 30 + "] 0/4 (0%)",
        "progresso: [" + "#" * 30 + "] 4/4 (100%)",
    ]

    frames = iter([(0, 0, False), (4, 4, True)])
    poll_later(0)
    terminal = _Terminal()
    follow_job(OutputWrapper(terminal), job.pk)
    assert terminal.getvalue() == "\rpreparando…\r[" + "#" * 30 + "] 4/4 (100%)\n"


# --- share_remove -----------------------------------------------------------------------


@pytest.fixture
def trio_registries():
    return ("product",)  # the status lines count one link per company


def _edit_waiting_since(origin, ago: timedelta) -> None:
    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"description": "Água editada"})
    Change.objects.update(created_at=timezone.now() - ago)


def test_removal_blocked_by_a_fresh_change_only_asks_to_wait(trio):
    share, origin, leaving, staying = trio
    services.member_remove(share=share, company=staying)  # `leaving` is now the last destination
    _edit_waiting_since(origin, timedelta(seconds=5))

    error = _refused("share_remove", "--share", str(share.pk), "--company", leaving.cnpj,
                     match="Aguarde alguns segundos e tente de novo")
    assert "qcluster" not in str(error)


def test_removal_blocked_by_an_old_change_points_at_the_worker(trio):
    share, origin, leaving, staying = trio
    services.member_remove(share=share, company=staying)  # `leaving` is now the last destination
    _edit_waiting_since(origin, timedelta(minutes=7))

    _refused("share_remove", "--share", str(share.pk), "--company", leaving.cnpj,
             match=r"A mais antiga espera há 7 min: o worker \(manage.py qcluster\) pode estar parado")
    assert ShareMember.objects.get(share=share, company=leaving).state == ShareMember.State.ACTIVE


def test_removing_a_company_again_says_when_it_was_removed(trio):
    share, _origin, leaving, _staying = trio
    services.member_remove(share=share, company=leaving)
    ShareMember.objects.filter(company=leaving).update(removed_at=datetime(2026, 11, 28, 7, 43, tzinfo=UTC))

    _refused("share_remove", "--share", str(share.pk), "--company", leaving.cnpj,
             match="Filial que sai já foi removida deste compartilhamento em 28/11/2026 04:43")


# --- sharing_status -------------------------------------------------------------------


def test_status_lists_a_company_that_left_and_came_back_once(trio):
    share, _origin, leaving, staying = trio
    services.member_remove(share=share, company=leaving)
    ShareMember.objects.filter(company=leaving).update(removed_at=datetime(2026, 11, 28, 7, 43, tzinfo=UTC))
    services.member_add(share=share, company=leaving, permissions=Permissions())
    job = services.share_activate(share=share, confirmed=True)
    run_sync_job(job.pk)
    services.member_remove(share=share, company=staying)
    ShareMember.objects.filter(company=staying).update(removed_at=datetime(2026, 11, 29, 1, 5, tzinfo=UTC))
    SyncJob.objects.filter(pk=job.pk).update(started_at=datetime(2026, 11, 28, 7, 43, 3, tzinfo=UTC),
                                             finished_at=datetime(2026, 11, 28, 7, 44, tzinfo=UTC))

    text = _run("sharing_status", "--share", str(share.pk))

    lines = text.splitlines()
    back = [line for line in lines if "Filial que sai" in line]
    assert len(back) == 1
    assert "Ativo" in back[0] and "vínculos:       1" in back[0]
    assert "(já saiu em 28/11/2026 04:43)" in back[0]
    gone = next(line for line in lines if "Filial que fica" in line)
    assert gone.rstrip().endswith("Removido em 28/11/2026 22:05")
    assert "vínculos" not in gone
    assert "iniciada 28/11/2026 04:43 concluída 28/11/2026 04:44" in text
    assert "+00:00" not in text


def test_status_shows_how_long_the_oldest_change_waits(trio):
    share, origin, _leaving, _staying = trio
    assert "alterações pendentes: 0, com falha: 0" in _run("sharing_status", "--share", str(share.pk))

    _edit_waiting_since(origin, timedelta(minutes=12))

    assert ("alterações pendentes: 1 (a mais antiga espera há 12 min; o worker (manage.py qcluster) "
            "pode estar parado), com falha: 0") in _run("sharing_status", "--share", str(share.pk))


@pytest.mark.django_db(transaction=True)
def test_a_repeated_to_activates_every_destination_it_names():
    """`--to A --to B` used to keep only B: the activation silently left A out."""
    origin = CompanyFactory(trade_name="Matriz")
    south, north = CompanyFactory(trade_name="Filial Sul"), CompanyFactory(trade_name="Filial Norte")
    make_product(origin, "A1", "Água mineral")

    out = _run("share_activate", "--origin", origin.cnpj_masked, "--to", south.cnpj_masked, "--to", north.cnpj,
               "--registries", "products", "--yes")

    assert "Destino: Filial Sul" in out and "Destino: Filial Norte" in out
    assert set(ShareMember.objects.filter(is_origin=False).values_list("company__trade_name", flat=True)) == {
        "Filial Sul", "Filial Norte"}
    assert product_in(north, "A1").description == product_in(south, "A1").description == "Água mineral"


def test_the_commands_print_counts_for_people_the_pt_br_way():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial Sul")
    catalog_services.product_bulk_create(
        company=origin, source="test",
        rows=[{"code": f"P{n:05d}", "description": f"Produto nº {n}", "unit": "UN", "ncm": "84713012",
               "price": "10.00"} for n in range(1, 1201)],
    )

    out = _run("share_preview", "--origin", origin.cnpj, "--to", dest.cnpj, "--registries", "products")

    assert re.search(r"Filial Sul\s+produtos\s+1\.200\s", out), out
    assert re.search(r"prévia calculada em \d+(,\d+)? s", out), out
