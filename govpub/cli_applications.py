"""Disclosure on application (依申请公开): the reply clock of Art. 33 as a command."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated

import typer

from disclosure.clock import Given, history_violations, labelled, reply_clock
from disclosure.clock_text import as_dict, explanation_lines
from disclosure.errors import InvalidInput, RuleViolation, Violation
from govpub.cli_common import err, handled
from services.calendar import clock_due
from services.settings import load_settings

applications_app = typer.Typer(help="Disclosure on application (依申请公开).", no_args_is_help=True)

OPTIONS = {
    Given.RECEIVED: "RECEIVED",
    Given.CORRECTED: "--correction-received",
    Given.PAUSE: "--pause",
    Given.EXTENSION: "--extend",
}


@applications_app.command("due")
@handled
def applications_due(  # noqa: PLR0917 - typer: one parameter per option
    received: Annotated[str, typer.Argument(metavar="RECEIVED", help="the day of receipt (Art. 31), YYYY-MM-DD")],
    correction_received: Annotated[
        str | None,
        typer.Option("--correction-received", metavar="DATE", help="the corrected application was received (Art. 30)"),
    ] = None,
    pause: Annotated[
        list[str] | None,
        typer.Option("--pause", metavar="FROM:TO", help="a consultation sent on FROM, answered on TO (repeatable)"),
    ] = None,
    extend: Annotated[
        str | None, typer.Option("--extend", metavar="N", help="an extension of N working days (1-20, Art. 33)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print due, provisional and the explanation as JSON")] = False,
    explain: Annotated[
        bool, typer.Option(help="print how the date was computed (Chinese / English) before it")
    ] = False,
) -> None:
    """Print the reply due date (20 working days, Art. 33) as the last line.

    The day of receipt is not counted; a correction restarts the 20 days from its receipt (that day not counted).

    A pause FROM:TO counts FROM if it is a working day, not FROM+1 … TO; --extend N adds N working days at the end.
    """
    problems: list[Violation] = []
    start = _day(received, "RECEIVED", problems)
    corrected = _day(correction_received, "--correction-received", problems) if correction_received else None
    pauses = [span for span in (_span(text, problems) for text in pause or []) if span is not None]
    extension = _days(extend, problems) if extend is not None else None
    if start is None:
        raise InvalidInput(problems)
    clock, given = reply_clock(start, corrected=corrected, pauses=pauses, extension=extension)
    where = labelled(given, OPTIONS)
    if problems:  # report what the history breaks too, not only what could not be read
        raise InvalidInput(problems + history_violations(clock, where))
    result = clock_due(load_settings(), clock, where=where)
    if result.due is None:  # every pause given here is closed
        raise RuleViolation("the clock is stopped: a pause is still open")
    if as_json:
        body = {"due": result.due.isoformat(), "provisional": result.provisional, "explanation": as_dict(result)}
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    else:
        if explain:
            sys.stdout.write("".join(f"{line}\n" for line in explanation_lines(result)))
        sys.stdout.write(result.due.isoformat() + "\n")
    if result.provisional_from is not None:
        err.print(f"PROVISIONAL: from {result.provisional_from} the period lies beyond the known calendar (weekdays "
                  "assumed); add the year to the calendar override file", markup=False, highlight=False,
                  soft_wrap=True)  # fmt: skip


def _day(value: str, option: str, problems: list[Violation]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Violation(option, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def _span(value: str, problems: list[Violation]) -> tuple[date, date] | None:
    start, colon, end = value.partition(":")
    if not colon:
        problems.append(Violation("--pause", f"{value!r} is not FROM:TO (YYYY-MM-DD:YYYY-MM-DD)"))
        return None
    first, last = _day(start, "--pause", problems), _day(end, "--pause", problems)
    return (first, last) if first is not None and last is not None else None


def _days(value: str, problems: list[Violation]) -> int | None:
    if not value.isdigit():
        problems.append(Violation("--extend", f"{value!r} is not a whole number of working days (1 to 20)"))
        return None
    return int(value)
