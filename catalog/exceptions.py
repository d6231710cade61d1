"""Why a catalog write was refused, in words a user understands."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class WriteRefused(PermissionDenied):
    """A write the company may not make (e.g. no sharing permission). Nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class StaleEdit(Exception):
    """The edit was based on an older version of the record. Nothing was written.

    `current` is the record as it is now, so the form can show the newer values.
    """

    def __init__(self, current, *, expected_version: int) -> None:
        self.current = current
        self.expected_version = expected_version
        super().__init__(
            "Este cadastro foi alterado por outra pessoa ou empresa depois que você o abriu "
            f"(versão {expected_version} → {current.version}). Confira os valores atuais e "
            "salve novamente."
        )
