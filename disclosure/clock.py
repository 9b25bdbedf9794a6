"""Statutory clocks: a deadline as a record — its kind and an append-only sequence of events.

Events: started (the day of receipt), paused (a consultation sent), resumed (its answer),
extended (with the approval), restarted (the corrected application received). ``TRANSITIONS``
says which may follow which; ``history_violations`` checks everything that needs no calendar.
The due date is computed from the events, never stored: ``disclosure.clock_due.compute_due``,
with the conventions written there and in docs/architecture.md ("Statutory clocks").
Imports nothing outside ``disclosure`` and the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from disclosure.errors import InvalidInput, Violation
from disclosure.time_limits import MAX_EXTENSION_DAYS, RULES, DeadlineKind, DeadlineRule, PauseReason


@dataclass(frozen=True, slots=True)
class Approval:
    """Who approved an extension (the head of the disclosure office, Art. 33(2)) and when."""

    by: str
    on: date


@dataclass(frozen=True, slots=True)
class Started:
    """The clock starts: the day the application was received (Art. 31), not itself counted."""

    on: date


@dataclass(frozen=True, slots=True)
class Paused:
    """A consultation sent on ``on``: the count stops after that day."""

    on: date
    reason: PauseReason = PauseReason.CONSULTATION
    note: str = ""


@dataclass(frozen=True, slots=True)
class Resumed:
    """The consultation answered on ``on``: the count resumes the next day."""

    on: date


@dataclass(frozen=True, slots=True)
class Extended:
    """The period extended by ``days`` working days; ``approval`` None only in a what-if computation."""

    days: int
    approval: Approval | None = None


@dataclass(frozen=True, slots=True)
class Restarted:
    """The corrected application received on ``on`` (Art. 30): the whole period counts again from it."""

    on: date


ClockEvent = Started | Paused | Resumed | Extended | Restarted
Where = Callable[[int], str]


def event_path(index: int) -> str:
    """The default location of an event in violations: its JSON path."""
    return f"$.events[{index}]"


class ClockState(StrEnum):
    """Where a clock stands after its events."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"


TRANSITIONS: Mapping[tuple[ClockState, type[ClockEvent]], ClockState] = {
    (ClockState.NOT_STARTED, Started): ClockState.RUNNING,
    (ClockState.RUNNING, Paused): ClockState.PAUSED,
    (ClockState.PAUSED, Resumed): ClockState.RUNNING,
    (ClockState.RUNNING, Extended): ClockState.RUNNING,
    (ClockState.PAUSED, Extended): ClockState.PAUSED,  # the head may approve while a consultation runs
    (ClockState.RUNNING, Restarted): ClockState.RUNNING,
}
_STARTED_ALREADY = "the clock has already started; a new receipt (a corrected application) is a restart"
_REFUSED: Mapping[tuple[ClockState, type[ClockEvent]], str] = {
    (ClockState.RUNNING, Started): _STARTED_ALREADY,
    (ClockState.PAUSED, Started): _STARTED_ALREADY,
    (ClockState.PAUSED, Paused): "a pause is already open; it must be resumed first",
    (ClockState.RUNNING, Resumed): "no pause is open",
    (ClockState.PAUSED, Restarted): "the corrected application cannot restart the clock while it is paused",
}
_ALLOWED_BY_RULE: Mapping[type[ClockEvent], Callable[[DeadlineRule], bool]] = {
    Started: lambda _: True,
    Paused: lambda rule: rule.pausable,
    Resumed: lambda rule: rule.pausable,
    Extended: lambda rule: rule.extendable,
    Restarted: lambda rule: rule.restartable,
}
_VERB: Mapping[type[ClockEvent], str] = {
    Started: "started", Paused: "paused", Resumed: "resumed", Extended: "extended", Restarted: "restarted",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatutoryClock:
    """A deadline as a record: its kind, its period and the append-only list of what happened."""

    kind: DeadlineKind
    events: tuple[ClockEvent, ...]
    working_days: int | None = None  # only for kinds the agency sets (interpretation)

    @classmethod
    def start(cls, kind: DeadlineKind, on: date, working_days: int | None = None) -> StatutoryClock:
        """A new clock started on ``on`` (the day of receipt, not counted)."""
        clock = cls(kind, (Started(on),), working_days)
        clock.check()
        return clock

    @property
    def rule(self) -> DeadlineRule:
        """What the law says about this kind."""
        return RULES[self.kind]

    @property
    def period(self) -> int:
        """The working days allowed before any extension."""
        return self.working_days if self.working_days is not None else self.rule.working_days or 0

    def append(self, event: ClockEvent) -> StatutoryClock:
        """The clock with one more event, refused (InvalidInput) if the history would not be valid."""
        longer = replace(self, events=(*self.events, event))
        longer.check()
        return longer

    def check(self, where: Where = event_path) -> None:
        """Raise InvalidInput naming every problem of the history (none of them needs the calendar)."""
        violations = history_violations(self, where)
        if violations:
            raise InvalidInput(violations)

    @property
    def state(self) -> ClockState:
        """Running, paused (a consultation open) or not started."""
        state = ClockState.NOT_STARTED
        for event in self.events:
            state = TRANSITIONS.get((state, type(event)), state)
        return state


def history_violations(clock: StatutoryClock, where: Where = event_path) -> list[Violation]:
    """Every rule the history breaks, located by ``where(index)`` of the offending event."""
    found = _period_violations(clock)
    if not clock.events:
        found.append(Violation("$.events", "the clock must start with the day of receipt"))
    walk = _Walk(clock.rule)
    for index, event in enumerate(clock.events):
        problem = walk.step(event)
        if problem:
            found.append(Violation(where(index), problem))
    return found


def _period_violations(clock: StatutoryClock) -> list[Violation]:
    rule = clock.rule
    if rule.at_most:
        return [Violation("$.kind", f"{rule.label_en} is not a clock of its own: it is an event on the reply clock")]
    if rule.working_days is None and clock.working_days is None:
        return [Violation("$.working_days", f"the agency's limit for {rule.label_en} is needed")]
    if rule.working_days is not None and clock.working_days not in {None, rule.working_days}:
        return [Violation("$.working_days", f"{rule.label_en} is {rule.working_days} working days by law")]
    if clock.working_days is not None and not 1 <= clock.working_days <= 366:  # noqa: PLR2004 - a year at most
        return [Violation("$.working_days", f"{clock.working_days} is not 1 to 366 working days")]
    return []


Dated = Started | Paused | Resumed | Restarted


@dataclass(slots=True)
class _Walk:
    """A history read event by event: where the clock stands after the events accepted so far."""

    rule: DeadlineRule
    state: ClockState = ClockState.NOT_STARTED
    receipt: date | None = None
    previous: Dated | None = None  # the last dated event accepted
    opened: Paused | None = None  # the last pause accepted
    refused_pause: bool = False  # the open pause was refused: its resume is not reported again
    extended: int = 0  # working days of extension since the last start

    def step(self, event: ClockEvent) -> str | None:
        """The problem with ``event`` after the history so far, or None (then it is applied)."""
        if not _ALLOWED_BY_RULE[type(event)](self.rule):
            return f"a clock for {self.rule.label_en} cannot be {_VERB[type(event)]}"
        nxt = TRANSITIONS.get((self.state, type(event)))
        if nxt is None:
            return self._refusal(event)
        if isinstance(event, Resumed) and self.refused_pause:
            self.state, self.refused_pause = nxt, False
            return None
        problem = self._extension_problem(event) if isinstance(event, Extended) else self._date_problem(event)
        if problem is None:
            self._apply(event, nxt)
        elif isinstance(event, Paused):
            self.state, self.refused_pause = nxt, True
        return problem

    def _apply(self, event: ClockEvent, state: ClockState) -> None:
        self.state = state
        if isinstance(event, Extended):
            self.extended += event.days
            return
        if isinstance(event, Started):
            self.receipt = event.on
        elif isinstance(event, Restarted):
            self.extended = 0
        elif isinstance(event, Paused):
            self.opened = event
        self.previous = event

    def _refusal(self, event: ClockEvent) -> str:
        if self.state is ClockState.NOT_STARTED:
            return "the clock must start with the day of receipt"
        message = _REFUSED[(self.state, type(event))]
        if self.state is ClockState.PAUSED and self.opened is not None and not self.refused_pause:
            return f"{message} (paused since {self.opened.on})"
        return message

    def _date_problem(self, event: Dated) -> str | None:
        """A dated event before the receipt, or before what was recorded before it."""
        opened, previous = self.opened, self.previous
        if isinstance(event, Resumed) and opened is not None and event.on < opened.on:
            return f"the pause from {opened.on} to {event.on} ends before it starts"
        if self.receipt is not None and event.on < self.receipt:
            return self._before_receipt(event, self.receipt)
        if previous is None or event.on >= previous.on:
            return None
        if isinstance(previous, Resumed) and opened is not None:
            what = (f"the pause starting {event.on} overlaps" if isinstance(event, Paused)
                    else f"the corrected application is received ({event.on}) during")  # fmt: skip
            return f"{what} the pause from {opened.on} to {previous.on}"
        return f"dated {event.on}, before the event recorded before it ({previous.on})"

    @staticmethod
    def _before_receipt(event: Dated, receipt: date) -> str:
        if isinstance(event, Paused):
            return f"the pause starting {event.on} starts before the application was received ({receipt})"
        if isinstance(event, Restarted):
            return f"the corrected application cannot be received ({event.on}) before the application ({receipt})"
        return f"dated {event.on}, before the application was received ({receipt})"

    def _extension_problem(self, event: Extended) -> str | None:
        total = self.extended + event.days
        if not 1 <= event.days <= MAX_EXTENSION_DAYS:
            return f"an extension is 1 to {MAX_EXTENSION_DAYS} working days (Art. 33), not {event.days}"
        if total > MAX_EXTENSION_DAYS:
            return f"extensions would total {total} working days; at most {MAX_EXTENSION_DAYS} (Art. 33)"
        if event.approval is not None:
            if not event.approval.by.strip():
                return "an extension needs the approval of the head of the disclosure office: who approved it"
            if self.receipt is not None and event.approval.on < self.receipt:
                return f"approved on {event.approval.on}, before the application was received ({self.receipt})"
        return None


class Given(StrEnum):
    """Where an event of a what-if reply clock came from (for naming the input in violations)."""

    RECEIVED = "received"
    CORRECTED = "corrected"
    PAUSE = "pause"
    EXTENSION = "extension"


def reply_clock(
    received: date,
    *,
    corrected: date | None = None,
    pauses: Iterable[tuple[date, date]] = (),
    extension: int | None = None,
) -> tuple[StatutoryClock, tuple[Given, ...]]:
    """A reply clock from what a person states (unchecked), and where each of its events came from.

    Pauses are placed in order of their start; the restart before the first pause that starts on
    or after it; the extension (no approval recorded: a what-if) last.
    """
    events: list[ClockEvent] = [Started(received)]
    given = [Given.RECEIVED]
    pending = corrected
    for start, end in sorted(pauses):
        if pending is not None and pending <= start:
            events.append(Restarted(pending))
            given.append(Given.CORRECTED)
            pending = None
        events += [Paused(start), Resumed(end)]
        given += [Given.PAUSE, Given.PAUSE]
    if pending is not None:
        events.append(Restarted(pending))
        given.append(Given.CORRECTED)
    if extension is not None:
        events.append(Extended(extension))
        given.append(Given.EXTENSION)
    return StatutoryClock(DeadlineKind.APPLICATION_REPLY, tuple(events)), tuple(given)


def labelled(given: Sequence[Given], names: Mapping[Given, str]) -> Where:
    """A ``Where`` naming each event by the input it came from (``names`` maps them to option names)."""
    return lambda index: names[given[index]] if index < len(given) else event_path(index)
