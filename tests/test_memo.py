"""omieshare/lib/memo.py: an answer is kept only inside the block, for the block's length."""

from __future__ import annotations

from omieshare.lib.memo import memoized_reads, read_once


def test_it_reads_every_time_outside_a_block_and_once_per_key_inside_one():
    reads = []

    def read(answer):
        def _read():
            reads.append(answer)
            return answer
        return _read

    assert [read_once(("uniqueness", 1_000_001), read(True)) for _ in range(2)] == [True, True]
    with memoized_reads():
        kept = [read_once(("uniqueness", 1_000_001), read(n)) for n in range(3)]
        with memoized_reads():  # a nested block shares the outer one's answers
            kept.append(read_once(("uniqueness", 1_000_001), read(9)))
        other = read_once(("uniqueness", 1_000_002), read(False))
    after = read_once(("uniqueness", 1_000_001), read("again"))

    assert kept == [0, 0, 0, 0] and other is False and after == "again"
    assert reads == [True, True, 0, False, "again"]
