"""The due date of a statutory clock, counted day by day on a working-day calendar passed in.

Conventions (also in docs/architecture.md, "Statutory clocks"):

- the start day (the day of receipt) is not counted: counting begins the next day;
- a restart (the corrected application received) counts the whole period again from its day,
  that day not counted; the days, pauses and extensions before it are superseded;
- a pause from P to R (a consultation sent on P, answered on R) stops the count after P and
  resumes it after R: P counts if it is a working day after the start, P+1 … R do not;
- an extension adds N working days after the due date otherwise reached (a pause still stops them);
- PROVISIONAL when a day counted or skipped lies beyond the known calendar (weekdays assumed).

The calendar is any ``date -> CalendarDay`` (``disclosure.calendar.WorkingCalendar.day`` is one),
so this module imports nothing outside ``disclosure`` and the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from disclosure.clock import (
    ClockEvent,
    Extended,
    Paused,
    Restarted,
    Resumed,
    Started,
    StatutoryClock,
    Where,
    event_path,
)
from disclosure.errors import InvalidInput, Violation
from disclosure.time_limits import DeadlineKind, PauseReason

_SATURDAY = 5


class CalendarDay(Protocol):
    """One day as a working-day calendar sees it (``disclosure.calendar.DayInfo`` is one)."""

    @property
    def day(self) -> date: ...
    @property
    def working(self) -> bool: ...  # make-up working days (调休上班日) included, holidays not
    @property
    def provisional(self) -> bool: ...  # beyond the known calendar: the weekday rule assumed
    @property
    def name(self) -> str: ...  # the holiday's name, when it is one


DayLookup = Callable[[date], CalendarDay]


class DayUse(StrEnum):
    """What the count did with one day after the start."""

    COUNTED = "counted"  # a working day, counted
    MAKEUP = "makeup"  # a Saturday or Sunday worked in exchange (调休上班日), counted
    WEEKEND = "weekend"  # skipped
    HOLIDAY = "holiday"  # a statutory holiday (or a rest day of its arrangement), skipped
    PAUSED = "paused"  # inside a pause (P+1 … R), not counted whatever it is


@dataclass(frozen=True, slots=True)
class DayEntry:
    """One day of the count."""

    day: date
    use: DayUse
    number: int = 0  # the position in the count (1 … period + extension) of a counted day
    name: str = ""  # the holiday's name
    working: bool = False  # whether it is a working day (told for paused days too)
    provisional: bool = False

    @property
    def counted(self) -> bool:
        """Whether the day counts toward the limit."""
        return self.use in {DayUse.COUNTED, DayUse.MAKEUP}


@dataclass(frozen=True, slots=True)
class PauseSpan:
    """A pause in force: from ``start`` (counted if a working day) to ``end`` (None: still open)."""

    start: date
    end: date | None
    reason: PauseReason
    note: str = ""


@dataclass(frozen=True, slots=True)
class DueDate:
    """A computed due date and everything a person needs to check it."""

    kind: DeadlineKind
    period: int  # working days before any extension
    received: date  # the first receipt
    start: date  # the day counting starts after: the receipt, or the last restart
    restarted: bool
    superseded: tuple[ClockEvent, ...]  # the events before the last restart
    days: tuple[DayEntry, ...]  # every day after ``start`` up to the due date (or the open pause)
    pauses: tuple[PauseSpan, ...]
    extensions: tuple[Extended, ...]
    due_before_extension: date | None
    due: date | None  # None while a pause is open: the clock is stopped

    @property
    def extension_days(self) -> int:
        """Working days added by extensions."""
        return sum(e.days for e in self.extensions)

    @property
    def counted(self) -> tuple[DayEntry, ...]:
        """The working days counted, in order (period + extension of them once due)."""
        return tuple(d for d in self.days if d.counted)

    @property
    def skipped(self) -> tuple[DayEntry, ...]:
        """Weekends and holidays passed over."""
        return tuple(d for d in self.days if d.use in {DayUse.WEEKEND, DayUse.HOLIDAY})

    @property
    def makeup_days(self) -> tuple[date, ...]:
        """Weekend days counted as working days."""
        return tuple(d.day for d in self.days if d.use is DayUse.MAKEUP)

    @property
    def paused_days(self) -> tuple[DayEntry, ...]:
        """Days inside pauses, not counted."""
        return tuple(d for d in self.days if d.use is DayUse.PAUSED)

    @property
    def paused_since(self) -> date | None:
        """The start of the pause still open, if any."""
        return self.pauses[-1].start if self.pauses and self.pauses[-1].end is None else None

    @property
    def remaining(self) -> int:
        """Working days still to count (0 once due)."""
        return self.period + self.extension_days - len(self.counted)

    @property
    def provisional(self) -> bool:
        """Whether a day counted or skipped lies beyond the known calendar."""
        return self.provisional_from is not None

    @property
    def provisional_from(self) -> date | None:
        """The first such day."""
        return next((d.day for d in self.days if d.provisional and d.use is not DayUse.PAUSED), None)


def compute_due(clock: StatutoryClock, calendar: DayLookup, *, where: Where = event_path) -> DueDate:
    """The due date of ``clock`` on ``calendar``; InvalidInput (located by ``where``) for a bad history."""
    clock.check(where)
    events = clock.events
    base, start = max((i, e.on) for i, e in enumerate(events) if isinstance(e, Started | Restarted))
    live = list(enumerate(events))[base + 1 :]
    pauses = _pauses(live)
    extensions = [(i, e) for i, e in live if isinstance(e, Extended)]
    target = clock.period + sum(e.days for _, e in extensions)
    days: list[DayEntry] = []
    counted: list[date] = []
    day, stopped = start, False
    while len(counted) < target:
        day += timedelta(days=1)
        span = next((s for _, s in pauses if s.start < day and (s.end is None or day <= s.end)), None)
        if span is not None and span.end is None:
            stopped = True
            break
        info = calendar(day)
        if span is not None:
            days.append(DayEntry(day, DayUse.PAUSED, working=info.working, provisional=info.provisional))
        elif info.working:
            counted.append(day)
            use = DayUse.MAKEUP if day.weekday() >= _SATURDAY else DayUse.COUNTED
            days.append(DayEntry(day, use, len(counted), working=True, provisional=info.provisional))
        else:
            use = DayUse.HOLIDAY if info.name or day.weekday() < _SATURDAY else DayUse.WEEKEND
            days.append(DayEntry(day, use, name=info.name, provisional=info.provisional))
    due = None if stopped else day
    _check_against_due(period=clock.period, counted=counted, pauses=pauses, extensions=extensions, due=due, where=where)
    return DueDate(
        kind=clock.kind,
        period=clock.period,
        received=next(e.on for e in events if isinstance(e, Started)),
        start=start,
        restarted=base > 0,
        superseded=events[:base],
        days=tuple(days),
        pauses=tuple(s for _, s in pauses),
        extensions=tuple(e for _, e in extensions),
        due_before_extension=counted[clock.period - 1] if len(counted) >= clock.period else None,
        due=due,
    )


def _pauses(live: Sequence[tuple[int, ClockEvent]]) -> list[tuple[int, PauseSpan]]:
    """The pauses after the last start, with the index of the event that opened each."""
    found: list[tuple[int, PauseSpan]] = []
    for index, event in live:
        if isinstance(event, Paused):
            found.append((index, PauseSpan(event.on, None, event.reason, event.note)))
        elif isinstance(event, Resumed):
            opened_at, span = found[-1]
            found[-1] = (opened_at, PauseSpan(span.start, event.on, span.reason, span.note))
    return found


def _check_against_due(
    *,
    period: int,
    counted: Sequence[date],
    pauses: Sequence[tuple[int, PauseSpan]],
    extensions: Sequence[tuple[int, Extended]],
    due: date | None,
    where: Where,
) -> None:
    """A pause or an extension approved after the time ran out cannot change it."""
    problems = [
        Violation(where(index), f"the pause starting {span.start} starts after the reply was already due ({due})")
        for index, span in pauses
        if due is not None and span.start > due
    ]
    reached = period
    for index, extension in extensions:
        limit = counted[reached - 1] if len(counted) >= reached else None
        if extension.approval is not None and limit is not None and extension.approval.on > limit:
            problems.append(Violation(where(index), f"approved on {extension.approval.on}, after the period ran "
                                                    f"out ({limit}): an extension is approved in time"))  # fmt: skip
        reached += extension.days
    if problems:
        raise InvalidInput(problems)
