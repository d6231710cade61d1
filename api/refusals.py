"""Refusals of catalog/services.py → Omie faults, for a single call (api.views) and for each
record of a lote (api.lote), so both answer the same code and text."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

from api import faults
from api.faults import ApiFault
from api.translate import is_duplicate, validation_message
from catalog.exceptions import ConcurrentChange, StaleEdit, WriteRefused

# What catalog/services.py raises when it refuses a write (ConcurrentChange is a WriteRefused).
SERVICE_ERRORS = (ValidationError, WriteRefused, PermissionDenied, StaleEdit, ObjectDoesNotExist)


def fault_for(registry: str, error: Exception) -> ApiFault:
    """The Omie fault for a refusal of catalog/services.py; any other error is re-raised."""
    if isinstance(error, StaleEdit | ConcurrentChange):
        # The pages' wording ("recarregue a página") means nothing to an integration.
        version = error.current.version if isinstance(error, StaleEdit) else error.version
        return ApiFault(
            faults.STALE,
            f"O cadastro foi alterado por outra requisição ou por outra empresa do grupo (versão {version}) "
            "e essa alteração ainda não terminou de ser aplicada nesta empresa. Nada foi gravado: consulte "
            "o cadastro em alguns segundos e envie a alteração de novo.",
        )
    if isinstance(error, WriteRefused | PermissionDenied):
        return ApiFault(faults.REFUSED, str(error) or "Gravação não permitida para esta empresa.")
    if isinstance(error, ValidationError):
        code = faults.DUPLICATE if is_duplicate(error) else faults.INVALID_VALUE
        return ApiFault(code, validation_message(registry, error))
    if isinstance(error, ObjectDoesNotExist):
        return ApiFault(faults.NOT_FOUND, "Registro não encontrado.")
    raise error
