"""Pages of "Cadastros Compartilhados". Names are fixed: the group page links to `wizard`."""

from __future__ import annotations

from django.urls import path, register_converter

from sharing.views import shares, wizard


class RegistryConverter:
    regex = "party|product"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CategoryConverter:
    regex = "create|overwrite|identical|destination_only|skipped|duplicates|conflicts"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RegistryConverter, "sharing_registry")
register_converter(CategoryConverter, "plan_category")

app_name = "sharing"
_new = "apps/<int:company_id>/compartilhamento/novo/"
_share = "apps/<int:company_id>/compartilhamento/<int:share_id>/"
_rows = "previsao/<int:dest_id>/<sharing_registry:registry>/<plan_category:category>/"
urlpatterns = [
    path("apps/<int:company_id>/compartilhamento/", wizard.wizard, name="wizard"),
    # A new share: the wizard's steps.
    path(_new + "cadastros/", wizard.step_registries, name="step_registries"),
    path(_new + "origem/", wizard.step_origin, name="step_origin"),
    path(_new + "empresas/", wizard.step_add, name="step_add"),
    path(_new + "destinos/", wizard.step_destinations, name="step_destinations"),
    path(_new + "previsao/", wizard.preview, name="preview"),
    path(_new + _rows, wizard.preview_rows, name="preview_rows"),
    # An active share.
    path(_share, shares.share_detail, name="share_detail"),
    path(_share + "editar/", shares.share_edit, name="share_edit"),
    path(_share + "auditoria/", shares.audit, name="audit"),
    path(_share + "tarefas/<int:job_id>/", shares.job, name="job"),
    path(_share + "tarefas/<int:job_id>/retomar/", shares.job_resume, name="job_resume"),
    path(_share + "registros/<int:record_id>/tentar-novamente/", shares.record_retry, name="record_retry"),
    # Adding destinations to it: the same steps from "Adicionar Empresas" on.
    path(_share + "adicionar/empresas/", wizard.step_add, name="add_step_add"),
    path(_share + "adicionar/destinos/", wizard.step_destinations, name="add_step_destinations"),
    path(_share + "adicionar/previsao/", wizard.preview, name="add_preview"),
    path(_share + "adicionar/" + _rows, wizard.preview_rows, name="add_preview_rows"),
]
