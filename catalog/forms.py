"""Forms of the catalog pages.

They parse and validate what a user typed, and show stored values the way users read them
(masked CNPJ/CPF, CEP, NCM, CEST; "nome: valor" characteristics; "CÓDIGO; quantidade"
structure lines). They never write: the views hand `*_data()` to catalog/services.py, which
normalises and validates again (`full_clean()`) and is the only write path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from catalog import field_groups, selectors
from catalog.display import record_value
from catalog.models import Party, Product, ProductFamily, Salesperson, characteristics_dict
from catalog.services import PARTY_FIELDS, PRODUCT_FIELDS
from catalog.templatetags.catalog_extras import filesize, format_decimal_br, quantity
from companies.models import Company
from omieshare.lib import brazil
from omieshare.lib.text import is_ascii_digits, without_unstorable

# Room for masks: "12.ABC.345/01DE-35" is 18 characters for a 14-character CNPJ, and a
# paste adds spaces around dashes ("11.222.333/0001 – 81"): the model's normaliser strips
# the separators and checks the stored length itself.
MASKED_MAX_LENGTHS = {
    "cnpj_cpf": 32,
    "cep": 16,
    "country_code": 8,
    "phone_ddd": 8,
    "phone_number": 20,
    "ncm": 20,
    "cest": 16,
    "ean": 32,
    "city_ibge": 12,
    "phone2_ddd": 8,
    "phone2_number": 20,
    "fax_ddd": 8,
    "fax_number": 20,
    "bank_code": 8,
    "bank_holder_document": 32,
    "delivery_document": 32,
    "delivery_cep": 16,
    "manufacturer_cnpj": 32,
    "cfop": 8,
}

# Stored bare, shown (and so edited) with their masks.
MASKED_INITIAL: dict[str, Callable[[str], str]] = {
    "cnpj_cpf": brazil.mask_cpf_cnpj,
    "bank_holder_document": brazil.mask_cpf_cnpj,
    "delivery_document": brazil.mask_cpf_cnpj,
    "manufacturer_cnpj": brazil.mask_cpf_cnpj,
    "cep": brazil.mask_cep,
    "delivery_cep": brazil.mask_cep,
    "ncm": brazil.mask_ncm,
    "cest": brazil.mask_cest,
}

# Numbers a person must give even though the model has a default: Omie requires a
# product's valor_unitario, and the form always asked for it.
REQUIRED_NUMBERS = frozenset({"price"})


def _relax_max_length(field: forms.Field, max_length: int) -> None:
    field.max_length = max_length
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.validators.append(MaxLengthValidator(max_length))
    field.widget.attrs["maxlength"] = str(max_length)


def _require_version(field: forms.Field) -> None:
    # Without the version an edit could overwrite a newer change unnoticed.
    field.required = True
    field.error_messages["required"] = (
        "Recarregue a página: o formulário não informou a versão do cadastro que você abriu."
    )


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a ValidationError raised by a service on the form field it names (on the form
    as a whole when it names no field of this form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


# --- shared records: the fields this company may not change -----------------------------

# Form fields that edit a shared field (catalog/services.py data) of another name.
_SHARED_FIELD_OF = {"suppliers_add": "suppliers"}


class SharedFieldsMixin:
    """The edit form of a shared record in a company without the edit permission: the
    shared fields (which ones: the share status, from sharing/canonical.py) are shown
    disabled and left out of what is saved, so the fields that stay in the company can
    still be edited. A locked field that is posted anyway (a forged request, or a page
    opened before the permission was withdrawn) is handed to the service, whose sharing
    hook refuses the change."""

    locked_fields: frozenset[str] = frozenset()
    _kept: frozenset[str] = frozenset()  # locked and not posted: saved as they are
    share_status = None  # catalog.hooks.RecordShareStatus of a shared record

    def _lock_shared_fields(self, status) -> None:
        self.share_status = status
        if status is None:
            return
        self.locked_fields = frozenset(
            name for name in self.fields
            if name != "version" and status.locks(_SHARED_FIELD_OF.get(name, name))
        )
        kept = set()
        for name in self.locked_fields:
            field = self.fields[name]
            # An example in an empty read-only field would read as its value.
            field.widget.attrs.pop("placeholder", None)
            if self.is_bound and self.add_prefix(name) in self.data:
                field.widget.attrs["disabled"] = True
            else:
                field.disabled = True  # Django then ignores any value and keeps the saved one
                kept.add(name)
        self._kept = frozenset(kept)

    def full_clean(self) -> None:
        super().full_clean()
        # A kept field is not saved, so an old value today's rules reject blocks nothing.
        for name in self._kept:
            if self._errors is not None:
                self._errors.pop(name, None)

    @property
    def editable_summary(self) -> list[str]:
        """The visible fields this company may still change, by group, as the form labels
        them: "Identificação: Código de integração, Tags", a whole group by its name."""
        names = [
            name for name, field in self.fields.items()
            if name not in self.locked_fields and not field.widget.is_hidden and name != "suppliers_add"
        ]
        labels = {name: str(self.fields[name].label) for name in names}
        return [str(summary) for summary in field_groups.summarize(self.registry, names, labels)]


# --- the form's fields by group ----------------------------------------------------------


@dataclass(frozen=True)
class FormItem:
    field: forms.BoundField
    wide: bool  # spans the whole row
    mark: str  # "compartilhado" / "nesta empresa" in a group that mixes both, else ""


@dataclass(frozen=True)
class FormGroup:
    group: field_groups.Group
    items: tuple[FormItem, ...]
    open: bool  # a rare group is collapsed unless it holds a value or an error
    sharing_text: str  # what the group's badge says on a shared record, else ""

    @property
    def title(self) -> str:
        return self.group.title

    @property
    def slug(self) -> str:
        return self.group.slug

    @property
    def collapsible(self) -> bool:
        return self.group.rare

    @property
    def filled(self) -> int:
        return sum(1 for item in self.items if _holds_value(item.field))


# Always a whole row: long names and what a person reads as a sentence.
_WIDE_FIELDS = frozenset({"legal_name", "description", "origin", "billing_email", "salespeople", "anp_description",
                          "weapon_description"})


def _holds_value(field: forms.BoundField) -> bool:
    """Whether a field shows something other than its empty state (a rare group holding a
    value is shown open)."""
    value = field.value()
    if isinstance(value, str):
        value = value.strip()
        if isinstance(field.field, forms.DecimalField | forms.IntegerField):  # "0,00" is no value
            try:
                value = field.field.to_python(value)
            except ValidationError:
                return True  # something was typed
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return value not in (None, "", False, 0)


class GroupedFieldsMixin:
    """The form's fields in the groups of catalog/omie_fields.py (catalog/field_groups.py),
    for the template to render fieldset by fieldset."""

    registry: str  # "party" / "product"
    # Rendered by the template with the field they belong to (the supplier search box).
    rendered_with: frozenset[str] = frozenset()

    @property
    def groups(self) -> list[FormGroup]:
        shared_record = self.share_status is not None
        result = []
        for group in field_groups.groups(self.registry):
            items = []
            for name in group.names:
                if name not in self.fields or name in self.rendered_with:
                    continue
                field = self[name]
                mark = ""
                if shared_record and group.sharing == "mixed" and name not in self.locked_fields:
                    mark = "compartilhado" if name in group.shared_names else "nesta empresa"
                widget = field.field.widget
                wide = name in _WIDE_FIELDS or isinstance(widget, forms.Textarea | forms.MultipleHiddenInput)
                items.append(FormItem(field, wide, mark))
            if not items:
                continue
            is_open = not group.rare or any(item.field.errors or _holds_value(item.field) for item in items)
            result.append(FormGroup(
                group, tuple(items), is_open,
                field_groups.sharing_text(group.sharing) if shared_record else "",
            ))
        return result


# --- text formats for structured values ------------------------------------------------


def parse_characteristics(text: str) -> dict[str, str]:
    """ "nome: valor" per line → {"nome": "valor"}. Blank lines are ignored."""
    result: dict[str, str] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, separator, value = line.partition(":")
        name = name.strip()
        if not separator or not name:
            errors.append(f"Linha {number}: use o formato nome: valor (ex.: Cor: azul).")
            continue
        if name in result:
            errors.append(f"Linha {number}: a característica “{name}” aparece mais de uma vez.")
            continue
        result[name] = value.strip()
    if errors:
        raise ValidationError(errors)
    return result


def format_characteristics(values: Any) -> str:
    values = characteristics_dict(values)  # the sharing engine's [name, value] pairs too
    if not isinstance(values, Mapping):
        return ""
    return "\n".join(f"{name}: {value}" for name, value in values.items())


def parse_tags(text: str) -> list[str]:
    tags: list[str] = []
    for tag in text.split(","):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def format_tags(values: Any) -> str:
    if not isinstance(values, list | tuple):
        return ""
    labels = [str(v.get("tag", "")) if isinstance(v, Mapping) else str(v) for v in values]
    return ", ".join(label for label in labels if label)


# A number as written: ASCII digits only, since Decimal() also reads "1_000" and other
# scripts' digits ("١٢" is 12), which nobody types meaning a quantity or a price.
_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")


def parse_decimal_br(text: str) -> Decimal:
    """ "2,5", "1.234,5" and "2.5" are all read as users mean them."""
    text = text.strip().replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    if not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class BrazilianDecimalField(forms.DecimalField):
    """A number typed and shown as a person writes it: "1.234,56" (also "1234,56",
    "1234.56"), a weight "0,250". Django's own localized input only drops thousand dots
    while USE_THOUSAND_SEPARATOR is on, which it is not (it put dots into ids, settings.py).

    `empty_value` is what an empty box means: None (the field is then usually required) or,
    for Omie's numbers that it sends as 0 when not informed, 0, which is then shown as an
    empty box too: a form of forty zeros hides the few numbers that were filled in."""

    widget = forms.TextInput

    def __init__(self, *args: Any, empty_value: Decimal | None = None, **kwargs: Any) -> None:
        self.empty_value = empty_value
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.setdefault("inputmode", "decimal")
        return attrs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            if self.empty_value is not None and value == self.empty_value:
                return ""
            places = self.decimal_places or 0
            text = format_decimal_br(value, places)
            if places > 2:  # a weight of 1,2500 kg reads 1,25; 0,2505 stays
                integer, _, decimals = text.partition(",")
                text = f"{integer},{decimals.rstrip('0').ljust(2, '0')}"
            return text
        return value

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return self.empty_value
        if isinstance(value, str):
            integer, comma, decimals = value.strip().replace(" ", "").partition(",")
            # As Django did with the separator on: one dot followed by 1, 2 or 4+ digits
            # is a decimal point ("2.5"); otherwise dots group thousands ("1.234").
            if not (integer.count(".") == 1 and len(integer.rsplit(".", 1)[1]) != 3):
                integer = integer.replace(".", "")
            value = f"{integer}.{decimals}" if comma else integer
            # ASCII digits only: Django's own field reads "١٢٣" (Arabic-Indic) as 123 and
            # "1_000" as 1000.
            if value and not _DECIMAL_TEXT.fullmatch(value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class OptionalIntegerField(forms.IntegerField):
    """A whole number Omie sends as 0 when not informed (dias de garantia, código da
    transportadora): an empty box is 0, and 0 is shown as an empty box."""

    def __init__(self, *args: Any, empty_value: int = 0, **kwargs: Any) -> None:
        self.empty_value = empty_value
        kwargs["required"] = False
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "" if value == self.empty_value else value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return self.empty_value
        return super().to_python(value)


def is_optional_number(db_field: models.Field) -> bool:
    """Omie's numbers with a default (weights, aliquots, counts): left empty, they keep it."""
    return (
        isinstance(db_field, models.DecimalField | models.IntegerField)
        and not db_field.choices
        and not db_field.null
        and db_field.has_default()
        and db_field.name not in REQUIRED_NUMBERS
    )


def record_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """The form field of a Party or Product column, for the pages and the admin: decimals
    typed the Brazilian way; Omie's defaulted numbers optional, empty meaning 0; dates as
    dd/mm/aaaa."""
    optional = is_optional_number(db_field)
    if isinstance(db_field, models.DecimalField):
        kwargs["form_class"] = BrazilianDecimalField
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "0,00"}))
        if optional:
            kwargs.update(required=False, empty_value=db_field.get_default())
    elif optional:
        kwargs.update(form_class=OptionalIntegerField, empty_value=db_field.get_default())
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
    elif isinstance(db_field, models.DateField):
        kwargs.setdefault("widget", forms.DateInput(attrs={"placeholder": "dd/mm/aaaa", "inputmode": "numeric"}))
    elif isinstance(db_field, models.TextField):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
    return db_field.formfield(**kwargs)


def parse_bom_lines(text: str) -> list[tuple[int, str, Decimal]]:
    """ "CÓDIGO; quantidade" per line → [(line number, CODE, quantity)]."""
    lines = []
    errors = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, separator, amount = line.replace("\t", ";").partition(";")
        code = code.strip().upper()
        if not separator or not code or not amount.strip():
            errors.append(f"Linha {number}: use o formato CÓDIGO; quantidade (ex.: PRD00001; 2,5).")
            continue
        try:
            value = parse_decimal_br(amount)
        except ValueError:
            errors.append(f"Linha {number}: quantidade inválida “{amount.strip()}”.")
            continue
        if value <= 0:
            errors.append(f"Linha {number}: a quantidade deve ser maior que zero.")
            continue
        if value.as_tuple().exponent < -4:
            errors.append(f"Linha {number}: use no máximo 4 casas decimais na quantidade.")
            continue
        if code in seen:
            errors.append(f"Linha {number}: o componente {code} já está na linha {seen[code]}.")
            continue
        seen[code] = number
        lines.append((number, code, value))
    if errors:
        raise ValidationError(errors)
    return lines


# --- list filters ----------------------------------------------------------------------


class SearchField(forms.CharField):
    """A search box: NUL (which PostgreSQL cannot search) is dropped and the rest searched,
    instead of the whole filter form turning invalid and the search being ignored."""

    def to_python(self, value: Any) -> str:
        return without_unstorable(super().to_python(value))


class PartyListFilterForm(forms.Form):
    q = SearchField(label="Buscar", required=False)
    status = forms.ChoiceField(
        label="Situação",
        required=False,
        choices=[
            (selectors.STATUS_ACTIVE, "Ativos"),
            (selectors.STATUS_INACTIVE, "Inativos"),
            (selectors.STATUS_ALL, "Todos"),
        ],
    )
    kind = forms.ChoiceField(
        label="Tipo",
        required=False,
        choices=[
            (selectors.KIND_ALL, "Clientes e fornecedores"),
            (selectors.KIND_CLIENTS, "Clientes"),
            (selectors.KIND_SUPPLIERS, "Fornecedores"),
        ],
    )

    def filters(self) -> selectors.ListFilters:
        """The filters asked for; anything invalid falls back to the default."""
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.ListFilters(
            q=(data.get("q") or "")[:100],
            status=data.get("status") or selectors.STATUS_ACTIVE,
            kind=data.get("kind") or selectors.KIND_ALL,
        )


class ProductListFilterForm(PartyListFilterForm):
    kind = None  # products have no client/supplier split


# --- clients and suppliers ---------------------------------------------------------------


class SalespersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Salesperson) -> str:
        suffix = "" if obj.active else " (inativo)"
        return f"{obj.name} <{obj.email}>{suffix}"


class RecordFormMixin(SharedFieldsMixin, GroupedFieldsMixin):
    """What the party and product forms share: masked values accepted and shown masked,
    the version the edit is based on, the shared fields locked where this company may not
    change them, and the fields in their groups."""

    # Marks the labels of required fields (the form is novalidate: errors come from the server).
    required_css_class = "required"

    def _prepare(self) -> None:
        for name, max_length in MASKED_MAX_LENGTHS.items():
            if name in self.fields:
                _relax_max_length(self.fields[name], max_length)
        record = self.instance
        for name, mask in MASKED_INITIAL.items():
            if name in self.fields:
                self.initial[name] = mask(getattr(record, name))
        self.initial["characteristics"] = format_characteristics(record.characteristics)
        if record.pk:
            self.initial["version"] = record.version
            _require_version(self.fields["version"])

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    @property
    def fields_with_errors(self) -> list[forms.BoundField]:
        """The visible fields to correct, in the order the page shows them."""
        shown = [item.field.name for group in self.groups for item in group.items]
        shown += sorted(self.rendered_with)  # inside another field's block (the supplier box)
        return [self[name] for name in shown if self[name].errors]

    def clean_characteristics(self) -> dict[str, str]:
        return parse_characteristics(self.cleaned_data["characteristics"])

    def _service_data(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data and name not in self._kept}


class PartyForm(RecordFormMixin, forms.ModelForm):
    """Cliente/fornecedor: every field of Omie's clientes_cadastro. Accepts masked or bare
    CNPJ/CPF, CEP and phones."""

    registry = "party"

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    characteristics = forms.CharField(
        label="Características",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Segmento: varejo\nPorte: médio"}),
        help_text="Uma por linha, no formato nome: valor.",
    )
    tags = forms.CharField(
        label="Tags", required=False, help_text="Separadas por vírgula. Ex.: atacado, VIP."
    )
    salespeople = SalespersonChoiceField(
        label="Vendedores",
        queryset=Salesperson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Party
        fields = [*PARTY_FIELDS, "salespeople"]
        formfield_callback = record_formfield
        widgets = {
            "cnpj_cpf": forms.TextInput(attrs={"placeholder": "00.000.000/0000-00", "autocomplete": "off"}),
            "cep": forms.TextInput(attrs={"placeholder": "00000-000", "inputmode": "numeric"}),
            "country_code": forms.TextInput(attrs={"placeholder": "1058", "inputmode": "numeric", "size": 6}),
            "city_ibge": forms.TextInput(attrs={"placeholder": "3550308", "inputmode": "numeric"}),
            "phone_ddd": forms.TextInput(attrs={"placeholder": "11", "inputmode": "numeric", "size": 4}),
            "phone_number": forms.TextInput(attrs={"placeholder": "99999-9999", "inputmode": "tel"}),
            "phone2_ddd": forms.TextInput(attrs={"placeholder": "11", "inputmode": "numeric", "size": 4}),
            "phone2_number": forms.TextInput(attrs={"placeholder": "99999-9999", "inputmode": "tel"}),
            "fax_ddd": forms.TextInput(attrs={"placeholder": "11", "inputmode": "numeric", "size": 4}),
            "fax_number": forms.TextInput(attrs={"placeholder": "9999-9999", "inputmode": "tel"}),
            "state_registration": forms.TextInput(attrs={"placeholder": "110.042.490.114 ou ISENTO"}),
            "cnae": forms.TextInput(attrs={"placeholder": "4751-2/01"}),
            "bank_holder_document": forms.TextInput(attrs={"placeholder": "00.000.000/0000-00", "autocomplete": "off"}),
            "delivery_document": forms.TextInput(attrs={"placeholder": "00.000.000/0000-00", "autocomplete": "off"}),
            "delivery_cep": forms.TextInput(attrs={"placeholder": "00000-000", "inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, company: Company, share_status=None, **kwargs: Any) -> None:
        if kwargs.get("instance") is None:
            kwargs["instance"] = Party(company=company)
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["salespeople"].queryset = selectors.salespeople_for(company=company)
        self._prepare()
        self.initial["tags"] = format_tags(self.instance.tags)
        self._lock_shared_fields(share_status)

    def clean_characteristics(self) -> dict[str, str]:
        return parse_characteristics(self.cleaned_data["characteristics"])

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])

    def party_data(self) -> dict[str, Any]:
        """The service's `data` from a valid form."""
        data = self._service_data(PARTY_FIELDS)
        if "salespeople" not in self._kept:
            data["salespeople"] = [s.pk for s in self.cleaned_data.get("salespeople", [])]
        return data


# --- products ---------------------------------------------------------------------------


class ProductForm(RecordFormMixin, forms.ModelForm):
    """Produto: every field of Omie's produto_servico_cadastro. Accepts masked or bare NCM,
    CEST and EAN; prices, weights and aliquots as 1.234,56 / 0,250."""

    registry = "product"
    rendered_with = frozenset({"suppliers_add"})  # in the suppliers' block

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    characteristics = forms.CharField(
        label="Características",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Cor: azul\nVoltagem: 220 V"}),
        help_text="Uma por linha, no formato nome: valor.",
    )
    suppliers = forms.ModelMultipleChoiceField(
        label="Fornecedores",
        queryset=Party.objects.none(),
        required=False,
        # Rendered by the template (selected ones + search): a company may have thousands.
        widget=forms.MultipleHiddenInput,
    )
    suppliers_add = forms.CharField(
        label="Adicionar fornecedores",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "11.222.333/0001-81"}),
        help_text="CNPJ/CPF ou código de integração do fornecedor, um por linha.",
    )
    bom = forms.CharField(
        label="Estrutura do produto",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "PRD00001; 2\nPRD00002; 0,5"}),
        help_text="Um componente por linha, no formato CÓDIGO; quantidade.",
    )
    videos = forms.CharField(
        label="Vídeos",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://www.youtube.com/watch?v=…"}),
        help_text="Um endereço (URL) por linha.",
    )

    class Meta:
        model = Product
        fields = [*PRODUCT_FIELDS, "suppliers"]
        formfield_callback = record_formfield
        widgets = {
            "ncm": forms.TextInput(attrs={"placeholder": "0000.00.00", "inputmode": "numeric"}),
            "cest": forms.TextInput(attrs={"placeholder": "00.000.00", "inputmode": "numeric"}),
            "ean": forms.TextInput(attrs={"placeholder": "7890000000000", "inputmode": "numeric"}),
            "price": forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0,00"}),
            "net_weight": forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0,000"}),
            "gross_weight": forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0,000"}),
            "cfop": forms.TextInput(attrs={"placeholder": "5.102", "inputmode": "numeric"}),
            "manufacturer_cnpj": forms.TextInput(attrs={"placeholder": "00.000.000/0000-00", "autocomplete": "off"}),
        }

    def __init__(self, *args: Any, company: Company, share_status=None, **kwargs: Any) -> None:
        if kwargs.get("instance") is None:
            kwargs["instance"] = Product(company=company)
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["code"].required = False
        self.fields["code"].help_text = "Único na empresa. Em branco, usa o código sugerido."
        self.fields["family"].queryset = selectors.families_for(company=company)
        self.fields["family"].empty_label = "(sem família)"
        self.fields["suppliers"].queryset = selectors.suppliers_for(company=company)
        self._prepare()
        product = self.instance
        self.initial["videos"] = "\n".join(str(url) for url in product.videos or [])
        if product.pk:
            self.initial["bom"] = "\n".join(
                f"{item.component.code}; {quantity(item.quantity)}"
                for item in product.bom_items.select_related("component").order_by("component__code")
            )
            self.initial["suppliers"] = [p.pk for p in product.suppliers.all()]
        self._lock_shared_fields(share_status)

    def clean_videos(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["videos"].splitlines() if line.strip()]

    def clean_bom(self) -> list[tuple[int, Decimal]]:
        lines = parse_bom_lines(self.cleaned_data["bom"])
        ids = selectors.products_by_codes(company=self.company, codes=[code for _, code, _ in lines])
        missing = [
            f"Linha {number}: componente {code} não encontrado nesta empresa."
            for number, code, _ in lines
            if code not in ids
        ]
        if missing:
            raise ValidationError(missing)
        own_code = (self.instance.code or "").upper()
        for number, code, _ in lines:
            if self.instance.pk and code == own_code:
                raise ValidationError(f"Linha {number}: um produto não pode ser componente de si mesmo.")
        return [(ids[code], value) for _, code, value in lines]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        references = [line.strip() for line in (cleaned.get("suppliers_add") or "").splitlines()]
        references = [ref for ref in references if ref]
        if references:
            found = selectors.suppliers_by_reference(company=self.company, references=references)
            missing = [ref for ref in references if ref not in found]
            if missing:
                self.add_error(
                    "suppliers_add",
                    "Fornecedor não encontrado nesta empresa: " + ", ".join(missing) + ".",
                )
            else:
                self.added_supplier_ids = set(found.values())
        return cleaned

    added_supplier_ids: set[int] = frozenset()

    def supplier_ids(self) -> list[int]:
        """The ticked suppliers plus those added by CNPJ/CPF or code."""
        ids = {p.pk for p in self.cleaned_data.get("suppliers", [])}
        return sorted(ids | set(self.added_supplier_ids))

    def product_data(self) -> dict[str, Any]:
        data = self._service_data(PRODUCT_FIELDS)
        if not {"suppliers", "suppliers_add"} <= self._kept:
            data["suppliers"] = self.supplier_ids()
        if "bom" not in self._kept:
            data["bom"] = self.cleaned_data.get("bom", [])
        return data

    def selected_suppliers(self) -> list[Party]:
        """The suppliers to show ticked: what was posted, or the product's own."""
        if self.is_bound and "suppliers" not in self._kept:
            raw = self.data.getlist(self.add_prefix("suppliers")) if hasattr(self.data, "getlist") else []
            ids = [int(value) for value in raw if is_ascii_digits(str(value))]
        else:
            ids = list(self.initial.get("suppliers") or [])
        if not ids:
            return []
        return list(
            selectors.suppliers_for(company=self.company)
            .filter(pk__in=ids)
            .only("id", "legal_name", "trade_name", "cnpj_cpf", "active")
        )


# --- attachments, salespeople, families -------------------------------------------------


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Arquivo ou imagem")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.MAX_ATTACHMENT_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"O arquivo “{upload.name}” tem {filesize(upload.size)}; "
                f"o limite é {filesize(limit)}. Envie um arquivo menor."
            )
        return upload


class SalespersonForm(forms.ModelForm):
    class Meta:
        model = Salesperson
        fields = ["name", "email"]

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        kwargs.setdefault("instance", Salesperson(company=company))
        super().__init__(*args, **kwargs)


class FamilyForm(forms.ModelForm):
    class Meta:
        model = ProductFamily
        fields = ["name"]

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        kwargs.setdefault("instance", ProductFamily(company=company))
        super().__init__(*args, **kwargs)



class ConfirmDeleteForm(forms.Form):
    """The version of the record the user saw on the confirmation page."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- stale edits: what the user typed next to what is saved now --------------------------


def stale_differences(form: PartyForm | ProductForm, current: Party | Product) -> list[dict[str, str]]:
    """The fields where the user's refused edit differs from the record as saved now, so
    the form can show the current values without losing what the user typed."""
    typed = form.instance  # normalised by the form's model validation
    rows = []
    for name in form._meta.fields:
        if name in ("salespeople", "suppliers"):
            continue
        attname = current._meta.get_field(name).attname
        if getattr(typed, attname) != getattr(current, attname):
            label = str(form.fields[name].label)
            rows.append({"label": label, "yours": record_value(typed, name), "current": record_value(current, name)})

    def names(objects: Any) -> str:
        return ", ".join(sorted(getattr(o, "name", None) or o.legal_name for o in objects))

    if isinstance(form, PartyForm):
        yours = list(form.cleaned_data.get("salespeople") or [])
        now = list(current.salespeople.all())
        if {o.pk for o in yours} != {o.pk for o in now}:
            rows.append({"label": "Vendedores", "yours": names(yours), "current": names(now)})
    else:
        yours_ids = set(form.supplier_ids())
        now = list(current.suppliers.only("id", "legal_name"))
        if yours_ids != {o.pk for o in now}:
            yours = Party.objects.filter(company=form.company, pk__in=yours_ids).only("id", "legal_name")
            rows.append({"label": "Fornecedores", "yours": names(yours), "current": names(now)})
        typed_bom = sorted((pk, Decimal(q)) for pk, q in form.cleaned_data.get("bom") or [])
        now_items = list(current.bom_items.select_related("component").order_by("component__code"))
        if typed_bom != sorted((i.component_id, i.quantity) for i in now_items):
            codes = dict(
                Product.objects.filter(company=form.company, pk__in=[pk for pk, _ in typed_bom])
                .values_list("id", "code")
            )
            rows.append({
                "label": "Estrutura do produto",
                "yours": "; ".join(f"{codes.get(pk, pk)} × {quantity(q)}" for pk, q in typed_bom),
                "current": "; ".join(f"{i.component.code} × {quantity(i.quantity)}" for i in now_items),
            })
    return rows
