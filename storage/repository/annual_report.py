"""The annual report's reads and writes: the office's figures and texts, and counts from the record.

``tally_cases`` is Table 3's ``GROUP BY``: applications of an agency received by the end of the
year, counted per (applicant type, year received, year closed, outcome), years clamped into
Y-2 … Y+1 — all that Tables 3 of Y and Y-1 depend on. ``regulation_documents`` lists the published
documents of an agency with what Table 2 needs of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import Agency, AuditEvent, Document, Publication
from storage.models_applications import Application
from storage.models_report import ReportFigures, ReportText


@dataclass(frozen=True, slots=True)
class CaseGroup:
    """One row of the GROUP BY: applicant type, clamped years received and closed, outcome, count."""

    applicant_type: str
    received_year: int
    closed_year: int | None
    outcome: str | None
    count: int


@dataclass(frozen=True, slots=True)
class PublishedDocument:
    """A published, not withdrawn document: its kind, 发文字号, 成文日期, validity and validity changes."""

    document_id: str
    kind: str
    doc_number: str | None
    written_on: str | None
    validity: str
    validity_changes: list[tuple[datetime, str]]  # (when, validity after), oldest first


def _bucket(column: Any, year: int) -> Any:  # noqa: ANN401 - SQLAlchemy expressions
    """The year of a date column, clamped into year-2 … year+1 (NULL stays NULL)."""
    return case(
        (column.is_(None), literal(None)),
        (column < date(year - 1, 1, 1), literal(year - 2)),
        (column < date(year, 1, 1), literal(year - 1)),
        (column <= date(year, 12, 31), literal(year)),
        else_=literal(year + 1),
    )


def tally_cases(*, session: Session, agency: str, year: int) -> list[CaseGroup]:
    """Applications received by the end of ``year``, counted as Table 3 of ``year`` and ``year - 1`` need."""
    received = _bucket(col(Application.received_on), year).label("received_year")
    closed = _bucket(col(Application.closed_on), year).label("closed_year")
    query = (
        sa_select(col(Application.applicant_type), received, closed, col(Application.outcome), func.count())
        .where(col(Application.agency) == agency, col(Application.received_on) <= date(year, 12, 31))
        .group_by(col(Application.applicant_type), received, closed, col(Application.outcome))
    )
    return [CaseGroup(kind, int(r), None if c is None else int(c), outcome, int(n))
            for kind, r, c, outcome, n in session.connection().execute(query)]  # fmt: skip


def regulation_documents(*, session: Session, agency: str) -> list[PublishedDocument]:
    """The agency's published documents (not interpretations, not withdrawn) with their validity history."""
    first = (select(Publication.document_id, func.min(Publication.version).label("version"))
             .group_by(col(Publication.document_id)).subquery())  # fmt: skip
    rows = session.exec(
        select(Document, Publication.record)
        .join(Agency, col(Agency.id) == col(Document.agency_id))
        .join(first, first.c.document_id == col(Document.id))
        .join(Publication, (col(Publication.document_id) == first.c.document_id)
              & (col(Publication.version) == first.c.version))
        .where(Agency.code == agency, Document.item_type == "document", Document.state != "withdrawn")
    ).all()  # fmt: skip
    ids = [document.id for document, _ in rows]
    changes: dict[str, list[tuple[datetime, str]]] = {}
    if ids:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "document.validity",
                                                       col(AuditEvent.entity_id).in_(ids))
                              .order_by(col(AuditEvent.sequence)))  # fmt: skip
        for event in events:
            after = str((event.after or {}).get("validity"))
            changes.setdefault(event.entity_id, []).append((event.occurred_at, after))
    return [PublishedDocument(document.id, document.kind, document.doc_number, record.get("written_on"),
                              document.validity, changes.get(document.id, []))
            for document, record in rows]  # fmt: skip


def agency_name(*, session: Session, agency: str) -> str | None:
    """The agency's name, or None if there is no such agency."""
    found = session.exec(select(Agency).where(Agency.code == agency)).first()
    return None if found is None else found.name


def get_figures(*, session: Session, agency: str, year: int) -> ReportFigures | None:
    """The office's figures for the agency and year, if entered."""
    return session.exec(select(ReportFigures).where(ReportFigures.agency == agency, ReportFigures.year == year)).first()


def get_texts(*, session: Session, agency: str, year: int) -> dict[str, str]:
    """The office's texts for the agency and year, by part (一, 五, 六)."""
    rows = session.exec(select(ReportText).where(ReportText.agency == agency, ReportText.year == year))
    return {row.part: row.text for row in rows}


def put_figures(
    *, session: Session, agency: str, year: int, figures: dict[str, Any], actor: str
) -> dict[str, Any] | None:
    """Store the figures; return the ones they replace (None if first)."""
    row = get_figures(session=session, agency=agency, year=year)
    before = None if row is None else row.figures
    if row is None:
        row = ReportFigures(agency=agency, year=year, figures=figures, updated_by=actor)
    else:
        row.figures, row.updated_by, row.updated_at = figures, actor, datetime.now(row.updated_at.tzinfo)
    session.add(row)
    session.flush()
    return before


def put_text(*, session: Session, agency: str, year: int, part: str, text: str, actor: str) -> str | None:
    """Store a part's text; return the text it replaces (None if first)."""
    row = session.exec(select(ReportText).where(ReportText.agency == agency, ReportText.year == year,
                                                ReportText.part == part)).first()  # fmt: skip
    before = None if row is None else row.text
    if row is None:
        row = ReportText(agency=agency, year=year, part=part, text=text, updated_by=actor)
    else:
        row.text, row.updated_by, row.updated_at = text, actor, datetime.now(row.updated_at.tzinfo)
    session.add(row)
    session.flush()
    return before
