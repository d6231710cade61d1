"""Forms of the sharing pages: each wizard step, the confirmation, editing and the audit filter.

Forms only parse and validate; the views hand the cleaned values to sharing/services.py.
"""

from __future__ import annotations

from django import forms

from sharing.models import REGISTRY_CHOICES, AuditEntry
from sharing.services import Permissions


class RegistriesForm(forms.Form):
    """"O que deseja sincronizar?" — only the registries the origin does not already share."""

    registries = forms.MultipleChoiceField(
        label="O que deseja sincronizar?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Escolha o que deseja sincronizar: clientes e fornecedores, produtos ou ambos.",
            "invalid_choice": "Esta empresa já compartilha esse cadastro em outro compartilhamento.",
        },
    )

    def __init__(self, *args, free_registries: set[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registries"].choices = [(key, label) for key, label in REGISTRY_CHOICES
                                             if key in free_registries]


class PermissionsForm(forms.Form):
    """Inclusão, edição, exclusão: what a member may do to shared records."""

    can_create = forms.BooleanField(label="Inclusão", required=False)
    can_update = forms.BooleanField(label="Edição", required=False)
    can_delete = forms.BooleanField(label="Exclusão", required=False)

    @classmethod
    def initial_for(cls, permissions: Permissions) -> dict[str, bool]:
        return permissions.as_fields()

    def permissions(self) -> Permissions:
        data = self.cleaned_data
        return Permissions(data["can_create"], data["can_update"], data["can_delete"])


class AddCompaniesForm(forms.Form):
    """"Adicionar Empresas": the companies the user may add as destinations."""

    companies = forms.TypedMultipleChoiceField(
        label="Empresas",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Selecione pelo menos uma empresa e clique em “Adicionar”.",
            "invalid_choice": "Essa empresa não está disponível para o compartilhamento.",
        },
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["companies"].choices = [
            (c.pk, f"{c.display_name} — {c.cnpj_masked}") for c in candidates
        ]


class ConfirmActivationForm(forms.Form):
    acknowledge = forms.BooleanField(
        label="Li o aviso e entendo que essa operação é irreversível.",
        error_messages={
            "required": "Marque a caixa confirmando que leu o aviso para ativar o sincronismo.",
        },
    )
    # SharePlan.fingerprint of the configuration the page showed (the template writes the
    # current one, never the posted one back). Missing or stale: the view refuses.
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)


# The audit filter's actions as the Ação column names them: a shared change is an
# inclusion, an alteration or an exclusion (AuditEntry "change" + its Change's action).
AUDIT_CHANGE_FILTERS = {"inclusao": "create", "alteracao": "update", "exclusao": "delete"}
AUDIT_ACTION_CHOICES = [
    (AuditEntry.Action.CONFIGURE, "Configuração"),
    (AuditEntry.Action.ACTIVATE, "Ativação"),
    (AuditEntry.Action.REMOVE, "Remoção"),
    ("inclusao", "Inclusão"),
    ("alteracao", "Alteração"),
    ("exclusao", "Exclusão"),
    (AuditEntry.Action.APPLY, "Aplicação nas outras empresas"),
    (AuditEntry.Action.APPLY_FAILED, "Falha ao aplicar"),
    (AuditEntry.Action.RESYNC, "Ressincronização"),
    (AuditEntry.Action.RESTORE, "Restauração"),
]


class AuditFilterForm(forms.Form):
    empresa = forms.TypedChoiceField(label="Empresa", coerce=int, required=False, empty_value=None)
    acao = forms.ChoiceField(label="Ação", required=False)

    def __init__(self, *args, companies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["empresa"].choices = [("", "Todas")] + [(c.pk, c.display_name) for c in companies]
        self.fields["acao"].choices = [("", "Todas"), *AUDIT_ACTION_CHOICES]
