"""Administrative commands: the audit log, feeds, channels, housekeeping, the calendar."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from disclosure.checkpoint import parse_checkpoint
from disclosure.errors import ConfigurationError, InvalidInput, RuleViolation, Violation
from govpub.cli_common import err, handled, open_govpub, out
from services.calendar import load_calendar, parse_overrides
from services.settings import load_settings

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
feeds_app = typer.Typer(help="Public feeds (Atom, RSS, JSON Feed) per channel.", no_args_is_help=True)
channels_app = typer.Typer(help="Feed channels, downstream consumers and their deliveries.", no_args_is_help=True)
calendar_app = typer.Typer(help="Chinese working days (holidays and make-up working days).", no_args_is_help=True)
housekeeping = typer.Typer()  # its commands are mounted at the top level


@audit_app.command("verify")
@handled
def audit_verify(
    checkpoint: Annotated[
        list[Path] | None, typer.Option("--checkpoint", metavar="FILE", help="a checkpoint you kept (repeatable)")
    ] = None,
) -> None:
    """Check the hash chain, consistency with every signed checkpoint, and the rows of legal acts; exit 1
    naming what broke."""
    kept = [(str(path), parse_checkpoint(_read_file(path), source=str(path))) for path in checkpoint or []]
    with open_govpub() as (govpub, principal):
        report = govpub.audit_verify(principal, kept)
    for problem in report.problems:
        err.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
    if report.problems:
        raise typer.Exit(1)
    rows = ", ".join(f"{count} {kind}" for kind, count in report.rows.items())
    out.print(f"audit trail intact: {report.events} events, Merkle root {report.root_hash}, consistent with "
              f"{report.checkpoints} signed checkpoint(s); rows match their events ({rows})",
              highlight=False, soft_wrap=True)  # fmt: skip


@audit_app.command("checkpoint")
@handled
def audit_checkpoint() -> None:
    """Sign and publish a checkpoint of the audit log now (audit/checkpoints/<size>.json) and print it."""
    with open_govpub() as (govpub, principal):
        signed = govpub.audit_checkpoint(principal)
    if signed is None:
        raise RuleViolation("the audit log is empty: nothing to checkpoint")
    sys.stdout.write(signed.to_json().decode())


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput([Violation(str(path), exc.strerror or str(exc))]) from None


@feeds_app.command("export")
@handled
def feeds_export(directory: Annotated[Path, typer.Argument(metavar="DIR")]) -> None:
    """Write every channel's head pages (and archive pages) as DIR/<channel>/{atom.xml,rss.xml,feed.json}."""
    with open_govpub() as (govpub, principal):
        written = govpub.export_feeds(principal, directory)
    out.print(f"{len(written)} file(s) written under {directory}")


@feeds_app.command("rebuild")
@handled
def feeds_rebuild() -> None:
    """Rebuild every channel's head page (and any newly full archive pages) from the database."""
    with open_govpub() as (govpub, principal):
        count = govpub.rebuild_feeds(principal)
    out.print(f"{count} channel(s) rebuilt")


@channels_app.command("add")
@handled
def channels_add(  # noqa: PLR0917 - typer: one parameter per option
    name: Annotated[str, typer.Argument(metavar="NAME")],
    title: Annotated[str, typer.Option(help="display title")],
    webhook: Annotated[str | None, typer.Option(help="endpoint that receives signed webhooks")] = None,
    secret: Annotated[str | None, typer.Option(help="HMAC secret (generated and printed once if omitted)")] = None,
    category: Annotated[list[str] | None, typer.Option(help="only these categories (repeat)")] = None,
    agency: Annotated[list[str] | None, typer.Option(help="only these agency codes (repeat)")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="development only: the admin registering it")] = None,
) -> None:
    """Register or update a downstream channel (a WeChat account, an app) with its own feed and webhook."""
    with open_govpub(as_user) as (govpub, principal):
        generated = govpub.register_channel(principal, name=name, title=title, webhook=webhook, secret=secret,
                                            categories=category or [], agencies=agency or [])  # fmt: skip
    out.print(f"channel {name} registered; feed at feeds/{name}/")
    if generated:
        out.print(f"webhook secret (shown once): {generated}", highlight=False)


@channels_app.command("remove")
@handled
def channels_remove(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    as_user: Annotated[str | None, typer.Option("--as", help="development only: the admin removing it")] = None,
) -> None:
    """Stop feeding a downstream channel."""
    with open_govpub(as_user) as (govpub, principal):
        govpub.remove_channel(principal, name)
    out.print(f"channel {name} deactivated")


@channels_app.command("list")
@handled
def channels_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Channels with their entries and delivery state (pending, delivered, failed; the last attempt)."""
    with open_govpub() as (govpub, principal):
        rows = govpub.channels(principal)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("channel", "kind", "items", "webhook", "pending", "delivered", "failed", "last",
                  title=f"{len(rows)} channel(s)")  # fmt: skip
    for r in rows:
        last = r["last_delivery"]
        table.add_row(r["name"], r["kind"], str(r["items"]), r["webhook"] or "—", str(r["deliveries"]["pending"]),
                      str(r["deliveries"]["delivered"]), str(r["deliveries"]["failed"]),
                      "—" if last is None else f"{last['state']} ({last['status'] or last['error']})")  # fmt: skip
    out.print(table)


@channels_app.command("deliver")
@handled
def channels_deliver() -> None:
    """Send the deliveries that are due now (the reconciler does this every minute)."""
    with open_govpub() as (govpub, principal):
        delivered, attempted = govpub.deliver(principal)
    out.print(f"{delivered} delivered, {attempted - delivered} to retry later")


@housekeeping.command("gc")
@handled
def gc(
    older_than: Annotated[float, typer.Option(min=0.1, help="hours an unreferenced blob must have existed")] = 24.0,
) -> None:
    """Delete private attachment blobs and draft objects no version refers to (left by failed intakes)."""
    with open_govpub() as (govpub, principal):
        report = govpub.gc(principal, older_than=timedelta(hours=older_than))
    out.print(f"{len(report.removed)} orphaned blob(s) removed, {report.kept} in use, "
              f"{report.too_young} orphaned but younger than {older_than} h; "
              f"{len(report.drafts_removed)} orphaned draft object(s) removed")  # fmt: skip


def _parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput([Violation(name, f"{value!r} is not a date (YYYY-MM-DD)")]) from None


@calendar_app.command("add")
@handled
def calendar_add(
    day: Annotated[str, typer.Argument(metavar="DATE", help="start date, YYYY-MM-DD")],
    days: Annotated[str, typer.Argument(metavar="N", help="working days to add (0 = DATE or the next working day)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the computation as JSON")] = False,
    explain: Annotated[bool, typer.Option(help="also print how the date was computed (stderr)")] = False,
) -> None:
    """Print the date N working days after DATE (the start day itself not counted)."""
    start = _parse_day(day, "DATE")
    if not days.isdigit():
        raise InvalidInput([Violation("N", f"{days!r} is not a whole number of working days (0 or more)")])
    result = load_calendar(load_settings()).add_working_days(start, int(days))
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    sys.stdout.write(result.value.isoformat() + "\n")
    if explain or result.provisional:
        err.print(result.explanation(), markup=False, highlight=False, soft_wrap=True)


@calendar_app.command("is-workday")
@handled
def calendar_is_workday(day: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD")]) -> None:
    """Print yes or no: is DATE a working day (make-up working days count; holidays do not)."""
    info = load_calendar(load_settings()).day(_parse_day(day, "DATE"))
    sys.stdout.write(("yes" if info.working else "no") + "\n")
    if info.provisional:
        err.print(f"provisional: {info.day.year} is beyond the known calendar (weekday rule assumed); "
                  "add the year to the calendar override file", markup=False, highlight=False)  # fmt: skip
    elif info.name:
        err.print(f"{info.kind.value}: {info.name}", markup=False, highlight=False)


@calendar_app.command("check")
@handled
def calendar_check(file: Annotated[Path, typer.Argument(help="calendar override JSON")]) -> None:
    """Validate a calendar override file (install it as GOVPUB_DATA_DIR/calendar-override.json)."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{file}: {exc.strerror}") from None
    years = parse_overrides(raw)
    out.print(f"valid: {', '.join(str(y.year) for y in years)}")
