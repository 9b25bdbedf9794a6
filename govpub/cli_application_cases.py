"""`govpub applications register|list|show|…`: the application record's use cases as commands.

Registration reads JSON (``--file`` or stdin, schemas/application.schema.json); every other act
takes options; every command prints ``--json`` on request. Dates the law fixes by the record
(``--on``) default to today. Who acts: the token's user, or ``--as`` in development.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from disclosure.application_fees import FeeMethod
from disclosure.application_replies import Closing, Reply, ReplyKind, WithholdingGround
from disclosure.errors import ConfigurationError, InvalidInput, Violation
from govpub.cli_applications import applications_app
from govpub.cli_common import handled, open_govpub, out
from services.application_views import ApplicationDetail
from services.applications import ApplicationService
from services.principal import Principal

AsUser = Annotated[str | None, typer.Option("--as", help="development only: act as this user")]
AsJson = Annotated[bool, typer.Option("--json", help="print the application as JSON")]
On = Annotated[str | None, typer.Option("--on", metavar="DATE", help="the day of the act (default: today)")]
Id = Annotated[int, typer.Argument(metavar="ID", help="the application's id")]


class Party(StrEnum):
    """Who is consulted."""

    THIRD_PARTY = "third-party"  # Art. 32
    AGENCY = "agency"  # Art. 34


class Answer(StrEnum):
    """How a consultation ended."""

    CONSENT = "consent"
    OBJECTION = "objection"
    SILENT = "silent"  # no answer within 15 working days (an agency's silence is consent)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput([Violation(option, f"{value!r} is not a date (YYYY-MM-DD)")]) from None


def _required_day(value: str, option: str) -> date:
    day = _day(value, option)
    assert day is not None  # noqa: S101 - a value was given
    return day


def _print(view: ApplicationDetail, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(view.model_dump_json(indent=2) + "\n")
        return
    due = view.due.isoformat() if view.due else "stopped (a consultation or a fee notice is open)"
    out.print(f"{view.agency}/{view.receipt_number} (id {view.id}): {view.state}"
              + (f", {view.outcome_label}" if view.outcome_label else ""), markup=False, highlight=False)  # fmt: skip
    out.print(f"reply due: {due}" + (" PROVISIONAL" if view.provisional else ""), markup=False, highlight=False)
    out.print(str(view.id), highlight=False)


def _act(
    as_user: str | None, as_json: bool, call: Callable[[ApplicationService, Principal], ApplicationDetail]
) -> None:
    """One act on an application as the command's principal, the case printed after it."""
    with open_govpub(as_user) as (govpub, principal):
        view = call(govpub.applications, principal)
    _print(view, as_json=as_json)


@applications_app.command("register")
@handled
def register(
    file: Annotated[Path | None, typer.Option("--file", help="the application JSON (default: stdin)")] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Register an application (schemas/application.schema.json); prints its id as the last line."""
    try:
        raw = file.read_bytes() if file is not None else sys.stdin.buffer.read()
    except OSError as exc:
        raise ConfigurationError(f"{file}: {exc.strerror}") from None
    _act(as_user, as_json, lambda cases, who: cases.register(who, raw))


@applications_app.command("list")
@handled
def list_applications(
    agency: Annotated[str | None, typer.Option(help="only this agency's")] = None,
    state: Annotated[str | None, typer.Option(help="only applications in this state")] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Applications newest first, the applicants' personal data masked."""
    with open_govpub(as_user) as (govpub, principal):
        found = govpub.applications.list_masked(principal, agency=agency, state=state)
    if as_json:
        sys.stdout.write(json.dumps([v.model_dump(mode="json") for v in found], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("id", "receipt", "applicant", "received", "state", "due", title=f"{len(found)} application(s)")
    for v in found:
        due = (v.due.isoformat() if v.due else "-") + (" PROVISIONAL" if v.provisional else "")
        table.add_row(str(v.id), f"{v.agency}/{v.receipt_number}", f"{v.applicant.name} ({v.applicant.type})",
                      v.received_on.isoformat(), v.state, due)  # fmt: skip
    out.print(table)


@applications_app.command("show")
@handled
def show(application_id: Id, as_user: AsUser = None, as_json: AsJson = False) -> None:
    """One application: applicant (in full for the disclosure office), events, reply due date and its computation."""
    with open_govpub(as_user) as (govpub, principal):
        view = govpub.applications.show(principal, application_id)
    if as_json:
        sys.stdout.write(view.model_dump_json(indent=2) + "\n")
        return
    a = view.applicant
    lines = [f"{view.agency}/{view.receipt_number} (id {view.id}): {view.state}",
             f"applicant: {a.name} ({a.type}) {a.id_proof} {a.phone} {a.email} {a.address}".rstrip(),
             f"asked for: {view.description} {view.doc_number}".rstrip(),
             f"received: {view.received_on} ({view.channel})"]  # fmt: skip
    if view.outcome_label:
        lines.append(f"outcome: {view.outcome_label} ({view.closed_on})")
    lines += [
        f"  {e.sequence}. {e.dated} {e.act} → {e.state_after} by {e.actor} {e.note}".rstrip() for e in view.events
    ]
    lines += view.due_explanation
    lines.append(view.due.isoformat() if view.due else "stopped (a consultation or a fee notice is open)")
    out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


@applications_app.command("accept")
@handled
def accept(application_id: Id, on: On = None, as_user: AsUser = None, as_json: AsJson = False) -> None:
    """审核: the application is complete; handling starts."""
    _act(as_user, as_json, lambda cases, who: cases.accept(who, application_id, on=_day(on, "--on")))


@applications_app.command("correction-request")
@handled
def correction_request(  # noqa: PLR0917 - typer: one parameter per option
    application_id: Id,
    correct_by: Annotated[str, typer.Option("--correct-by", metavar="DATE", help="the stated period's last day")],
    note: Annotated[str, typer.Option(help="everything the applicant must correct, at once")],
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Ask for a correction (once, within 7 working days of receipt, Art. 30)."""
    _act(
        as_user,
        as_json,
        lambda cases, who: cases.request_correction(
            who,
            application_id,
            note=note,
            sent_on=_day(on, "--on"),
            correct_by=_required_day(correct_by, "--correct-by"),
        ),
    )


@applications_app.command("correction-received")
@handled
def correction_received(application_id: Id, on: On = None, as_user: AsUser = None, as_json: AsJson = False) -> None:
    """The corrected application received: the 20 working days restart (Art. 30)."""
    _act(
        as_user, as_json, lambda cases, who: cases.record_correction(who, application_id, received_on=_day(on, "--on"))
    )


@applications_app.command("consult")
@handled
def consult(  # noqa: PLR0917 - typer: one parameter per option
    application_id: Id,
    party: Annotated[Party, typer.Option(help="a third party (Art. 32) or a co-producing agency (Art. 34)")],
    note: Annotated[str, typer.Option(help="who was consulted, about what")] = "",
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Send a consultation (15 working days to answer); the reply clock pauses."""
    _act(
        as_user,
        as_json,
        lambda cases, who: cases.consult(
            who, application_id, agency=party is Party.AGENCY, note=note, sent_on=_day(on, "--on")
        ),
    )


@applications_app.command("consultation-answered")
@handled
def consultation_answered(  # noqa: PLR0917 - typer: one parameter per option
    application_id: Id,
    answer: Annotated[Answer, typer.Option(help="consent, objection, or silent past the 15 working days")],
    note: Annotated[str, typer.Option(help="what the answer said")] = "",
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """The consultation answered (or its period ran out): the reply clock resumes."""
    _act(
        as_user,
        as_json,
        lambda cases, who: cases.consultation_answered(
            who, application_id, answer=answer.value, note=note, answered_on=_day(on, "--on")
        ),
    )


@applications_app.command("extend")
@handled
def extend(  # noqa: PLR0917 - typer: one parameter per option
    application_id: Id,
    days: Annotated[int, typer.Option(help="working days (at most 20 in all, Art. 33)")],
    note: Annotated[str, typer.Option(help="why the reply period must be extended")],
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Ask the head of the disclosure office to extend the reply period (approve-extension)."""
    _act(as_user, as_json, lambda cases, who: cases.request_extension(
        who, application_id, days=days, note=note, on=_day(on, "--on")))  # fmt: skip


@applications_app.command("approve-extension")
@handled
def approve_extension(
    application_id: Id,
    notice_sent: Annotated[str, typer.Option("--notice-sent", metavar="DATE", help="the applicant was told on")],
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Approve the extension asked for: the head of the disclosure office, not the officer who asked."""
    _act(as_user, as_json, lambda cases, who: cases.approve_extension(
        who, application_id, notice_sent_on=_required_day(notice_sent, "--notice-sent"),
        approved_on=_day(on, "--on")))  # fmt: skip


@applications_app.command("fee-notice")
@handled
def fee_notice(  # noqa: PLR0917 - typer: one parameter per option
    application_id: Id,
    method: Annotated[FeeMethod, typer.Option(help="per_page or per_application (国办函〔2020〕109号)")],
    count: Annotated[int, typer.Option(help="pages, or the applicant's nth application this month")],
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Send a fee notice (20 working days to pay); the reply clock pauses until payment."""
    _act(
        as_user,
        as_json,
        lambda cases, who: cases.notify_fee(
            who, application_id, method=method, count=count, notified_on=_day(on, "--on")
        ),
    )


@applications_app.command("fee-paid")
@handled
def fee_paid(application_id: Id, on: On = None, as_user: AsUser = None, as_json: AsJson = False) -> None:
    """The fee paid: the reply clock resumes."""
    _act(as_user, as_json, lambda cases, who: cases.record_payment(who, application_id, paid_on=_day(on, "--on")))


@applications_app.command("close")
@handled
def close(
    application_id: Id,
    reason: Annotated[Closing, typer.Option(help="no_correction or fee_unpaid, once its period has passed")],
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Close without a reply on the merits (Table 3 （六） 1 or 2)."""
    _act(as_user, as_json, lambda cases, who: cases.close(who, application_id, closing=reason, on=_day(on, "--on")))


@applications_app.command("reply")
@handled
def reply(  # noqa: PLR0917 - typer: one parameter per option
    application_id: Id,
    kind: Annotated[ReplyKind, typer.Option(help="the statutory outcome (Art. 35-39)")],
    ground: Annotated[WithholdingGround | None, typer.Option(help="withheld: the ground")] = None,
    where: Annotated[str, typer.Option(help="already_public: where and how to obtain it")] = "",
    agency: Annotated[str, typer.Option(help="not_this_agency: the agency that holds it")] = "",
    published_item: Annotated[str | None, typer.Option(help="the published document disclosed (its id)")] = None,
    note: Annotated[str, typer.Option(help="other: what the reply was")] = "",
    on: On = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Reply with a typed outcome; it counts under exactly one row of Table 3."""
    answer = Reply(kind, ground=ground, where=where, agency=agency, published_item=published_item, note=note)
    _act(as_user, as_json, lambda cases, who: cases.reply(who, application_id, answer, replied_on=_day(on, "--on")))


@applications_app.command("delivered")
@handled
def delivered(application_id: Id, on: On = None, as_user: AsUser = None, as_json: AsJson = False) -> None:
    """The reply served on the applicant."""
    _act(as_user, as_json, lambda cases, who: cases.deliver(who, application_id, on=_day(on, "--on")))


@applications_app.command("archive")
@handled
def archive(application_id: Id, on: On = None, as_user: AsUser = None, as_json: AsJson = False) -> None:
    """归档."""
    _act(as_user, as_json, lambda cases, who: cases.archive(who, application_id, on=_day(on, "--on")))
