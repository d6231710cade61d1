"""Admin for support staff over the master records of every company.

Every write goes through `catalog/services.py`, like every other write path, so the
sharing engine sees (and may refuse) what support staff do here:

- Saving runs the service once, in `save_related()`, when the main form *and* the inlines
  (the product's structure, a price table's items) are valid and known. The service's
  refusal (ValidationError, WriteRefused, StaleEdit) rolls the admin's transaction back
  and the same submission is rendered again with the refusal as form errors (see
  `ServiceWriteAdmin.changeform_view`): nothing is written and nothing is lost.
- An edit carries the version the form was loaded with (`expected_version`, hidden), so
  an edit made on a stale page is refused with the current values instead of
  overwriting a newer change.
- Deleting a client/supplier or product is soft (it becomes inactive, through
  `party_delete` / `product_delete`); "Inativar" and "Reativar" are edits of `active`.
- Where catalog/services.py has no function for a write (deleting a salesperson,
  family, stock balance or price table; renaming a price table), the admin does not
  offer it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from catalog import selectors, services
from catalog.display import display_value
from catalog.exceptions import StaleEdit, WriteRefused
from catalog.models import (
    Attachment,
    BillOfMaterialsItem,
    Blob,
    Party,
    PriceTable,
    PriceTableItem,
    Product,
    ProductFamily,
    Salesperson,
    StockBalance,
)
from catalog.validators import validate_storable_json
from companies.admin import MaskedSearchMixin, accept_masked_input
from omieshare.lib.search import words_condition
from omieshare.lib.text import printable
from omieshare.templatetags.numbers import format_number

# Errors a catalog service raises to refuse a write; nothing was written.
SERVICE_ERRORS = (ValidationError, WriteRefused, StaleEdit)
# Bulk actions call the service once per record; beyond this, use a command instead.
MAX_RECORDS_PER_ACTION = 1000
_REFUSAL = "_catalog_service_refusal"


class ServiceRefused(Exception):
    """Raised out of the admin's transaction when a service refused the write."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _refusal(request) -> Exception | None:
    return getattr(request, _REFUSAL, None)


def _messages_of(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error)]


def _refusal_messages_for(error: Exception | None, key: str) -> list[str]:
    """The messages of a refusal's ValidationError that belong to one field key."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return list(error.message_dict.get(key, []))
    return []


def _is_autocomplete(request) -> bool:
    """The admin's autocomplete asks for this model's rows: no per-row counts needed."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"


def _display(record: models.Model, name: str) -> str:
    """A field of a saved record as the other pages show it (masked CNPJ/CPF, "Sim"/"Não")."""
    field = record._meta.get_field(name)
    if field.many_to_many:
        return display_value([str(item) for item in getattr(record, name).all()])
    if field.choices:
        return display_value(getattr(record, f"get_{name}_display")())
    return display_value(getattr(record, name), name)


# --- forms -------------------------------------------------------------------------------


class ServiceModelForm(forms.ModelForm):
    """A model form whose record is written by a catalog service, not by `save()`.

    On the second rendering after a refusal, `service_refusal` holds the service's error
    and `clean()` turns it into errors on this form (so the form is never valid then).
    """

    service_refusal: Exception | None = None
    # Error keys shown on an inline instead (e.g. "bom" on the structure inline).
    inline_error_keys: dict[str, str] = {}

    def clean(self):
        cleaned_data = super().clean()
        if self.service_refusal is not None:
            self._add_refusal(self.service_refusal)
        return cleaned_data

    def _add_refusal(self, error: Exception) -> None:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for key, messages_ in error.message_dict.items():
                if key in self.inline_error_keys:
                    self.add_error(None, f"Corrija {self.inline_error_keys[key]} abaixo.")
                elif key in self.fields:
                    self.add_error(key, messages_)
                elif key == NON_FIELD_ERRORS:
                    self.add_error(None, messages_)
                else:
                    label = _label(self._meta.model, key)
                    self.add_error(None, [f"{label}: {message}" for message in messages_])
        else:
            self.add_error(None, _messages_of(error))


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # not a model field (e.g. "bom")
        return name


class StorableJSONField(forms.JSONField):
    """The admin's JSON box (characteristics, tags), where escapes are typed as they are:
    "\\u0000" and a lone "\\ud800" are refused on the field (PostgreSQL's jsonb takes neither),
    and shown back as the escapes typed (written raw, a lone surrogate made the page itself
    unencodable: an error page instead of the form)."""

    def to_python(self, value):
        converted = super().to_python(value)
        validate_storable_json(converted, "Este valor")
        return converted

    def prepare_value(self, value):
        return printable(super().prepare_value(value))


class CatalogRecordForm(ServiceModelForm):
    """Party and product forms: masked input accepted, the loaded version carried along."""

    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1
    )
    # Model field → model property that shows the stored value with its mask.
    masked_initial: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accept_masked_input(self, self._meta.model.normalizers)
        if self.instance.pk:
            self.fields["expected_version"].required = True
            self.fields["expected_version"].initial = self.instance.version
            for name, masked in self.masked_initial.items():
                if name in self.fields:
                    self.initial[name] = getattr(self.instance, masked)
            if isinstance(self.service_refusal, StaleEdit) and self.is_bound:
                # The user has now seen the current values (listed in the error): saving
                # again is a deliberate choice, based on the current version.
                self.data = self.data.copy()
                self.data[self.add_prefix("expected_version")] = str(self.service_refusal.current.version)

    def _add_refusal(self, error: Exception) -> None:
        if not isinstance(error, StaleEdit):
            return super()._add_refusal(error)
        current = error.current
        names = [
            name
            for name in self.changed_data
            if name != "expected_version" and name in {f.name for f in current._meta.get_fields()}
        ]
        message = str(error)
        if names:
            values = "; ".join(f"{_label(type(current), name)}: {_display(current, name)}" for name in names)
            message = f"{message} Valores atuais: {values}."
        message += " Para manter os seus valores, salve novamente."
        self.add_error(None, message)

    def record_company(self):
        """The company of the record: chosen on an add form, fixed afterwards."""
        if self.instance.pk:
            return self.instance.company
        return self.cleaned_data.get("company")

    def check_same_company(self, name: str, items: Iterable[models.Model]) -> None:
        """A friendlier message than the service's for a choice from another company."""
        company = self.record_company()
        if company is None:
            return
        strangers = [str(item) for item in items if item is not None and item.company_id != company.pk]
        if strangers:
            self.add_error(
                name,
                f"Pertence a outra empresa (escolha um cadastro de {company}): {', '.join(strangers)}.",
            )


class PartyAdminForm(CatalogRecordForm):
    masked_initial = {"cnpj_cpf": "cnpj_cpf_masked", "cep": "cep_masked"}

    class Meta:
        model = Party
        fields = ["company", *services.PARTY_FIELDS, "salespeople"]
        field_classes = {"characteristics": StorableJSONField, "tags": StorableJSONField}

    def clean(self):
        cleaned_data = super().clean()
        self.check_same_company("salespeople", cleaned_data.get("salespeople") or [])
        return cleaned_data


class ProductAdminForm(CatalogRecordForm):
    masked_initial = {"ncm": "ncm_masked", "cest": "cest_masked"}
    inline_error_keys = {"bom": "a estrutura do produto"}

    class Meta:
        model = Product
        fields = ["company", *services.PRODUCT_FIELDS, "suppliers"]
        field_classes = {"characteristics": StorableJSONField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "code" in self.fields and not self.instance.pk:
            self.fields["code"].required = False
            self.fields["code"].help_text = (
                "Único na empresa. Deixe em branco para usar o código sugerido."
            )

    def clean(self):
        cleaned_data = super().clean()
        self.check_same_company("suppliers", cleaned_data.get("suppliers") or [])
        if cleaned_data.get("family"):
            self.check_same_company("family", [cleaned_data["family"]])
        return cleaned_data


class ServiceInlineFormSet(BaseInlineFormSet):
    """An inline whose rows the parent's service writes; shows that service's errors."""

    service_errors: list[str] = []

    def clean(self):
        super().clean()
        if self.service_errors:
            raise ValidationError(self.service_errors)


class LimitedInlineFormSet(ServiceInlineFormSet):
    """Shows at most `max_shown` existing rows, so a table of 100,000 items still opens.

    Rows not shown are not part of the submission and are left as they are.
    """

    max_shown = 50

    def get_queryset(self):
        if not hasattr(self, "_limited_queryset"):
            self._limited_queryset = super().get_queryset()[: self.max_shown]
        return self._limited_queryset


# --- the service-backed ModelAdmin -------------------------------------------------------


class ServiceWriteAdmin(admin.ModelAdmin):
    """A ModelAdmin that writes through catalog services (see the module docstring).

    Subclasses implement `write(request, form, formsets, change)`: call the service(s)
    and return the record as written.
    """

    save_as = False

    def write(self, request, form, formsets, change: bool) -> models.Model:
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The first pass rolled back: nothing was written. Render the same submission
            # again; this time the form carries the refusal as errors and is not valid.
            setattr(request, _REFUSAL, refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = _refusal(request)
        if refusal is not None and issubclass(form, ServiceModelForm):
            form = type(form.__name__, (form,), {"service_refusal": refusal})
        return form

    def save_model(self, request, obj, form, change):
        """Nothing here: the record is written once, in save_related(), with its inlines."""

    def save_related(self, request, form, formsets, change):
        if _refusal(request) is not None:  # never write on the rendering of a refusal
            raise RuntimeError("A refused submission must not be written.")
        try:
            record = self.write(request, form, formsets, change)
        except SERVICE_ERRORS as error:
            raise ServiceRefused(error) from error
        # The admin logs and redirects with form.instance: make it the record as written.
        form.instance.pk = record.pk
        form.instance.refresh_from_db()

    def construct_change_message(self, request, form, formsets, add=False):
        # The inlines were written by the service, not saved by their formsets.
        message = super().construct_change_message(request, form, [], add)
        changed_inlines = [str(fs.model._meta.verbose_name_plural) for fs in formsets if fs.has_changed()]
        if changed_inlines and not add:
            message.append({"changed": {"fields": changed_inlines}})
        return message


class CatalogRecordAdmin(MaskedSearchMixin, ServiceWriteAdmin):
    """Parties and products: versioned, soft-deleted, written with source="admin"."""

    registry: str  # "party" or "product"
    show_full_result_count = False  # no second COUNT(*) over 100,000+ rows per page
    ordering = ["-updated_at", "-id"]
    delete_confirmation_template = "admin/catalog/soft_delete_confirmation.html"
    actions = ["deactivate_selected", "reactivate_selected"]
    record_readonly_fields = ["version", "created_at", "updated_at"]
    # The fields the search looks in, word by word (the list pages' search, served by the
    # trigram index of catalog/migrations/0008_search_words; `search_fields` only turns the
    # admin's search box and autocomplete on).
    search_words_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        """Every word somewhere in the record, accents and masks ignored: the list pages'
        search, over every company (the admin's per-column `icontains` has no index)."""
        condition = words_condition(self.search_words_fields, search_term)
        return (queryset if condition is None else queryset.filter(condition)), False

    # Subclasses: the three services of the registry.
    def update(self, **kwargs):
        raise NotImplementedError

    def soft_delete(self, **kwargs):
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.record_readonly_fields)
        if obj is not None:
            readonly.insert(0, "company")  # a record never moves to another company
        return readonly

    @admin.display(description="CNPJ/CPF", ordering="cnpj_cpf")
    def document(self, record) -> str:
        return record.cnpj_cpf_masked or "—"

    # deletion: soft, through the service ------------------------------------------------

    def get_deleted_objects(self, objs, request):
        # Nothing is removed: only the records themselves become inactive.
        return [str(obj) for obj in objs], {}, set(), []

    def log_deletions(self, request, queryset):
        # The record stays; log the soft delete as the change it is.
        return LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=list(queryset),
            action_flag=CHANGE,
            change_message="Excluído pelo admin: ficou inativo (exclusão lógica).",
        )

    def delete_model(self, request, obj):
        try:
            self.soft_delete(
                company=obj.company, record_id=obj.pk, actor_id=request.user.pk, source="admin"
            )
        except SERVICE_ERRORS as error:
            raise ServiceRefused(error) from error

    def delete_queryset(self, request, queryset):
        raise NotImplementedError("Bulk deletion goes through the soft_delete_selected action.")

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(
                request,
                "Não foi possível excluir: " + " ".join(_messages_of(refused.error)) + " Nada foi alterado.",
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id])
            )

    def response_delete(self, request, obj_display, obj_id):
        if IS_POPUP_VAR in request.POST:
            return super().response_delete(request, obj_display, obj_id)
        # Not Django's "deleted successfully": the record is still there, inactive.
        self.message_user(
            request,
            f"{capfirst(self.opts.verbose_name)} “{obj_display}” excluído: ficou inativo e pode ser "
            "reativado (ação “Reativar selecionados”). Nada foi apagado.",
            messages.SUCCESS,
        )
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return HttpResponseRedirect(
            add_preserved_filters(
                {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}, changelist
            )
        )

    # actions ----------------------------------------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            # The site-wide action would hard-delete; ours soft-deletes through the service.
            actions["delete_selected"] = (
                type(self).soft_delete_selected,
                "delete_selected",
                "Excluir %(verbose_name_plural)s selecionados (ficam inativos)",
            )
        return actions

    def _for_each(
        self,
        request,
        queryset,
        write: Callable[[Any], Any],
        *,
        done: str,
        skip: Callable[[Any], bool] | None = None,
        skipped: str = "",
        log: str,
    ) -> None:
        ids = list(queryset.values_list("pk", flat=True)[: MAX_RECORDS_PER_ACTION + 1])
        if len(ids) > MAX_RECORDS_PER_ACTION:
            self.message_user(
                request,
                f"Selecione no máximo {MAX_RECORDS_PER_ACTION} cadastros por vez. Nada foi alterado.",
                messages.ERROR,
            )
            return
        written, not_needed, refused = 0, 0, []
        for record in self.model.objects.filter(pk__in=ids).select_related("company"):
            if skip is not None and skip(record):
                not_needed += 1
                continue
            try:
                write(record)
            except SERVICE_ERRORS as error:
                refused.append(f"{record} ({record.company}): {' '.join(_messages_of(error))}")
            else:
                written += 1
                LogEntry.objects.log_actions(
                    user_id=request.user.pk, queryset=[record], action_flag=CHANGE, change_message=log
                )
        if written:
            self.message_user(
                request, f"{written} {model_ngettext(self.opts, written)} {done}", messages.SUCCESS
            )
        if not_needed:
            self.message_user(
                request, f"{not_needed} {model_ngettext(self.opts, not_needed)} {skipped}", messages.INFO
            )
        for line in refused:
            self.message_user(request, f"Recusado, nada alterado: {line}", messages.ERROR)

    @admin.action(permissions=["delete"], description="Excluir selecionados (ficam inativos)")
    def soft_delete_selected(self, request, queryset):
        if request.POST.get("post"):
            self._for_each(
                request,
                queryset,
                lambda record: self.soft_delete(
                    company=record.company, record_id=record.pk, actor_id=request.user.pk, source="admin"
                ),
                done="excluído(s): ficaram inativos e podem ser reativados. Nada foi apagado.",
                log="Excluído pelo admin: ficou inativo (exclusão lógica).",
            )
            return None
        shown = list(queryset.select_related("company")[:MAX_RECORDS_PER_ACTION + 1])
        context = {
            **self.admin_site.each_context(request),
            "title": "Excluir (inativar) cadastros",
            "subtitle": None,
            "opts": self.opts,
            "objects_name": str(model_ngettext(self.opts, len(shown))),
            "queryset": shown[:MAX_RECORDS_PER_ACTION],
            "too_many": len(shown) > MAX_RECORDS_PER_ACTION,
            "max_records": MAX_RECORDS_PER_ACTION,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/soft_delete_selected_confirmation.html", context)

    @admin.action(permissions=["change"], description="Inativar selecionados")
    def deactivate_selected(self, request, queryset):
        self._for_each(
            request,
            queryset,
            lambda record: self.update(
                company=record.company, record_id=record.pk, data={"active": False},
                actor_id=request.user.pk, source="admin",
            ),
            done="inativado(s).",
            skip=lambda record: not record.active,
            skipped="já estava(m) inativo(s).",
            log="Inativado pelo admin.",
        )

    @admin.action(permissions=["change"], description="Reativar selecionados")
    def reactivate_selected(self, request, queryset):
        self._for_each(
            request,
            queryset,
            lambda record: self.update(
                company=record.company, record_id=record.pk, data={"active": True},
                actor_id=request.user.pk, source="admin",
            ),
            done="reativado(s).",
            skip=lambda record: record.active,
            skipped="já estava(m) ativo(s).",
            log="Reativado pelo admin.",
        )


# --- clients and suppliers, products -----------------------------------------------------


class AttachmentInline(admin.TabularInline):
    """The record's images and attachments, to look at (add them on the Attachment page)."""

    model = Attachment
    fields = ["filename", "is_image", "size", "blob", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("blob")

    @admin.display(description="tamanho (bytes)")
    def size(self, attachment: Attachment) -> int:
        return attachment.blob.size


class PartyAttachmentInline(AttachmentInline):
    fk_name = "party"


class ProductAttachmentInline(AttachmentInline):
    fk_name = "product"


@admin.register(Party)
class PartyAdmin(CatalogRecordAdmin):
    registry = "party"
    form = PartyAdminForm
    list_display = [
        "legal_name",
        "trade_name",
        "document",
        "company",
        "city",
        "state",
        "is_client",
        "is_supplier",
        "active",
        "version",
        "updated_at",
    ]
    list_filter = ["company", "active", "is_client", "is_supplier", "person_type", "state"]
    list_select_related = ["company"]
    search_fields = ["legal_name", "trade_name", "cnpj_cpf", "code", "email", "city"]
    search_words_fields = selectors.PARTY_SEARCH_FIELDS
    autocomplete_fields = ["company", "salespeople"]
    inlines = [PartyAttachmentInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "company",
                    "cnpj_cpf",
                    "person_type",
                    "legal_name",
                    "trade_name",
                    "code",
                    ("is_client", "is_supplier"),
                    "active",
                ]
            },
        ),
        (
            "Endereço",
            {"fields": ["street", "number", "complement", "district", "city", "state", "cep", "country_code"]},
        ),
        (
            "Exterior",
            {
                "fields": ["nif", "foreign_document"],
                "description": "Só para cliente/fornecedor do exterior (UF EX, país diferente de 1058): sem "
                "CNPJ/CPF, ele não é compartilhado entre as empresas do grupo.",
            },
        ),
        ("Contato", {"fields": [("phone_ddd", "phone_number"), "email", "salespeople"]}),
        ("Características e tags", {"fields": ["characteristics", "tags"]}),
        ("Controle", {"fields": ["version", "created_at", "updated_at", "expected_version"]}),
    ]

    def update(self, *, record_id, **kwargs):
        return services.party_update(party_id=record_id, **kwargs)

    def soft_delete(self, *, record_id, **kwargs):
        return services.party_delete(party_id=record_id, **kwargs)

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        data = {name: cleaned[name] for name in services.PARTY_FIELDS if name in form.fields}
        if "salespeople" in form.fields:
            data["salespeople"] = list(cleaned.get("salespeople") or [])
        if change:
            return services.party_update(
                company=form.instance.company,
                party_id=form.instance.pk,
                data=data,
                expected_version=cleaned["expected_version"],
                actor_id=request.user.pk,
                source="admin",
            )
        return services.party_create(
            company=cleaned["company"], data=data, actor_id=request.user.pk, source="admin"
        )


class BillOfMaterialsInline(admin.TabularInline):
    """The product's structure; written by the product service as its `bom`."""

    model = BillOfMaterialsItem
    fk_name = "product"
    formset = ServiceInlineFormSet
    fields = ["component", "quantity"]
    autocomplete_fields = ["component"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        errors = _refusal_messages_for(_refusal(request), "bom")
        if errors:
            formset = type(formset.__name__, (formset,), {"service_errors": errors})
        return formset


def _inline_lines(formset, *fields: str) -> list[tuple]:
    """The rows a valid inline formset holds after the submission (deleted ones left out)."""
    lines = []
    for row in formset.forms:
        data = getattr(row, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or any(data.get(name) is None for name in fields):
            continue
        lines.append(tuple(data[name] for name in fields))
    return lines


@admin.register(Product)
class ProductAdmin(CatalogRecordAdmin):
    registry = "product"
    form = ProductAdminForm
    list_display = [
        "code",
        "description",
        "company",
        "unit",
        "ncm_display",
        "ean",
        "price",
        "family",
        "active",
        "version",
        "updated_at",
    ]
    list_display_links = ["code", "description"]
    list_filter = ["company", "active", "item_type", "origin"]
    list_select_related = ["company", "family"]
    search_fields = ["code", "description", "ean", "ncm"]
    search_words_fields = selectors.PRODUCT_SEARCH_FIELDS
    autocomplete_fields = ["company", "family", "suppliers"]
    inlines = [BillOfMaterialsInline, ProductAttachmentInline]
    fieldsets = [
        (None, {"fields": ["company", "code", "description", "unit", "price", "family", "active"]}),
        ("Fiscal", {"fields": ["ncm", "cest", "ean", "origin", "item_type"]}),
        ("Fornecedores e características", {"fields": ["suppliers", "characteristics", "integration_code"]}),
        ("Controle", {"fields": ["version", "created_at", "updated_at", "expected_version"]}),
    ]

    @admin.display(description="NCM", ordering="ncm")
    def ncm_display(self, product: Product) -> str:
        return product.ncm_masked

    def update(self, *, record_id, **kwargs):
        return services.product_update(product_id=record_id, **kwargs)

    def soft_delete(self, *, record_id, **kwargs):
        return services.product_delete(product_id=record_id, **kwargs)

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        data = {name: cleaned[name] for name in services.PRODUCT_FIELDS if name in form.fields}
        if "suppliers" in form.fields:
            data["suppliers"] = list(cleaned.get("suppliers") or [])
        for formset in formsets:
            if formset.model is BillOfMaterialsItem and (formset.has_changed() or not change):
                data["bom"] = _inline_lines(formset, "component", "quantity")
        if change:
            return services.product_update(
                company=form.instance.company,
                product_id=form.instance.pk,
                data=data,
                expected_version=cleaned["expected_version"],
                actor_id=request.user.pk,
                source="admin",
            )
        return services.product_create(
            company=cleaned["company"], data=data, actor_id=request.user.pk, source="admin"
        )


# --- salespeople and families --------------------------------------------------------------


class SalespersonAdminForm(ServiceModelForm):
    class Meta:
        model = Salesperson
        fields = ["company", "name", "email", "active"]


@admin.register(Salesperson)
class SalespersonAdmin(ServiceWriteAdmin):
    form = SalespersonAdminForm
    list_display = ["name", "email", "company", "active"]
    list_filter = ["company", "active"]
    list_select_related = ["company"]
    search_fields = ["name", "email"]
    autocomplete_fields = ["company"]
    fields = ["company", "name", "email", "active"]

    def get_readonly_fields(self, request, obj=None):
        return ["company"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a salesperson: make it inactive instead

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if change:
            return services.salesperson_update(
                company=form.instance.company,
                salesperson_id=form.instance.pk,
                data={name: cleaned[name] for name in ("name", "email", "active")},
            )
        return services.salesperson_create(
            company=cleaned["company"], name=cleaned["name"], email=cleaned["email"], active=cleaned["active"]
        )


class ProductFamilyAdminForm(ServiceModelForm):
    class Meta:
        model = ProductFamily
        fields = ["company", "name"]


@admin.register(ProductFamily)
class ProductFamilyAdmin(ServiceWriteAdmin):
    form = ProductFamilyAdminForm
    list_display = ["name", "company", "product_count"]
    list_filter = ["company"]
    list_select_related = ["company"]
    search_fields = ["name"]
    autocomplete_fields = ["company"]
    fields = ["company", "name"]

    ordering = ["name", "id"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_autocomplete(request):
            return queryset
        return queryset.annotate(product_count=Count("products"))

    @admin.display(description="produtos", ordering="product_count")
    def product_count(self, family: ProductFamily) -> str:
        return format_number(family.product_count)

    def get_readonly_fields(self, request, obj=None):
        return ["company"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a family (products point at it)

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if change:
            return services.family_rename(
                company=form.instance.company, family_id=form.instance.pk, name=cleaned["name"]
            )
        return services.family_create(company=cleaned["company"], name=cleaned["name"])


# --- images and attachments ----------------------------------------------------------------


class AttachmentAddForm(ServiceModelForm):
    upload = forms.FileField(label="arquivo")

    class Meta:
        model = Attachment
        fields = ["company", "party", "product"]

    def clean(self):
        cleaned_data = super().clean()
        party, product = cleaned_data.get("party"), cleaned_data.get("product")
        if bool(party) == bool(product):
            raise ValidationError("Escolha um cliente/fornecedor ou um produto (apenas um).")
        record = party or product
        company = cleaned_data.get("company")
        if company and record.company_id != company.pk:
            self.add_error("party" if party else "product", f"Pertence a outra empresa: {record.company}.")
        upload = cleaned_data.get("upload")
        if upload and upload.size > settings.MAX_ATTACHMENT_BYTES:
            self.add_error(
                "upload", f"Arquivo grande demais: o limite é {settings.MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."
            )
        return cleaned_data


@admin.register(Attachment)
class AttachmentAdmin(ServiceWriteAdmin):
    """Files are added and removed through the services; an attachment is never edited."""

    list_display = ["filename", "owner", "company", "is_image", "size", "created_at"]
    list_filter = ["company", "is_image"]
    list_select_related = ["company", "party", "product", "blob"]
    search_fields = ["filename", "blob__sha256"]
    autocomplete_fields = ["company", "party", "product"]
    show_full_result_count = False
    readonly_fields = ["company", "party", "product", "blob", "filename", "is_image", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AttachmentAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["company", "party", "product", "upload"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="cadastro")
    def owner(self, attachment: Attachment) -> str:
        return str(attachment.party or attachment.product)

    @admin.display(description="tamanho (bytes)", ordering="blob__size")
    def size(self, attachment: Attachment) -> int:
        return attachment.blob.size

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        record = cleaned.get("party") or cleaned.get("product")
        upload = cleaned["upload"]
        return services.attachment_add(
            company=cleaned["company"],
            registry="party" if cleaned.get("party") else "product",
            record_id=record.pk,
            filename=upload.name,
            content=upload.read(),
            content_type=getattr(upload, "content_type", "") or "",
            actor_id=request.user.pk,
            source="admin",
        )

    def delete_model(self, request, obj):
        try:
            services.attachment_remove(
                company=obj.company, attachment_id=obj.pk, actor_id=request.user.pk, source="admin"
            )
        except SERVICE_ERRORS as error:
            raise ServiceRefused(error) from error

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all the selected files, or none
            for attachment in queryset.select_related("company"):
                self.delete_model(request, attachment)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(
                request, "Não foi possível remover: " + " ".join(_messages_of(refused.error)), messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:catalog_attachment_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ServiceRefused as refused:  # from the "delete selected" action
            self.message_user(
                request, "Não foi possível remover: " + " ".join(_messages_of(refused.error)), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    """Stored bytes, shared by every attachment with the same content. Read-only."""

    list_display = ["sha256", "size", "content_type", "uses", "created_at"]
    search_fields = ["=sha256"]
    list_filter = ["content_type"]
    readonly_fields = ["sha256", "size", "content_type", "file", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(uses=Count("attachments"))

    @admin.display(description="usado por", ordering="uses")
    def uses(self, blob: Blob) -> str:
        return format_number(blob.uses)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- stock and price tables (local to each company, never shared) ------------------------------


class StockBalanceAdminForm(ServiceModelForm):
    class Meta:
        model = StockBalance
        fields = ["product", "quantity"]


@admin.register(StockBalance)
class StockBalanceAdmin(ServiceWriteAdmin):
    form = StockBalanceAdminForm
    list_display = ["product", "company", "quantity", "updated_at"]
    list_filter = ["company"]
    list_select_related = ["product", "company"]
    search_fields = ["product__code", "product__description"]
    autocomplete_fields = ["product"]
    show_full_result_count = False
    fields = ["product", "company", "quantity", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["product", "company", "updated_at"] if obj is not None else ["company", "updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a balance: set it to zero instead

    def write(self, request, form, formsets, change):
        product = form.instance.product if change else form.cleaned_data["product"]
        return services.stock_balance_set(
            company=product.company, product_id=product.pk, quantity=form.cleaned_data["quantity"]
        )


class PriceTableItemInline(admin.TabularInline):
    """The table's prices; the 50 first rows (all of them under "Itens da tabela de preço")."""

    model = PriceTableItem
    formset = LimitedInlineFormSet
    fields = ["product", "price"]
    autocomplete_fields = ["product"]
    extra = 0
    can_delete = False  # no service removes an item

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("table", "product").order_by("product__code", "pk")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        errors = _refusal_messages_for(_refusal(request), "items")
        if errors:
            formset = type(formset.__name__, (formset,), {"service_errors": errors})
        return formset


class PriceTableAdminForm(ServiceModelForm):
    inline_error_keys = {"items": "os itens da tabela"}

    class Meta:
        model = PriceTable
        fields = ["company", "name", "active"]


@admin.register(PriceTable)
class PriceTableAdmin(ServiceWriteAdmin):
    form = PriceTableAdminForm
    list_display = ["name", "company", "active", "item_count"]
    list_filter = ["company", "active"]
    list_select_related = ["company"]
    search_fields = ["name"]
    autocomplete_fields = ["company"]
    fields = ["company", "name", "active", "items_link"]
    inlines = [PriceTableItemInline]

    ordering = ["name", "id"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_autocomplete(request):
            return queryset
        return queryset.annotate(item_count=Count("items"))

    @admin.display(description="itens", ordering="item_count")
    def item_count(self, table: PriceTable) -> str:
        return format_number(table.item_count)

    @admin.display(description="todos os itens")
    def items_link(self, table: PriceTable) -> str:
        if not table.pk:
            return "—"
        url = reverse("admin:catalog_pricetableitem_changelist") + f"?table__id__exact={table.pk}"
        return format_html('<a href="{}">{} itens (abaixo, os {} primeiros)</a>',
                           url, table.items.count(), LimitedInlineFormSet.max_shown)

    def get_readonly_fields(self, request, obj=None):
        # No service renames a table or changes its "ativa" flag once created.
        return ["company", "name", "active", "items_link"] if obj is not None else ["items_link"]

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a price table

    def write(self, request, form, formsets, change):
        if change:
            table = form.instance
        else:
            cleaned = form.cleaned_data
            table = services.price_table_create(
                company=cleaned["company"], name=cleaned["name"], active=cleaned["active"]
            )
        for formset in formsets:
            if formset.model is not PriceTableItem:
                continue
            for row in formset.forms:
                if not getattr(row, "cleaned_data", None) or not (row.has_changed() or not change):
                    continue
                product, price = row.cleaned_data.get("product"), row.cleaned_data.get("price")
                if product is None or price is None:
                    continue
                try:
                    services.price_table_item_set(
                        company=table.company, table_id=table.pk, product_id=product.pk, price=price
                    )
                except ValidationError as error:
                    raise ValidationError({"items": [f"{product}: {m}" for m in error.messages]}) from error
                except (Product.DoesNotExist, PriceTable.DoesNotExist) as error:
                    raise ValidationError(
                        {"items": [f"{product}: o produto pertence a outra empresa."]}
                    ) from error
        return table


class PriceTableItemAdminForm(ServiceModelForm):
    class Meta:
        model = PriceTableItem
        fields = ["table", "product", "price"]

    def clean(self):
        cleaned_data = super().clean()
        table, product = cleaned_data.get("table"), cleaned_data.get("product")
        if table and product and table.company_id != product.company_id:
            self.add_error("product", f"O produto pertence a outra empresa ({product.company}).")
        return cleaned_data


@admin.register(PriceTableItem)
class PriceTableItemAdmin(ServiceWriteAdmin):
    form = PriceTableItemAdminForm
    list_display = ["product", "table", "company", "price"]
    list_filter = ["table__company", "table"]
    list_select_related = ["product", "table", "table__company"]
    search_fields = ["product__code", "product__description", "table__name"]
    autocomplete_fields = ["table", "product"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return ["table", "product"] if obj is not None else []

    @admin.display(description="empresa", ordering="table__company")
    def company(self, item: PriceTableItem) -> str:
        return str(item.table.company)

    def has_delete_permission(self, request, obj=None):
        return False  # no service removes an item from a table

    def write(self, request, form, formsets, change):
        table = form.instance.table if change else form.cleaned_data["table"]
        product = form.instance.product if change else form.cleaned_data["product"]
        try:
            return services.price_table_item_set(
                company=table.company, table_id=table.pk, product_id=product.pk, price=form.cleaned_data["price"]
            )
        except (Product.DoesNotExist, PriceTable.DoesNotExist) as error:
            raise ValidationError({"product": "O produto pertence a outra empresa."}) from error
