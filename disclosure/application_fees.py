"""The information-processing fee (信息处理费), 国办函〔2020〕109号《政府信息公开信息处理费管理办法》, as data.

An agency charges either per application or per page for one application, never both. Per
application: the first 10 applications of one applicant in a calendar month are free; the 11th to
30th cost 100 yuan each; from the 31st, each further block of 10 costs 100 yuan more each. Per page
(one application): the first 30 pages are free; pages 31-100 cost 10 yuan, 101-200 20 yuan, from 201
40 yuan each. The applicant pays within 20 working days of the notice, or the application is
treated as abandoned (Table 3 （六）2); the time from notice to payment is not counted in the reply
period. Pure: stdlib only. Amounts are whole yuan.
"""

from __future__ import annotations

from enum import StrEnum

FREE_APPLICATIONS_PER_MONTH = 10
FLAT_UNTIL = 30  # the 11th to the 30th application of the month: the first tier
PER_APPLICATION_STEP = 100  # yuan: the first tier's price, and the rise per further block
BLOCK = 10  # applications per further block
PAYMENT_WORKING_DAYS = 20  # from the notice received; unpaid = abandoned

# (first page of the tier, yuan per page), in order; pages before the first tier are free
PAGE_TIERS: tuple[tuple[int, int], ...] = ((31, 10), (101, 20), (201, 40))


class FeeMethod(StrEnum):
    """How the fee of one application is reckoned (one of the two, never both)."""

    PER_APPLICATION = "per_application"  # 按件计收
    PER_PAGE = "per_page"  # 按量计收


def application_fee(nth_in_month: int) -> int:
    """The fee, in yuan, of an applicant's ``nth_in_month`` application (1-based) in a calendar month."""
    if nth_in_month < 1:
        raise ValueError(f"an application's number in the month starts at 1, not {nth_in_month}")
    if nth_in_month <= FREE_APPLICATIONS_PER_MONTH:
        return 0
    if nth_in_month <= FLAT_UNTIL:
        return PER_APPLICATION_STEP
    blocks = (nth_in_month - FLAT_UNTIL - 1) // BLOCK + 1
    return PER_APPLICATION_STEP * (1 + blocks)


def page_fee(pages: int) -> int:
    """The fee, in yuan, of one application that yields ``pages`` pages."""
    if pages < 0:
        raise ValueError(f"a page count cannot be negative ({pages})")
    total = 0
    bounds = [first for first, _ in PAGE_TIERS[1:]] + [pages + 1]
    for (first, price), next_first in zip(PAGE_TIERS, bounds, strict=True):
        charged = min(pages, next_first - 1) - first + 1
        if charged > 0:
            total += charged * price
    return total
