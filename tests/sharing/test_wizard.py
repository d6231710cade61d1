"""The "Cadastros Compartilhados" wizard through the Django test client: every step, the
preview, the confirmation, the progress page, editing, removal and the audit trail."""

from __future__ import annotations

import dataclasses
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from catalog import registries
from catalog import services as catalog_services
from catalog.exceptions import WriteRefused
from catalog.models import Product
from sharing import services
from sharing.models import AuditEntry, Share, ShareMember, SyncJob
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, MembershipFactory, PartyFactory, ProductFactory
from tests.helpers import company_administered_by, confirmation
from tests.helpers import sharing_url as url

pytestmark = pytest.mark.django_db


@pytest.fixture
def dest(owner):
    """A destination the owner administers too."""
    return company_administered_by(owner, "Filial Sul Ltda", "Filial Sul")


@pytest.fixture
def catalog(company, dest):
    ProductFactory(company=company, code="A1", description="Água mineral")
    ProductFactory(company=company, code="B2", description="Bala de goma")
    ProductFactory(company=dest, code="A1", description="Agua velha")
    ProductFactory(company=dest, code="Z9", description="Só na filial")


def walk_to_preview(client, company, dests, registries=("product",)):
    assert client.post(url("step_registries", company), {"registries": list(registries)}).status_code == 302
    response = client.post(url("step_origin", company), {"can_create": "on", "can_update": "on"})
    assert response.status_code == 302
    response = client.post(url("step_add", company), {"companies": [d.pk for d in dests]})
    assert response.status_code == 302
    data = {}
    for d in dests:
        data[f"c{d.pk}-can_create"] = "on"
        data[f"c{d.pk}-can_update"] = "on"
    response = client.post(url("step_destinations", company), data)
    assert response.headers["Location"] == url("preview", company)


def activate(client, company, dests, registries=("product",)):
    walk_to_preview(client, company, dests, registries)
    response = client.post(url("preview", company), confirmation(client, url("preview", company), acknowledge="on"))
    assert response.status_code == 302, response.content.decode()
    job = SyncJob.objects.get()
    assert response.headers["Location"] == url("job", company, share_id=job.share_id, job_id=job.pk)
    return job


# -- who may enter ---------------------------------------------------------------------


def test_it_sends_an_admin_without_shares_to_the_first_step(login, owner, company):
    response = login(owner).get(url("wizard", company))
    assert response.headers["Location"] == url("step_registries", company)


def test_it_refuses_a_member_without_the_admin_role_with_a_message(login, member, company):
    client = login(member)
    for name in ("wizard", "step_registries", "step_origin", "step_add", "step_destinations", "preview"):
        response = client.get(url(name, company))
        assert response.status_code == 403, name
        assert "Somente administradores" in response.content.decode()


def test_it_hides_every_step_from_an_outsider(login, owner, outsider, company, dest, catalog):
    job = activate(login(owner), company, [dest])
    client = login(outsider)
    share_kwargs = {"share_id": job.share_id}
    pages = [
        url("wizard", company), url("step_registries", company), url("step_origin", company),
        url("step_add", company), url("step_destinations", company), url("preview", company),
        url("preview_rows", company, dest_id=dest.pk, registry="product", category="create"),
        url("share_detail", company, **share_kwargs), url("share_edit", company, **share_kwargs),
        url("audit", company, **share_kwargs), url("job", company, job_id=job.pk, **share_kwargs),
        url("add_step_add", company, **share_kwargs), url("add_preview", company, **share_kwargs),
    ]
    for page in pages:
        assert client.get(page).status_code == 404, page
        # 405 on read-only pages says nothing about the company: it is the same for any id.
        assert client.post(page, {"acknowledge": "on"}).status_code in (404, 405), page
    # Nor through a company of their own: the share is not theirs.
    assert client.get(url("share_detail", outsider.memberships.get().company, **share_kwargs)).status_code == 404


def test_it_is_linked_from_the_group_page(login, owner, company):
    response = login(owner).get(reverse("companies:group", args=[company.pk]))
    assert url("wizard", company) in response.content.decode()


# -- the steps --------------------------------------------------------------------------


def test_it_requires_choosing_what_to_sync(login, owner, company):
    response = login(owner).post(url("step_registries", company), {})
    assert response.status_code == 200
    assert "Escolha o que deseja sincronizar" in response.content.decode()


def test_it_sends_back_to_the_first_step_when_skipping_ahead(login, owner, company):
    response = login(owner).get(url("step_add", company))
    assert response.headers["Location"] == url("step_registries", company)


def test_it_shows_the_tip_and_each_companys_uniqueness_setting(login, owner, company, dest):
    client = login(owner)
    dest.enforce_unique_records = True
    dest.save()
    client.post(url("step_registries", company), {"registries": ["product"]})
    html = client.get(url("step_origin", company)).content.decode()
    assert "Permissões da empresa atual (Origem)" in html
    assert "é realmente a que possui os cadastros mais atualizados" in html
    assert "validação de unicidade" in html
    assert html.count("Ativada") == 1 and html.count("Desativada") == 1


def test_it_lists_only_companies_the_user_has_access_to_and_that_are_free(login, owner, company, dest):
    hidden = CompanyFactory(legal_name="Sem Acesso Ltda", trade_name="Sem Acesso")
    busy = CompanyFactory(legal_name="Ocupada Ltda", trade_name="Ocupada")
    MembershipFactory(user=owner, company=busy)
    other_origin = CompanyFactory()
    share = services.share_configure(origin=other_origin, registries=["product"],
                                     origin_permissions=Permissions(), destinations={busy: Permissions()})
    Share.objects.filter(pk=share.pk).update(status=Share.Status.ACTIVE)
    client = login(owner)
    client.post(url("step_registries", company), {"registries": ["product"]})
    client.post(url("step_origin", company), {"can_create": "on"})
    html = client.get(url("step_add", company)).content.decode()
    assert "Filial Sul" in html
    assert "Sem Acesso" not in html and "Ocupada" not in html
    response = client.post(url("step_add", company), {"companies": [hidden.pk]})
    assert "não está disponível" in response.content.decode()
    response = client.post(url("step_add", company), {})
    assert "Selecione pelo menos uma empresa" in response.content.decode()


def test_it_keeps_every_choice_when_going_back(login, owner, company, dest):
    client = login(owner)
    walk_to_preview(client, company, [dest], registries=("party", "product"))
    client.post(url("step_destinations", company), {f"c{dest.pk}-can_delete": "on", "voltar": "1"})
    html = client.get(url("step_registries", company)).content.decode()
    assert html.count("checked") == 2
    html = client.get(url("step_origin", company)).content.decode()
    assert 'name="can_create" id="id_can_create" checked' in html
    assert 'name="can_delete" id="id_can_delete" checked' not in html
    html = client.get(url("step_destinations", company)).content.decode()
    assert f'name="c{dest.pk}-can_delete" id="id_c{dest.pk}-can_delete" checked' in html
    assert f'name="c{dest.pk}-can_create" id="id_c{dest.pk}-can_create" checked' not in html


def test_it_removes_a_destination_before_saving(login, owner, company, dest):
    client = login(owner)
    walk_to_preview(client, company, [dest])
    response = client.post(url("step_destinations", company), {"remover": str(dest.pk)})
    assert response.headers["Location"] == url("step_add", company)
    response = client.get(url("preview", company))
    assert response.headers["Location"] == url("step_add", company)


# -- preview and activation ---------------------------------------------------------------


def test_it_previews_what_activation_will_do_without_writing(login, owner, company, dest, catalog):
    client = login(owner)
    walk_to_preview(client, company, [dest])
    html = client.get(url("preview", company)).content.decode()
    assert "ESSA OPERAÇÃO É IRREVERSÍVEL" in html
    assert "Todos os dados da empresa que você está configurando (origem) serão compartilhados" in html
    assert "Confirmar e ativar o sincronismo" in html
    create_url = url("preview_rows", company, dest_id=dest.pk, registry="product", category="create")
    overwrite_url = url("preview_rows", company, dest_id=dest.pk, registry="product", category="overwrite")
    assert f'<a href="{create_url}">1</a>' in html
    assert f'<a href="{overwrite_url}">1</a>' in html
    html = client.get(overwrite_url).content.decode()
    assert "A1" in html and "Agua velha" in html and "Água mineral" in html and "Descrição" in html
    assert "B2" in client.get(create_url).content.decode()
    assert client.get(create_url + "?pagina=0").status_code == 404
    assert not Share.objects.exists() and not SyncJob.objects.exists()


def _field_lists(html: str, registry_label: str) -> tuple[str, str]:
    """The preview's lists of the fields that travel and of those that stay, for one registry."""
    section = html[html.index('id="campos-compartilhados"'):html.index('id="aviso-titulo"')]
    start = section.index(f'data-registry="{registry_label}"')
    end = section.find("data-registry=", start + 1)
    shared, local = section[start:end if end > 0 else None].split('data-sharing="local"')
    return shared, local


def test_the_preview_says_which_fields_travel_and_which_stay_in_each_company(login, owner, company, dest, catalog):
    client = login(owner)
    walk_to_preview(client, company, [dest], registries=("party", "product"))
    html = client.get(url("preview", company)).content.decode()

    assert "Quais campos serão compartilhados" in html
    assert "a inscrição estadual, os pesos e a tributação de cada filial" in html
    shared, local = _field_lists(html, "Clientes e fornecedores")
    assert "<strong>Endereço</strong>: Endereço, Número" in shared and "Código IBGE da cidade" in shared
    assert "Telefone 2" in shared and "Fax" in shared
    assert "Inscrição estadual" not in shared
    assert "<strong>Identificação</strong>: Código de integração, Tags" in local
    assert "<strong>Inscrições e tributação</strong> (todos os campos)" in local
    assert "<strong>Dados bancários</strong> (todos os campos)" in local
    shared, local = _field_lists(html, "Produtos")
    assert "NCM" in shared and "Origem da mercadoria" in shared and "Peso" not in shared
    assert "<strong>Dimensões e peso</strong> (todos os campos)" in local
    assert "<strong>Tributação</strong> (todos os campos)" in local


def test_the_preview_follows_the_registrys_list_of_shared_fields(login, owner, company, dest, catalog, monkeypatch):
    """What the preview says is what activation does: both read the registry descriptor."""
    product = registries.REGISTRIES["product"]
    monkeypatch.setitem(registries.REGISTRIES, "product",
                        dataclasses.replace(product, shared_fields=(*product.shared_fields, "net_weight")))
    client = login(owner)
    walk_to_preview(client, company, [dest])

    shared, local = _field_lists(client.get(url("preview", company)).content.decode(), "Produtos")

    assert "<strong>Dimensões e peso</strong>: Peso líquido (kg)" in shared
    assert "<strong>Dimensões e peso</strong>: Peso bruto (kg), Altura (cm)" in local


def test_it_requires_the_acknowledgement(login, owner, company, dest, catalog):
    client = login(owner)
    walk_to_preview(client, company, [dest])
    response = client.post(url("preview", company), confirmation(client, url("preview", company)))
    assert response.status_code == 200
    assert "Marque a caixa confirmando que leu o aviso" in response.content.decode()
    assert not Share.objects.exists()


def test_it_activates_and_shows_progress_until_the_summary(login, owner, company, dest, catalog):
    client = login(owner)
    job = activate(client, company, [dest])
    share = job.share
    assert share.origin == company and share.registries == ["product"]
    assert share.members.get(company=dest).can_delete is False
    job_url = url("job", company, share_id=share.pk, job_id=job.pk)

    html = client.get(job_url).content.decode()
    assert 'class="progress-bar"' in html and 'hx-trigger="every 1s"' in html
    assert "Na fila" in html and "Preparando os cadastros" in html
    polled = client.get(job_url, headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "<html" not in polled.content.decode()

    run_sync_job(job.pk)
    polled = client.get(job_url, headers={"HX-Request": "true"})
    assert polled.status_code == 286  # htmx stops polling
    html = client.get(job_url).content.decode()
    assert "every 1s" not in html and "100% · 2 de 2 cadastros" in html and "Concluído" in html
    assert "Incluídos</dt><dd>1" in html and "Sobrescritos</dt><dd>1" in html and "iguais (mantidos)</dt><dd>0" in html
    assert url("audit", company, share_id=share.pk) in html
    assert Product.objects.get(company=dest, code="A1").description == "Água mineral"
    assert Product.objects.filter(company=dest, code="B2").exists()


def test_it_never_starts_a_second_activation(login, owner, company, dest, catalog):
    client = login(owner)
    job = activate(client, company, [dest])
    # A refresh of the confirmation, or a second tab with the same session.
    response = client.post(url("preview", company), {"acknowledge": "on"})
    assert response.headers["Location"] == url("job", company, share_id=job.share_id, job_id=job.pk)
    assert Share.objects.count() == 1 and SyncJob.objects.count() == 1


def test_it_sends_a_second_tab_with_its_own_choices_to_the_running_job(login, owner, company, dest, catalog):
    client = login(owner)
    walk_to_preview(client, company, [dest])
    session_data = dict(client.session)
    client.post(url("preview", company), confirmation(client, url("preview", company), acknowledge="on"))
    job = SyncJob.objects.get()
    # The other tab still holds the old choices (restore them) and confirms again.
    session = client.session
    session.update({k: v for k, v in session_data.items() if k.startswith("sharing_wizard")})
    session.save()
    response = client.post(url("preview", company), {"acknowledge": "on"})
    assert response.headers["Location"] == url("job", company, share_id=job.share_id, job_id=job.pk)
    assert Share.objects.count() == 1 and SyncJob.objects.count() == 1


# -- after activation ----------------------------------------------------------------------


@pytest.fixture
def active_share(login, owner, company, dest, catalog):
    job = activate(login(owner), company, [dest])
    run_sync_job(job.pk)
    return Share.objects.get()


def test_it_shows_the_share_to_its_members(login, owner, member, company, dest, active_share):
    response = login(owner).get(url("wizard", company))
    html = response.content.decode()
    assert url("share_detail", company, share_id=active_share.pk) in html
    html = login(owner).get(url("share_detail", company, share_id=active_share.pk)).content.decode()
    assert "Filial Sul" in html and "Produtos" in html and "Editar" in html and "Ativo" in html
    html = login(member).get(url("share_detail", company, share_id=active_share.pk)).content.decode()
    assert "Matriz" in html and ">Editar<" not in html
    assert login(member).get(url("share_edit", company, share_id=active_share.pk)).status_code == 403


def test_it_changes_a_members_permissions(login, owner, company, dest, active_share):
    client = login(owner)
    origin_member = active_share.members.get(is_origin=True)
    dest_member = active_share.members.get(company=dest)
    data = {f"m{origin_member.pk}-can_create": "on", f"m{origin_member.pk}-can_update": "on",
            f"m{dest_member.pk}-can_update": "on", f"m{dest_member.pk}-can_delete": "on"}
    response = client.post(url("share_edit", company, share_id=active_share.pk), data, follow=True)
    assert "Permissões de Filial Sul alteradas" in response.content.decode()
    dest_member.refresh_from_db()
    assert (dest_member.can_create, dest_member.can_update, dest_member.can_delete) == (False, True, True)


def test_it_removes_a_destination_whose_records_stay(login, owner, company, dest, active_share):
    client = login(owner)
    html = client.get(url("share_edit", company, share_id=active_share.pk)).content.decode()
    assert "os cadastros previamente sincronizados serão mantidos" in html
    dest_member = active_share.members.get(company=dest)
    origin_member = active_share.members.get(is_origin=True)
    data = {"remover": [str(dest_member.pk)], f"m{origin_member.pk}-can_create": "on",
            f"m{origin_member.pk}-can_update": "on", f"m{dest_member.pk}-can_create": "on",
            f"m{dest_member.pk}-can_update": "on"}
    response = client.post(url("share_edit", company, share_id=active_share.pk), data, follow=True)
    assert "não serão mais atualizados" in response.content.decode()
    dest_member.refresh_from_db()
    assert dest_member.state == ShareMember.State.REMOVED
    assert Product.objects.filter(company=dest, code="B2").exists()
    active_share.refresh_from_db()
    assert active_share.status == Share.Status.DISSOLVED


def test_it_adds_a_destination_through_preview_and_progress(login, owner, company, active_share):
    third = CompanyFactory(legal_name="Filial Norte Ltda", trade_name="Filial Norte")
    MembershipFactory(user=owner, company=third)
    client = login(owner)
    kwargs = {"share_id": active_share.pk}
    html = client.get(url("add_step_add", company, **kwargs)).content.decode()
    assert "Filial Norte" in html and "Filial Sul" not in html
    client.post(url("add_step_add", company, **kwargs), {"companies": [third.pk]})
    response = client.post(url("add_step_destinations", company, **kwargs), {f"c{third.pk}-can_create": "on"})
    assert response.headers["Location"] == url("add_preview", company, **kwargs)
    html = client.get(url("add_preview", company, **kwargs)).content.decode()
    assert "Filial Norte" in html and "ESSA OPERAÇÃO É IRREVERSÍVEL" in html
    response = client.post(url("add_preview", company, **kwargs),
                           confirmation(client, url("add_preview", company, **kwargs), acknowledge="on"))
    job = active_share.jobs.get(status=SyncJob.Status.QUEUED)
    assert response.headers["Location"] == url("job", company, job_id=job.pk, **kwargs)
    run_sync_job(job.pk)
    assert set(Product.objects.filter(company=third).values_list("code", flat=True)) == {"A1", "B2"}
    member = active_share.members.get(company=third)
    assert member.state == ShareMember.State.ACTIVE and (member.can_create, member.can_update) == (True, False)


def test_it_lists_the_audit_trail_filtered(login, owner, company, dest, active_share):
    client = login(owner)
    page = url("audit", company, share_id=active_share.pk)
    html = client.get(page).content.decode()
    assert "Configuração" in html and "Ativação" in html
    html = client.get(page, {"empresa": dest.pk, "acao": AuditEntry.Action.ACTIVATE}).content.decode()
    assert "Sincronismo ativado" in html and "Configurado: origem" not in html


def test_it_skips_parties_without_document_in_the_preview_and_lists_them(login, owner, company, dest):
    PartyFactory(company=company, cnpj_cpf="", legal_name="Sem documento", code="CLI-9")
    PartyFactory(company=company)
    client = login(owner)
    walk_to_preview(client, company, [dest], registries=("party",))
    html = client.get(url("preview", company)).content.decode()
    skipped_url = url("preview_rows", company, dest_id=dest.pk, registry="party", category="skipped")
    assert f'data-category="skipped"><a href="{skipped_url}">1</a><' in html

    listed = client.get(skipped_url).content.decode()

    assert "CLI-9" in listed and "Sem documento" in listed and "não são compartilhados" in listed


def test_it_lists_likely_duplicates_and_conflicts_with_what_they_resemble(login, owner, company, dest):
    ProductFactory(company=company, code="A1", description="Água mineral", ean="7891234567895")
    ProductFactory(company=dest, code="AGUA-500", description="Água 500 ml", ean="7891234567895")
    PartyFactory(company=company, cnpj_cpf="11222333000181", legal_name="ACME Comércio Ltda.")
    PartyFactory(company=dest, cnpj_cpf="45723174000110", legal_name="Acme comércio LTDA")
    dest.enforce_unique_records = True
    dest.save()
    client = login(owner)
    walk_to_preview(client, company, [dest], registries=("party", "product"))
    html = client.get(url("preview", company)).content.decode()
    lists = {
        (registry, category): url("preview_rows", company, dest_id=dest.pk, registry=registry, category=category)
        for registry, category in (("product", "duplicates"), ("product", "conflicts"), ("party", "duplicates"))
    }
    for listed_url in lists.values():
        assert f'<a href="{listed_url}">1</a>' in html

    products = client.get(lists["product", "duplicates"]).content.decode()
    conflicts = client.get(lists["product", "conflicts"]).content.decode()
    parties = client.get(lists["party", "duplicates"]).content.decode()

    assert "A1" in products and "EAN 7891234567895" in products and "AGUA-500" in products
    assert "AGUA-500" in conflicts and "não serão copiados" in conflicts
    assert "11.222.333/0001-81" in parties and "45.723.174/0001-10" in parties and "Acme comércio LTDA" in parties
    assert "(mesmo EAN em outro código)" in products and "(mesmo nome com outro CNPJ/CPF)" in parties


def test_without_postgresql_the_preview_says_so_instead_of_failing(login, owner, company, dest, catalog, monkeypatch):
    """The embedded SQLite of a first `make run` runs everything but preview and activation."""
    from sharing import canonical, planner

    def sqlite():
        raise ValidationError("O compartilhamento de cadastros precisa do PostgreSQL: defina DATABASE_URL.")

    monkeypatch.setattr(planner, "require_postgresql", sqlite)
    monkeypatch.setattr(canonical, "require_postgresql", sqlite)
    client = login(owner)
    walk_to_preview(client, company, [dest])

    response = client.get(url("preview", company))
    command = io.StringIO()
    with pytest.raises(CommandError, match="precisa do PostgreSQL"):
        call_command("share_preview", "--origin", company.cnpj, "--to", dest.cnpj, "--registries", "products",
                     stdout=command)

    assert response.status_code == 200 and "precisa do PostgreSQL" in response.content.decode()


def test_an_activation_that_gave_up_can_be_resumed_from_its_page(login, owner, company, dest, catalog, monkeypatch):
    from sharing import activation, tasks

    client = login(owner)
    job = activate(client, company, [dest])
    monkeypatch.setattr(activation, "run_activation", lambda job: (_ for _ in ()).throw(OSError("disco cheio")))
    for _ in range(tasks.MAX_JOB_ATTEMPTS):
        with pytest.raises(OSError):
            run_sync_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    with pytest.raises(WriteRefused, match="parou antes de terminar"):  # the members wait for it
        catalog_services.product_update(company=dest, product_id=Product.objects.get(company=dest, code="A1").pk,
                                        data={"description": "Editada"})
    job_url = url("job", company, share_id=job.share_id, job_id=job.pk)
    assert "Retomar a ativação" in client.get(job_url).content.decode()

    monkeypatch.undo()
    response = client.post(url("job_resume", company, share_id=job.share_id, job_id=job.pk))
    resumed = SyncJob.objects.exclude(pk=job.pk).get()
    assert response.headers["Location"] == url("job", company, share_id=job.share_id, job_id=resumed.pk)
    run_sync_job(resumed.pk)

    resumed.refresh_from_db()
    assert resumed.status == SyncJob.Status.DONE
    assert Product.objects.get(company=dest, code="A1").description == "Água mineral"
    assert Share.objects.get(pk=job.share_id).status == Share.Status.ACTIVE


def test_the_progress_page_says_when_a_running_job_has_gone_silent(login, owner, company, dest, catalog):
    from datetime import timedelta

    from django.utils import timezone

    from sharing.models import JOB_LEASE

    client = login(owner)
    job = activate(client, company, [dest])
    job_url = url("job", company, share_id=job.share_id, job_id=job.pk)
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.RUNNING,
                                             lease_until=timezone.now() + JOB_LEASE - timedelta(seconds=5))
    busy = client.get(job_url).content.decode()
    SyncJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() + JOB_LEASE - timedelta(seconds=150))
    silent = client.get(job_url).content.decode()
    SyncJob.objects.filter(pk=job.pk).update(lease_until=None)
    interrupted = client.get(job_url).content.decode()

    assert "Sem sinal de andamento" not in busy
    assert "Sem sinal de andamento há 150 s" in silent or "Sem sinal de andamento há 151 s" in silent
    assert "será retomada automaticamente em até 1 minuto" in interrupted


# -- digits that are not 0-9 in the buttons' values: a page, never a 500 -------------------


def test_removing_a_destination_named_with_a_superscript_digit_removes_nothing(login, owner, company, dest):
    client = login(owner)
    walk_to_preview(client, company, [dest])

    response = client.post(url("step_destinations", company), {"remover": "²"})

    assert response.status_code == 302
    assert client.get(url("preview", company)).status_code == 200  # the destination is still there


def test_the_share_page_ignores_a_removal_that_is_not_an_id(login, owner, company, dest, active_share):
    origin_member = active_share.members.get(is_origin=True)
    dest_member = active_share.members.get(company=dest)
    data = {"remover": ["²", "٣"], f"m{origin_member.pk}-can_create": "on", f"m{origin_member.pk}-can_update": "on",
            f"m{dest_member.pk}-can_create": "on", f"m{dest_member.pk}-can_update": "on"}

    response = login(owner).post(url("share_edit", company, share_id=active_share.pk), data)

    assert response.status_code in (200, 302)
    dest_member.refresh_from_db()
    assert dest_member.state != ShareMember.State.REMOVED


@pytest.mark.parametrize("page", ["99999999999999999999999", "٣", "²", "\x00"])
def test_a_preview_page_number_out_of_reach_is_not_found(login, owner, company, dest, catalog, page):
    client = login(owner)
    walk_to_preview(client, company, [dest])
    rows = url("preview_rows", company, dest_id=dest.pk, registry="product", category="create")

    response = client.get(rows, {"pagina": page})

    assert response.status_code == 404
    assert client.get(rows, {"pagina": "1"}).status_code == 200
