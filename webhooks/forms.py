from __future__ import annotations

from django import forms

from webhooks.models import TOPIC_CHOICES


class EndpointForm(forms.Form):
    url = forms.CharField(label="URL do endpoint", max_length=500,
                          help_text="Recebe um POST com JSON a cada evento. Somente http:// ou https://.",
                          widget=forms.URLInput(attrs={"placeholder": "https://minha-loja.com.br/omie/webhook"}))
    topics = forms.MultipleChoiceField(label="Tópicos", choices=TOPIC_CHOICES, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "Escolha ao menos um tópico."})
    active = forms.BooleanField(label="Ativo (desmarque para pausar os envios)", required=False, initial=True)
