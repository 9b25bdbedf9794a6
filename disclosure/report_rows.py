"""The national format's vocabulary shared by applications and the annual report (2021 format).

``ApplicantType`` is one column of Table 3 each; ``Table3Leaf`` is one leaf row of its part 三
(本年度办理结果), in the national order, with its exact label and the labels above it. Every reply
to an application maps to exactly one leaf (``disclosure.applications``); the report counts them
(``disclosure.annual_report``). See ../shared/DOMAIN.md §7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ApplicantType(StrEnum):
    """Who applied, as Table 3 counts them: a natural person, or a legal person / other organisation."""

    NATURAL_PERSON = "自然人"
    COMMERCIAL = "商业企业"
    RESEARCH = "科研机构"
    PUBLIC_INTEREST = "社会公益组织"
    LEGAL_SERVICE = "法律服务机构"
    OTHER = "其他"


APPLICANT_COLUMNS: tuple[ApplicantType, ...] = tuple(ApplicantType)
TOTAL_COLUMN = "总计"
ORGANISATION_GROUP = "法人或其他组织"  # the header over every column but 自然人 and 总计

ROW_NEW = "一、本年新收政府信息公开申请数量"
ROW_CARRIED_IN = "二、上年结转政府信息公开申请数量"
ROW_RESULTS = "三、本年度办理结果"
ROW_CARRIED_OUT = "四、结转下年度继续办理"
ROW_RESULTS_TOTAL = "（七）总计"

GROUP_DISCLOSED = "（一）予以公开"
GROUP_PARTLY = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
GROUP_WITHHELD = "（三）不予公开"
GROUP_UNAVAILABLE = "（四）无法提供"
GROUP_NOT_HANDLED = "（五）不予处理"
GROUP_OTHER = "（六）其他处理"


class Table3Leaf(StrEnum):
    """One leaf row of Table 3 part 三, in the national order; ``path`` gives the labels above it."""

    DISCLOSED = "disclosed"
    PARTLY_DISCLOSED = "partly_disclosed"
    WITHHELD_STATE_SECRET = "withheld.state_secret"  # noqa: S105 - a row name, not a secret
    WITHHELD_OTHER_LAW = "withheld.other_law"
    WITHHELD_THREE_SAFETIES = "withheld.three_safeties"
    WITHHELD_THIRD_PARTY = "withheld.third_party"
    WITHHELD_INTERNAL_AFFAIRS = "withheld.internal_affairs"
    WITHHELD_PROCESS_INFO = "withheld.process_info"
    WITHHELD_ENFORCEMENT_FILE = "withheld.enforcement_file"
    WITHHELD_QUERY_MATTER = "withheld.query_matter"
    UNAVAILABLE_NOT_HELD = "unavailable.not_held"
    UNAVAILABLE_WOULD_NEED_MAKING = "unavailable.would_need_making"
    UNAVAILABLE_UNCLEAR_AFTER_CORRECTION = "unavailable.unclear_after_correction"
    NOT_HANDLED_PETITION = "not_handled.petition"
    NOT_HANDLED_REPEATED = "not_handled.repeated"
    NOT_HANDLED_PUBLICATION = "not_handled.publication"
    NOT_HANDLED_EXCESSIVE = "not_handled.excessive"
    NOT_HANDLED_CONFIRMATION = "not_handled.confirmation"
    OTHER_NO_CORRECTION = "other.no_correction"
    OTHER_FEE_UNPAID = "other.fee_unpaid"
    OTHER = "other.other"

    @property
    def label(self) -> str:
        """The row's exact label in the national format."""
        return _LABELS[self][1]

    @property
    def path(self) -> tuple[str, ...]:
        """The labels from the top row down to this leaf, e.g. (三、…, （三）不予公开, 1.属于国家秘密)."""
        group, label = _LABELS[self]
        return (ROW_RESULTS, label) if group is None else (ROW_RESULTS, group, label)

    @property
    def group(self) -> str:
        """The （一）…（六） row this leaf belongs to (itself for （一） and （二））."""
        group, label = _LABELS[self]
        return label if group is None else group


_LABELS: dict[Table3Leaf, tuple[str | None, str]] = {
    Table3Leaf.DISCLOSED: (None, GROUP_DISCLOSED),
    Table3Leaf.PARTLY_DISCLOSED: (None, GROUP_PARTLY),
    Table3Leaf.WITHHELD_STATE_SECRET: (GROUP_WITHHELD, "1.属于国家秘密"),
    Table3Leaf.WITHHELD_OTHER_LAW: (GROUP_WITHHELD, "2.其他法律行政法规禁止公开"),
    Table3Leaf.WITHHELD_THREE_SAFETIES: (GROUP_WITHHELD, "3.危及“三安全一稳定”"),
    Table3Leaf.WITHHELD_THIRD_PARTY: (GROUP_WITHHELD, "4.保护第三方合法权益"),
    Table3Leaf.WITHHELD_INTERNAL_AFFAIRS: (GROUP_WITHHELD, "5.属于三类内部事务信息"),
    Table3Leaf.WITHHELD_PROCESS_INFO: (GROUP_WITHHELD, "6.属于四类过程性信息"),
    Table3Leaf.WITHHELD_ENFORCEMENT_FILE: (GROUP_WITHHELD, "7.属于行政执法案卷"),
    Table3Leaf.WITHHELD_QUERY_MATTER: (GROUP_WITHHELD, "8.属于行政查询事项"),
    Table3Leaf.UNAVAILABLE_NOT_HELD: (GROUP_UNAVAILABLE, "1.本机关不掌握相关政府信息"),
    Table3Leaf.UNAVAILABLE_WOULD_NEED_MAKING: (GROUP_UNAVAILABLE, "2.没有现成信息需要另行制作"),
    Table3Leaf.UNAVAILABLE_UNCLEAR_AFTER_CORRECTION: (GROUP_UNAVAILABLE, "3.补正后申请内容仍不明确"),
    Table3Leaf.NOT_HANDLED_PETITION: (GROUP_NOT_HANDLED, "1.信访举报投诉类申请"),
    Table3Leaf.NOT_HANDLED_REPEATED: (GROUP_NOT_HANDLED, "2.重复申请"),
    Table3Leaf.NOT_HANDLED_PUBLICATION: (GROUP_NOT_HANDLED, "3.要求提供公开出版物"),
    Table3Leaf.NOT_HANDLED_EXCESSIVE: (GROUP_NOT_HANDLED, "4.无正当理由大量反复申请"),
    Table3Leaf.NOT_HANDLED_CONFIRMATION: (GROUP_NOT_HANDLED, "5.要求行政机关确认或重新出具已获取信息"),
    Table3Leaf.OTHER_NO_CORRECTION: (
        GROUP_OTHER, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    Table3Leaf.OTHER_FEE_UNPAID: (
        GROUP_OTHER, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    Table3Leaf.OTHER: (GROUP_OTHER, "3.其他"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseFact:
    """What Table 3 needs of one application: who applied, when it was received and how it ended.

    ``closed_on`` is the day of the reply (or of the closing for no correction / unpaid fee), with
    ``leaf`` the row it counts under; both None while the case is open. The application record
    produces these (``services.applications``), the report counts them (``disclosure.annual_report``).
    """

    applicant_type: ApplicantType
    received_on: date
    closed_on: date | None = None
    leaf: Table3Leaf | None = None
