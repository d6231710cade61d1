"""What every catalog admin page builds on: service-backed forms, inlines and ModelAdmin.

See the package docstring (catalog/admin/__init__.py) for how writes go through
`catalog/services.py`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet

from catalog.display import display_value
from catalog.exceptions import StaleEdit, WriteRefused
from catalog.validators import validate_storable_json
from omieshare.lib.admin import ServiceRefused, messages_of
from omieshare.lib.text import printable

# Errors a catalog service raises to refuse a write; nothing was written.
SERVICE_ERRORS = (ValidationError, WriteRefused, StaleEdit)
_REFUSAL = "_catalog_service_refusal"


def _refusal(request) -> Exception | None:
    return getattr(request, _REFUSAL, None)


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
            self.add_error(None, messages_of(error))


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
    """A ModelAdmin that writes through catalog services (see catalog/admin/__init__.py).

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
