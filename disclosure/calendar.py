"""Chinese working days: statutory holidays and make-up working days (调休) from chinesecalendar.

A year the package does not know is taken from an agency override (the State Council General
Office's notice, typed in: holidays and make-up working days of that year). Without one,
weekdays are assumed and every result that relied on the assumption is marked provisional —
never a silent guess. "N working days after" is counted here (the start day itself not counted):
the package's ``find_workday`` is off by one when the start day is a holiday.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar

_SATURDAY = 5


class DayKind(StrEnum):
    """Why a day is or is not a working day."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # 法定节假日 (and the rest days of its arrangement)
    MAKEUP = "makeup"  # 调休上班日: a Saturday or Sunday that is worked


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One day as the calendar sees it."""

    day: date
    kind: DayKind
    provisional: bool  # the year is unknown: the weekday rule was assumed
    name: str = ""  # the holiday's name, when known

    @property
    def working(self) -> bool:
        """Whether the day counts as a working day."""
        return self.kind in {DayKind.WORKDAY, DayKind.MAKEUP}


@dataclass(frozen=True, slots=True)
class YearOverride:
    """An agency's copy of one year's arrangement: its holidays and make-up working days."""

    year: int
    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class WorkingDayResult:
    """A computed date, how it was computed, and whether any day on the way was only assumed."""

    start: date
    days: int
    value: date
    provisional: bool
    skipped: tuple[DayInfo, ...] = ()  # weekends and holidays passed over
    makeup_days: tuple[date, ...] = ()  # weekend days that counted as working days

    def explanation(self) -> str:
        """A one-line account of the computation, for people checking a due date."""
        parts = [f"{self.days} working day(s) after {self.start.isoformat()} = {self.value.isoformat()}"]
        holidays = [d for d in self.skipped if d.kind is DayKind.HOLIDAY]
        weekends = [d for d in self.skipped if d.kind is DayKind.WEEKEND]
        if holidays:
            names = sorted({d.name for d in holidays if d.name})
            parts.append(f"skipped {len(holidays)} holiday day(s) {_span(d.day for d in holidays)}"
                         + (f" ({', '.join(names)})" if names else ""))  # fmt: skip
        if weekends:
            parts.append(f"skipped {len(weekends)} weekend day(s) {_span(d.day for d in weekends)}")
        if self.makeup_days:
            parts.append(f"counted make-up working day(s) {_span(self.makeup_days)}")
        if self.provisional:
            parts.append("PROVISIONAL: part of the period lies beyond the known calendar (weekdays assumed)")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "start": self.start.isoformat(),
            "working_days": self.days,
            "due": self.value.isoformat(),
            "provisional": self.provisional,
            "skipped": [{"date": d.day.isoformat(), "kind": d.kind.value, "name": d.name} for d in self.skipped],
            "makeup_days": [d.isoformat() for d in self.makeup_days],
            "explanation": self.explanation(),
        }


def _span(days: Iterable[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


class WorkingCalendar:
    """Answers 'is this a working day' and 'N working days after'."""

    def __init__(self, overrides: Iterable[YearOverride] = ()) -> None:
        self._years = {o.year: o for o in overrides}

    def day(self, day: date) -> DayInfo:
        """What kind of day this is, and whether that is known or assumed."""
        weekend = day.weekday() >= _SATURDAY
        override = self._years.get(day.year)
        if override is not None:
            worked = day in override.workdays or (not weekend and day not in override.holidays)
            name = override.holidays.get(day, "")
            provisional = False
        else:
            try:
                on_holiday, found = chinese_calendar.get_holiday_detail(day)
                worked, provisional = bool(chinese_calendar.is_workday(day)), False
                name = str(found) if on_holiday and found else ""
            except NotImplementedError:
                worked, provisional, name = not weekend, True, ""
        if worked:
            kind = DayKind.MAKEUP if weekend else DayKind.WORKDAY
        else:
            kind = DayKind.HOLIDAY if name else DayKind.WEEKEND
        return DayInfo(day, kind, provisional=provisional, name=name)

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is a working day, provisional)."""
        info = self.day(day)
        return info.working, info.provisional

    def add_working_days(self, start: date, days: int) -> WorkingDayResult:
        """The date ``days`` working days after ``start`` (start itself not counted).

        With ``days == 0``: ``start`` if it is a working day, else the next working day.
        """
        if days < 0:
            raise ValueError("days must be zero or more")
        first = self.day(start)
        if days == 0 and first.working:
            return WorkingDayResult(start, 0, start, first.provisional)
        provisional = first.provisional
        skipped: list[DayInfo] = []
        makeup: list[date] = []
        current, counted = start, 0
        while True:
            current += timedelta(days=1)
            info = self.day(current)
            provisional |= info.provisional
            if not info.working:
                skipped.append(info)
                continue
            if info.kind is DayKind.MAKEUP:
                makeup.append(current)
            counted += 1
            if counted >= max(days, 1):
                return WorkingDayResult(start, days, current, provisional, tuple(skipped), tuple(makeup))

    def count_working_days(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.day(current).working
        return count
