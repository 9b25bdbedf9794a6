"""The annual report (政府信息公开工作年度报告) as use cases, each taking the acting principal.

Only the disclosure office enters the figures and texts (``Act.COMPILE_REPORT``); the office, admins,
the operator and govpub itself may compute the report (it holds statistics only, no applicant's
data, and is published anyway) and see what has been entered and what is missing
(``Act.READ_REPORT``). Every change is audited (``report.figures``, ``report.text``:
the text's length and hash, not the text). The report is computed from the record each time: Table
3 from a ``GROUP BY`` over the applications (``storage.repository.annual_report.tally_cases``) or,
equivalently, from ``ApplicationService.case_facts`` (``count_in_sql=False``); Table 2's 规章 /
行政规范性文件 from the published documents and their validity changes; the rest from what the
office entered. Every check runs in the core (``disclosure.annual_report.build_report``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from disclosure.annual_figures import OfficeFigures, ReportPart, check_text, parse_figures
from disclosure.annual_report import AnnualReport, build_report
from disclosure.annual_table3 import CaseTally, tally
from disclosure.annual_tables import RegulationFact, regulation_kind
from disclosure.errors import InvalidInput, Violation
from disclosure.publication import Validity
from disclosure.report_render import ReportFormat, render
from disclosure.report_rows import ApplicantType, Table3Leaf
from services.applications import ApplicationService
from services.authz import Act, Authorizer
from services.principal import Principal
from services.public_records import local_date
from storage.db import session_scope
from storage.models import Agency
from storage.repository.annual_report import (
    PublishedDocument,
    agency_name,
    get_figures,
    get_texts,
    put_figures,
    put_text,
    regulation_documents,
    tally_cases,
)
from storage.repository.audit import append_event

FIRST_YEAR = 2008  # the Regulations on the Disclosure of Government Information took effect on 1 May 2008
ENDED = frozenset({Validity.REPEALED.value, Validity.EXPIRED.value})


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """What the office has entered for one agency and year, and what is still missing."""

    agency: str
    year: int
    figures: dict[str, Any] | None
    parts: list[str]  # the parts with a text
    missing: list[str]  # what build_report would refuse for


class AnnualReports:
    """Enter, inspect, compute and render the annual report of an agency for a year."""

    def __init__(
        self, engine: Engine, *, authz: Authorizer, applications: ApplicationService, today: Callable[[], date],
        count_in_sql: bool = True,
    ) -> None:  # fmt: skip
        self._engine, self._authz, self._applications = engine, authz, applications
        self._today, self._count_in_sql = today, count_in_sql

    def set_figures(self, principal: Principal, *, year: int, agency: str | None, data: object) -> OfficeFigures:
        """Record the office's figures (Table 2's entered blocks, Table 4, optionally last year's 四)."""
        self._authz.require(principal, Act.COMPILE_REPORT, subject=f"report:{agency or ''}/{year}")
        figures = parse_figures(data)
        self._check_year(year)
        with session_scope(self._engine) as session:
            code = self._agency(session, principal, agency)
            stored = figures.as_json()
            before = put_figures(session=session, agency=code, year=year, figures=stored, actor=principal.username)
            append_event(session=session, actor=principal.username, action="report.figures", entity_type="report",
                         entity_id=f"{code}/{year}", before=before, after=stored)  # fmt: skip
        return figures

    def set_text(self, principal: Principal, *, year: int, agency: str | None, part: str, text: str) -> None:
        """Record the text of part 一, 五 or 六."""
        self._authz.require(principal, Act.COMPILE_REPORT, subject=f"report:{agency or ''}/{year}")
        try:
            which = ReportPart(part)
        except ValueError:
            raise InvalidInput([Violation("part", f"{part!r}: expected 一, 五 or 六")]) from None
        cleaned = check_text(which, text)
        self._check_year(year)
        with session_scope(self._engine) as session:
            code = self._agency(session, principal, agency)
            before = put_text(session=session, agency=code, year=year, part=which.value, text=cleaned,
                              actor=principal.username)  # fmt: skip
            append_event(session=session, actor=principal.username, action="report.text", entity_type="report",
                         entity_id=f"{code}/{year}", before=None if before is None else _digest(which, before),
                         after=_digest(which, cleaned))  # fmt: skip

    def inputs(self, principal: Principal, *, year: int, agency: str | None) -> ReportInputs:
        """What has been entered for the report and what is missing."""
        self._authz.require(principal, Act.READ_REPORT)
        with Session(self._engine) as session:
            code = self._agency(session, principal, agency)
            figures = get_figures(session=session, agency=code, year=year)
            texts = get_texts(session=session, agency=code, year=year)
        missing = [part.heading for part in ReportPart if part.value not in texts]
        if figures is None:
            missing.append("figures")
        return ReportInputs(code, year, None if figures is None else figures.figures, sorted(texts), missing)

    def compute(self, principal: Principal, *, year: int, agency: str | None, draft: bool = False) -> AnnualReport:
        """The report for the year, every 勾稽 check passed (else ReportCheckFailed naming the cell);
        missing texts or figures refuse it (ReportIncomplete), or with ``draft`` are listed in it."""
        self._authz.require(principal, Act.READ_REPORT, subject=f"report:{agency or ''}/{year}")
        self._check_year(year)
        with Session(self._engine) as session:
            code = self._agency(session, principal, agency)
            name = agency_name(session=session, agency=code) or code
            stored = get_figures(session=session, agency=code, year=year)
            texts = get_texts(session=session, agency=code, year=year)
            documents = regulation_documents(session=session, agency=code)
            groups = tally_cases(session=session, agency=code, year=year) if self._count_in_sql else None
        if groups is not None:
            cases = [CaseTally(ApplicantType(g.applicant_type), g.received_year, g.closed_year,
                               Table3Leaf(g.outcome) if g.outcome else None, g.count) for g in groups]  # fmt: skip
        else:
            cases = tally(self._applications.case_facts(principal, agency=code, through=date(year, 12, 31)))
        return build_report(
            year=year, agency=code, agency_name=name, cases=cases,
            regulations=[fact for d in documents if (fact := regulation_fact(d)) is not None],
            figures=None if stored is None else parse_figures(stored.figures),
            texts={part: texts[part.value] for part in ReportPart if part.value in texts}, draft=draft,
        )  # fmt: skip

    def render(
        self, principal: Principal, *, year: int, agency: str | None, fmt: ReportFormat, draft: bool = False
    ) -> str:
        """The report as Markdown, HTML or JSON (a draft marks what the office has still to enter)."""
        return render(self.compute(principal, year=year, agency=agency, draft=draft), fmt)

    def _check_year(self, year: int) -> None:
        if not FIRST_YEAR <= year <= self._today().year:
            raise InvalidInput([Violation("year", f"{year}: expected {FIRST_YEAR} … {self._today().year}")])

    @staticmethod
    def _agency(session: Session, principal: Principal, given: str | None) -> str:
        if given is not None:
            if not given.isprintable() or not given.strip():
                raise InvalidInput([Violation("agency", f"no agency {given[:40]!r}")])
            if session.exec(select(Agency).where(Agency.code == given)).first() is None:
                raise InvalidInput([Violation("agency", f"no agency {given!r}")])
            return given
        own = session.get(Agency, principal.agency_id) if principal.agency_id is not None else None
        if own is not None:
            return own.code
        agencies = list(session.exec(select(Agency).limit(2)))
        if len(agencies) != 1:
            raise InvalidInput([Violation("agency", "name the agency whose report this is")])
        return agencies[0].code


def regulation_fact(document: PublishedDocument) -> RegulationFact | None:
    """What Table 2 counts of a published document: 制发 on its 成文日期, out of force on the day recorded."""
    kind = regulation_kind(document.kind)
    if kind is None or not document.written_on:
        return None
    issued = date.fromisoformat(document.written_on)
    ended = None
    if document.validity in ENDED:
        days = [local_date(when) for when, after in document.validity_changes if after in ENDED]
        ended = max(days[-1], issued) if days else issued
    return RegulationFact(kind, issued, ended)


def _digest(part: ReportPart, text: str) -> dict[str, Any]:
    return {"part": part.value, "chars": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()}
