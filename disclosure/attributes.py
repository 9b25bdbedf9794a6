"""Disclosure attributes (公开属性) and the legal grounds that justify them."""

from __future__ import annotations

from enum import StrEnum


class DisclosureAttribute(StrEnum):
    """The three attributes a document is labelled with at source."""

    PROACTIVE = "proactive"  # 主动公开
    ON_APPLICATION = "on_application"  # 依申请公开
    WITHHELD = "withheld"  # 不予公开

    @property
    def label(self) -> str:
        """The Chinese label printed on the document."""
        return _LABELS[self]


_LABELS = {
    DisclosureAttribute.PROACTIVE: "主动公开",
    DisclosureAttribute.ON_APPLICATION: "依申请公开",
    DisclosureAttribute.WITHHELD: "不予公开",
}


class LegalGround(StrEnum):
    """Grounds for withholding under the Regulation (Decree 711), or another named law."""

    ART_14 = "art14"  # 国家秘密、法律禁止、三安全一稳定
    ART_15 = "art15"  # 商业秘密、个人隐私、第三方合法权益
    ART_16_1 = "art16_1"  # 内部事务信息
    ART_16_2 = "art16_2"  # 过程性信息、行政执法案卷
    LAW = "law"  # another law, named in ``law_name``

    @property
    def label(self) -> str:
        """How the ground is cited."""
        return _GROUND_LABELS[self]


_GROUND_LABELS = {
    LegalGround.ART_14: "《政府信息公开条例》第十四条",
    LegalGround.ART_15: "《政府信息公开条例》第十五条",
    LegalGround.ART_16_1: "《政府信息公开条例》第十六条第一款",
    LegalGround.ART_16_2: "《政府信息公开条例》第十六条第二款",
    LegalGround.LAW: "法律、行政法规",
}


class DocumentKind(StrEnum):
    """What sort of document a submission is."""

    RULE = "rule"  # 规章 (部门规章 / 地方政府规章, promulgated by a 令; counted in Table 2 of the annual report)
    NORMATIVE_DOCUMENT = "normative_document"  # 行政规范性文件
    POLICY = "policy"  # 政策文件
    NOTICE = "notice"  # 通知公告
    REPORT = "report"  # 报告
    OTHER = "other"
    INTERPRETATION = "interpretation"  # 政策解读 (submitted with the interpretation schema only)


class PublicScope(StrEnum):
    """Who the information is disclosed to (公开范围)."""

    SOCIETY = "society"  # 全社会
    SPECIFIC_GROUP = "specific_group"  # 特定群体


class Role(StrEnum):
    """What a user may do."""

    DRAFTER = "drafter"
    REVIEWER = "reviewer"  # holds one or more review levels
    DISCLOSURE_OFFICE = "disclosure_office"
    ADMIN = "admin"
    CHANNEL = "channel"
