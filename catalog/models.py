"""Master records kept per company: clients/suppliers, products and what hangs off them.

Writes go through `catalog/services.py` only. Field names are ours; the Omie API name of
each field is listed in `catalog/omie_fields.py`, the one place that maps the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower, LPad

from catalog.validators import validate_characteristics, validate_storable_json
from companies.models import Company
from omieshare.lib import brazil
from omieshare.lib.models import NormalizedFieldsMixin


def characteristics_pairs(value: Any) -> Any:
    """{"Cor": "azul", "Voltagem": "220 V"} → [["Cor", "azul"], ["Voltagem", "220 V"]], in
    the dict's order. Anything else is returned as it is (a list of pairs already, or a
    value that validation will refuse)."""
    if isinstance(value, Mapping):
        return [[name, content] for name, content in value.items()]
    return value


def characteristics_dict(value: Any) -> Any:
    """The other way: [[name, value], …] → a dict in the same order. A dict (or anything
    that is not a list of pairs) is returned as it is."""
    if isinstance(value, list) and all(isinstance(pair, list | tuple) and len(pair) == 2 for pair in value):
        return {str(name): content for name, content in value}
    return value


class CharacteristicsField(models.JSONField):
    """Características: name → value pairs, in the order they were entered.

    A dict in Python (which keeps insertion order), stored as a JSON array of [name, value]
    pairs: a jsonb object does not keep its keys' order (PostgreSQL sorts them, shorter
    first), so "Voltagem, Cor, Peso" came back "Cor, Peso, Voltagem" on every page, in the
    API and in every company the record was shared with. The array also travels as it is
    through the sharing engine's SQL (activation copies the column; the canonical values
    hold the array), so every company shows the origin's order.
    """

    def from_db_value(self, value, expression, connection):
        return characteristics_dict(super().from_db_value(value, expression, connection))

    def to_python(self, value):
        return characteristics_dict(super().to_python(value))

    def get_prep_value(self, value):
        return super().get_prep_value(characteristics_pairs(value))


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _upper(value: str | None) -> str:
    return (value or "").strip().upper()


def _lower(value: str | None) -> str:
    return (value or "").strip().lower()


def ean_gtin14(field: str = "ean") -> LPad:
    """The EAN column as GTIN-14 (left-padded with zeros to 14 digits), the form in which two
    EANs are the same product; brazil.gtin14() is the same rule in Python. The index
    product_company_gtin is on this very expression (and the preview's and activation's SQL
    write it as lpad(ean, 14, '0')), so lookups stay index scans."""
    return LPad(field, 14, models.Value("0"))


def _validate_characteristics(value) -> None:
    try:
        validate_characteristics(value)
    except ValidationError as error:
        raise ValidationError({"characteristics": error.messages}) from None


class Salesperson(NormalizedFieldsMixin, models.Model):
    """Vendedor. Matched across companies by e-mail when records are shared."""

    normalizers = {"name": _strip, "email": _lower}

    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="salespeople", on_delete=models.CASCADE
    )
    name = models.CharField("nome", max_length=120)
    email = models.EmailField("e-mail", max_length=254)
    active = models.BooleanField("ativo", default=True)

    class Meta:
        verbose_name = "vendedor"
        verbose_name_plural = "vendedores"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "company", Lower("email"), name="salesperson_unique_email_per_company",
                violation_error_message="Já existe um vendedor com este e-mail nesta empresa.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ProductFamily(NormalizedFieldsMixin, models.Model):
    """Família de produto. Matched across companies by name when records are shared."""

    normalizers = {"name": _strip}

    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="product_families", on_delete=models.CASCADE
    )
    name = models.CharField("nome", max_length=60)

    class Meta:
        verbose_name = "família de produto"
        verbose_name_plural = "famílias de produto"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "company", Lower("name"), name="family_unique_name_per_company",
                violation_error_message="Já existe uma família com este nome nesta empresa.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Blob(models.Model):
    """The bytes of an image or attachment, stored once however many records use them.

    Or an image known only by its address (the API's `imagens[].url_imagem`): then `url` is
    set, `file` is empty and the key is `url-` + a hash of the address (see
    `catalog.services.blob_for_url`), which can never equal a content hash. The address is
    never fetched by the server.
    """

    sha256 = models.CharField("SHA-256", max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField("tamanho (bytes)")
    content_type = models.CharField("tipo", max_length=100, blank=True)
    file = models.FileField("arquivo", upload_to="blobs/", blank=True)
    url = models.CharField("endereço (URL)", max_length=2000, blank=True, default="")
    created_at = models.DateTimeField("criado em", auto_now_add=True)

    class Meta:
        verbose_name = "arquivo armazenado"
        verbose_name_plural = "arquivos armazenados"

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.size} bytes)"


class Party(NormalizedFieldsMixin, models.Model):
    """Cliente e/ou fornecedor of one company.

    A record without CNPJ/CPF is valid; it is simply never shared between companies. A
    client or supplier abroad (UF "EX", a country other than Brasil) has no CNPJ/CPF, so it
    is never shared either; it may carry its NIF or another foreign document instead.
    """

    class PersonType(models.TextChoices):
        INDIVIDUAL = "F", "Pessoa física"
        COMPANY = "J", "Pessoa jurídica"

    normalizers = {
        "code": _strip,
        "cnpj_cpf": brazil.normalize_cpf_cnpj,
        "legal_name": _strip,
        "trade_name": _strip,
        "state": brazil.normalize_party_state,
        "cep": brazil.normalize_cep,
        "country_code": brazil.normalize_country_code,
        "nif": _strip,
        "foreign_document": _strip,
        "phone_ddd": brazil.normalize_ddd,
        "phone_number": brazil.normalize_phone_number,
        "email": _lower,
    }
    # The number may carry the DDD: "(21) 99999-8888" with the DDD field empty.
    pair_normalizers = {("phone_ddd", "phone_number"): brazil.split_phone}

    # Not indexed on its own: every index below starts with the company (one index less to
    # maintain on every write, which bulk activation does 100,000s of times).
    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="parties", on_delete=models.CASCADE, db_index=False
    )
    code = models.CharField(
        "código de integração",
        max_length=60,
        blank=True,
        help_text="Código do cadastro no seu sistema (opcional); único na empresa.",
    )
    cnpj_cpf = models.CharField(
        "CNPJ/CPF",
        max_length=14,
        blank=True,
        help_text="Sem CNPJ/CPF o cadastro é válido, mas não é compartilhado entre empresas.",
    )
    person_type = models.CharField(
        "tipo de pessoa", max_length=1, choices=PersonType.choices, default=PersonType.COMPANY
    )
    legal_name = models.CharField("razão social / nome completo", max_length=120)
    trade_name = models.CharField("nome fantasia / nome abreviado", max_length=100, blank=True)
    street = models.CharField("endereço", max_length=120, blank=True)
    number = models.CharField("número", max_length=20, blank=True)
    complement = models.CharField("complemento", max_length=60, blank=True)
    district = models.CharField("bairro", max_length=60, blank=True)
    city = models.CharField("cidade", max_length=60, blank=True)
    state = models.CharField("UF", max_length=2, blank=True, choices=brazil.PARTY_STATE_CHOICES)
    cep = models.CharField("CEP", max_length=8, blank=True)
    country_code = models.CharField(
        "país",
        max_length=4,
        default=brazil.BRAZIL_COUNTRY_CODE,
        help_text="Código do país no Banco Central, 4 dígitos (1058 = Brasil, 2496 = Estados Unidos).",
    )
    # Omie's nif and documento_exterior: for a client or supplier abroad only. db_default:
    # the bulk SQL of activation and the benchmarks inserts rows without naming them.
    nif = models.CharField(
        "NIF (exterior)", max_length=40, blank=True, default="", db_default="",
        help_text="Número de identificação fiscal no país do cliente/fornecedor do exterior.",
    )
    foreign_document = models.CharField(
        "documento no exterior", max_length=40, blank=True, default="", db_default="",
        help_text="Outro documento do cliente/fornecedor do exterior (ex.: passaporte).",
    )
    phone_ddd = models.CharField("DDD", max_length=2, blank=True)
    phone_number = models.CharField("telefone", max_length=9, blank=True)
    email = models.EmailField("e-mail", max_length=254, blank=True)
    is_client = models.BooleanField("cliente", default=True)
    is_supplier = models.BooleanField("fornecedor", default=False)
    characteristics = CharacteristicsField(
        "características", default=dict, blank=True, help_text="Pares nome → valor, na ordem informada."
    )
    tags = models.JSONField("tags", default=list, blank=True)
    salespeople = models.ManyToManyField(
        Salesperson, verbose_name="vendedores", related_name="parties", blank=True
    )
    active = models.BooleanField("ativo", default=True)
    # Increases by one on every change; an edit made from an older form is refused.
    version = models.PositiveIntegerField("versão", default=1)
    created_at = models.DateTimeField("incluído em", auto_now_add=True)
    updated_at = models.DateTimeField("alterado em", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "cliente/fornecedor"
        verbose_name_plural = "clientes e fornecedores"
        ordering = ["legal_name", "id"]
        indexes = [
            models.Index(fields=["company", "legal_name", "id"], name="party_company_name"),
            # The API's listings page by id inside a company (a deep page stays an index scan).
            models.Index(fields=["company", "id"], name="party_company_id"),
            # Matching by CNPJ/CPF inside a company (uniqueness, sharing activation).
            models.Index(fields=["company", "cnpj_cpf"], name="party_company_document"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"],
                condition=~models.Q(code=""),
                name="party_unique_code_per_company",
                violation_error_message="Já existe um cliente/fornecedor com este código de integração.",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        if self.cnpj_cpf:
            self.person_type = brazil.document_kind(self.cnpj_cpf)
        errors = {}
        for name, check in (
            ("characteristics", validate_characteristics),
            ("tags", lambda tags: validate_storable_json(tags, "Uma tag")),
        ):
            try:
                check(getattr(self, name))
            except ValidationError as error:
                errors[name] = error.messages
        if errors:
            raise ValidationError(errors)
        self._clean_country()

    @property
    def is_foreign(self) -> bool:
        return self.state == brazil.FOREIGN_STATE

    def _clean_country(self) -> None:
        """Brasil with a Brazilian UF, or abroad: UF EX, another country, no CNPJ/CPF."""
        foreign_country = self.country_code not in ("", brazil.BRAZIL_COUNTRY_CODE)
        if foreign_country and not self.state:
            self.state = brazil.FOREIGN_STATE  # the country says it: as Omie fills "EX" in
        errors: dict[str, str] = {}
        if self.is_foreign:
            if self.cnpj_cpf:
                errors["cnpj_cpf"] = (
                    "Cliente/fornecedor do exterior (UF EX) não tem CNPJ/CPF: deixe em branco e informe o "
                    "NIF ou o documento no exterior. Sem CNPJ/CPF, o cadastro não é compartilhado entre "
                    "as empresas do grupo."
                )
            if not foreign_country:
                errors["country_code"] = (
                    "Cliente/fornecedor do exterior (UF EX): informe o código do país no Banco Central, "
                    "diferente de 1058 (Brasil), por exemplo 2496 para os Estados Unidos."
                )
        else:
            if foreign_country:
                errors["state"] = (
                    f"País {self.country_code} não é o Brasil (1058): use a UF EX (exterior), ou o país 1058."
                )
            if self.nif or self.foreign_document:
                field = "nif" if self.nif else "foreign_document"
                errors[field] = "NIF e documento no exterior são só para clientes/fornecedores do exterior (UF EX)."
        if errors:
            raise ValidationError(errors)

    @property
    def cnpj_cpf_masked(self) -> str:
        return brazil.mask_cpf_cnpj(self.cnpj_cpf)

    @property
    def cep_masked(self) -> str:
        return brazil.mask_cep(self.cep)

    @property
    def phone_masked(self) -> str:
        return brazil.mask_phone(self.phone_ddd, self.phone_number)


class Product(NormalizedFieldsMixin, models.Model):
    """Produto of one company. Stock balance and price tables are kept apart (never shared)."""

    class Origin(models.IntegerChoices):
        NATIONAL = 0, "0 - Nacional, exceto as indicadas nos códigos 3, 4, 5 e 8"
        FOREIGN_DIRECT = 1, "1 - Estrangeira - Importação direta, exceto a indicada no código 6"
        FOREIGN_INTERNAL = 2, "2 - Estrangeira - Adquirida no mercado interno, exceto a indicada no código 7"
        NATIONAL_IMPORT_40_70 = 3, "3 - Nacional, com Conteúdo de Importação superior a 40% e inferior ou igual a 70%"
        NATIONAL_PPB = 4, "4 - Nacional, produzida conforme os processos produtivos básicos (PPB)"
        NATIONAL_IMPORT_UP_TO_40 = 5, "5 - Nacional, com Conteúdo de Importação inferior ou igual a 40%"
        FOREIGN_DIRECT_CAMEX = 6, "6 - Estrangeira - Importação direta, sem similar nacional (lista CAMEX)"
        FOREIGN_INTERNAL_CAMEX = 7, "7 - Estrangeira - Adquirida no mercado interno, sem similar nacional (lista CAMEX)"
        NATIONAL_IMPORT_OVER_70 = 8, "8 - Nacional, com Conteúdo de Importação superior a 70%"

    class ItemType(models.TextChoices):
        """Tipo do item, as in the SPED Fiscal (registro 0200, campo TIPO_ITEM)."""

        RESALE = "00", "00 - Mercadoria para Revenda"
        RAW_MATERIAL = "01", "01 - Matéria-prima"
        PACKAGING = "02", "02 - Embalagem"
        IN_PROCESS = "03", "03 - Produto em Processo"
        FINISHED = "04", "04 - Produto Acabado"
        BYPRODUCT = "05", "05 - Subproduto"
        INTERMEDIATE = "06", "06 - Produto Intermediário"
        CONSUMABLE = "07", "07 - Material de Uso e Consumo"
        FIXED_ASSET = "08", "08 - Ativo Imobilizado"
        SERVICE = "09", "09 - Serviços"
        OTHER_INPUTS = "10", "10 - Outros insumos"
        OTHER = "99", "99 - Outras"

    normalizers = {
        "code": _upper,
        "integration_code": _strip,
        "description": _strip,
        "unit": _upper,
        "ncm": brazil.normalize_ncm,
        "ean": brazil.normalize_ean,
        "cest": brazil.normalize_cest,
    }

    # Not indexed on its own: every index below starts with the company.
    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="products", on_delete=models.CASCADE, db_index=False
    )
    code = models.CharField(
        "código do produto", max_length=60, help_text="Único na empresa. Ex.: PRD00001."
    )
    integration_code = models.CharField(
        "código de integração",
        max_length=60,
        blank=True,
        help_text="Código do produto no seu sistema (opcional); único na empresa.",
    )
    description = models.CharField("descrição", max_length=120)
    unit = models.CharField("unidade", max_length=6, default="UN", help_text="Ex.: UN, KG, CX, PC.")
    ncm = models.CharField("NCM", max_length=8, help_text="8 dígitos. Ex.: 8471.30.12.")
    ean = models.CharField(
        "EAN (GTIN)", max_length=14, blank=True, help_text="8, 12, 13 ou 14 dígitos."
    )
    price = models.DecimalField(
        "preço unitário de venda",
        max_digits=15,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"), "O preço não pode ser negativo.")],
    )
    origin = models.PositiveSmallIntegerField(
        "origem da mercadoria",
        choices=Origin.choices,
        default=Origin.NATIONAL,
        validators=[MaxValueValidator(8)],
    )
    item_type = models.CharField(
        "tipo do item", max_length=2, choices=ItemType.choices, default=ItemType.RESALE
    )
    cest = models.CharField("CEST", max_length=7, blank=True, help_text="Ex.: 21.053.00.")
    family = models.ForeignKey(
        ProductFamily,
        verbose_name="família",
        related_name="products",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    suppliers = models.ManyToManyField(
        Party, verbose_name="fornecedores", related_name="supplied_products", blank=True
    )
    characteristics = CharacteristicsField(
        "características", default=dict, blank=True, help_text="Pares nome → valor, na ordem informada."
    )
    active = models.BooleanField("ativo", default=True)
    version = models.PositiveIntegerField("versão", default=1)
    created_at = models.DateTimeField("incluído em", auto_now_add=True)
    updated_at = models.DateTimeField("alterado em", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "produto"
        verbose_name_plural = "produtos"
        ordering = ["description", "id"]
        indexes = [
            models.Index(fields=["company", "description", "id"], name="product_company_descr"),
            # The API's listings page by id inside a company (a deep page stays an index scan).
            models.Index(fields=["company", "id"], name="product_company_id"),
            # EAN lookups are always inside a company (uniqueness, the API's filter, the
            # preview's duplicates) and compare GTIN-14 forms: see ean_gtin14().
            models.Index(models.F("company"), ean_gtin14(), name="product_company_gtin"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"],
                name="product_unique_code_per_company",
                violation_error_message="Já existe um produto com este código nesta empresa.",
            ),
            models.UniqueConstraint(
                fields=["company", "integration_code"],
                condition=~models.Q(integration_code=""),
                name="product_unique_integration_code",
                violation_error_message="Já existe um produto com este código de integração.",
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="product_price_not_negative",
                violation_error_message="O preço não pode ser negativo.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} - {self.description}"

    def clean(self) -> None:
        _validate_characteristics(self.characteristics)
        if self.family_id and self.family.company_id != self.company_id:
            raise ValidationError({"family": "A família pertence a outra empresa."})

    @property
    def ncm_masked(self) -> str:
        return brazil.mask_ncm(self.ncm)

    @property
    def cest_masked(self) -> str:
        return brazil.mask_cest(self.cest)


class BillOfMaterialsItem(models.Model):
    """One line of a product's structure (estrutura): a component and its quantity."""

    product = models.ForeignKey(
        Product, verbose_name="produto", related_name="bom_items", on_delete=models.CASCADE
    )
    component = models.ForeignKey(
        Product, verbose_name="componente", related_name="used_in", on_delete=models.PROTECT
    )
    quantity = models.DecimalField(
        "quantidade",
        max_digits=15,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"), "A quantidade deve ser maior que zero.")],
    )

    class Meta:
        verbose_name = "item da estrutura"
        verbose_name_plural = "estrutura do produto"
        ordering = ["component__code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "component"], name="bom_unique_component"),
            models.CheckConstraint(
                condition=~models.Q(product=models.F("component")), name="bom_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component} × {self.quantity}"


class Attachment(models.Model):
    """An image or file attached to a party or a product, pointing at a shared Blob."""

    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="attachments", on_delete=models.CASCADE
    )
    party = models.ForeignKey(
        Party, related_name="attachments", on_delete=models.CASCADE, null=True, blank=True
    )
    product = models.ForeignKey(
        Product, related_name="attachments", on_delete=models.CASCADE, null=True, blank=True
    )
    blob = models.ForeignKey(Blob, related_name="attachments", on_delete=models.PROTECT)
    filename = models.CharField("nome do arquivo", max_length=200)
    is_image = models.BooleanField("imagem", default=False)
    created_at = models.DateTimeField("anexado em", auto_now_add=True)

    class Meta:
        verbose_name = "imagem ou anexo"
        verbose_name_plural = "imagens e anexos"
        ordering = ["filename", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(party__isnull=False, product__isnull=True)
                    | models.Q(party__isnull=True, product__isnull=False)
                ),
                name="attachment_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.filename


class StockBalance(models.Model):
    """Saldo de estoque of a product in its own company. Never shared."""

    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="stock_balances", on_delete=models.CASCADE
    )
    product = models.OneToOneField(
        Product, verbose_name="produto", related_name="stock_balance", on_delete=models.CASCADE
    )
    quantity = models.DecimalField("saldo", max_digits=15, decimal_places=4, default=Decimal("0"))
    updated_at = models.DateTimeField("atualizado em", auto_now=True)

    class Meta:
        verbose_name = "saldo de estoque"
        verbose_name_plural = "saldos de estoque"

    def __str__(self) -> str:
        return f"{self.product}: {self.quantity}"


class PriceTable(models.Model):
    """Tabela de preço of one company. Never shared."""

    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="price_tables", on_delete=models.CASCADE
    )
    name = models.CharField("nome", max_length=60)
    active = models.BooleanField("ativa", default=True)

    class Meta:
        verbose_name = "tabela de preço"
        verbose_name_plural = "tabelas de preço"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="price_table_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PriceTableItem(models.Model):
    table = models.ForeignKey(PriceTable, verbose_name="tabela", related_name="items", on_delete=models.CASCADE)
    product = models.ForeignKey(
        Product, verbose_name="produto", related_name="price_table_items", on_delete=models.CASCADE
    )
    price = models.DecimalField(
        "preço",
        max_digits=15,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), "O preço não pode ser negativo.")],
    )

    class Meta:
        verbose_name = "item da tabela de preço"
        verbose_name_plural = "itens da tabela de preço"
        constraints = [
            models.UniqueConstraint(fields=["table", "product"], name="price_item_unique_product")
        ]

    def __str__(self) -> str:
        return f"{self.table}: {self.product} = {self.price}"
