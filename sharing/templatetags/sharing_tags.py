"""Template tags other apps' pages load to show sharing without importing it.

"Resumo do App" (templates/companies/summary.html) includes sharing/_summary_panel.html,
which loads this library: companies depends on sharing at the template level only.
"""

from __future__ import annotations

from django import template

from sharing import selectors

register = template.Library()


@register.simple_tag
def company_share_panels(company) -> list[selectors.SharePanel]:
    """The live shares `company` takes part in, with their figures."""
    return selectors.share_panels(company.pk)
