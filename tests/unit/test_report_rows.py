"""The national format's Table 3 vocabulary: every leaf row, in order, with its exact label and path."""

from __future__ import annotations

from disclosure.report_rows import (
    APPLICANT_COLUMNS,
    GROUP_NOT_HANDLED,
    GROUP_OTHER,
    GROUP_UNAVAILABLE,
    GROUP_WITHHELD,
    ROW_RESULTS,
    ApplicantType,
    Table3Leaf,
)

# ../shared/DOMAIN.md §7, typed out again by hand: the order and words of the 2021 format.
NATIONAL_LEAVES = [
    ("（一）予以公开",),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）",),
    ("（三）不予公开", "1.属于国家秘密"),
    ("（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("（三）不予公开", "3.危及“三安全一稳定”"),
    ("（三）不予公开", "4.保护第三方合法权益"),
    ("（三）不予公开", "5.属于三类内部事务信息"),
    ("（三）不予公开", "6.属于四类过程性信息"),
    ("（三）不予公开", "7.属于行政执法案卷"),
    ("（三）不予公开", "8.属于行政查询事项"),
    ("（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("（四）无法提供", "2.没有现成信息需要另行制作"),
    ("（四）无法提供", "3.补正后申请内容仍不明确"),
    ("（五）不予处理", "1.信访举报投诉类申请"),
    ("（五）不予处理", "2.重复申请"),
    ("（五）不予处理", "3.要求提供公开出版物"),
    ("（五）不予处理", "4.无正当理由大量反复申请"),
    ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("（六）其他处理", "3.其他"),
]


def test_leaves_follow_the_national_order_and_words() -> None:
    assert [leaf.path for leaf in Table3Leaf] == [(ROW_RESULTS, *rest) for rest in NATIONAL_LEAVES]
    assert [leaf.label for leaf in Table3Leaf] == [rest[-1] for rest in NATIONAL_LEAVES]


def test_every_leaf_names_its_group() -> None:
    groups = {GROUP_WITHHELD: 8, GROUP_UNAVAILABLE: 3, GROUP_NOT_HANDLED: 5, GROUP_OTHER: 3}
    for group, count in groups.items():
        assert sum(leaf.group == group for leaf in Table3Leaf) == count
    assert Table3Leaf.DISCLOSED.group == Table3Leaf.DISCLOSED.label
    assert Table3Leaf.PARTLY_DISCLOSED.group == Table3Leaf.PARTLY_DISCLOSED.label


def test_applicant_columns_are_the_six_of_table_3() -> None:
    assert [column.value for column in APPLICANT_COLUMNS] == ["自然人", "商业企业", "科研机构", "社会公益组织",
                                                              "法律服务机构", "其他"]  # fmt: skip
    assert ApplicantType("商业企业") is ApplicantType.COMMERCIAL
