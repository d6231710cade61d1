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
    # Two fields normalised together, before `normalizers`: (first, second) → a function of
    # both values returning both stored forms, e.g. a telephone whose number may carry the
    # DDD. The first field's own normaliser runs before (its error is its own); any other
    # error is the second field's.
    pair_normalizers: ClassVar[dict[tuple[str, str], Callable[[str, str], tuple[str, str]]]] = {}

    def clean_fields(self, exclude=None):
        exclude = set(exclude or ())
        errors: dict[str, list] = {}
        unjudged: set[str] = set()  # the other half of a pair whose first field is wrong
        for (first, second), normalize_pair in self.pair_normalizers.items():
            if first in exclude or second in exclude:
                continue
            values = [_as_text(getattr(self, name)) for name in (first, second)]
            try:
                if first in self.normalizers:
                    self.normalizers[first](values[0])
            except ValidationError as error:
                errors[first] = error.messages
                unjudged.add(second)
                continue
            try:
                values = normalize_pair(*values)
            except ValidationError as error:
                errors[second] = error.messages
                continue
            setattr(self, first, values[0])
            setattr(self, second, values[1])
        for field_name, normalize in self.normalizers.items():
            if field_name in exclude or field_name in errors or field_name in unjudged:
                continue
            value = _as_text(getattr(self, field_name))
            setattr(self, field_name, value)
            try:
                setattr(self, field_name, normalize(value))
            except ValidationError as error:
                errors[field_name] = error.messages
        try:
            super().clean_fields(exclude=exclude | set(errors) | unjudged)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)


def _as_text(value):
    # As CharField.to_python does: an API or import may send 123 for "123".
    return value if value is None or isinstance(value, str) else str(value)
