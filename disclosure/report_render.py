"""The annual report rendered as Markdown, as one self-contained HTML document, and as JSON.

Labels are exactly the national format's (2021). Table 3 in HTML has the national two-level column
header (申请人情况 over 自然人 / 法人或其他组织 (商业企业 … 其他) / 总计) and row headers spanning
their rows (三、本年度办理结果 over （一）…（七）; （三）…（六） over their numbered rows); in Markdown the
row 三 and the group rows （三）…（六） are label rows without numbers, as the national format has no
cell of their own. Every text the office wrote is escaped (HTML entities; Markdown's markup
characters). Pure.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum

from disclosure.annual_figures import PART_TITLES, ReportPart
from disclosure.annual_report import AnnualReport
from disclosure.annual_table3 import COLUMNS, Row
from disclosure.annual_tables import (
    BLOCK_REGULATIONS,
    CONTENT,
    LITIGATION,
    OUTCOMES,
    REVIEW,
    TABLE4_GROUPS,
    Table2Row,
)
from disclosure.report_rows import (
    APPLICANT_COLUMNS,
    ORGANISATION_GROUP,
    ROW_RESULTS,
    TOTAL_COLUMN,
)

APPLICANTS_HEADING = "申请人情况"
TABLE3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!])")  # inline markup, HTML and entities; text stays readable


class ReportFormat(StrEnum):
    """What ``render`` produces."""

    MARKDOWN = "md"
    HTML = "html"
    JSON = "json"


def render(report: AnnualReport, fmt: ReportFormat) -> str:
    """The report in the format asked for."""
    if fmt is ReportFormat.JSON:
        return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt is ReportFormat.HTML:
        return render_html(report)
    return render_markdown(report)


def md_escape(text: str) -> str:
    """Office text safe in Markdown: markup characters backslash-escaped, line breaks kept."""
    return "\n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.splitlines())


# -- Markdown -----------------------------------------------------------------------------------
def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _values(row: Table2Row) -> dict[str, str]:
    """The row's values as printed: counts, and the fee with four decimal places."""
    return {k: f"{v:.4f}" if isinstance(v, Decimal) else str(v) for k, v in row.values.items()}


def _md_table2(rows: list[Table2Row]) -> Iterator[str]:
    block = None
    for row in rows:
        values = _values(row)
        if row.block != block:
            if block is not None:
                yield ""
            block = row.block
            yield from (f"**{block}**", "", _md_row([CONTENT, *values]), _md_row(["---"] * (1 + len(values))))
        yield _md_row([row.label, *values.values()])


def _md_table3(rows: list[Row]) -> Iterator[str]:
    organisations = [c.value for c in APPLICANT_COLUMNS[1:]]
    yield _md_row([APPLICANTS_HEADING, APPLICANT_COLUMNS[0].value, ORGANISATION_GROUP, *[""] * 4, TOTAL_COLUMN])
    yield _md_row(["---"] * (len(COLUMNS) + 1))
    yield _md_row(["", "", *organisations, ""])
    shown: set[str] = set()
    for row in rows:
        for heading in row.path[:-1]:  # 三 and the groups （三）…（六）: labels without cells
            if heading not in shown:
                shown.add(heading)
                yield _md_row([heading, *[""] * len(COLUMNS)])
        yield _md_row([row.label, *(str(row.values[c]) for c in COLUMNS)])


def _md_table4(report: AnnualReport) -> Iterator[str]:
    yield _md_row(["", *(" / ".join(row.path) for row in report.table4)])
    yield _md_row(["---"] * (len(report.table4) + 1))
    for outcome in OUTCOMES:
        yield _md_row([outcome, *(str(row.values[outcome]) for row in report.table4)])


def render_markdown(report: AnnualReport) -> str:
    """The report as Markdown with the national format's labels."""
    lines = [f"# {md_escape(report.title)}", ""]
    for key, title in PART_TITLES.items():
        lines += [f"## {title}", ""]
        if key in {p.value for p in ReportPart}:
            lines += [md_escape(report.texts[ReportPart(key)]), ""]
        elif key == "二":
            lines += [*_md_table2(report.table2), ""]
        elif key == "三":
            lines += [*_md_table3(report.table3), ""]
        else:
            lines += [*_md_table4(report), ""]
    return "\n".join(lines)


# -- HTML ---------------------------------------------------------------------------------------
_STYLE = ("body{font-family:serif;max-width:60em;margin:2em auto;line-height:1.6}"
          "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #000;padding:.2em .5em}"
          "td{text-align:right}caption{font-weight:bold}")  # fmt: skip


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _th(text: str, *, rowspan: int = 1, colspan: int = 1) -> str:
    spans = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f"<th{spans}>{_e(text)}</th>"


def _html_paragraphs(text: str) -> str:
    return "\n".join(f"<p>{_e(p).replace(chr(10), '<br>')}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def _html_table2(rows: list[Table2Row]) -> Iterator[str]:
    yield f"<table><caption>{_e(PART_TITLES['二'])}</caption>"
    block = None
    for row in rows:
        values = _values(row)
        width = 3 if row.block == BLOCK_REGULATIONS else 1
        if row.block != block:
            block = row.block
            yield f"<tr>{_th(block, colspan=4)}</tr>"
            yield "<tr>" + _th(CONTENT) + "".join(_th(c, colspan=3 // width) for c in values) + "</tr>"
        span = f' colspan="{3 // width}"' if width == 1 else ""
        yield f"<tr>{_th(row.label)}" + "".join(f"<td{span}>{_e(v)}</td>" for v in values.values()) + "</tr>"
    yield "</table>"


def _html_table3(rows: list[Row]) -> Iterator[str]:
    yield f"<table><caption>{_e(PART_TITLES['三'])}</caption>"
    organisations = APPLICANT_COLUMNS[1:]
    yield f"<tr>{_th(TABLE3_CORNER, rowspan=3, colspan=3)}{_th(APPLICANTS_HEADING, colspan=len(COLUMNS))}</tr>"
    yield (f"<tr>{_th(APPLICANT_COLUMNS[0].value, rowspan=2)}{_th(ORGANISATION_GROUP, colspan=len(organisations))}"
           f"{_th(TOTAL_COLUMN, rowspan=2)}</tr>")  # fmt: skip
    yield "<tr>" + "".join(_th(c.value) for c in organisations) + "</tr>"
    results = [row for row in rows if row.path[0] == ROW_RESULTS]
    group_sizes: dict[str, int] = {}
    for row in results:
        if len(row.path) == 3:  # noqa: PLR2004 - 三 / group / leaf
            group_sizes[row.path[1]] = group_sizes.get(row.path[1], 0) + 1
    opened: set[str] = set()
    for row in rows:
        heads = ""
        if row.path[0] != ROW_RESULTS:
            heads = _th(row.label, colspan=3)
        else:
            if ROW_RESULTS not in opened:
                opened.add(ROW_RESULTS)
                heads += _th(ROW_RESULTS, rowspan=len(results))
            if len(row.path) == 3:  # noqa: PLR2004
                if row.path[1] not in opened:
                    opened.add(row.path[1])
                    heads += _th(row.path[1], rowspan=group_sizes[row.path[1]])
                heads += _th(row.label)
            else:
                heads += _th(row.label, colspan=2)
        yield f"<tr>{heads}" + "".join(f"<td>{row.values[c]}</td>" for c in COLUMNS) + "</tr>"
    yield "</table>"


def _html_table4(report: AnnualReport) -> Iterator[str]:
    yield f"<table><caption>{_e(PART_TITLES['四'])}</caption>"
    suits = [label for label, path in TABLE4_GROUPS if path[0] == LITIGATION]
    yield f"<tr>{_th(REVIEW, colspan=len(OUTCOMES))}{_th(LITIGATION, colspan=len(OUTCOMES) * len(suits))}</tr>"
    yield ("<tr>" + "".join(_th(o, rowspan=2) for o in OUTCOMES)
           + "".join(_th(s, colspan=len(OUTCOMES)) for s in suits) + "</tr>")  # fmt: skip
    yield "<tr>" + "".join(_th(o) for _ in suits for o in OUTCOMES) + "</tr>"
    yield "<tr>" + "".join(f"<td>{row.values[o]}</td>" for row in report.table4 for o in OUTCOMES) + "</tr>"
    yield "</table>"


def render_html(report: AnnualReport) -> str:
    """The report as one self-contained HTML document (inline style, no external resources)."""
    head = (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>{_e(report.title)}</title>\n'
            f"<style>{_STYLE}</style>\n</head>\n<body>\n")  # fmt: skip
    return head + render_html_body(report) + "\n</body>\n</html>\n"


def render_html_body(report: AnnualReport) -> str:
    """The report's headings, texts and tables as an HTML fragment (the body of its publication)."""
    body: list[str] = [f"<h1>{_e(report.title)}</h1>"]
    for key, title in PART_TITLES.items():
        body.append(f"<h2>{_e(title)}</h2>")
        if key in {p.value for p in ReportPart}:
            body.append(_html_paragraphs(report.texts[ReportPart(key)]))
        elif key == "二":
            body.extend(_html_table2(report.table2))
        elif key == "三":
            body.extend(_html_table3(report.table3))
        else:
            body.extend(_html_table4(report))
    return "\n".join(body)
