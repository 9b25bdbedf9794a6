"""The periods of the side paths (Art. 30, 32-34, 109号) across the 2026 holidays, and masking personal data."""

from datetime import date

import pytest

from disclosure.application_rules import (
    check_correction_request,
    check_period_passed,
    consultation_deadline,
    correction_deadline,
    payment_deadline,
)
from disclosure.calendar import WorkingCalendar
from disclosure.clock import Approval, Extended, StatutoryClock
from disclosure.errors import InvalidInput, RuleViolation
from disclosure.personal_data import mask_address, mask_email, mask_name, mask_phone, mask_reference
from disclosure.time_limits import DeadlineKind

CAL = WorkingCalendar()


def d(month: int, day: int) -> date:
    return date(2026, month, day)


@pytest.mark.parametrize(
    ("received", "last"),
    [
        (d(2, 9), d(2, 25)),  # 10-13, 14 (Sat, make-up) | Spring Festival 15-23 | 24, 25
        (d(2, 13), d(3, 2)),  # 14 (make-up) | 24-27, 28 (Sat, make-up) | Mar 2
        (d(9, 28), d(10, 13)),  # 29, 30 | National Day 1-7 | 8, 9, 10 (Sat, make-up) | 12, 13
    ],
)
def test_a_correction_request_is_sent_within_7_working_days(received: date, last: date) -> None:
    assert correction_deadline(received, CAL) == last
    check_correction_request(received, sent_on=last, correct_by=date(2026, 12, 1), calendar=CAL)
    with pytest.raises(RuleViolation, match=f"received {received}, so by {last}"):
        check_correction_request(received, sent_on=date.fromordinal(last.toordinal() + 1),
                                 correct_by=date(2026, 12, 1), calendar=CAL)  # fmt: skip


def test_a_correction_request_states_a_period_after_it() -> None:
    with pytest.raises(InvalidInput, match=r"\$\.correct_by"):
        check_correction_request(d(3, 2), sent_on=d(3, 3), correct_by=d(3, 3), calendar=CAL)
    with pytest.raises(InvalidInput, match=r"\$\.sent_on"):
        check_correction_request(d(3, 2), sent_on=d(3, 1), correct_by=d(3, 10), calendar=CAL)


def test_consultations_have_15_and_fees_20_working_days() -> None:
    assert consultation_deadline(d(9, 24), CAL) == d(10, 22)  # 28-30 | 8, 9, 10 | 12-16 | 19-22
    assert payment_deadline(d(3, 5), CAL) == d(4, 2)  # 6 | 9-13 | 16-20 | 23-27 | 30, 31, Apr 1, 2
    assert payment_deadline(d(2, 12), CAL) == d(3, 18)  # 13, 14 | 24-28 | Mar 2-6, 9-13, 16-18


def test_a_case_closes_for_a_missed_period_only_once_it_has_passed() -> None:
    with pytest.raises(RuleViolation, match="runs until 2026-03-06"):
        check_period_passed("correction", d(3, 6), today=d(3, 6))
    check_period_passed("correction", d(3, 6), today=d(3, 7))
    with pytest.raises(RuleViolation, match="no period"):
        check_period_passed("fee payment", None, today=d(3, 7))


def test_extensions_total_at_most_20_working_days() -> None:
    clock = StatutoryClock.start(DeadlineKind.APPLICATION_REPLY, d(3, 2)).append(
        Extended(15, Approval("head", d(3, 20)))
    )
    clock = clock.append(Extended(5, Approval("head", d(3, 21))))
    with pytest.raises(InvalidInput, match="would total 21 working days"):
        clock.append(Extended(1, Approval("head", d(3, 22))))


@pytest.mark.parametrize(
    ("mask", "value", "masked"),
    [
        (mask_name, "张三", "张*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "", ""),
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "0571-85252114", "057******2114"),
        (mask_phone, "12345", "*2345"),
        (mask_reference, "身份证 330102199001011234", "身份证 **************1234"),
        (mask_reference, "护照 E12345678", "护照 *****5678"),
        (mask_email, "zhang@example.cn", "z****@example.cn"),
        (mask_address, "浙江省杭州市西湖区文三路1号", "浙江省杭州市****"),
        (mask_address, "杭州", "**"),
    ],
)
def test_personal_data_is_masked(mask, value: str, masked: str) -> None:
    assert mask(value) == masked
