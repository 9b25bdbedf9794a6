"""The annual report rendered: exact national labels in Markdown and HTML, office text escaped, JSON rows."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser

from disclosure.annual_figures import ReportPart, parse_figures
from disclosure.annual_report import build_report
from disclosure.annual_table3 import tally
from disclosure.report_render import ReportFormat, md_escape, render
from disclosure.report_rows import ApplicantType, CaseFact, Table3Leaf
from tests.unit.test_annual_report import COLUMNS, NATIONAL_TABLE3

HOSTILE = '<script>alert("x")</script> & **粗体** | 表格'
TEXTS = {ReportPart.OVERVIEW: f"第一段。\n\n{HOSTILE}", ReportPart.PROBLEMS: "问题。", ReportPart.OTHER: "无。"}
FIGURES = parse_figures({"table2": {"行政事业性收费": "0.5"}, "table4": {}})
FACTS = [CaseFact(ApplicantType.RESEARCH, date(2026, 2, 2), date(2026, 2, 20), Table3Leaf.OTHER_FEE_UNPAID),
         CaseFact(ApplicantType.NATURAL_PERSON, date(2026, 12, 30))]  # fmt: skip
REPORT = build_report(year=2026, agency="demo", agency_name="示例<局>", cases=tally(FACTS), regulations=[],
                      figures=FIGURES, texts=TEXTS)  # fmt: skip
HEADINGS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]  # fmt: skip
TABLE2_LABELS = ["第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数", "规章", "行政规范性文件",
                 "第二十条第（五）项", "本年处理决定数量", "行政许可", "第二十条第（六）项", "行政处罚", "行政强制",
                 "第二十条第（八）项", "本年收费金额（单位：万元）", "行政事业性收费"]  # fmt: skip
TABLE4_LABELS = [
    "行政复议",
    "行政诉讼",
    "未经复议直接起诉",
    "复议后起诉",
    "结果维持",
    "结果纠正",
    "其他结果",
    "尚未审结",
]


class Cells(HTMLParser):
    """Every table cell's text with its tag and spans."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str, dict[str, str | None]]] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag in {"th", "td"}:
            self._open, self._text = (tag, dict(attrs)), ""

    def handle_data(self, data):
        if self._open:
            self._text += data

    def handle_endtag(self, tag):
        if tag in {"th", "td"} and self._open:
            self.cells.append((self._open[0], self._text, self._open[1]))
            self._open = None


def test_html_is_one_document_with_the_national_headings_and_spans():
    page = render(REPORT, ReportFormat.HTML)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; **粗体** | 表格" in page
    assert "<title>示例&lt;局&gt;2026年政府信息公开工作年度报告</title>" in page
    assert not re.search(r"(src|href)=", page)  # self-contained
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in page
    parser = Cells()
    parser.feed(page)
    headers: dict[str, dict[str, str | None]] = {}
    for tag, text, attrs in parser.cells:
        if tag == "th":
            headers.setdefault(text, attrs)  # the first: Table 3's 总计 before Table 4's
    assert headers["申请人情况"] == {"colspan": "7"}
    assert headers["自然人"] == {"rowspan": "2"}
    assert headers["法人或其他组织"] == {"colspan": "5"}
    assert headers["总计"] == {"rowspan": "2"}
    for label in COLUMNS[1:-1]:
        assert label in headers
    assert headers["三、本年度办理结果"] == {"rowspan": "22"}
    assert headers["（三）不予公开"] == {"rowspan": "8"}
    assert headers["（四）无法提供"] == {"rowspan": "3"}
    assert headers["（五）不予处理"] == {"rowspan": "5"}
    assert headers["（六）其他处理"] == {"rowspan": "3"}
    assert headers["（一）予以公开"] == {"colspan": "2"}
    assert headers["一、本年新收政府信息公开申请数量"] == {"colspan": "3"}
    for path in NATIONAL_TABLE3:
        assert path[-1] in headers
    for label in TABLE2_LABELS + TABLE4_LABELS:
        assert label in headers, label
    assert headers["行政诉讼"] == {"colspan": "10"}


def test_html_rows_carry_seven_cells_each():
    parser = Cells()
    parser.feed(render(REPORT, ReportFormat.HTML))
    numbers = [text for tag, text, _ in parser.cells if tag == "td"]
    # Table 2: 3+3+1+1+1+1 cells, Table 3: 25 rows (一, 二, 21 leaves, （七）, 四) x 7, Table 4: 15
    assert len(numbers) == 10 + 25 * 7 + 15
    assert "0.5000" in numbers


def test_markdown_has_every_label_and_escapes_office_text():
    text = render(REPORT, ReportFormat.MARKDOWN)
    assert text.startswith("# 示例\\<局\\>2026年政府信息公开工作年度报告")
    for heading in HEADINGS:
        assert f"## {heading}" in text
    cells = {
        cell.strip() for line in text.splitlines() if line.startswith("|") for cell in line.strip("|").split(" | ")
    }
    for label in [p[-1] for p in NATIONAL_TABLE3] + ["三、本年度办理结果", "（三）不予公开", "（六）其他处理",
                                                      "申请人情况", "法人或其他组织", *COLUMNS]:  # fmt: skip
        assert label in cells, label
    for label in TABLE2_LABELS[1:]:
        assert label in text
    assert "**第二十条第（一）项**" in text
    assert "<script>" not in text
    assert md_escape(HOSTILE) in text
    assert (
        "| 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 0 | 0 | 1 | 0 | 0 | 0 | 1 |"
        in text
    )


def test_json_rows_are_the_contract():
    data = json.loads(render(REPORT, ReportFormat.JSON))
    assert set(data) >= {"table2", "table3", "table4", "parts", "year", "agency"}
    rows = data["table3"]["rows"]
    assert [row["path"] for row in rows] == [list(p) for p in NATIONAL_TABLE3]
    assert all(set(row) == {"label", "path", "values"} and list(row["values"]) == COLUMNS for row in rows)
    assert data["parts"]["一"]["text"] == TEXTS[ReportPart.OVERVIEW]
    assert data["table2"]["rows"][-1]["values"] == {"本年收费金额（单位：万元）": "0.5000"}
