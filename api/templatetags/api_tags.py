from __future__ import annotations

from django import template

from api.models import ApiCredential

register = template.Library()


@register.simple_tag
def api_credential(company) -> ApiCredential | None:
    """The company's API credentials (app_key and dates only: the secret is never stored)."""
    return ApiCredential.objects.filter(company=company).first()
