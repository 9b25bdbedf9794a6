"""The 109号 fee tables against hand-worked amounts at every tier boundary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.application_fees import application_fee, page_fee


@pytest.mark.parametrize(
    ("nth", "yuan"), [(1, 0), (10, 0), (11, 100), (30, 100), (31, 200), (40, 200), (41, 300), (50, 300), (51, 400)]
)
def test_per_application(nth: int, yuan: int) -> None:
    assert application_fee(nth) == yuan


@pytest.mark.parametrize(
    ("pages", "yuan"),
    [
        (0, 0),
        (30, 0),
        (31, 10),
        (100, 70 * 10),
        (101, 70 * 10 + 20),
        (200, 70 * 10 + 100 * 20),
        (201, 70 * 10 + 100 * 20 + 40),
        (250, 70 * 10 + 100 * 20 + 50 * 40),
    ],
)
def test_per_page(pages: int, yuan: int) -> None:
    assert page_fee(pages) == yuan


@given(st.integers(min_value=0, max_value=5000))
def test_one_more_page_costs_that_pages_tier(pages: int) -> None:
    price = 0 if pages + 1 <= 30 else 10 if pages + 1 <= 100 else 20 if pages + 1 <= 200 else 40
    assert page_fee(pages + 1) - page_fee(pages) == price


def test_nonsense_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        application_fee(0)
    with pytest.raises(ValueError, match="negative"):
        page_fee(-1)
