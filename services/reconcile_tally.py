"""What one reconciler tick did, item by item: each item handled on its own, its failure logged and counted.

A step is a list of items (a review to start, a flow run to re-drive, a release to publish) or
one call (rebuild the feeds). An exception on one item — a deleted flow run, a missing object,
anything — is logged to the logger given (the flow run's, in the reconciler) with the step and
the item's id, counted, and never stops the other items or the later steps. The tick itself
completes: its result is the report, and its state message says how many items failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TypeVar

Log = logging.Logger | logging.LoggerAdapter[logging.Logger]
T = TypeVar("T")


class ItemOutcome(StrEnum):
    """How an item that did not fail ended."""

    HANDLED = "handled"  # done, or nothing to do
    NEEDS_ATTENTION = "needs_attention"  # parked until something changes; counted, not retried


@dataclass
class StepCount:
    """Items of one step by outcome."""

    handled: int = 0
    failed: int = 0
    needs_attention: int = 0


@dataclass
class ReconcileReport:
    """What the reconciler did in one tick: counts per step, the failures, and the items acted on."""

    steps: dict[str, StepCount] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # "<step> <item>: <error's first line>"
    started: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    rehosted: list[str] = field(default_factory=list)  # flow runs of a lost worker handed to another (ids)
    retried: list[str] = field(default_factory=list)  # parked reviews whose inputs changed, started again
    needs_attention: list[str] = field(default_factory=list)  # parked reviews left as they are
    published: list[str] = field(default_factory=list)
    publish_failed: list[str] = field(default_factory=list)
    withdrawals_finished: list[str] = field(default_factory=list)
    status_records_written: list[str] = field(default_factory=list)  # status.json left behind a validity change
    delivered: int = 0
    overdue: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Items that failed, over every step."""
        return sum(count.failed for count in self.steps.values())

    def summary(self) -> str:
        """One line: failures first, then the handled/failed/needs-attention counts of steps that had items."""
        counts = ", ".join(f"{name} {c.handled}/{c.failed}/{c.needs_attention}" for name, c in self.steps.items()
                           if c.handled or c.failed or c.needs_attention)  # fmt: skip
        parked = sum(count.needs_attention for count in self.steps.values())
        return f"{self.failed} failed, {parked} need attention (handled/failed/needs attention: {counts})"


class Tally:
    """Runs each item of each step on its own and counts how it ended."""

    def __init__(self, logger: Log) -> None:
        self.report = ReconcileReport()
        self._logger = logger

    def each(self, step: str, items: Iterable[T], handle: Callable[[T], ItemOutcome], name: Callable[[T], str]) -> None:
        """Handle every item; one that raises is logged, counted and skipped."""
        for item in items:
            self.one(step, name(item), partial(handle, item))

    def listed(self, step: str, read: Callable[[], list[T]], *, what: str = "(listing)") -> list[T]:
        """The items of a step as ``read`` lists them; none (and one failure of ``what``) if that fails."""
        found: list[T] = []

        def listing() -> ItemOutcome:
            found.extend(read())
            return ItemOutcome.HANDLED

        self.one(step, what, listing, count_success=False)
        return found

    def one(self, step: str, item: str, handle: Callable[[], ItemOutcome], *, count_success: bool = True) -> None:
        """Handle one item: its outcome counted, or its failure logged with the item's id and counted."""
        count = self.report.steps.setdefault(step, StepCount())
        try:
            outcome = handle()
        except Exception as exc:  # the reconciler's one catch-all: logged with its traceback and counted, never lost
            count.failed += 1
            self.report.failures.append(f"{step} {item}: {_first_line(exc)}")
            self._logger.warning("reconciler step %s: %s failed: %s", step, item, _first_line(exc), exc_info=True,
                                 extra={"step": step, "item": item})  # fmt: skip
            return
        if outcome is ItemOutcome.NEEDS_ATTENTION:
            count.needs_attention += 1
        elif count_success:
            count.handled += 1


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
