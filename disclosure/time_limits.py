"""The time limits of the Regulation on the Disclosure of Government Information, as data.

Each kind of deadline with its period in working days, its legal basis (citation and words) and
what may happen to its clock (paused for a consultation, extended, restarted by a correction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

MAX_EXTENSION_DAYS = 20  # Regulation Art. 33(2): "延长的期限最长不得超过20个工作日"


class DeadlineKind(StrEnum):
    """The time limits of the Regulation (and the agency's own interpretation limit)."""

    APPLICATION_REPLY = "application_reply"
    CORRECTION_REQUEST = "correction_request"
    THIRD_PARTY_CONSULTATION = "third_party_consultation"
    AGENCY_CONSULTATION = "agency_consultation"
    REPLY_EXTENSION = "reply_extension"
    PROACTIVE_PUBLICATION = "proactive_publication"
    INTERPRETATION = "interpretation"


class PauseReason(StrEnum):
    """Why the reply clock stops: consultations, whose time Art. 33(3) does not count."""

    CONSULTATION = "consultation"  # third party or other agency, not said which (Art. 33(3))
    THIRD_PARTY_CONSULTATION = "third_party_consultation"  # Art. 32
    AGENCY_CONSULTATION = "agency_consultation"  # Art. 34
    FEE = "fee"  # 109号 Art. 9: from the fee notice to the payment, not counted in the reply period


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """What the law says about one kind of time limit."""

    working_days: int | None  # None: the agency sets it (interpretation)
    label_zh: str
    label_en: str
    basis_zh: str  # the citation
    basis_en: str
    text: str  # the provision's words
    start_zh: str = "收到申请"  # what the start day is
    start_en: str = "received"
    pausable: bool = False
    extendable: bool = False
    restartable: bool = False
    at_most: bool = False  # a limit on what may be granted (an extension), not a clock of its own


_REGULATION = "《中华人民共和国政府信息公开条例》"
RULES: Mapping[DeadlineKind, DeadlineRule] = {
    DeadlineKind.APPLICATION_REPLY: DeadlineRule(
        20, "答复政府信息公开申请", "reply to an application", f"{_REGULATION}第三十三条", "Regulation Art. 33",
        "行政机关不能当场答复的，应当自收到申请之日起20个工作日内予以答复；需要延长答复期限的，应当经政府信息公开工作"
        "机构负责人同意并告知申请人，延长的期限最长不得超过20个工作日。行政机关征求第三方和其他机关意见所需时间不计算在"
        "前款规定的期限内。",
        pausable=True, extendable=True, restartable=True),
    DeadlineKind.CORRECTION_REQUEST: DeadlineRule(
        7, "一次性告知补正", "request a correction (all at once)", f"{_REGULATION}第三十条", "Regulation Art. 30",
        "政府信息公开申请内容不明确的，行政机关应当给予指导和释明，并自收到申请之日起7个工作日内一次性告知申请人作出补正"
        "……答复期限自行政机关收到补正的申请之日起计算。"),
    DeadlineKind.THIRD_PARTY_CONSULTATION: DeadlineRule(
        15, "第三方提出意见", "a third party's answer to a consultation", f"{_REGULATION}第三十二条",
        "Regulation Art. 32", "第三方应当自收到征求意见书之日起15个工作日内提出意见。",
        start_zh="第三方收到征求意见书", start_en="consultation letter received by the third party"),
    DeadlineKind.AGENCY_CONSULTATION: DeadlineRule(
        15, "被征求意见机关提出意见", "a co-producing agency's answer to a consultation", f"{_REGULATION}第三十四条",
        "Regulation Art. 34",
        "被征求意见机关应当自收到征求意见书之日起15个工作日内提出意见，逾期未提出意见的视为同意公开。",
        start_zh="被征求意见机关收到征求意见书", start_en="consultation letter received by the agency"),
    DeadlineKind.REPLY_EXTENSION: DeadlineRule(
        MAX_EXTENSION_DAYS, "延长答复期限", "an extension of the reply period", f"{_REGULATION}第三十三条第二款",
        "Regulation Art. 33(2)",
        "需要延长答复期限的，应当经政府信息公开工作机构负责人同意并告知申请人，延长的期限最长不得超过20个工作日。",
        at_most=True),
    DeadlineKind.PROACTIVE_PUBLICATION: DeadlineRule(
        20, "主动公开", "proactive publication", f"{_REGULATION}第二十六条", "Regulation Art. 26",
        "属于主动公开范围的政府信息，应当自该政府信息形成或者变更之日起20个工作日内及时公开。",
        start_zh="信息形成或者变更", start_en="formed or changed"),
    DeadlineKind.INTERPRETATION: DeadlineRule(
        None, "政策解读", "a policy interpretation", "本机关政策解读时限", "the agency's interpretation limit [LOCAL]",
        "解读材料与政策文件同步公开，最迟不晚于文件公开后本机关规定的工作日数。",
        start_zh="政策文件公开", start_en="policy published"),
}  # fmt: skip
