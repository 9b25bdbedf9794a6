"""The annual report through the normal review path, and its Art. 49 deadline.

``submit`` computes the report with every check passed and nothing missing (``draft=False``: a
missing text or figure is named, nothing is submitted) and submits it as a document — kind
``report``, 主动公开, 综合政务/政务公开, the report's headings and tables as an HTML body — through
intake, recorded by the disclosure officer with the drafter it names. It is then screened and
reviewed like any other submission and published only once every level approved it: nothing of it
is public before. Submitting the same year again (a correction, or after a return) revises that
document, which keeps its 索引号 once published.

Regulation Art. 49: a department publishes its report by 31 January, a people's government by 31
March of the next year. ``deadlines`` gives, for each agency that was on govpub during last year,
the report of last year still unpublished, with that date (a government is an agency whose name
ends in 人民政府; its offices and departments — 人民政府办公室 — are departments).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.annual_report import AnnualReport, report_title
from disclosure.attributes import DisclosureAttribute, DocumentKind
from disclosure.calendar import WorkingDayResult
from disclosure.publication import Deadline
from disclosure.report_render import render_html_body
from disclosure.states import DocumentState
from services.annual_report import AnnualReports
from services.authz import Act, Authorizer
from services.intake import Intake
from services.principal import Principal
from services.public_records import local_date
from services.review_service import EventSink
from storage.models import Agency, Document

CATEGORY = "综合政务/政务公开"
GOVERNMENT = "人民政府"
KIND = "annual_report"  # the Deadline kind beside "publication" and "interpretation"


@dataclass(frozen=True, slots=True)
class Submitted:
    """The report submitted for review: its document, version, and whether it revised an earlier one."""

    document_id: str
    version: int
    revised: bool


def art49_due(agency_name: str, year: int) -> date:
    """The last day to publish the report on ``year`` (Art. 49)."""
    return date(year + 1, 3, 31) if agency_name.endswith(GOVERNMENT) else date(year + 1, 1, 31)


def payload(report: AnnualReport, *, issuing_agency: str, drafter: str, today: date) -> dict[str, object]:
    """The document submission the report becomes (schemas/document-submission.schema.json)."""
    return {
        "title": report.title, "issuing_agency": issuing_agency, "written_on": today.isoformat(),
        "category": CATEGORY, "kind": DocumentKind.REPORT.value,
        "disclosure": {"attribute": DisclosureAttribute.PROACTIVE.value}, "interpretation_required": False,
        "public_scope": "society", "grade": "important",
        "summary": f"{report.title}（依据《中华人民共和国政府信息公开条例》第四十九条、第五十条编制）",
        "body_format": "html", "body": render_html_body(report), "drafter": drafter, "attachments": [],
    }  # fmt: skip


class ReportPublication:
    """Submitting the annual report for review, and the reports still due."""

    def __init__(
        self, engine: Engine, *, authz: Authorizer, reports: AnnualReports, intake: Intake, events: EventSink,
        today: Callable[[], date],
    ) -> None:  # fmt: skip
        self._engine, self._authz, self._reports, self._intake = engine, authz, reports, intake
        self._events, self._today = events, today

    def submit(self, principal: Principal, *, year: int, agency: str | None, drafter: str | None) -> Submitted:
        """Submit the complete report for review (or revise the one submitted before)."""
        self._authz.require(principal, Act.COMPILE_REPORT, subject=f"report:{agency or ''}/{year}")
        report = self._reports.compute(principal, year=year, agency=agency, draft=False)
        with Session(self._engine) as session:
            earlier = _report_document(session, report.agency, report.title)
        data = payload(report, issuing_agency=report.agency_name, drafter=drafter or principal.username,
                       today=self._today())  # fmt: skip  # intake checks the drafter holds the drafter role
        if earlier is not None and earlier.state == DocumentState.PUBLISHED.value:  # a correction says what changed
            data["change_note"] = f"更新{report.year}年度报告"
        raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
        revise = earlier.id if earlier is not None else None
        result = self._intake.submit(raw, revise=revise, today=self._today(), recorded_by=principal.username)
        if result.created:
            self._events.emit("govpub.document.submitted", document_id=result.document_id, version=result.version,
                              payload={})  # fmt: skip
        return Submitted(result.document_id, result.version, revised=result.created and earlier is not None)

    def deadlines(self, principal: Principal) -> list[Deadline]:
        """Each agency's report on last year, while it is not published: due 31 January or 31 March."""
        self._authz.require(principal, Act.DEADLINES)
        year = self._today().year - 1
        found = []
        with Session(self._engine) as session:
            for agency in session.exec(select(Agency)):
                if local_date(agency.created_at).year > year:
                    continue  # not yet on govpub in that year: its report is not this record's to track
                title = report_title(agency.name, year)
                report = _report_document(session, agency.code, title)
                if report is not None and report.state == DocumentState.PUBLISHED.value:
                    continue
                due = art49_due(agency.name, year)
                computed = WorkingDayResult(due, 0, due, provisional=False)  # a fixed day, not counted
                government = agency.name.endswith(GOVERNMENT)
                who = "a people's government: 31 March" if government else "a department: 31 January"
                found.append(Deadline(f"report:{agency.code}/{year}", KIND, title, computed,
                                      f"Regulation Art. 49 ({who})"))  # fmt: skip
        return found


def _report_document(session: Session, agency: str, title: str) -> Document | None:
    """The document a submission of the agency's report of that title became, if any (withdrawn ones aside:
    a submission revises the live one, so there is at most one)."""
    return session.exec(select(Document).join(Agency, col(Agency.id) == col(Document.agency_id)).where(
        Agency.code == agency, Document.kind == DocumentKind.REPORT.value, Document.title == title,
        Document.state != DocumentState.WITHDRAWN.value)).first()  # fmt: skip
