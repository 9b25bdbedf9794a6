"""Screening wired to the agency: its published numbers allowed, its negative list loaded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, select

from disclosure.screening import Finding, NegativeTerm, Screener, Segment
from disclosure.screening.terms import AhoCorasickTerms
from services.extract import DEFAULT_LIMITS, ExtractionLimits, html_text
from services.extract.isolated import extract_file
from services.settings import Settings
from storage.models import Agency
from storage.models import NegativeTerm as NegativeTermRow


def agency_screener(*, session: Session, agency_id: int | None, today: date) -> Screener:
    """A screener with the agency's allow-list and negative list (the first agency if None)."""
    agency = session.get(Agency, agency_id) if agency_id else session.exec(select(Agency)).first()
    if agency is None:
        return Screener(today=today)
    rows = session.exec(select(NegativeTermRow).where(NegativeTermRow.agency_id == agency.id))
    terms = AhoCorasickTerms(NegativeTerm(r.term, r.ground) for r in rows)
    return Screener(allowed_numbers=agency.published_contacts, terms=terms, today=today)


def screen_files(
    screener: Screener,
    files: Iterable[tuple[str, bytes, str | None]],
    *,
    limits: ExtractionLimits = DEFAULT_LIMITS,
) -> list[Finding]:
    """Findings in (name, content, media type) files.

    A file, or part of one, that cannot be read within the limits is an ``unscreened`` finding
    with the reason; nothing is skipped and nothing raises.
    """
    found: list[Finding] = []
    for name, data, media_type in files:
        items = extract_file(name, data, media_type, limits=limits)
        found.extend(screener.screen(s for s in items if isinstance(s, Segment)))
        found.extend(f for f in items if isinstance(f, Finding))
    return found


def screen_body(screener: Screener, body: str, body_format: str) -> list[Finding]:
    """Findings in a document body (HTML reduced to its text)."""
    text = html_text(body) if body_format == "html" else body
    return screener.screen([Segment("正文", text)])


def screen_for_agency(settings: Settings, files: Iterable[tuple[str, bytes, str | None]]) -> list[Finding]:
    """Screen files with the first agency's lists, opening only the database (no object store)."""
    from services.bootstrap import extraction_limits, open_database, today  # noqa: PLC0415 - composition

    with open_database(settings) as engine, Session(engine) as session:
        screener = agency_screener(session=session, agency_id=None, today=today())
        return screen_files(screener, files, limits=extraction_limits(settings))
