"""Companies, as sharing needs them."""

from __future__ import annotations

from django.contrib import admin, messages

from companies.admin import CompanyAdmin
from companies.models import Company
from sharing import selectors
from sharing.models import Share


class CompanyInShareAdmin(CompanyAdmin):
    """A company taking part in a share keeps its CNPJ and group (the rule is
    Company.clean()'s, through companies/hooks.py, so it holds on every path): here they are
    shown read-only, with the reason. Remove it from the share first (wizard or
    `share_remove`)."""

    def _share_of(self, company: Company) -> Share | None:
        return selectors.share_holding(company.pk)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self._share_of(obj) is not None:
            fields += ["cnpj_display", "group"]
        return fields

    def get_fields(self, request, obj=None):
        # Read-only, the CNPJ is shown masked (the bare field would read "15334299000198").
        fields = list(super().get_fields(request, obj))
        if obj is not None and self._share_of(obj) is not None:
            fields = ["cnpj_display" if name == "cnpj" else name for name in fields]
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        company = self.get_object(request, object_id)
        share = self._share_of(company) if company is not None else None
        if share is not None and request.method == "GET":
            # The same sentence Company.clean() refuses a change with, on any other path.
            self.message_user(request, selectors.identity_locked_reason(company.pk), messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)


admin.site.unregister(Company)
admin.site.register(Company, CompanyInShareAdmin)
