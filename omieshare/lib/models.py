"""Model helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from django.core.exceptions import ValidationError


class NormalizedFieldsMixin:
    """Normalise what a user typed before Django's own field validation runs.

    `normalizers` maps a field name to a function that returns the stored form of a
    value (e.g. a masked CNPJ to its 14 bare characters) or raises ValidationError with
    a message for the user. Because `full_clean()` calls `clean_fields()` first, every
    write path that cleans (forms, admin, services) stores the same normal form.
    """

    normalizers: ClassVar[dict[str, Callable[[str], str]]] = {}

    def clean_fields(self, exclude=None):
        exclude = set(exclude or ())
        errors: dict[str, list] = {}
        for field_name, normalize in self.normalizers.items():
            if field_name in exclude:
                continue
            value = getattr(self, field_name)
            if value is not None and not isinstance(value, str):
                # As CharField.to_python does: an API or import may send 123 for "123".
                value = str(value)
                setattr(self, field_name, value)
            try:
                setattr(self, field_name, normalize(value))
            except ValidationError as error:
                errors[field_name] = error.messages
        try:
            super().clean_fields(exclude=exclude | set(errors))
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
