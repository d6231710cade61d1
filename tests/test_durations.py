"""Durations as people read them on the job page, in the admin and in the commands."""

from __future__ import annotations

import pytest

from omieshare.lib.durations import format_duration


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0, "0 s"),
        (59.4, "59 s"),
        (59.6, "1 min 0 s"),
        (65, "1 min 5 s"),
        (3599, "59 min 59 s"),
        (3600 + 5 * 60 + 7, "1 h 5 min"),
        (26 * 3600, "26 h 0 min"),
    ],
)
def test_it_shows_whole_units(seconds, shown):
    assert format_duration(seconds) == shown


@pytest.mark.parametrize(
    ("seconds", "decimals", "shown"),
    [(0.354, 2, "0,35 s"), (12.25, 1, "12,2 s"), (1234.5, 1, "20 min 34 s"), (3, 2, "3 s")],
)
def test_it_keeps_fractions_of_a_second_under_a_minute_in_pt_br(seconds, decimals, shown):
    assert format_duration(seconds, decimals=decimals) == shown
