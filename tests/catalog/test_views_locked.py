"""A shared record in a company without the edit permission: the edit form shows the
shared fields read-only with the reason and saves the fields that stay in the company;
attachments follow the same rule; the server still refuses a forged change."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from catalog import services as catalog_services
from catalog.models import Attachment, Party
from sharing.models import Change
from sharing.services import Permissions
from tests.helpers import apply_pending, make_party, make_product, product_in, share_between
from tests.helpers import catalog_url as url

pytestmark = pytest.mark.django_db

# Include, but no edit and no delete.
CREATE_ONLY = Permissions(can_create=True, can_update=False, can_delete=False)
REASON = (
    "Este cadastro é compartilhado pelo grupo e esta empresa não tem permissão de edição: "
    "os campos compartilhados só podem ser alterados em Matriz."
)


@pytest.fixture
def share(company, dest, document):
    supplier = make_party(company, document, "Distribuidora São João Ltda", is_supplier=True)
    make_product(company, "PEÇA-1", "Peça de reposição")
    product = make_product(company, "A1", "Água mineral sem gás 500 ml", characteristics={"Cor": "azul"})
    catalog_services.product_update(
        company=company, product_id=product.pk, source="test",
        data={"suppliers": [supplier.pk], "bom": [(product_in(company, "PEÇA-1").pk, "2")]},
    )
    catalog_services.attachment_add(
        company=company, registry="product", record_id=product.pk, filename="ficha técnica.pdf",
        content=b"%PDF-1.4 ficha", content_type="application/pdf", source="test",
    )
    return share_between(company, dest, destination_permissions=CREATE_ONLY)


def _input(html: str, name: str) -> str:
    """The HTML tag of the form control named `name`."""
    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no control named {name}"
    return match.group(0)


def _disabled(html: str, name: str) -> bool:
    return re.search(r"\sdisabled\b", _input(html, name)) is not None


def test_it_shows_a_parties_shared_fields_read_only_with_the_reason(login, dest_user, dest, document, share):
    party = Party.objects.get(company=dest, cnpj_cpf=document)
    response = login(dest_user).get(url("party_edit", dest, party_id=party.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert REASON in html
    # The roles (cliente, fornecedor) are shared too: they travel like the rest.
    for name in ("cnpj_cpf", "legal_name", "trade_name", "street", "city", "email", "characteristics", "active",
                 "is_client", "is_supplier"):
        assert _disabled(html, name), name
    for name in ("code", "tags"):
        assert not _disabled(html, name), name
    editable = "Os campos que ficam nesta empresa continuam editáveis aqui: Identificação: Código de integração, Tags;"
    assert editable in html
    assert "Compartilhado: somente leitura" in html


def test_it_saves_the_fields_that_stay_in_the_company(login, dest_user, dest, document, share):
    party = Party.objects.get(company=dest, cnpj_cpf=document)
    changes = Change.objects.count()
    # What a browser sends: disabled controls are left out.
    response = login(dest_user).post(
        url("party_edit", dest, party_id=party.pk),
        {"code": "FIL-SUL-0001", "tags": "atacado, VIP", "version": party.version},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    party.refresh_from_db()
    assert party.code == "FIL-SUL-0001" and party.tags == ["atacado", "VIP"]
    assert party.legal_name == "Distribuidora São João Ltda" and party.active and party.city == "São Paulo"
    assert Change.objects.count() == changes  # nothing shared changed, nothing sent


def test_it_still_refuses_a_forged_post_that_changes_a_shared_field(login, dest_user, dest, document, share):
    party = Party.objects.get(company=dest, cnpj_cpf=document)
    response = login(dest_user).post(
        url("party_edit", dest, party_id=party.pk),
        {"code": "FIL-SUL-0001", "legal_name": "Nome Forjado Ltda", "version": party.version},
    )

    assert response.status_code == 403
    assert "não tem permissão de edição" in response.content.decode()
    party.refresh_from_db()
    assert party.legal_name == "Distribuidora São João Ltda" and party.code == ""


def test_it_shows_a_products_shared_fields_suppliers_and_structure_read_only(login, dest_user, dest, share):
    a1 = product_in(dest, "A1")
    html = login(dest_user).get(url("product_edit", dest, product_id=a1.pk)).content.decode()

    assert REASON in html
    for name in ("code", "description", "unit", "price", "ncm", "ean", "family", "characteristics", "bom"):
        assert _disabled(html, name), name
    assert _disabled(html, "suppliers")  # the ticked supplier
    assert "Distribuidora São João Ltda" in html
    assert 'id="supplier-search"' not in html and 'name="suppliers_add"' not in html
    assert not _disabled(html, "integration_code")


def test_it_saves_a_products_integration_code_and_refuses_a_forged_structure(login, dest_user, dest, share):
    a1 = product_in(dest, "A1")
    client = login(dest_user)

    response = client.post(url("product_edit", dest, product_id=a1.pk),
                           {"integration_code": "INT-SUL-1", "version": a1.version})
    assert response.status_code == 302, response.content.decode()[:3000]
    a1.refresh_from_db()
    assert a1.integration_code == "INT-SUL-1"
    assert a1.description == "Água mineral sem gás 500 ml" and a1.bom_items.count() == 1
    assert list(a1.suppliers.values_list("legal_name", flat=True)) == ["Distribuidora São João Ltda"]

    forged = client.post(url("product_edit", dest, product_id=a1.pk),
                         {"integration_code": "INT-SUL-2", "bom": "", "version": a1.version})
    assert forged.status_code == 403 and "não tem permissão de edição" in forged.content.decode()
    a1.refresh_from_db()
    assert a1.integration_code == "INT-SUL-1" and a1.bom_items.count() == 1


def test_a_member_with_the_edit_permission_gets_every_field_editable(login, owner, company, share):
    a1 = product_in(company, "A1")
    html = login(owner).get(url("product_edit", company, product_id=a1.pk)).content.decode()
    assert "não tem permissão de edição" not in html
    for name in ("code", "description", "bom", "integration_code"):
        assert not _disabled(html, name), name
    assert 'id="supplier-search"' in html


def test_it_disables_attachments_without_the_edit_permission_and_the_server_refuses(
    login, dest_user, dest, share
):
    a1 = product_in(dest, "A1")
    client = login(dest_user)
    html = client.get(url("product_detail", dest, product_id=a1.pk)).content.decode()

    assert "ficha técnica.pdf" in html
    assert re.search(r"<button[^>]*disabled[^>]*>Anexar</button>", html)
    assert ">Remover</button>" not in html
    assert "Anexar e remover arquivos não está disponível aqui. " + REASON in html

    attachment = Attachment.objects.get(company=dest, product=a1)
    removed = client.post(reverse("catalog:attachment_remove", args=[dest.pk, attachment.pk]))
    assert removed.status_code == 403 and "não tem permissão de edição" in removed.content.decode()
    added = client.post(
        reverse("catalog:attachment_add", args=[dest.pk, "product", a1.pk]),
        {"file": _upload("outra foto.png")},
    )
    assert added.status_code == 403 and "não tem permissão de edição" in added.content.decode()
    assert list(Attachment.objects.filter(company=dest, product=a1).values_list("filename", flat=True)) == [
        "ficha técnica.pdf"
    ]


def test_it_keeps_attachments_editable_where_the_member_may_edit(login, owner, company, share):
    a1 = product_in(company, "A1")
    html = login(owner).get(url("product_detail", company, product_id=a1.pk)).content.decode()
    assert ">Remover</button>" in html and 'type="submit" class="btn btn-secondary">Anexar' in html


def test_it_answers_404_to_an_outsider_on_the_locked_edit_form(login, outsider, dest, share):
    a1 = product_in(dest, "A1")
    assert login(outsider).get(url("product_edit", dest, product_id=a1.pk)).status_code == 404


def _upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n fake", content_type="image/png")


def test_a_stale_edit_lists_only_what_the_user_typed_not_the_read_only_fields(login, dest_user, company, dest, share):
    a1 = product_in(dest, "A1")
    opened_version = a1.version
    # Meanwhile the origin changes the description, and it reaches the branch.
    catalog_services.product_update(company=company, product_id=product_in(company, "A1").pk,
                                    data={"description": "Água mineral com gás 500 ml"}, source="test")
    apply_pending()

    response = login(dest_user).post(url("product_edit", dest, product_id=a1.pk),
                                     {"integration_code": "INT-SUL-1", "version": opened_version})

    html = response.content.decode()
    assert response.status_code == 409 and "Nada foi salvo." in html
    table = html[html.index("Você digitou"):html.index("</table>")]
    assert "Código de integração" in table and "INT-SUL-1" in table
    assert "Descrição" not in table and "Estrutura do produto" not in table and "Fornecedores" not in table
