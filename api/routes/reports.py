"""The annual report (政府信息公开工作年度报告): computed on request, inputs entered by the disclosure office.

``GET /reports/annual/{year}`` answers the report as JSON (``table2``, ``table3.rows``, ``table4``,
the parts' texts), Markdown or HTML after every 勾稽 check; a failed check is 422 with the cell named
in ``errors``; missing texts or figures give a draft (or 422 with ``final=true``). ``PUT …/figures``
takes the figures object (docs/architecture.md, "Annual report"), ``PUT …/texts/{part}`` the text of
part 一, 五 or 六; ``GET …/inputs`` shows what is entered.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import Body
from disclosure.errors import InvalidInput, Violation
from disclosure.report_render import ReportFormat

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=problem_responses(401, 403, 404, 422, 503))
Year = Annotated[int, Path(ge=2008, le=2999, description="the year reported on")]
AgencyQuery = Annotated[
    str | None, Query(min_length=1, max_length=40, description="the agency's code (default: yours)")
]
MEDIA = {ReportFormat.JSON: "application/json", ReportFormat.MARKDOWN: "text/markdown; charset=utf-8",
         ReportFormat.HTML: "text/html; charset=utf-8"}  # fmt: skip
_REPORT: dict[int | str, dict[str, Any]] = {
    200: {"description": "the report", "content": {m.split(";")[0]: {} for m in MEDIA.values()}}
}
_FIGURES_BODY = {
    "requestBody": {
        "required": True,
        "description": "the office's figures: table2 (行政许可, 行政处罚, 行政强制, 行政事业性收费), table4, "
        "optionally previous_carried_out",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class TextBody(Body):
    """The text of one part."""

    text: str = Field(min_length=1, max_length=20_000)


class SubmissionBody(Body):
    """Who the report is filed under (a drafter; default: the disclosure officer submitting it)."""

    drafter: str | None = Field(default=None, min_length=1, max_length=64)


class SubmittedOut(BaseModel):
    """The report's document, now in review."""

    document_id: str
    version: int
    revised: bool


class ReportInputsOut(BaseModel):
    """What has been entered for a report and what is missing."""

    agency: str
    year: int
    figures: dict[str, Any] | None
    parts: list[str]
    missing: list[str]


@router.get("/reports/annual/{year}", response_class=Response, responses=_REPORT)
def annual_report(
    *, principal: CurrentPrincipal, govpub: GovpubDep, year: Year, agency: AgencyQuery = None,
    fmt: Annotated[ReportFormat, Query(alias="format", description="json, md or html")] = ReportFormat.JSON,
    final: Annotated[bool, Query(description="refuse (422) a report whose texts or figures are missing, "
                                             "instead of answering a draft that names them")] = False,
) -> Response:  # fmt: skip
    """The annual report after every 勾稽 check (422 naming the cell if one fails); a draft (``draft``,
    ``missing`` in JSON, the title marked （草稿）) while the office has not entered everything."""
    text = govpub.reports.render(principal, year=year, agency=agency, fmt=fmt, draft=not final)
    return Response(text, media_type=MEDIA[fmt])


@router.put("/reports/annual/{year}/figures", status_code=204, openapi_extra=_FIGURES_BODY)
async def put_figures(
    request: Request, principal: CurrentPrincipal, govpub: GovpubDep, year: Year, agency: AgencyQuery = None
) -> Response:
    """Record the figures of Table 2's entered blocks and Table 4."""
    try:
        data = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput([Violation("$", "the body is not JSON")]) from None
    await run_in_threadpool(govpub.reports.set_figures, principal, year=year, agency=agency, data=data)
    return Response(status_code=204)


@router.put("/reports/annual/{year}/texts/{part}", status_code=204)
def put_text(
    *, principal: CurrentPrincipal, govpub: GovpubDep, year: Year, body: TextBody,
    part: Annotated[str, Path(pattern="^[一五六]$", description="一, 五 or 六")], agency: AgencyQuery = None,
) -> Response:  # fmt: skip
    """Record the text of part 一, 五 or 六."""
    govpub.reports.set_text(principal, year=year, agency=agency, part=part, text=body.text)
    return Response(status_code=204)


@router.get("/reports/annual/{year}/inputs")
def report_inputs(
    principal: CurrentPrincipal, govpub: GovpubDep, year: Year, agency: AgencyQuery = None
) -> ReportInputsOut:
    """What has been entered for the report, and what is still missing."""
    found = govpub.reports.inputs(principal, year=year, agency=agency)
    return ReportInputsOut(agency=found.agency, year=found.year, figures=found.figures, parts=found.parts,
                           missing=found.missing)  # fmt: skip


@router.post("/reports/annual/{year}/submission", status_code=201)
def submit_report(
    *, principal: CurrentPrincipal, govpub: GovpubDep, year: Year, body: SubmissionBody, agency: AgencyQuery = None
) -> SubmittedOut:
    """Submit the complete report for review (a missing text or figure: 422 naming it)."""
    done = govpub.report_publication.submit(principal, year=year, agency=agency, drafter=body.drafter)
    return SubmittedOut(document_id=done.document_id, version=done.version, revised=done.revised)
