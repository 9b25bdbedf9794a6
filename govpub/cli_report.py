"""`govpub report annual|figures|text|status`: the annual report (政府信息公开工作年度报告).

``annual`` prints the report (Markdown, HTML or JSON) to stdout or ``--output``, after every check;
a failed check exits 2 naming the cell. While texts or figures are missing it prints a draft (title
marked （草稿）, the gaps named on stderr); ``--final`` refuses an incomplete report instead.
``figures`` and ``text`` record what the disclosure office enters; ``status`` shows what is entered
and what is missing. Who acts: the token's user, or
``--as`` in development.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from disclosure.errors import ConfigurationError, InvalidInput, Violation
from disclosure.report_render import ReportFormat, render
from govpub.cli_common import err, handled, open_govpub, out

report_app = typer.Typer(help="The annual report (政府信息公开工作年度报告).", no_args_is_help=True)

AsUser = Annotated[str | None, typer.Option("--as", help="development only: act as this user")]
Year = Annotated[int, typer.Option("--year", help="the year reported on (1 January - 31 December)")]
Agency = Annotated[str | None, typer.Option("--agency", help="the agency's code (default: your agency)")]


def _read(file: Path) -> str:
    try:
        return file.read_text("utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput([Violation("--file", f"{file} is not UTF-8 text")]) from None


@report_app.command("annual")
@handled
def annual(  # noqa: PLR0917 - typer: one parameter per option
    year: Year,
    agency: Agency = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="md, html or json")] = ReportFormat.MARKDOWN,
    output: Annotated[Path | None, typer.Option("--output", help="write to this file instead of stdout")] = None,
    final: Annotated[bool, typer.Option("--final", help="refuse a report whose texts or figures are missing")] = False,
    as_user: AsUser = None,
) -> None:
    """Print the annual report after every 勾稽 check (a failed check exits 2 and names the cell)."""
    with open_govpub(as_user) as (govpub, principal):
        report = govpub.reports.compute(principal, year=year, agency=agency, draft=not final)
    text = render(report, fmt)
    if report.missing:
        err.print(f"draft: not yet entered: {', '.join(report.missing)} (`govpub report status`)", markup=False,
                  highlight=False)  # fmt: skip
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, "utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{output}: {exc.strerror}") from None
    out.print(f"wrote {output}", markup=False, highlight=False)


@report_app.command("figures")
@handled
def figures(
    year: Year,
    file: Annotated[Path, typer.Option("--file", help="the figures JSON (see docs/architecture.md)")],
    agency: Agency = None,
    as_user: AsUser = None,
) -> None:
    """Record Table 2's entered figures (许可, 处罚, 强制, 收费) and Table 4 (复议, 诉讼)."""
    try:
        data = json.loads(_read(file))
    except json.JSONDecodeError as exc:
        raise InvalidInput([Violation("--file", f"not JSON: {exc.msg} at line {exc.lineno}")]) from None
    with open_govpub(as_user) as (govpub, principal):
        govpub.reports.set_figures(principal, year=year, agency=agency, data=data)
    out.print(f"figures of {year} recorded", markup=False, highlight=False)


@report_app.command("text")
@handled
def text(
    year: Year,
    part: Annotated[str, typer.Option("--part", help="一, 五 or 六")],
    file: Annotated[Path, typer.Option("--file", help="the part's text (UTF-8)")],
    agency: Agency = None,
    as_user: AsUser = None,
) -> None:
    """Record the text of part 一 (总体情况), 五 (存在的主要问题及改进情况) or 六 (其他需要报告的事项)."""
    with open_govpub(as_user) as (govpub, principal):
        govpub.reports.set_text(principal, year=year, agency=agency, part=part, text=_read(file))
    out.print(f"part {part} of {year} recorded", markup=False, highlight=False)


@report_app.command("status")
@handled
def status(year: Year, agency: Agency = None, as_user: AsUser = None) -> None:
    """What has been entered for the report and what is still missing."""
    with open_govpub(as_user) as (govpub, principal):
        found = govpub.reports.inputs(principal, year=year, agency=agency)
    out.print(f"{found.agency} {found.year}: parts entered {', '.join(found.parts) or 'none'}; "
              f"figures {'entered' if found.figures else 'missing'}", markup=False, highlight=False)  # fmt: skip
    for missing in found.missing:
        out.print(f"missing: {missing}", markup=False, highlight=False)


@report_app.command("submit")
@handled
def submit(
    year: Year,
    agency: Agency = None,
    drafter: Annotated[str | None, typer.Option("--drafter", help="the drafter filed under (default: you)")] = None,
    as_user: AsUser = None,
) -> None:
    """Submit the complete report for review, to be published like any document once approved (Art. 49:
    departments by 31 January, governments by 31 March); prints the document id last."""
    with open_govpub(as_user) as (govpub, principal):
        done = govpub.report_publication.submit(principal, year=year, agency=agency, drafter=drafter)
    what = "revised" if done.revised else "submitted"
    out.print(f"report {year} {what} for review as version {done.version}", markup=False, highlight=False)
    out.print(done.document_id, markup=False, highlight=False)
