"""Forms for the companies pages."""

from __future__ import annotations

from django import forms


class UniqueValidationForm(forms.Form):
    """Turns "validação de unicidade de cadastros" on or off.

    The page posts an explicit target state ("1" or "0") rather than a checkbox, so that a
    double submit, or a submit from a stale page, never flips the setting back.
    """

    enabled = forms.TypedChoiceField(
        label="Validação de unicidade de cadastros",
        choices=[("1", "Ativada"), ("0", "Desativada")],
        coerce=lambda value: value == "1",
    )
