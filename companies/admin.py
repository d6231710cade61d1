"""Admin for support staff: company groups, companies (one Omie "aplicativo" each) and
who may access them.

Companies are written with plain admin saves; the model form runs `Company.full_clean()`,
which normalises and checks the CNPJ, so a bad one is a form error, not a crash. Deleting
a company is not offered: it would take every master record of the company with it.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.core.validators import MaxLengthValidator
from django.db.models import Count

from companies.models import Company, CompanyGroup, Membership
from omieshare.lib.brazil import strip_mask

# A search term that looks like a masked document or code: letters/digits in groups joined
# by the punctuation of masks (11.222.333/0001-81, 12.ABC.345/01DE-35, 01310-100).
_MASKED_TERM = re.compile(r"[0-9A-Za-z]+(?:[.\-/][0-9A-Za-z]+)+[.\-/]?")


def unmasked_search_term(search_term: str) -> str | None:
    """The term without its mask when it looks like a masked CNPJ/CPF (or CEP, NCM…).

    Documents are stored bare, so "11.222.333/0001-81" must also be searched as
    "11222333000181". Plain words are left alone (None).
    """
    term = search_term.strip()
    if not _MASKED_TERM.fullmatch(term) or not any(c.isdigit() for c in term):
        return None
    return strip_mask(term)


class MaskedSearchMixin:
    """Admin search that also finds documents typed with their mask.

    `masked_search_fields` are the stored-bare fields (e.g. `cnpj`) searched with the term
    stripped of its mask, in addition to the usual search over `search_fields`.
    """

    masked_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        bare = unmasked_search_term(search_term)
        if bare and self.masked_search_fields:
            condition = None
            for field in self.masked_search_fields:
                lookup = queryset.filter(**{f"{field}__icontains": bare})
                condition = lookup if condition is None else condition | lookup
            results = results | condition
        return results, may_have_duplicates


def accept_masked_input(form: forms.BaseForm, field_names) -> None:
    """Let fields take the masked form of a value (18 characters for a masked CNPJ).

    The model normalises the value (`NormalizedFieldsMixin`) and checks its stored length
    itself; the form field's own max_length would refuse "12.ABC.345/01DE-35" first.
    """
    for name in field_names:
        field = form.fields.get(name)
        if field is None or not hasattr(field, "max_length"):
            continue
        field.max_length = None
        field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        field.widget.attrs.pop("maxlength", None)


class CompanyAdminForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = ["cnpj", "legal_name", "trade_name", "group", "enforce_unique_records"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accept_masked_input(self, Company.normalizers)
        if self.instance.pk and "cnpj" in self.fields:
            self.initial["cnpj"] = self.instance.cnpj_masked


class CompanyInline(admin.TabularInline):
    """The group's companies, listed on the group (edit each on its own page)."""

    model = Company
    fields = ["legal_name", "trade_name", "cnpj_display", "enforce_unique_records"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="CNPJ")
    def cnpj_display(self, company: Company) -> str:
        return company.cnpj_masked


@admin.register(CompanyGroup)
class CompanyGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "company_count", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    inlines = [CompanyInline]

    ordering = ["name", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(company_count=Count("companies"))

    @admin.display(description="empresas", ordering="company_count")
    def company_count(self, group: CompanyGroup) -> int:
        return group.company_count


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Company)
class CompanyAdmin(MaskedSearchMixin, admin.ModelAdmin):
    form = CompanyAdminForm
    list_display = [
        "legal_name",
        "trade_name",
        "cnpj_display",
        "group",
        "enforce_unique_records",
        "created_at",
    ]
    list_display_links = ["legal_name"]
    list_filter = ["enforce_unique_records", "group"]
    list_select_related = ["group"]
    search_fields = ["legal_name", "trade_name", "cnpj", "group__name"]
    masked_search_fields = ("cnpj",)
    autocomplete_fields = ["group"]
    readonly_fields = ["created_at"]
    fields = ["cnpj", "legal_name", "trade_name", "group", "enforce_unique_records", "created_at"]
    inlines = [MembershipInline]

    @admin.display(description="CNPJ", ordering="cnpj")
    def cnpj_display(self, company: Company) -> str:
        return company.cnpj_masked

    def has_delete_permission(self, request, obj=None):
        # Deleting a company would hard-delete all its master records (cascade), which
        # nothing else in omieshare ever does. Support staff never need it.
        return False


@admin.register(Membership)
class MembershipAdmin(MaskedSearchMixin, admin.ModelAdmin):
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role", "company"]
    list_select_related = ["user", "company"]
    search_fields = [
        "user__username",
        "user__email",
        "user__first_name",
        "company__legal_name",
        "company__trade_name",
        "company__cnpj",
    ]
    masked_search_fields = ("company__cnpj",)
    autocomplete_fields = ["user", "company"]
    readonly_fields = ["created_at"]
