"""The annual report in the core: Tables 2, 3 and 4 assembled, every 勾稽 check, the parts' texts.

Row labels and paths are checked against the national format (../shared/DOMAIN.md §7) typed out by
hand here, not derived from the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure.annual_figures import OfficeFigures, ReportIncomplete, ReportPart, parse_figures
from disclosure.annual_report import build_report, carried_out
from disclosure.annual_table3 import CaseTally, ReportCheckFailed, table3, tally
from disclosure.annual_tables import (
    RegulationFact,
    RegulationKind,
    Table2Figures,
    Table4Row,
    check_table2,
    check_table4,
    regulation_kind,
    regulation_rows,
    table4,
)
from disclosure.errors import InvalidInput
from disclosure.report_rows import ApplicantType, CaseFact, Table3Leaf

YEAR = 2026
T3 = "三、本年度办理结果"
NATIONAL_TABLE3 = [
    ("一、本年新收政府信息公开申请数量",),
    ("二、上年结转政府信息公开申请数量",),
    (T3, "（一）予以公开"),
    (T3, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    *[(T3, "（三）不予公开", leaf) for leaf in (
        "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
        "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项")],
    *[(T3, "（四）无法提供", leaf) for leaf in (
        "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确")],
    *[(T3, "（五）不予处理", leaf) for leaf in (
        "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
        "5.要求行政机关确认或重新出具已获取信息")],
    *[(T3, "（六）其他处理", leaf) for leaf in (
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他")],
    (T3, "（七）总计"),
    ("四、结转下年度继续办理",),
]  # fmt: skip
COLUMNS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
TEXTS = {ReportPart.OVERVIEW: "本年度，本机关坚持以公开为常态。", ReportPart.PROBLEMS: "公开质量有待提高。",
         ReportPart.OTHER: "本年度未收取信息处理费。"}  # fmt: skip
FIGURES = parse_figures({
    "table2": {"行政许可": 12, "行政处罚": 30, "行政强制": 2, "行政事业性收费": "1.25"},
    "table4": {"行政复议": {"结果维持": 1, "尚未审结": 1, "总计": 2},
               "未经复议直接起诉": {"结果纠正": 1, "总计": 1}, "复议后起诉": {}},
})  # fmt: skip


def report(cases, regulations=(), figures=FIGURES, texts=TEXTS, year=YEAR):
    return build_report(year=year, agency="demo", agency_name="示例市人民政府办公室", cases=cases,
                        regulations=regulations, figures=figures, texts=texts)  # fmt: skip


def sample_facts():
    n, c = ApplicantType.NATURAL_PERSON, ApplicantType.COMMERCIAL
    return [
        CaseFact(n, date(YEAR - 1, 12, 20)),  # carried in, still open: 二 and 四
        CaseFact(c, date(YEAR - 1, 12, 28), date(YEAR, 1, 8), Table3Leaf.PARTLY_DISCLOSED),  # 二, closed in Y
        CaseFact(n, date(YEAR, 3, 1), date(YEAR, 3, 20), Table3Leaf.WITHHELD_STATE_SECRET),
        CaseFact(ApplicantType.LEGAL_SERVICE, date(YEAR, 12, 30)),  # 一 and 四
        CaseFact(n, date(YEAR - 1, 5, 1), date(YEAR - 1, 5, 20), Table3Leaf.DISCLOSED),  # last year's only
    ]


def test_every_row_has_the_national_label_and_path_in_order():
    built = report(tally(sample_facts()))
    assert [tuple(row.path) for row in built.table3] == NATIONAL_TABLE3
    assert [row.label for row in built.table3] == [path[-1] for path in NATIONAL_TABLE3]
    rows = built.as_dict()["table3"]["rows"]
    assert all(list(row["values"]) == COLUMNS for row in rows)
    values = {row["label"]: row["values"] for row in rows}
    assert values["一、本年新收政府信息公开申请数量"]["总计"] == 2
    assert values["二、上年结转政府信息公开申请数量"] == {
        **dict.fromkeys(COLUMNS, 0),
        "自然人": 1,
        "商业企业": 1,
        "总计": 2,
    }
    assert values["（二）部分公开（区分处理的，只计这一情形，不计其他情形）"]["商业企业"] == 1
    assert values["1.属于国家秘密"]["自然人"] == 1
    assert values["（七）总计"]["总计"] == 2
    assert values["四、结转下年度继续办理"] == {**dict.fromkeys(COLUMNS, 0), "自然人": 1, "法律服务机构": 1, "总计": 2}


def test_tables_2_and_4_in_the_national_layout():
    documents = [RegulationFact(RegulationKind.NORMATIVE, date(YEAR - 1, 6, 1)),
                 RegulationFact(RegulationKind.NORMATIVE, date(YEAR, 2, 1)),
                 RegulationFact(RegulationKind.NORMATIVE, date(YEAR - 2, 1, 5), date(YEAR, 7, 1)),
                 RegulationFact(RegulationKind.RULE, date(YEAR, 4, 1))]  # fmt: skip
    data = report([], documents).as_dict()
    assert [(row["path"], row["values"]) for row in data["table2"]["rows"]] == [
        (["第二十条第（一）项", "规章"], {"本年制发件数": 1, "本年废止件数": 0, "现行有效件数": 1}),
        (["第二十条第（一）项", "行政规范性文件"], {"本年制发件数": 1, "本年废止件数": 1, "现行有效件数": 2}),
        (["第二十条第（五）项", "行政许可"], {"本年处理决定数量": 12}),
        (["第二十条第（六）项", "行政处罚"], {"本年处理决定数量": 30}),
        (["第二十条第（六）项", "行政强制"], {"本年处理决定数量": 2}),
        (["第二十条第（八）项", "行政事业性收费"], {"本年收费金额（单位：万元）": "1.2500"}),
    ]
    assert [(row["path"], list(row["values"].values())) for row in data["table4"]["rows"]] == [
        (["行政复议"], [1, 0, 0, 1, 2]),
        (["行政诉讼", "未经复议直接起诉"], [0, 1, 0, 0, 1]),
        (["行政诉讼", "复议后起诉"], [0, 0, 0, 0, 0]),
    ]
    assert list(data["table4"]["rows"][0]["values"]) == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert data["parts"]["五"] == {"title": "五、存在的主要问题及改进情况", "text": "公开质量有待提高。"}


def test_rules_and_normative_documents_are_counted_by_their_kind():
    assert regulation_kind("normative_document") is RegulationKind.NORMATIVE
    assert regulation_kind("rule") is RegulationKind.RULE
    for kind in ("policy", "notice", "report", "other", "interpretation"):
        assert regulation_kind(kind) is None  # a 令 number on a policy (国务院令: 行政法规) is not guessed


def test_missing_texts_and_figures_are_named():
    with pytest.raises(ReportIncomplete) as caught:
        report([], texts={ReportPart.OVERVIEW: "概述"}, figures=None)
    message = str(caught.value)
    assert "part 五、存在的主要问题及改进情况" in message
    assert "part 六、其他需要报告的事项" in message
    assert "figures 2026" in message
    assert "一、总体情况" not in message
    with pytest.raises(ReportIncomplete, match="part 一、总体情况"):
        report([], texts={**TEXTS, ReportPart.OVERVIEW: "  \n"})


def test_table4_group_total_must_add_up():
    check_table4(table4({"行政复议": {"结果维持": 2, "其他结果": 1, "总计": 3}}))
    with pytest.raises(ReportCheckFailed, match='table4 row "复议后起诉" column "总计": 4 but 结果维持'):
        check_table4(table4({"复议后起诉": {"结果维持": 2, "尚未审结": 1, "总计": 4}}))
    with pytest.raises(ReportCheckFailed, match='table4 row "行政复议" column "结果纠正": -1 is negative'):
        check_table4([Table4Row("行政复议", ("行政复议",), {"结果维持": 0, "结果纠正": -1, "其他结果": 0,
                                                          "尚未审结": 0, "总计": -1})])  # fmt: skip
    with pytest.raises(ReportCheckFailed, match="table4 row"):
        report([], figures=parse_figures({"table4": {"行政复议": {"结果维持": 1, "总计": 2}}}))


def test_table2_in_force_follows_last_year():
    facts = [RegulationFact(RegulationKind.RULE, date(YEAR - 1, 1, 1), date(YEAR, 3, 1)),
             RegulationFact(RegulationKind.RULE, date(YEAR, 5, 1))]  # fmt: skip
    rows, before = regulation_rows(facts, YEAR), regulation_rows(facts, YEAR - 1)
    check_table2(rows, previous=before)
    wrong = [type(r)(r.block, r.label, {**r.values, "现行有效件数": 5}) if r.label == "规章" else r for r in rows]
    with pytest.raises(ReportCheckFailed, match='table2 row "规章" column "现行有效件数": 5 but last year'):
        check_table2(wrong, previous=before)
    with pytest.raises(ReportCheckFailed, match='table2 row "规章"'):
        regulation_rows([RegulationFact(RegulationKind.RULE, date(YEAR, 5, 1), date(YEAR, 4, 1))], YEAR)


def test_figures_are_checked_with_every_problem_at_its_path():
    with pytest.raises(InvalidInput) as caught:
        parse_figures({"table2": {"行政许可": -1, "行政事业性收费": "1.23456", "罚没": 3},
                       "table4": {"行政复议": {"结果维持": "2"}}, "previous_carried_out": {"自然人": 1, "总计": 2}})  # fmt: skip
    paths = {v.path for v in caught.value.violations}
    assert paths == {"$.table2.行政许可", "$.table2.行政事业性收费", "$.table2.罚没", "$.table4.行政复议.结果维持",
                     "$.previous_carried_out.总计"}  # fmt: skip
    assert parse_figures(FIGURES.as_json()) == FIGURES
    assert FIGURES.table2 == Table2Figures(12, 30, 2, Decimal("1.2500"))


def test_office_entered_last_years_four_is_checked_against_two():
    previous = parse_figures({**FIGURES.as_json(), "previous_carried_out": {"自然人": 1, "商业企业": 2}})
    with pytest.raises(ReportCheckFailed, match='table3 row "二、上年结转政府信息公开申请数量" column "商业企业": 1 but '
                                                "last year's 四 was 2"):  # fmt: skip
        report(tally(sample_facts()), figures=previous)
    matching = parse_figures({**FIGURES.as_json(), "previous_carried_out": {"自然人": 1, "商业企业": 1}})
    assert report(tally(sample_facts()), figures=matching).year == YEAR


def test_a_broken_tally_names_the_cell():
    broken = [CaseTally(ApplicantType.OTHER, YEAR, YEAR, None, 1)]
    with pytest.raises(ReportCheckFailed, match="table3: 1 case"):
        report(broken)
    assert str(ReportCheckFailed('table3 row "四、结转下年度继续办理" column "商业企业"', "一+二 = 12 but 三（七）+四 = 11")) == (
        'table3 row "四、结转下年度继续办理" column "商业企业": 一+二 = 12 but 三（七）+四 = 11')  # fmt: skip


@st.composite
def history(draw: st.DrawFn) -> CaseFact:
    received = draw(st.dates(min_value=date(YEAR - 1, 1, 1), max_value=date(YEAR + 1, 12, 31)))
    kind = draw(st.sampled_from(ApplicantType))
    if draw(st.integers(0, 3)) == 0:
        return CaseFact(kind, received)
    closed = received + timedelta(days=draw(st.integers(min_value=0, max_value=200)))
    return CaseFact(kind, received, closed, draw(st.sampled_from(Table3Leaf)))


def clamp(facts: list[CaseFact], year: int) -> list[CaseTally]:
    """What the SQL GROUP BY returns: years clamped into year-2 … year+1, received by the end of year."""

    def bucket(day: date) -> int:
        return min(max(day.year, year - 2), year + 1)

    counted = [f for f in facts if f.received_on <= date(year, 12, 31)]
    return [CaseTally(f.applicant_type, bucket(f.received_on), bucket(f.closed_on) if f.closed_on else None, f.leaf)
            for f in counted]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(history(), max_size=80))
def test_random_histories_build_reports_that_pass_and_carry_over(facts: list[CaseFact]) -> None:
    this_year = report(tally(facts))  # every check runs inside build_report
    next_year = report(tally(facts), year=YEAR + 1)
    assert carried_out(this_year.table3) == next(r.values for r in next_year.table3 if r.label.startswith("二、"))
    assert [r.values for r in report(clamp(facts, YEAR)).table3] == [r.values for r in this_year.table3]
    partly = [f for f in facts if f.leaf is Table3Leaf.PARTLY_DISCLOSED and f.closed_on and f.closed_on.year == YEAR]
    row = next(r for r in this_year.table3 if r.label.startswith("（二）"))
    assert row.values["总计"] == len(partly)


def test_a_partly_disclosed_case_is_counted_under_two_only():
    fact = CaseFact(ApplicantType.PUBLIC_INTEREST, date(YEAR, 4, 1), date(YEAR, 4, 20), Table3Leaf.PARTLY_DISCLOSED)
    rows = table3([fact], YEAR)
    leaves = [row.label for row in rows if len(row.path) > 1 and row.label != "（七）总计" and row.values["总计"]]
    assert leaves == ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）"]


def test_office_figures_round_trip() -> None:
    figures = OfficeFigures(Table2Figures(1, 2, 3, Decimal("0.0001")), {"行政复议": {"总计": 0}}, None)
    assert parse_figures(figures.as_json()).table2 == figures.table2
