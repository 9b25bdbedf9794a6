"""Checks for personal identifiers: resident ID numbers (GB 11643), bank cards (Luhn), masking."""

from __future__ import annotations

from datetime import date

# Province-level prefixes of the administrative division code (GB/T 2260).
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)  # fmt: skip
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def _real_date(year: int, month: int, day: int, today: date) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


def is_resident_id(value: str, *, today: date) -> bool:
    """An 18-character resident ID: known province, real birth date, right check character."""
    if len(value) != 18 or not value[:17].isdigit():  # noqa: PLR2004
        return False
    if int(value[:2]) not in PROVINCES:
        return False
    if not _real_date(int(value[6:10]), int(value[10:12]), int(value[12:14]), today):
        return False
    return resident_id_check_char(value[:17]) == value[17].upper()


def is_legacy_resident_id(value: str, *, today: date) -> bool:
    """A 15-digit resident ID (before 1999): known province and a real 19yy birth date."""
    if len(value) != 15 or not value.isdigit() or int(value[:2]) not in PROVINCES:  # noqa: PLR2004
        return False
    return _real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]), today)


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2  # noqa: PLR2004
        total += n
    return total % 10 == 0


def mask(value: str, *, keep_start: int, keep_end: int) -> str:
    """Keep the first and last characters, star the rest: ``35*************123``."""
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * max(hidden, 0) + value[len(value) - keep_end :]
