"""The fixed, random-looking product code sequence of a share: PRD + 11 digits.

The n-th code is a keyed permutation of n over [0, 10^11): a 4-round Feistel network on
38 bits with cycle-walking back into range. A permutation never repeats a value, so codes
are unique across the group without a lookup table; the key and the counter live on the
Share and no screen can change or reset them.
"""

from __future__ import annotations

import hashlib

from django.db import connection

from catalog.models import Product

SPACE = 10**11
_HALF_BITS = 19  # 2 × 19 = 38 bits ≥ 10^11
_HALF_MASK = (1 << _HALF_BITS) - 1


def _round(value: int, key: int, round_no: int) -> int:
    digest = hashlib.blake2b(f"{key}:{round_no}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & _HALF_MASK


def _feistel(value: int, key: int) -> int:
    left, right = value >> _HALF_BITS, value & _HALF_MASK
    for round_no in range(4):
        left, right = right, left ^ _round(right, key, round_no)
    return (left << _HALF_BITS) | right


def permuted(n: int, key: int) -> int:
    """A bijection of [0, 10^11): the number behind the n-th code."""
    value = _feistel(n % SPACE, key)
    while value >= SPACE:  # cycle-walk: stays a bijection on the smaller range
        value = _feistel(value, key)
    return value


def code_for(n: int, key: int) -> str:
    return f"PRD{permuted(n, key):011d}"


def next_code(share_id: int, member_company_ids: list[int]) -> str:
    """Hand out the share's next code, skipping any a user already typed by hand."""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE sharing_share SET code_counter = code_counter + 1 WHERE id = %s "
                "RETURNING code_counter, code_key",
                [share_id],
            )
            counter, key = cursor.fetchone()
        code = code_for(counter, key)
        if not Product.objects.filter(company_id__in=member_company_ids, code=code).exists():
            return code
