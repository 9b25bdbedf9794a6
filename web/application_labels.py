"""What the application pages call things, in Chinese, and the rows they show (from the service's views).

Only wording and layout: which acts a case allows comes from the service's view
(``ApplicationDetail.allowed_acts``, the core's state table), who may see what from the service.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from disclosure.application_receipt import RECEIPT_RULES
from disclosure.application_replies import Closing
from disclosure.applications import OPEN_STATES, ApplicationState
from disclosure.report_rows import ApplicantType, Table3Leaf
from services.application_views import ApplicationDetail, ApplicationSummary, EventView
from services.bootstrap import today

APPLICANT_TYPES = [(t.value, t.value) for t in ApplicantType]
STATES = {"registered": "已登记，待审核", "correction_requested": "已告知补正", "in_process": "办理中",
          "consulting": "征求意见中", "fee_notified": "已通知缴费", "replied": "已答复", "delivered": "已送达",
          "closed": "已终止", "archived": "已归档"}  # fmt: skip
CHANNELS = {"in_person": "当面提交", "registered_post": "邮寄（需签收）", "ordinary_letter": "平常信函（无需签收）",
            "online": "互联网", "fax": "传真"}  # fmt: skip
FORMS = {"paper": "纸质", "electronic": "电子", "other": "其他"}
DELIVERIES = {"post": "邮寄", "email": "电子邮件", "collect": "当面领取", "online": "网上获取", "fax": "传真"}
RECEIPT_LABELS = {"handed_in_on": "提交之日", "signed_for_on": "签收之日", "confirmed_on": "与申请人确认之日"}
RECEIPT_FIELDS = tuple(RECEIPT_LABELS)
REPLY_KINDS = {
    "already_public": "已主动公开，告知获取方式和途径（第三十六条第一项）",
    "disclosed": "予以公开（第三十六条第二项）",
    "partly_disclosed": "部分公开（第三十七条）",
    "withheld": "不予公开（第三十六条第三项，须选依据）",
    "does_not_exist": "经检索没有所申请公开的信息（第三十六条第四项）",
    "not_this_agency": "不属于本机关负责公开（第三十六条第五项）",
    "repeated": "重复申请（第三十六条第六项）",
    "special_law": "依照有关法律、行政法规的规定办理（第三十六条第七项）",
    "needs_making": "需另行制作或加工分析，不予提供（第三十八条）",
    "petition": "信访、投诉、举报等，不作为申请处理（第三十九条第一款）",
    "publication": "要求提供公开出版物（第三十九条第二款）",
    "confirmation": "要求确认或重新出具已获取的信息（第三十九条第二款）",
    "excessive": "申请数量、频次明显超过合理范围（第三十五条）",
    "unclear_after_correction": "补正后申请内容仍不明确（第三十条）",
    "other": "其他（须在说明中写明）",
}
GROUNDS = {"state_secret": "属于国家秘密", "other_law": "其他法律行政法规禁止公开",
           "three_safeties": "危及“三安全一稳定”", "third_party": "保护第三方合法权益",
           "internal_affairs": "属于三类内部事务信息", "process_info": "属于四类过程性信息",
           "enforcement_file": "属于行政执法案卷", "query_matter": "属于行政查询事项"}  # fmt: skip
CLOSINGS = {"no_correction": "申请人无正当理由逾期不补正，不再处理",
            "fee_unpaid": "申请人逾期未缴纳信息处理费，不再处理"}  # fmt: skip
PARTIES = {"third_party": "第三方（第三十二条）", "agency": "其他机关（第三十四条）"}
ANSWERS = {"consent": "同意公开", "objection": "不同意公开", "silent": "逾期未提出意见",
           "silent_consent": "逾期未提出意见，视为同意"}  # fmt: skip
ANSWER_CHOICES = [(key, text) for key, text in ANSWERS.items() if key != "silent_consent"]
FEE_METHODS = {"per_page": "按量计收（页数）", "per_application": "按件计收（本月第几件申请）"}
ACTS = {"register": "登记", "accept": "受理（审核通过）", "request_correction": "告知补正",
        "receive_correction": "收到补正申请", "close_uncorrected": "逾期未补正，终止", "consult": "征求意见",
        "consultation_answered": "收到征求意见的答复", "extension_requested": "申请延长答复期限",
        "extend": "批准延长答复期限", "notify_fee": "发出收费通知", "record_payment": "已缴费",
        "close_unpaid": "逾期未缴费，终止", "reply": "答复", "deliver": "送达", "archive": "归档",
        "transferred": "转为主动公开"}  # fmt: skip
STEP_TITLES = {"acceptance": "受理", "correction-request": "告知补正", "correction": "收到补正申请",
               "consultation": "征求意见", "consultation-answer": "征求意见的答复", "extension": "申请延长答复期限",
               "extension-approval": "批准延长答复期限", "fee-notice": "收费通知", "payment": "已缴费",
               "reply": "答复", "closing": "终止办理", "delivery": "送达", "archive": "归档"}  # fmt: skip
ON_LABELS = {"acceptance": "受理日期", "correction-request": "告知补正的日期", "correction": "收到补正申请的日期",
             "consultation": "发出征求意见的日期", "consultation-answer": "收到答复的日期", "extension": "申请日期",
             "extension-approval": "批准日期", "fee-notice": "通知日期", "payment": "缴费日期", "reply": "答复日期",
             "closing": "终止日期", "delivery": "送达日期", "archive": "归档日期"}  # fmt: skip
DONE = {"register": "申请已登记。", **{slug: f"已记录：{title}。" for slug, title in STEP_TITLES.items()}}
DETAILS = {"channel": "提交方式", "correct_by": "补正期限", "party": "征求对象", "answer_by": "答复期限",
           "answer": "意见", "days": "延长工作日", "requested_by": "申请人（延期）", "notice_sent_on": "告知申请人日期",
           "method": "计费方式", "count": "数量", "yuan": "金额（元）", "pay_by": "缴费期限", "closing": "终止原因",
           "outcome": "计入年报", "kind": "答复类型"}  # fmt: skip
_VALUES: dict[str, dict[str, str]] = {"channel": CHANNELS, "party": PARTIES, "answer": ANSWERS, "method": FEE_METHODS,
                                      "closing": CLOSINGS, "kind": REPLY_KINDS,
                                      "outcome": {leaf.value: leaf.label for leaf in Table3Leaf}}  # fmt: skip
_CLOSING_ACTS = {"close_uncorrected": Closing.NO_CORRECTION, "close_unpaid": Closing.FEE_UNPAID}


def receipt_fields() -> list[tuple[str, str, str]]:
    """Each Art. 31 date field: (field, label with the channels it fixes receipt for, the provision's words)."""
    found = []
    for name, label in RECEIPT_LABELS.items():
        rules = [(channel, words) for channel, (field, words) in RECEIPT_RULES.items() if field == name]
        channels = "、".join(CHANNELS[channel] for channel, _ in rules)
        found.append((name, f"{label}（{channels}）", rules[0][1]))
    return found


def overdue(state: str, due: date | None) -> bool:
    """An open case past its reply due date (the case's own day count is the service's)."""
    return due is not None and ApplicationState(state) in OPEN_STATES and due < today()


def row(case: ApplicationSummary) -> dict[str, Any]:
    """One list row (the applicant is masked by the service)."""
    return {"case": case, "state": STATES.get(case.state, case.state), "overdue": overdue(case.state, case.due)}


def pending_extension(case: ApplicationDetail) -> EventView | None:
    """The extension asked for and not yet approved (the event it was asked with), read off the record."""
    pending = None
    for event in case.events:
        if event.act == "extension_requested":
            pending = event
        elif event.act == "extend":
            pending = None
    return pending


def event_rows(case: ApplicationDetail) -> list[dict[str, Any]]:
    """The case's events as the timeline shows them."""
    return [{"event": e, "act": ACTS.get(e.act, e.act), "state": STATES.get(e.state_after, e.state_after),
             "details": [(DETAILS.get(k, k), _value(k, v)) for k, v in e.details.items() if v not in (None, "")]}
            for e in case.events]  # fmt: skip


def _value(key: str, value: object) -> str:
    return _VALUES.get(key, {}).get(str(value), str(value))


def due_view(case: ApplicationDetail) -> dict[str, Any]:
    """The due date's computation lines: the facts, and the day-by-day runs as (days, what was done)."""
    facts, days = [], []
    for line in case.due_explanation:
        if line.startswith("  "):
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            days.append((parts[0], parts[-1] if len(parts) > 1 else ""))
        elif not line.startswith("逐日"):
            facts.append(line)
    return {"facts": facts, "days": days, "overdue": overdue(case.state, case.due)}


def closings(allowed: list[str]) -> list[tuple[str, str]]:
    """The closing reasons the case's state allows."""
    return [(_CLOSING_ACTS[a].value, CLOSINGS[_CLOSING_ACTS[a].value]) for a in allowed if a in _CLOSING_ACTS]


def reply_text(reply: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The recorded reply as (label, text) lines."""
    if not reply:
        return []
    found = [("答复类型", REPLY_KINDS.get(reply.get("kind") or "", reply.get("kind") or ""))]
    for key, label in (("ground", "不予公开的依据"), ("where", "获取方式和途径"), ("agency", "负责公开的机关"),
                       ("published_item", "公开的文件"), ("note", "说明")):  # fmt: skip
        if reply.get(key):
            found.append((label, GROUNDS.get(reply[key], reply[key]) if key == "ground" else str(reply[key])))
    return found
