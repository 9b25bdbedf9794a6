"""Screening wired to the agency: its published numbers allowed, its negative list loaded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, select

from disclosure.screening import Finding, NegativeTerm, Screener, Segment
from disclosure.screening.terms import AhoCorasickTerms
from govpub.extract import segments
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


def screen_files(screener: Screener, files: Iterable[tuple[str, bytes, str | None]]) -> list[Finding]:
    """Findings in (name, content, media type) files; unreadable files raise InvalidInput."""
    found: list[Finding] = []
    for name, data, media_type in files:
        found.extend(screener.screen(segments(name, data, media_type)))
    return found


def screen_body(screener: Screener, body: str, body_format: str) -> list[Finding]:
    """Findings in a document body (HTML reduced to its text)."""
    from govpub.extract import html_text  # noqa: PLC0415

    text = html_text(body) if body_format == "html" else body
    return screener.screen([Segment("正文", text)])
