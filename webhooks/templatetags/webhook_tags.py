from __future__ import annotations

from django import template

from webhooks import selectors

register = template.Library()


@register.simple_tag
def webhook_endpoints(company):
    """The company's endpoints, for the card of "Resumo do App"."""
    return list(selectors.endpoints_of(company))
