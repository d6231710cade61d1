"""What the client/supplier and product pages share: the versioned form and the
ModelAdmin with masked search, deletion through the service and "Inativar"/"Reativar" in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import model_ngettext
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst

from catalog import field_groups
from catalog.admin._common import SERVICE_ERRORS, ServiceModelForm, ServiceWriteAdmin, _display, _label
from catalog.display import is_unset
from catalog.exceptions import StaleEdit
from catalog.forms import is_optional_number, record_formfield
from companies.admin import MaskedSearchMixin, accept_masked_input
from omieshare.lib.admin import MAX_RECORDS_PER_ACTION, ServiceRefused, messages_of
from omieshare.lib.search import words_condition

# Where a deleted record can still be found, for the messages after a deletion.
_KEPT = (
    "Uma cópia completa fica guardada para o suporte (Compartilhamento de cadastros → Cópias anteriores, "
    "motivo “excluído”), de onde pode ser restaurada."
)


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


def _paired(names: list[str]) -> list[str | tuple[str, str]]:
    """A phone's DDD and number on one line, as people read them."""
    result: list[str | tuple[str, str]] = []
    for name in names:
        if result and isinstance(result[-1], str) and result[-1].endswith("_ddd") \
                and name == result[-1].removesuffix("_ddd") + "_number":
            result[-1] = (result[-1], name)
        else:
            result.append(name)
    return result


class CatalogRecordAdmin(MaskedSearchMixin, ServiceWriteAdmin):
    """Parties and products: versioned, deleted through the service (which keeps a copy),
    written with source="admin"."""

    registry: str  # "party" or "product"
    show_full_result_count = False  # no second COUNT(*) over 100,000+ rows per page
    ordering = ["-updated_at", "-id"]
    delete_confirmation_template = "admin/catalog/record_delete_confirmation.html"
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

    # Fields of the groups that the admin edits elsewhere (an inline) or not at all.
    fields_apart: tuple[str, ...] = ("attachments",)
    # Fields of the first fieldset before the record's own (the company of a new record).
    leading_fields: tuple[str, ...] = ("company",)

    def get_fieldsets(self, request, obj=None):
        """The groups of the record pages (catalog/field_groups.py), every stored field in
        one; the rare ones (Veículo, Dados bancários…) collapsed unless the record holds a
        value in them. Django opens a collapsed group that holds an error."""
        fieldsets = []
        for group in field_groups.groups(self.registry):
            names = [name for name in group.names if name not in self.fields_apart]
            if not names:
                continue
            if not fieldsets:
                names = [*self.leading_fields, *names]
            options: dict[str, Any] = {"fields": _paired(names)}
            if group.rare and (obj is None or all(is_unset(obj, name) for name in names)):
                options["classes"] = ["collapse"]
            if group.note:
                options["description"] = group.note
            fieldsets.append((group.title, options))
        fieldsets.append(("Controle", {"fields": ["version", "created_at", "updated_at", "expected_version"]}))
        return fieldsets

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Omie's weights, aliquots and counts: left empty they keep their 0, as on the pages.
        if is_optional_number(db_field):
            return record_formfield(db_field, **kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Subclasses: the three services of the registry.
    def update(self, **kwargs):
        raise NotImplementedError

    def delete_record(self, **kwargs):
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.record_readonly_fields)
        if obj is not None:
            readonly.insert(0, "company")  # a record never moves to another company
        return readonly

    @admin.display(description="CNPJ/CPF", ordering="cnpj_cpf")
    def document(self, record) -> str:
        return record.cnpj_cpf_masked or "—"

    # deletion: through the service -------------------------------------------------------

    def get_deleted_objects(self, objs, request):
        # The service refuses a record others use and removes the record's own rows with it
        # (kept in its copy); Django's list of cascades and protected rows would say otherwise.
        return [str(obj) for obj in objs], {}, set(), []

    def delete_model(self, request, obj):
        try:
            self.delete_record(
                company=obj.company, record_id=obj.pk, actor_id=request.user.pk, source="admin"
            )
        except SERVICE_ERRORS as error:
            raise ServiceRefused(error) from error

    def delete_queryset(self, request, queryset):
        raise NotImplementedError("Bulk deletion goes through the delete_selected_records action.")

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(
                request,
                "Não foi possível excluir: " + " ".join(messages_of(refused.error)) + " Nada foi alterado.",
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id])
            )

    def response_delete(self, request, obj_display, obj_id):
        if IS_POPUP_VAR in request.POST:
            return super().response_delete(request, obj_display, obj_id)
        # Not only Django's "deleted successfully": where the record can still be found.
        self.message_user(
            request,
            f"{capfirst(self.opts.verbose_name)} “{obj_display}” excluído. {_KEPT}",
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
            # The site-wide action would delete the rows directly; ours goes through the service.
            actions["delete_selected"] = (
                type(self).delete_selected_records,
                "delete_selected",
                "Excluir %(verbose_name_plural)s selecionados",
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
        flag: int = CHANGE,
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
                refused.append(f"{record} ({record.company}): {' '.join(messages_of(error))}")
            else:
                written += 1
                LogEntry.objects.log_actions(
                    user_id=request.user.pk, queryset=[record], action_flag=flag, change_message=log
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

    @admin.action(permissions=["delete"], description="Excluir selecionados")
    def delete_selected_records(self, request, queryset):
        if request.POST.get("post"):
            self._for_each(
                request,
                queryset,
                lambda record: self.delete_record(
                    company=record.company, record_id=record.pk, actor_id=request.user.pk, source="admin"
                ),
                done=f"excluído(s). {_KEPT}",
                log="Excluído pelo admin.",
                flag=DELETION,
            )
            return None
        shown = list(queryset.select_related("company")[:MAX_RECORDS_PER_ACTION + 1])
        context = {
            **self.admin_site.each_context(request),
            "title": "Excluir cadastros",
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
        return TemplateResponse(request, "admin/catalog/record_delete_selected_confirmation.html", context)

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
