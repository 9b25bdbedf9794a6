"""Art. 31: which date fixes receipt for each intake channel, and a registration that lacks it."""

from __future__ import annotations

from datetime import date

import pytest

from disclosure.application_receipt import IntakeChannel, ReceiptDates, receipt_date
from disclosure.errors import InvalidInput

HANDED, SIGNED, CONFIRMED = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
ALL = ReceiptDates(handed_in_on=HANDED, signed_for_on=SIGNED, confirmed_on=CONFIRMED)
TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (IntakeChannel.IN_PERSON, HANDED),
        (IntakeChannel.REGISTERED_POST, SIGNED),
        (IntakeChannel.ORDINARY_LETTER, CONFIRMED),
        (IntakeChannel.ONLINE, CONFIRMED),
        (IntakeChannel.FAX, CONFIRMED),
    ],
)
def test_each_channel_counts_its_own_date(channel: IntakeChannel, expected: date) -> None:
    assert receipt_date(channel, ALL, today=TODAY) == expected


def test_an_online_application_is_not_received_on_the_day_it_was_sent_but_when_both_sides_confirm() -> None:
    with pytest.raises(InvalidInput) as refused:
        receipt_date(IntakeChannel.ONLINE, ReceiptDates(handed_in_on=HANDED), today=TODAY)
    assert [v.path for v in refused.value.violations] == ["$.received.confirmed_on"]
    assert "Art. 31" in str(refused.value)


def test_a_registered_letter_needs_the_day_it_was_signed_for() -> None:
    with pytest.raises(InvalidInput, match=r"\$\.received\.signed_for_on"):
        receipt_date(IntakeChannel.REGISTERED_POST, ReceiptDates(confirmed_on=CONFIRMED), today=TODAY)


def test_a_receipt_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput, match="after today"):
        receipt_date(IntakeChannel.IN_PERSON, ReceiptDates(handed_in_on=date(2026, 3, 11)), today=TODAY)
