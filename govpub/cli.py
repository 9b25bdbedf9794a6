"""The ``govpub`` command (typer + rich)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import ConfigurationError, InvalidInput, RuleViolation, ServiceUnavailable, Violation
from disclosure.publication import Validity
from disclosure.review import Decision
from govpub import (
    cli_admin,
    cli_application_cases,  # noqa: F401 - registers the application commands on applications_app
    cli_application_seed,  # noqa: F401 - registers `applications seed` on applications_app
    cli_application_transfer,  # noqa: F401 - registers transfer-proactive on applications_app
    cli_applications,
    cli_users,
    cli_worker,
)
from govpub.cli_common import err, handled, left_for_reconciler, open_govpub, out, resume_on_prefect
from govpub.cli_report import report_app
from govpub.cli_schedule import publish_app  # `publish now` (below) and `publish schedule` (定时发布)
from govpub.samples import export_samples
from govpub.serving import serve_until_stopped, where
from govpub.stack import Stack, running_api, use_prefect
from services.bootstrap import load_agency_config, today
from services.facade import Govpub
from services.screening import screen_for_agency
from services.settings import load_settings

app = typer.Typer(help="govpub: publish government information only after review.",
                  no_args_is_help=True, pretty_exceptions_enable=False)  # fmt: skip
sample_app = typer.Typer(help="Sample content from real agency documents.", no_args_is_help=True)
app.add_typer(sample_app, name="sample")
review_app = typer.Typer(help="Review decisions.", no_args_is_help=True)
app.add_typer(review_app, name="review")
app.add_typer(cli_admin.audit_app, name="audit")
app.add_typer(cli_admin.feeds_app, name="feeds")
app.add_typer(cli_admin.channels_app, name="channels")
app.add_typer(cli_admin.calendar_app, name="calendar")
app.add_typer(cli_users.users_app, name="users")
app.add_typer(cli_applications.applications_app, name="applications")
app.add_typer(report_app, name="report")
app.add_typer(publish_app, name="publish")
app.command("worker")(cli_worker.worker)
app.registered_commands += cli_admin.housekeeping.registered_commands + cli_users.session_commands.registered_commands
_handled = handled


@app.command()
@_handled
def init(
    config: Annotated[Path | None, typer.Option(help="agency configuration (JSON)")] = None,
) -> None:
    """Set up the data directory, database, buckets and the agency with its users."""
    loaded = None
    if config is not None:
        try:
            raw = config.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"{config}: {exc.strerror}") from None
        loaded = load_agency_config(raw)
    with open_govpub(config=loaded) as (govpub, _):
        out.print(f"initialised {govpub.app.settings.data_dir.resolve()}")


@app.command()
@_handled
def submit(
    file: Annotated[Path, typer.Argument(help="submission JSON")],
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="attachment file")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="development only: submit as this drafter")] = None,
    revise: Annotated[str | None, typer.Option(help="submit a new version of this document")] = None,
) -> None:
    """Validate and submit a document; prints the document id as the last line."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{file}: {exc.strerror}") from None
    with open_govpub(as_user, implied_user=_named_drafter(raw)) as (govpub, principal):
        result = govpub.submit(principal, raw, files=attach or [], revise=revise, beside=file.parent)
    if not result.created:
        err.print(f"unchanged: this content is already version {result.version} of the document")
    out.print(result.document_id, highlight=False)


def _named_drafter(raw: bytes) -> str | None:
    """The drafter a submission file names (development acts as them when no one signed in)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    drafter = data.get("drafter") if isinstance(data, dict) else None
    return drafter if isinstance(drafter, str) else None


@app.command()
@_handled
def status(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="development only: as this user")] = None,
) -> None:
    """Show a document's state, versions and audit history."""
    with open_govpub(as_user) as (govpub, principal):
        info = govpub.document(principal, document_id)
    if as_json:
        sys.stdout.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"[bold]{info['title']}[/bold]  ({info['id']})")
    out.print(f"state: {info['state']}   attribute: {info['attribute']}   "
              f"drafter: {info['drafter']}   发文字号: {info['doc_number'] or '—'}")  # fmt: skip
    versions = Table("version", "content sha256", "attachments", "submitted", title="versions")
    for v in info["versions"]:
        versions.add_row(str(v["number"]), v["content_sha256"][:16] + "…",
                         str(len(v["attachments"])), v["created_at"])  # fmt: skip
    out.print(versions)
    if info["needs_attention"]:
        a = info["needs_attention"]
        out.print(f"NEEDS ATTENTION v{a['version']} ({a['reason']}, since {a['since']}): {a['detail']}",
                  markup=False, highlight=False)  # fmt: skip
    for u in info["unscreened"]:
        out.print(f"UNSCREENED v{u['version']} {u['file']}: {u['reason']} — a reviewer must check it "
                  "by hand and acknowledge it", markup=False, highlight=False)  # fmt: skip
    if info["index_number"]:
        out.print(f"索引号: {info['index_number']}   validity: {info['validity']}")
    for p in info["publications"]:
        out.print(f"published v{p['version']} at {p['published_at']} → {p['public_prefix']}"
                  + (f"  (更正: {p['change_note']})" if p["change_note"] else ""), highlight=False)  # fmt: skip
    for i in info["interpretations"]:
        out.print(f"interpretation {i['id']}: {i['title']} ({i['state']})", highlight=False)
    for d in info["deadlines"]:
        mark = " PROVISIONAL" if d["provisional"] else ""
        mark += " OVERDUE" if d["overdue"] else ""
        out.print(f"[bold]{d['kind']} due {d['due']}{mark}[/bold] — {d['basis']}")
        out.print(f"  how: {d['computation']['explanation']}", markup=False, highlight=False)
    history = Table("#", "when", "who", "what", "reason", title="audit history")
    for e in info["audit"]:
        history.add_row(str(e["sequence"]), e["occurred_at"], e["actor"], e["action"], e["reason"] or "")
    out.print(history)


@app.command()
@_handled
def screen(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="files to screen")],
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """Screen files for personal data, secrecy markings and negative-list terms.

    A file (or part of one) that cannot be read is reported as an ``unscreened`` finding with the reason.
    """
    contents = []
    for path in files:
        try:
            contents.append((str(path), path.read_bytes(), None))
        except OSError as exc:
            raise ConfigurationError(f"{path}: {exc.strerror}") from None
    findings = screen_for_agency(load_settings(), contents)  # no object store needed
    if as_json:
        sys.stdout.write(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("file", "detector", "where", "masked", "note", title=f"{len(findings)} finding(s)")
    for f in findings:
        where = ", ".join(f"{k} {v}" for k, v in f.location.items() if k not in {"start", "end"})
        table.add_row(f.source, f.detector.value, where, f.masked, f.note)
    out.print(table)


@sample_app.command("export")
@_handled
def sample_export(
    directory: Annotated[Path, typer.Argument(metavar="DIR")],
    corpus: Annotated[Path | None, typer.Option(help="corpus directory with index.json")] = None,
    drafter: Annotated[str, typer.Option(help="drafter named in the submissions")] = "drafter",
) -> None:
    """Write the corpus as ready-to-submit files: DIR/<name>.json plus attachments."""
    for path in export_samples(directory, corpus, drafter=drafter):
        out.print(str(path), highlight=False)


@app.command()
@_handled
def demo(
    serve: Annotated[
        bool, typer.Option("--serve", help="then keep serving the pages and the API (Ctrl-C stops)")
    ] = False,
) -> None:
    """Run the corpus through review on embedded defaults: one returned and resubmitted, one rejected."""
    from flows.prefect_events import PrefectEvents  # noqa: PLC0415
    from govpub.demo import demo_passwords, leave_for_the_browser, run_demo  # noqa: PLC0415

    settings = load_settings()
    api = running_api(settings)
    with open_govpub(owner="call" if api else "serve") as (govpub, principal):
        stack = None if api else Stack(settings)
        try:
            if stack is not None:
                out.print("starting the embedded stack (SeaweedFS, Prefect server, worker)…")
                api = stack.start()
            assert api is not None  # noqa: S101 - started above
            use_prefect(settings, api)
            on_prefect = Govpub(govpub.app, events=PrefectEvents(), resume=resume_on_prefect)
            completed = run_demo(on_prefect, out)
            report = govpub.audit_verify(principal)
            out.print(f"audit trail intact: {report.events} events" if not report.problems else
                      f"audit problems: {'; '.join(report.problems)}")  # fmt: skip
            if serve:
                leave_for_the_browser(on_prefect, out)
            users = demo_passwords(govpub) if serve else []
            if serve and stack is None:
                where(out, f"http://{settings.api.bind}", api, users)
            elif serve and stack is not None:
                serve_until_stopped(govpub.app, stack, api, out, demo_users=users)
        finally:
            if stack is not None:
                out.print("stopping…")
                stack.stop()
    if not completed:
        raise ServiceUnavailable("the demonstration did not finish in time")


@review_app.command("list")
@_handled
def review_list(
    as_user: Annotated[str | None, typer.Option("--as", help="development only: what waits for this reviewer")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """What waits for review, oldest first, with waiting time, holders and screening findings.

    For the disclosure office, reviews that need attention too (no review chain, a missing object), with the reason.
    """
    with open_govpub(as_user) as (govpub, principal):
        items = govpub.review_queue(principal)
    if as_json:
        sys.stdout.write(json.dumps([i.as_dict() for i in items], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("document", "title", "v", "level", "waiting", "due", "held by", "findings",
                  title=f"{len(items)} waiting")  # fmt: skip
    for i in items:
        due = f"{i.due_on}{' (provisional)' if i.due_provisional else ''}{' OVERDUE' if i.overdue else ''}"
        table.add_row(i.document_id, i.title[:30], str(i.version), i.level or i.state,
                      f"{i.waited_hours:.1f} h / {i.working_days_waited} wd", due if i.due_on else "—",
                      ", ".join(i.holders), ", ".join(f"{k} {v}" for k, v in i.findings.items()) or "—")  # fmt: skip
    out.print(table)
    for i in items:
        if i.attention_reason:
            out.print(f"NEEDS ATTENTION {i.document_id} v{i.version} ({i.attention_reason}): {i.attention_detail}",
                      markup=False, highlight=False)  # fmt: skip
        for u in i.unscreened:
            out.print(f"UNSCREENED {i.document_id} v{i.version} {u['file']}: {u['reason']} — check it by hand; "
                      "approving needs --acknowledge-unscreened", markup=False, highlight=False)  # fmt: skip


def _decision_command(decision: Decision) -> Callable[..., None]:
    def command(
        document_id: Annotated[str, typer.Argument(metavar="DOC")],
        *,
        as_user: Annotated[str | None, typer.Option("--as", help="development only: the reviewer")] = None,
        comment: Annotated[str, typer.Option(help="comment (required to return, reject, refer)")] = "",
        attribute: Annotated[
            str | None,
            typer.Option(help="last level: confirmed attribute (proactive, on_application, withheld)"),
        ] = None,
        ground: Annotated[str | None, typer.Option(help="last level: legal ground if not proactive")] = None,
        acknowledge_unscreened: Annotated[
            bool,
            typer.Option(
                "--acknowledge-unscreened",
                help="approve although screening could not read some files (checked by hand)",
            ),
        ] = False,
    ) -> None:
        try:
            confirmed = DisclosureAttribute(attribute) if attribute else None
        except ValueError:
            raise InvalidInput([Violation("--attribute", "must be proactive, on_application or withheld")]) from None
        with open_govpub(as_user) as (govpub, principal):
            outcome = govpub.decide(principal, document_id, decision, comment=comment, attribute=confirmed,
                                    ground=ground, acknowledge_unscreened=acknowledge_unscreened)  # fmt: skip
        out.print(f"{decision.value} recorded for {document_id} v{outcome.version}; review now {outcome.state}"
                  + (f" at {outcome.waiting_at}" if outcome.waiting_at else ""))  # fmt: skip

    command.__doc__ = f"{decision.value.capitalize()} the document at the level waiting now."
    return command


for _decision in Decision:
    review_app.command(_decision.value)(_handled(_decision_command(_decision)))


@review_app.command("resolve")
@_handled
def review_resolve(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    cleared: Annotated[bool, typer.Option("--cleared/--not-cleared", help="the secrecy administration's answer")],
    comment: Annotated[str, typer.Option(help="the answer's reference and content")],
    as_user: Annotated[
        str | None, typer.Option("--as", help="development only: the disclosure office member recording it")
    ] = None,
) -> None:
    """Record the secrecy administration's answer on a referred document."""
    with open_govpub(as_user) as (govpub, principal):
        outcome = govpub.resolve_referral(principal, document_id, cleared=cleared, comment=comment)
    out.print(f"answer recorded for {document_id}; review now {outcome.state}")


@app.command()
@_handled
def serve() -> None:
    """Run the embedded stack (managed S3, Prefect server, worker) with the API and pages until Ctrl-C."""
    settings = load_settings()
    with open_govpub(owner="serve") as (govpub, _):
        stack = Stack(settings)
        try:
            api = stack.start()
            use_prefect(settings, api)
            serve_until_stopped(govpub.app, stack, api, out)
        finally:
            out.print("stopping…")
            stack.stop()


@app.command("api")
@_handled
def api_only() -> None:
    """Serve the HTTP API alone at GOVPUB_API_BIND (no Prefect server or worker) until Ctrl-C."""
    from api.server import run_api  # noqa: PLC0415 - imports FastAPI and uvicorn

    settings = load_settings()
    with open_govpub() as (govpub, _):
        out.print(f"HTTP API at http://{settings.api.bind}/api/v1 (OpenAPI /openapi.json); Ctrl-C stops")
        run_api(govpub, settings.api.bind)


@publish_app.command("now")
@_handled
def publish(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    as_user: Annotated[str | None, typer.Option("--as", help="development only: who re-drives it")] = None,
) -> None:
    """Publish an approved 主动公开 document (and its interpretations) now; idempotent.

    Normally the publish-document deployment does this when a document is approved.
    """
    with open_govpub(as_user) as (govpub, principal):
        outcome = govpub.publish(principal, document_id)
    for doc, version, index_number in outcome.published:
        out.print(f"published {doc} v{version} as 索引号 {index_number}", highlight=False)
    if outcome.state in {"held", "embargoed"}:
        out.print(f"{outcome.state}: {outcome.reason}", highlight=False)
    elif outcome.state == "nothing":
        if outcome.reason != "already published":
            raise RuleViolation(f"nothing published: {outcome.reason}")
        out.print("already published")
    left_for_reconciler(outcome.left_for_reconciler)


@app.command()
@_handled
def withdraw(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    reason: Annotated[str, typer.Option(help="the public reason (撤回原因)")],
    as_user: Annotated[str | None, typer.Option("--as", help="development only: the disclosure office member")] = None,
) -> None:
    """Withdraw a published document: public copy removed, tombstones in feeds, channels told."""
    with open_govpub(as_user) as (govpub, principal):
        left = govpub.withdraw(principal, document_id, reason=reason)
    out.print(f"withdrawn {document_id}")
    left_for_reconciler(left)


@app.command()
@_handled
def validity(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    state: Annotated[
        str, typer.Argument(metavar="STATE", help="valid, expired (失效), repealed (废止), amended (已修改)")
    ],
    note: Annotated[str, typer.Option(help="why, e.g. the repealing or amending document")],
    amended_by: Annotated[
        str | None, typer.Option(help="the published document (id) that amends or repeals it; linked in feeds")
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="development only: the disclosure office member")] = None,
) -> None:
    """Record a published document's validity change; feeds and channels show it."""
    try:
        chosen = Validity(state)
    except ValueError:
        raise InvalidInput([Violation("STATE", "must be valid, expired, repealed or amended")]) from None
    with open_govpub(as_user) as (govpub, principal):
        left = govpub.set_validity(principal, document_id, chosen, note=note, amended_by=amended_by)
    out.print(f"{document_id} is now {chosen.label}")
    left_for_reconciler(left)


@app.command()
@_handled
def deadlines(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Open deadlines (Art. 26 publication, interpretations) with due dates and how they were computed."""
    with open_govpub() as (govpub, principal):
        found = govpub.deadlines(principal)
    now = today()
    if as_json:
        sys.stdout.write(json.dumps([d.as_dict(now) for d in found], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("document", "title", "kind", "due", "basis", title=f"{len(found)} open deadline(s)")
    for d in found:
        due = d.due.isoformat() + (" PROVISIONAL" if d.computed.provisional else "")
        due += " OVERDUE" if d.overdue(now) else ""
        table.add_row(d.document_id, d.title[:30], d.kind, due, d.basis)
    out.print(table)


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # urllib3 warns at each retry of a request to the object store; one that fails for good is the
    # command's one line (ServiceUnavailable, exit 3)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    app()
