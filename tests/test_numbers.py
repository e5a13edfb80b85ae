"""The one parser for whole numbers in query strings, select values and references."""

from __future__ import annotations

import pytest

from eventapp.numbers import TOO_LARGE, number_in_range, whole_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7", 7),
        ("007", 7),
        ("0", 0),
        ("", None),
        (None, None),
        ("-1", None),
        (" 3", None),
        ("3.0", None),
        ("²", None),
        ("٣", None),
        ("9" * 40, TOO_LARGE),
    ],
)
def test_only_ascii_digits_are_a_whole_number(raw, expected):
    assert whole_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", 1), ("200", 200), ("0", None), ("201", None), ("9" * 40, None)]
)
def test_a_number_outside_the_range_is_refused(raw, expected):
    assert number_in_range(raw, 1, 200) == expected


def test_a_token_reference_beyond_any_id_finds_nothing(app):
    from eventapp.accounts.services import find_token

    assert find_token("9" * 30) is None
