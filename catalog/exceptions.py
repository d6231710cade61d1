"""Why a catalog write was refused, in words a user understands."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


class WriteRefused(PermissionDenied):
    """A write the company may not make (e.g. no sharing permission). Nothing was written.

    `registry` and `record_id` name a record of the same company the refusal is about (the
    one already holding a shared CNPJ/CPF, say), for pages to link to it.
    """

    def __init__(self, message: str, *, registry: str | None = None, record_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.registry = registry
        self.record_id = record_id

    def __str__(self) -> str:
        return self.message


class ConcurrentChange(WriteRefused):
    """Another company's change of the shared record has not reached this company yet, so
    an edit made here would overwrite it unseen. Nothing was written; `version` is the
    group's newest version."""

    def __init__(self, message: str, *, version: int) -> None:
        super().__init__(message)
        self.version = version


class RecordInUse(WriteRefused):
    """Other records use this one (a product as a component of structures, a client/supplier
    in products' supplier lists): deleting it would change them unseen. Nothing was deleted.
    `users` names them ("P9 – Kit churrasco")."""

    def __init__(self, message: str, *, users: list[str]) -> None:
        super().__init__(message)
        self.users = users


class DuplicateRecord(ValidationError):
    """Another record of the same company holds this code, CNPJ/CPF or EAN.

    A ValidationError like any other (its messages name the holder); `registry` and
    `record_id` say which record it is, for pages to link to it."""

    def __init__(self, message, *, registry: str, record_id: int) -> None:
        super().__init__(message)
        self.registry = registry
        self.record_id = record_id


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
