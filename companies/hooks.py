"""Extension points of companies, through which higher layers add their rules.

A company taking part in a share keeps its CNPJ and its group: the share was configured
for the group's companies, and a company moved out of its group (or given another
company's CNPJ) would go on receiving the group's records. That rule belongs to sharing,
but it must hold on every path that saves a company (the admin, a service, a shell), so
`Company.clean()` asks the guards registered here.

The dependency points one way, as in catalog/hooks.py: sharing registers itself in its
AppConfig.ready(); companies never imports sharing.
"""

from __future__ import annotations

from collections.abc import Callable

# (company_id) -> why its CNPJ and group must stay as they are (pt-BR), or None.
IdentityGuard = Callable[[int], "str | None"]

_identity_guards: list[IdentityGuard] = []


def register_identity_guard(guard: IdentityGuard) -> None:
    if guard not in _identity_guards:
        _identity_guards.append(guard)


def identity_locked_reason(company_id: int) -> str | None:
    """Why this company's CNPJ and group may not change now, or None if they may."""
    for guard in _identity_guards:
        reason = guard(company_id)
        if reason:
            return reason
    return None
