"""The ``govpub`` command (typer + rich)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from disclosure.attributes import DisclosureAttribute
from disclosure.checkpoint import parse_checkpoint
from disclosure.errors import (
    AuditChainBroken,
    ConfigurationError,
    GovpubError,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceUnavailable,
    Violation,
)
from disclosure.publication import Validity
from disclosure.review import Decision, DecisionRequest, ReviewState
from flows.intake import Intake
from flows.publication import PublicationService
from flows.review_service import EventSink, NoEvents, ReviewService
from govpub.app import App, extraction_limits, load_agency_config, open_app, open_database, today
from govpub.audit_log import build_audit_log
from govpub.calendar import load_calendar, parse_overrides
from govpub.channels import channel_overview, deactivate_channel, export_feeds, register_channel
from govpub.publishing import base_url, build_publication
from govpub.reviewing import decide, resolve, waiting_items
from govpub.samples import export_samples
from govpub.screening import agency_screener, screen_files
from govpub.settings import Settings, load_settings
from govpub.stack import Stack, running_api, use_prefect
from govpub.status import document_status
from storage.db import session_scope
from storage.models import utcnow
from storage.repository.agencies import get_user
from storage.repository.audit import verify_trail

app = typer.Typer(help="govpub: publish government information only after review.",
                  no_args_is_help=True, pretty_exceptions_enable=False)  # fmt: skip
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
sample_app = typer.Typer(help="Sample content from real agency documents.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(sample_app, name="sample")
review_app = typer.Typer(help="Review decisions.", no_args_is_help=True)
app.add_typer(review_app, name="review")
feeds_app = typer.Typer(help="Public feeds (Atom, RSS, JSON Feed) per channel.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
channels_app = typer.Typer(help="Feed channels, downstream consumers and their deliveries.", no_args_is_help=True)
app.add_typer(channels_app, name="channels")
calendar_app = typer.Typer(help="Chinese working days (holidays and make-up working days).", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
out = Console()
err = Console(stderr=True)

EXIT_INVALID = 2
EXIT_UNAVAILABLE = 3
_EXIT_CODES: tuple[tuple[type[GovpubError], int], ...] = (
    (InvalidInput, EXIT_INVALID),
    (ConfigurationError, EXIT_INVALID),
    (ServiceUnavailable, EXIT_UNAVAILABLE),
    (NotFound, 1),
    (RuleViolation, 1),
    (AuditChainBroken, 1),
)


def _fail(exc: GovpubError) -> NoReturn:
    if isinstance(exc, InvalidInput):
        for violation in exc.violations:
            err.print(str(violation), markup=False, highlight=False, soft_wrap=True)
    else:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
    code = next((c for kind, c in _EXIT_CODES if isinstance(exc, kind)), 1)
    raise typer.Exit(code)


@contextmanager
def _app(config: dict[str, Any] | None = None) -> Iterator[App]:
    settings: Settings = load_settings()
    with open_app(settings, config=config) as opened:
        yield opened


def _events(opened: App) -> EventSink:
    """Events go to Prefect when a server is running or configured; otherwise they are logged."""
    api = running_api(opened.settings)
    if api is None:
        return NoEvents()
    use_prefect(opened.settings, api)
    from flows.prefect_events import PrefectEvents  # noqa: PLC0415 - imports prefect

    return PrefectEvents()


def _review_service(opened: App) -> ReviewService:
    """The review service, with the command's event sink."""
    settings = opened.settings
    return ReviewService(engine=opened.engine, store=opened.store, private_bucket=settings.store.private_bucket,
                         events=_events(opened), today=today, limits=extraction_limits(settings))  # fmt: skip


def _publication(opened: App) -> PublicationService:
    """The publication service, with the command's event sink."""
    return build_publication(opened.settings, engine=opened.engine, store=opened.store, events=_events(opened))


def _handled(func: Callable[..., None]) -> Callable[..., None]:
    """Turn govpub's typed errors into messages and exit codes; no tracebacks for users."""
    import functools  # noqa: PLC0415

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        try:
            func(*args, **kwargs)
        except GovpubError as exc:
            _fail(exc)

    return wrapper


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
    with _app(loaded) as opened:
        out.print(f"initialised {opened.settings.data_dir.resolve()}")


@app.command()
@_handled
def submit(
    file: Annotated[Path, typer.Argument(help="submission JSON")],
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="attachment file")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="submit as this drafter")] = None,
    revise: Annotated[str | None, typer.Option(help="submit a new version of this document")] = None,
) -> None:
    """Validate and submit a document; prints the document id as the last line."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{file}: {exc.strerror}") from None
    with _app() as opened:
        intake = Intake(engine=opened.engine, store=opened.store, private_bucket=opened.settings.store.private_bucket,
                        limits=extraction_limits(opened.settings))  # fmt: skip
        result = intake.submit(raw, files=attach or [], actor=as_user, revise=revise,
                               beside=file.parent, today=today())  # fmt: skip
        if result.created:
            announce_submitted(opened, result.document_id, result.version)
    if not result.created:
        err.print(f"unchanged: this content is already version {result.version} of the document")
    out.print(result.document_id, highlight=False)


@app.command()
@_handled
def status(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show a document's state, versions and audit history."""
    with _app() as opened, session_scope(opened.engine) as session:
        service = _publication(opened)
        info = document_status(session=session, document_id=document_id, deadlines=service.deadlines(session),
                               today=today())  # fmt: skip
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
    settings = load_settings()
    with open_database(settings) as engine, session_scope(engine) as session:  # no object store needed
        screener = agency_screener(session=session, agency_id=None, today=today())
        findings = screen_files(screener, contents, limits=extraction_limits(settings))
    if as_json:
        sys.stdout.write(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("file", "detector", "where", "masked", "note", title=f"{len(findings)} finding(s)")
    for f in findings:
        where = ", ".join(f"{k} {v}" for k, v in f.location.items() if k not in {"start", "end"})
        table.add_row(f.source, f.detector.value, where, f.masked, f.note)
    out.print(table)


@audit_app.command("verify")
@_handled
def audit_verify(
    checkpoint: Annotated[
        list[Path] | None, typer.Option("--checkpoint", metavar="FILE", help="a checkpoint you kept (repeatable)")
    ] = None,
) -> None:
    """Check the hash chain, consistency with every signed checkpoint, and the rows of legal acts; exit 1
    naming what broke."""
    kept = [(str(path), parse_checkpoint(_read_file(path), source=str(path))) for path in checkpoint or []]
    with _app() as opened:
        report = build_audit_log(opened.settings, engine=opened.engine, store=opened.store).verify(kept)
    for problem in report.problems:
        err.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
    if report.problems:
        raise typer.Exit(1)
    rows = ", ".join(f"{count} {kind}" for kind, count in report.rows.items())
    out.print(f"audit trail intact: {report.events} events, Merkle root {report.root_hash}, consistent with "
              f"{report.checkpoints} signed checkpoint(s); rows match their events ({rows})",
              highlight=False, soft_wrap=True)  # fmt: skip


@audit_app.command("checkpoint")
@_handled
def audit_checkpoint() -> None:
    """Sign and publish a checkpoint of the audit log now (audit/checkpoints/<size>.json) and print it."""
    with _app() as opened:
        signed = build_audit_log(opened.settings, engine=opened.engine, store=opened.store).checkpoint(force=True)
    if signed is None:
        raise RuleViolation("the audit log is empty: nothing to checkpoint")
    sys.stdout.write(signed.to_json().decode())


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput([Violation(str(path), exc.strerror or str(exc))]) from None


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
def demo() -> None:
    """Run the corpus through review on embedded defaults: one returned and resubmitted, one rejected."""
    from flows.prefect_events import PrefectEvents  # noqa: PLC0415
    from govpub.demo import run_demo  # noqa: PLC0415

    settings = load_settings()
    api = running_api(settings)
    with open_app(settings, owner="call" if api else "serve") as opened:
        stack = None if api else Stack(settings)
        try:
            if stack is not None:
                out.print("starting the embedded stack (SeaweedFS, Prefect server, worker)…")
                api = stack.start()
            assert api is not None  # noqa: S101 - started above
            use_prefect(settings, api)
            service = ReviewService(engine=opened.engine, store=opened.store,
                                    private_bucket=settings.store.private_bucket, events=PrefectEvents(),
                                    today=today, limits=extraction_limits(settings))  # fmt: skip

            def announce(document_id: str, version: int) -> None:
                announce_submitted(opened, document_id, version)

            completed = run_demo(opened, service, announce, out)
        finally:
            if stack is not None:
                stack.stop()
        with session_scope(opened.engine) as session:
            count = verify_trail(session=session)
        out.print(f"audit trail intact: {count} events")
    if not completed:
        raise ServiceUnavailable("the demonstration did not finish in time")


def announce_submitted(opened: App, document_id: str, version: int) -> None:
    """Emit govpub.document.submitted (the review deployment's trigger) if Prefect is up."""
    _review_service(opened)._events.emit(  # noqa: SLF001 - the same sink the service uses
        "govpub.document.submitted", document_id=document_id, version=version, payload={}
    )


@review_app.command("list")
@_handled
def review_list(
    as_user: Annotated[str | None, typer.Option("--as", help="only what waits for this reviewer")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """What waits for review, oldest first, with waiting time, holders and screening findings."""
    with _app() as opened, session_scope(opened.engine) as session:
        user = get_user(session=session, username=as_user) if as_user else None
        items = waiting_items(session=session, user=user, now=utcnow(), calendar=load_calendar(opened.settings))
    if as_json:
        sys.stdout.write(json.dumps([i.as_dict() for i in items], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("document", "title", "v", "level", "waiting", "due", "held by", "findings",
                  title=f"{len(items)} waiting")  # fmt: skip
    for i in items:
        due = f"{i.due_on}{' (provisional)' if i.due_provisional else ''}{' OVERDUE' if i.overdue else ''}"
        table.add_row(i.document_id, i.title[:30], str(i.version), i.level,
                      f"{i.waited_hours:.1f} h / {i.working_days_waited} wd", due if i.due_on else "—",
                      ", ".join(i.holders), ", ".join(f"{k} {v}" for k, v in i.findings.items()) or "—")  # fmt: skip
    out.print(table)
    for i in items:
        for u in i.unscreened:
            out.print(f"UNSCREENED {i.document_id} v{i.version} {u['file']}: {u['reason']} — check it by hand; "
                      "approving needs --acknowledge-unscreened", markup=False, highlight=False)  # fmt: skip


def _decision_command(decision: Decision) -> Callable[..., None]:
    def command(
        document_id: Annotated[str, typer.Argument(metavar="DOC")],
        *,
        as_user: Annotated[str, typer.Option("--as", help="the reviewer")],
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
        request = DecisionRequest(decision=decision, reviewer=as_user, comment=comment,
                                  confirmed_attribute=confirmed, confirmed_ground=ground,
                                  acknowledge_unscreened=acknowledge_unscreened)  # fmt: skip
        with _app() as opened:
            view = decide(_review_service(opened), document_id, request)
        out.print(f"{decision.value} recorded for {document_id} v{view.version}; review now {view.state.value}"
                  + (f" at {view.level.name}" if view.state is ReviewState.WAITING and view.level else ""))  # fmt: skip

    command.__doc__ = f"{decision.value.capitalize()} the document at the level waiting now."
    return command


for _decision in Decision:
    review_app.command(_decision.value)(_handled(_decision_command(_decision)))


@review_app.command("resolve")
@_handled
def review_resolve(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    as_user: Annotated[str, typer.Option("--as", help="disclosure office member recording the answer")],
    cleared: Annotated[bool, typer.Option("--cleared/--not-cleared", help="the secrecy administration's answer")],
    comment: Annotated[str, typer.Option(help="the answer's reference and content")],
) -> None:
    """Record the secrecy administration's answer on a referred document."""
    with _app() as opened:
        view = resolve(_review_service(opened), document_id, actor=as_user, cleared=cleared, comment=comment)
    out.print(f"answer recorded for {document_id}; review now {view.state.value}")


@app.command()
@_handled
def serve() -> None:
    """Run the embedded stack (managed S3, Prefect server, work pool, deployments, worker) until Ctrl-C."""
    import signal as _signal  # noqa: PLC0415
    import time as _time  # noqa: PLC0415

    settings = load_settings()
    stopping = []
    for signum in (_signal.SIGINT, _signal.SIGTERM):  # also when started in the background
        _signal.signal(signum, lambda *_: stopping.append(True))
    with open_app(settings, owner="serve") as opened:
        stack = Stack(settings)
        try:
            api = stack.start()
            out.print(f"govpub is serving: Prefect API {api} (UI at {api.removesuffix('/api')}); Ctrl-C stops")
            out.print(f"public feeds: {base_url(settings, opened.store)}feeds/all/atom.xml", highlight=False)
            while not stopping:
                dead = stack.check()
                if dead:
                    raise ServiceUnavailable(
                        f"the {dead} exited; see {settings.data_dir / 'prefect' / (dead + '.log')}"
                    )
                _time.sleep(1)
        finally:
            out.print("stopping…")
            stack.stop()


@app.command()
@_handled
def publish(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    as_user: Annotated[str, typer.Option("--as", help="who re-drives it (recorded)")] = "system",
) -> None:
    """Publish an approved 主动公开 document (and its interpretations) now; idempotent.

    Normally the publish-document deployment does this when a document is approved.
    """
    with _app() as opened:
        outcome = _publication(opened).publish(document_id, actor=as_user)
    for doc, version, index_number in outcome.published:
        out.print(f"published {doc} v{version} as 索引号 {index_number}", highlight=False)
    if outcome.state == "held":
        out.print(f"held: {outcome.reason}")
    elif outcome.state == "nothing":
        if outcome.reason != "already published":
            raise RuleViolation(f"nothing published: {outcome.reason}")
        out.print("already published")
    _left_for_reconciler(outcome.left_for_reconciler)


def _left_for_reconciler(left: str | None) -> None:
    """The change is recorded, but a backing service stopped its aftercare: exit 3, one line."""
    if left:
        raise ServiceUnavailable(f"recorded, but {left}")


@app.command()
@_handled
def withdraw(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    as_user: Annotated[str, typer.Option("--as", help="disclosure office member")],
    reason: Annotated[str, typer.Option(help="the public reason (撤回原因)")],
) -> None:
    """Withdraw a published document: public copy removed, tombstones in feeds, channels told."""
    with _app() as opened:
        left = _publication(opened).withdraw(document_id, actor=as_user, reason=reason)
    out.print(f"withdrawn {document_id}")
    _left_for_reconciler(left)


@app.command()
@_handled
def validity(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    state: Annotated[
        str, typer.Argument(metavar="STATE", help="valid, expired (失效), repealed (废止), amended (已修改)")
    ],
    as_user: Annotated[str, typer.Option("--as", help="disclosure office member")],
    note: Annotated[str, typer.Option(help="why, e.g. the repealing or amending document")],
    amended_by: Annotated[
        str | None, typer.Option(help="the published document (id) that amends or repeals it; linked in feeds")
    ] = None,
) -> None:
    """Record a published document's validity change; feeds and channels show it."""
    try:
        chosen = Validity(state)
    except ValueError:
        raise InvalidInput([Violation("STATE", "must be valid, expired, repealed or amended")]) from None
    with _app() as opened:
        left = _publication(opened).set_validity(document_id, chosen, actor=as_user, note=note, amended_by=amended_by)
    out.print(f"{document_id} is now {chosen.label}")
    _left_for_reconciler(left)


@app.command()
@_handled
def deadlines(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Open deadlines (Art. 26 publication, interpretations) with due dates and how they were computed."""
    with _app() as opened, session_scope(opened.engine) as session:
        found = _publication(opened).deadlines(session)
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


@feeds_app.command("export")
@_handled
def feeds_export(directory: Annotated[Path, typer.Argument(metavar="DIR")]) -> None:
    """Write every channel's head pages (and archive pages) as DIR/<channel>/{atom.xml,rss.xml,feed.json}."""
    with _app() as opened:
        service = _publication(opened)
        service.ensure_all_channel()
        service.rebuild_feeds()
        written = export_feeds(opened.store, opened.settings.store.public_bucket, directory)
    out.print(f"{len(written)} file(s) written under {directory}")


@feeds_app.command("rebuild")
@_handled
def feeds_rebuild() -> None:
    """Rebuild every channel's head page (and any newly full archive pages) from the database."""
    with _app() as opened:
        count = _publication(opened).rebuild_feeds()
    out.print(f"{count} channel(s) rebuilt")


@channels_app.command("add")
@_handled
def channels_add(  # noqa: PLR0917 - typer: one parameter per option
    name: Annotated[str, typer.Argument(metavar="NAME")],
    title: Annotated[str, typer.Option(help="display title")],
    webhook: Annotated[str | None, typer.Option(help="endpoint that receives signed webhooks")] = None,
    secret: Annotated[str | None, typer.Option(help="HMAC secret (generated and printed once if omitted)")] = None,
    category: Annotated[list[str] | None, typer.Option(help="only these categories (repeat)")] = None,
    agency: Annotated[list[str] | None, typer.Option(help="only these agency codes (repeat)")] = None,
    as_user: Annotated[str, typer.Option("--as", help="who registers it (recorded)")] = "admin",
) -> None:
    """Register or update a downstream channel (a WeChat account, an app) with its own feed and webhook."""
    with _app() as opened, session_scope(opened.engine) as session:
        channel, generated = register_channel(session=session, name=name, title=title, webhook=webhook,
                                              secret=secret, categories=category or [], agencies=agency or [],
                                              actor=as_user)  # fmt: skip
    out.print(f"channel {channel.name} registered; feed at feeds/{channel.name}/")
    if generated:
        out.print(f"webhook secret (shown once): {generated}", highlight=False)


@channels_app.command("remove")
@_handled
def channels_remove(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    as_user: Annotated[str, typer.Option("--as", help="who removes it (recorded)")] = "admin",
) -> None:
    """Stop feeding a downstream channel."""
    with _app() as opened, session_scope(opened.engine) as session:
        deactivate_channel(session=session, name=name, actor=as_user)
    out.print(f"channel {name} deactivated")


@channels_app.command("list")
@_handled
def channels_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Channels with their entries and delivery state (pending, delivered, failed; the last attempt)."""
    with _app() as opened, session_scope(opened.engine) as session:
        rows = channel_overview(session=session)
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
@_handled
def channels_deliver() -> None:
    """Send the deliveries that are due now (the reconciler does this every minute)."""
    with _app() as opened:
        results = _publication(opened).pusher.deliver_due()
    delivered = sum(1 for _, ok in results if ok)
    out.print(f"{delivered} delivered, {len(results) - delivered} to retry later")


@app.command()
@_handled
def gc(
    older_than: Annotated[float, typer.Option(min=0.1, help="hours an unreferenced blob must have existed")] = 24.0,
) -> None:
    """Delete private attachment blobs no version refers to (left by failed intakes)."""
    from datetime import timedelta  # noqa: PLC0415

    from flows.housekeeping import collect_orphans  # noqa: PLC0415

    with _app() as opened:
        report = collect_orphans(
            engine=opened.engine,
            store=opened.store,
            bucket=opened.settings.store.private_bucket,
            grace=timedelta(hours=older_than),
        )
    out.print(f"{len(report.removed)} orphaned blob(s) removed, {report.kept} in use, "
              f"{report.too_young} orphaned but younger than {older_than} h")  # fmt: skip


def _parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput([Violation(name, f"{value!r} is not a date (YYYY-MM-DD)")]) from None


@calendar_app.command("add")
@_handled
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
@_handled
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
@_handled
def calendar_check(file: Annotated[Path, typer.Argument(help="calendar override JSON")]) -> None:
    """Validate a calendar override file (install it as GOVPUB_DATA_DIR/calendar-override.json)."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{file}: {exc.strerror}") from None
    years = parse_overrides(raw)
    out.print(f"valid: {', '.join(str(y.year) for y in years)}")


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
