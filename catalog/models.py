"""Master records kept per company: clients/suppliers, products and what hangs off them.

Writes go through `catalog/services.py` only. Field names are ours; the Omie API name of
each field is listed in `catalog/omie_fields.py`, the one place that maps the two.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MaxValueValidator, MinValueValidator, URLValidator
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


def _is_email(address: str) -> bool:
    try:
        EmailValidator()(address)
    except ValidationError:
        return False
    return True


def _validate_videos(value) -> None:
    """A list of http(s) addresses (Omie's videos[].url_video)."""
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise ValidationError({"videos": "Informe os vídeos como uma lista de endereços (URL)."})
    for url in value:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({"videos": f"Endereço de vídeo inválido: {url[:80]}. Use http:// ou https://."}) \
                from None


def _validate_characteristics(value) -> None:
    try:
        validate_characteristics(value)
    except ValidationError as error:
        raise ValidationError({"characteristics": error.messages}) from None


# --- Omie's other fields (issue 12): every field of clientes_cadastro and
# produto_servico_cadastro is a column. Each has a database default (db_default) because
# the bulk SQL of sharing activation and the benchmarks inserts rows without naming
# them. Lengths are Omie's (sources in catalog/omie_fields.py); Omie's "S"/"N" flags are
# booleans; its decimals are DecimalFields, so a weight or an aliquot is never a float.


def _omie_text(label: str, max_length: int, help_text: str = "") -> models.CharField:
    return models.CharField(label, max_length=max_length, blank=True, default="", db_default="", help_text=help_text)


def _omie_long_text(label: str, help_text: str = "") -> models.TextField:
    return models.TextField(label, blank=True, default="", db_default="", help_text=help_text)


def _omie_flag(label: str, help_text: str = "", default: bool = False) -> models.BooleanField:
    return models.BooleanField(label, default=default, db_default=default, help_text=help_text)


def _omie_decimal(label: str, max_digits: int, places: int, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=max_digits, decimal_places=places, default=Decimal("0"), db_default=Decimal("0"),
        help_text=help_text,
        validators=[MinValueValidator(Decimal("0"), f"{label[:1].upper()}{label[1:]} não pode ser negativo.")],
    )


def _omie_percent(label: str) -> models.DecimalField:
    """An aliquot or reduction percentage, 0 to 100 with 4 decimals (18.0000 = 18%)."""
    # %% : a validator's message is %-formatted with its parameters.
    subject = f"{label[:1].upper()}{label[1:]}".replace("%", "%%")
    return models.DecimalField(
        label, max_digits=7, decimal_places=4, default=Decimal("0"), db_default=Decimal("0"),
        validators=[
            MinValueValidator(Decimal("0"), f"{subject} não pode ser negativo."),
            MaxValueValidator(Decimal("100"), f"{subject} é um percentual: no máximo 100."),
        ],
    )


def _omie_count(label: str, help_text: str = "") -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0, db_default=0, help_text=help_text)


def _omie_code(label: str, help_text: str = "") -> models.PositiveBigIntegerField:
    """A numeric id in Omie (a carrier, a price table): kept as the number sent, 0 = none."""
    return models.PositiveBigIntegerField(label, default=0, db_default=0, help_text=help_text)


def _omie_date(label: str) -> models.DateField:
    return models.DateField(label, null=True, blank=True)


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
        "state_registration": _upper,
        "municipal_registration": _strip,
        "suframa_registration": _strip,
        "activity_type": _strip,
        "cnae": brazil.normalize_cnae,
        "contact_name": _strip,
        "homepage": _strip,
        "phone2_ddd": brazil.normalize_ddd,
        "phone2_number": brazil.normalize_phone_number,
        "fax_ddd": brazil.normalize_ddd,
        "fax_number": brazil.normalize_phone_number,
        "city_ibge": brazil.normalize_ibge_city,
        "overdue_instruction": _strip,
        "installments": _strip,
        "billing_email": _lower,
        "subscriber_type": _strip,
        "bank_code": brazil.normalize_bank_code,
        "bank_branch": _strip,
        "bank_account": _strip,
        "bank_holder_document": brazil.normalize_cpf_cnpj,
        "bank_holder_name": _strip,
        "pix_key": _strip,
        "delivery_name": _strip,
        "delivery_document": brazil.normalize_cpf_cnpj,
        "delivery_street": _strip,
        "delivery_number": _strip,
        "delivery_complement": _strip,
        "delivery_district": _strip,
        "delivery_cep": brazil.normalize_cep,
        "delivery_state": brazil.normalize_uf,
        "delivery_city": _strip,
        "delivery_phone": _strip,
        "delivery_state_registration": _upper,
    }
    # The number may carry the DDD: "(21) 99999-8888" with the DDD field empty.
    pair_normalizers = {
        ("phone_ddd", "phone_number"): brazil.split_phone,
        ("phone2_ddd", "phone2_number"): brazil.split_phone,
        ("fax_ddd", "fax_number"): brazil.split_phone,
    }

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
    # --- Inscrições e tributação (each company keeps its own) ---
    state_registration = _omie_text("inscrição estadual", 20, "Ex.: 110.042.490.114, ou ISENTO.")
    municipal_registration = _omie_text("inscrição municipal", 20)
    suframa_registration = _omie_text("inscrição SUFRAMA", 20)
    icms_taxpayer = _omie_flag("contribuinte do ICMS", "Usado na emissão da NF-e.")
    simples_nacional = _omie_flag("optante do Simples Nacional")
    rural_producer = _omie_flag("produtor rural")
    activity_type = _omie_text("tipo de atividade", 1, "Código do tipo de atividade do Omie (ListarTipoAtiv).")
    cnae = _omie_text("CNAE fiscal", 9, "7 dígitos. Ex.: 4751-2/01.")
    # --- Contato ---
    contact_name = _omie_text("contato", 100, "Nome da pessoa para contato.")
    homepage = _omie_text("site", 100)
    phone2_ddd = _omie_text("DDD do telefone 2", 2)
    phone2_number = _omie_text("telefone 2", 9)
    fax_ddd = _omie_text("DDD do fax", 2)
    fax_number = _omie_text("fax", 9)
    notes = _omie_long_text("observações internas")
    detailed_notes = _omie_long_text("observações detalhadas")
    # --- Endereço: the IBGE code travels with the city it codes ---
    city_ibge = _omie_text("código IBGE da cidade", 7, "7 dígitos. Ex.: 3550308 (São Paulo).")
    # --- Faturamento e crédito ---
    credit_limit = _omie_decimal("limite de crédito", 15, 2)
    block_billing = _omie_flag("bloquear faturamento")
    blocked = _omie_flag("bloqueado", "Marca antiga do Omie (bloqueado); mantida como enviada.")
    block_deletion = _omie_flag("bloquear exclusão")
    send_attachments = _omie_flag("enviar anexos por e-mail")
    overdue_instruction = _omie_text(
        "instrução de protesto", 10, "Código da instrução de protesto (recomendação de atraso)."
    )
    # --- Recomendações ---
    installments = _omie_text("parcelas padrão", 10, "Código das parcelas padrão das vendas (ex.: 000, A30, T03).")
    billing_email = _omie_text("e-mail para NF-e e boleto", 500, "Enviar a NF-e e o boleto para este e-mail.")
    generate_boletos = _omie_flag("gerar boletos ao emitir NF-e")
    carrier_code = _omie_code("transportadora padrão", "Código do cliente/fornecedor transportadora.")
    subscriber_type = _omie_text("tipo de assinante", 2, "Para notas fiscais modelo 21 e 22.")
    # --- Dados bancários ---
    bank_code = _omie_text("banco", 3, "Código do banco, 3 dígitos. Ex.: 341.")
    bank_branch = _omie_text("agência", 10)
    bank_account = _omie_text("conta corrente", 25)
    bank_holder_document = _omie_text("CNPJ/CPF do titular", 14)
    bank_holder_name = _omie_text("nome do titular", 60)
    bank_transfer_default = _omie_flag("transferência como pagamento padrão")
    pix_key = _omie_text("chave PIX", 100)
    # --- Endereço de entrega ---
    delivery_name = _omie_text("nome / razão social (entrega)", 60)
    delivery_document = _omie_text("CNPJ/CPF do recebedor", 14)
    delivery_street = _omie_text("endereço de entrega", 60)
    delivery_number = _omie_text("número (entrega)", 60)
    delivery_complement = _omie_text("complemento (entrega)", 60)
    delivery_district = _omie_text("bairro (entrega)", 60)
    delivery_cep = _omie_text("CEP (entrega)", 8)
    delivery_state = _omie_text("UF (entrega)", 2)
    delivery_city = _omie_text("cidade (entrega)", 60)
    delivery_phone = _omie_text("telefone (entrega)", 20)
    delivery_state_registration = _omie_text("inscrição estadual (entrega)", 20)
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
        self._clean_omie_fields()

    def _clean_omie_fields(self) -> None:
        errors: dict[str, str] = {}
        prefix = brazil.UF_IBGE_CODES.get(self.state)
        if self.city_ibge and prefix and not self.city_ibge.startswith(prefix):
            # The code names another state's city: a NF-e would carry two places at once.
            errors["city_ibge"] = (
                f"O código IBGE {self.city_ibge} é de uma cidade de outro estado: os de {self.state} "
                f"começam com {prefix}."
            )
        if self.city_ibge and self.is_foreign:
            errors["city_ibge"] = "Cliente/fornecedor do exterior (UF EX) não tem código IBGE de cidade."
        invalid = [address for address in re.split(r"[;,\s]+", self.billing_email) if address
                   and not _is_email(address)]
        if invalid:
            errors["billing_email"] = (
                f"E-mail inválido para a NF-e e o boleto: {invalid[0]}. Separe vários e-mails com ponto e vírgula."
            )
        if errors:
            raise ValidationError(errors)

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
        "brand": _strip,
        "model_name": _strip,
        "manufacturer_cnpj": brazil.normalize_optional_cnpj,
        "cfop": brazil.normalize_cfop,
        "icms_cst": _strip,
        "icms_csosn": _strip,
        "pis_cst": _strip,
        "cofins_cst": _strip,
        "tax_rule_origin": _upper,
        "relevant_scale": _upper,
        "anvisa_code": _strip,
        "anp_code": _strip,
        "vehicle_chassis": _upper,
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
    # --- Dimensões e peso (each company keeps its own) ---
    net_weight = _omie_decimal("peso líquido (kg)", 15, 4)
    gross_weight = _omie_decimal("peso bruto (kg)", 15, 4)
    height = _omie_decimal("altura (cm)", 15, 4)
    width = _omie_decimal("largura (cm)", 15, 4)
    depth = _omie_decimal("profundidade (cm)", 15, 4)
    # --- Informações adicionais ---
    brand = _omie_text("marca", 60)
    model_name = _omie_text("modelo", 60)
    warranty_days = _omie_count("dias de garantia")
    crossdocking_days = _omie_count("dias de crossdocking")
    lead_time = _omie_count("lead time (dias)", "Prazo médio de ressuprimento, em dias.")
    detailed_description = _omie_long_text("descrição detalhada")
    internal_notes = _omie_long_text("observações internas")
    show_description_nfe = _omie_flag("exibir a descrição detalhada na NF-e")
    show_description_order = _omie_flag("exibir a descrição detalhada no pedido")
    videos = models.JSONField(
        "vídeos", default=list, db_default=[], blank=True, help_text="Endereços (URL) dos vídeos."
    )
    # --- Estoque e controle ---
    minimum_stock = _omie_decimal("estoque mínimo", 15, 4)
    blocked = _omie_flag("bloqueado")
    block_deletion = _omie_flag("bloquear exclusão")
    lot_controlled = _omie_flag("controla lote")
    # --- Recomendações fiscais (origem e CEST above) ---
    price_table_id = _omie_code("preço tabelado (pauta)", "ID do preço tabelado (pauta) no Omie.")
    sold_in_pos = _omie_flag("vendido no PDV (cupom fiscal)")
    sold_in_marketplace = _omie_flag("vendido em marketplace / e-commerce")
    # NF-e's indEscala: "S" or "N" only where the CEST asks for it, empty elsewhere, so a
    # tri-state rather than a boolean.
    relevant_scale = models.CharField(
        "produzido em escala relevante", max_length=1, blank=True, default="", db_default="",
        choices=[("S", "Sim"), ("N", "Não")],
    )
    manufacturer_cnpj = _omie_text("CNPJ do fabricante", 14)
    # --- Tributação (Omie: cenário de impostos padrão, as the PDV reads it) ---
    cfop = _omie_text("CFOP", 5, "Ex.: 5.102.")
    icms_cst = _omie_text("CST do ICMS", 3)
    icms_csosn = _omie_text("CSOSN do ICMS", 3)
    icms_modality = _omie_text("modalidade da base do ICMS", 1)
    icms_rate = _omie_percent("alíquota do ICMS (%)")
    icms_base_reduction = _omie_percent("redução da base do ICMS (%)")
    icms_relief_reason = _omie_text("motivo da desoneração do ICMS", 2)
    icms_fcp_rate = _omie_percent("FCP do ICMS (%)")
    tax_benefit_code = _omie_text("código de benefício fiscal", 10)
    pis_cst = _omie_text("CST do PIS", 2)
    pis_rate = _omie_percent("alíquota do PIS (%)")
    pis_base_reduction = _omie_percent("redução da base do PIS (%)")
    cofins_cst = _omie_text("CST da COFINS", 2)
    cofins_rate = _omie_percent("alíquota da COFINS (%)")
    cofins_base_reduction = _omie_percent("redução da base da COFINS (%)")
    ibs_cbs_cst = _omie_text("CST do IBS e da CBS", 3)
    ibs_cbs_class = _omie_text("classificação tributária do IBS e da CBS", 6)
    ibs_state_rate = _omie_percent("alíquota do IBS estadual (%)")
    ibs_city_rate = _omie_percent("alíquota do IBS municipal (%)")
    ibs_state_reduction = _omie_percent("redução do IBS estadual (%)")
    ibs_city_reduction = _omie_percent("redução do IBS municipal (%)")
    cbs_rate = _omie_percent("alíquota da CBS (%)")
    cbs_reduction = _omie_percent("redução da CBS (%)")
    tax_rule_origin = models.CharField(
        "origem da regra de imposto", max_length=3, blank=True, default="", db_default="",
        choices=[("NCM", "Pelo NCM"), ("PRD", "Pelo produto")],
    )
    ibpt_rate = _omie_percent("alíquota IBPT (%)")
    # --- IBPT (Lei 12.741/12: tributos aproximados na nota) ---
    ibpt_federal = _omie_percent("IBPT: carga federal (%)")
    ibpt_state = _omie_percent("IBPT: carga estadual (%)")
    ibpt_city = _omie_percent("IBPT: carga municipal (%)")
    ibpt_source = _omie_text("IBPT: fonte", 40)
    ibpt_key = _omie_text("IBPT: chave", 20)
    ibpt_version = _omie_text("IBPT: versão", 20)
    ibpt_valid_from = _omie_date("IBPT: válida a partir de")
    ibpt_valid_until = _omie_date("IBPT: válida até")
    # --- Medicamento, combustível, veículo e armamento (NF-e's specific product groups;
    # lengths are the NF-e layout's) ---
    anvisa_code = _omie_text("código ANVISA", 13)
    max_consumer_price = _omie_decimal("preço máximo ao consumidor", 15, 2)
    anp_code = _omie_text("código ANP", 9)
    anp_description = _omie_text("descrição ANP", 95)
    glp_percent = _omie_percent("GLP derivado do petróleo (%)")
    natural_gas_national_percent = _omie_percent("gás natural nacional (%)")
    natural_gas_imported_percent = _omie_percent("gás natural importado (%)")
    fuel_starting_value = _omie_decimal("valor de partida", 15, 2)
    vehicle_manufacture_year = _omie_text("ano de fabricação", 4)
    vehicle_model_year = _omie_text("ano do modelo", 4)
    vehicle_chassis = _omie_text("chassi", 17)
    vehicle_displacement = _omie_text("cilindradas", 4)
    vehicle_max_traction = _omie_text("capacidade máxima de tração", 9)
    vehicle_condition = _omie_text("condição do veículo", 1)
    vehicle_color_code = _omie_text("código da cor", 4)
    vehicle_denatran_color = _omie_text("cor DENATRAN", 2)
    vehicle_color = _omie_text("descrição da cor", 40)
    vehicle_axle_distance = _omie_text("distância entre eixos", 4)
    vehicle_species = _omie_text("espécie do veículo", 1)
    vehicle_max_capacity = _omie_text("lotação máxima", 3)
    vehicle_model_code = _omie_text("código marca/modelo", 6)
    vehicle_engine = _omie_text("número do motor", 21)
    vehicle_gross_weight = _omie_text("peso bruto do veículo", 9)
    vehicle_net_weight = _omie_text("peso líquido do veículo", 9)
    vehicle_power = _omie_text("potência do motor", 4)
    vehicle_serial = _omie_text("série do veículo", 9)
    vehicle_fuel_type = _omie_text("tipo de combustível", 2)
    vehicle_operation = _omie_text("tipo da operação", 1)
    vehicle_paint = _omie_text("tipo de pintura", 1)
    vehicle_restriction = _omie_text("restrição", 1)
    vehicle_type = _omie_text("tipo de veículo (RENAVAM)", 2)
    vehicle_vin_condition = _omie_text("condição do VIN", 1)
    weapon_barrel_serial = _omie_text("série do cano", 15)
    weapon_description = _omie_text("descrição da arma", 256)
    weapon_serial = _omie_text("série da arma", 15)
    weapon_type = _omie_text("tipo de arma", 1)
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
        _validate_videos(self.videos)
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
