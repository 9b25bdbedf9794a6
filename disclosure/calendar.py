"""Chinese working days: statutory holidays and make-up working days (调休) from chinesecalendar.

Beyond the years the package knows, an agency override (a mapping of date → is-workday) is used;
without one, weekdays are assumed and the result is marked provisional — never a silent guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True, slots=True)
class WorkingDayResult:
    """A computed date and whether any day on the way was only assumed (weekday rule)."""

    value: date
    provisional: bool
    skipped: tuple[date, ...] = field(default=())
    makeup_days: tuple[date, ...] = field(default=())


class WorkingCalendar:
    """Answers 'is this a working day' and 'N working days after'."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is a working day, provisional)."""
        if day in self._overrides:
            return self._overrides[day], False
        try:
            return bool(chinese_calendar.is_workday(day)), False
        except NotImplementedError:
            return day.weekday() < 5, True  # noqa: PLR2004 - Monday..Friday

    def add_working_days(self, start: date, days: int) -> WorkingDayResult:
        """The date ``days`` working days after ``start`` (start itself not counted).

        With ``days == 0``: ``start`` if it is a working day, else the next working day.
        """
        if days < 0:
            raise ValueError("days must be zero or more")
        provisional = False
        skipped: list[date] = []
        makeup: list[date] = []
        current = start
        workday, guessed = self.is_workday(current)
        provisional |= guessed
        if days == 0 and workday:
            return WorkingDayResult(current, provisional)
        counted = 0
        while True:
            current += timedelta(days=1)
            workday, guessed = self.is_workday(current)
            provisional |= guessed
            if not workday:
                skipped.append(current)
                continue
            if current.weekday() >= 5:  # noqa: PLR2004 - a Saturday or Sunday that is worked
                makeup.append(current)
            counted += 1
            if counted >= max(days, 1):
                return WorkingDayResult(current, provisional, tuple(skipped), tuple(makeup))
