"""Pages: the reviewers' workbench — the queue, a document under review, and the decision.

The pages render what ``services.facade`` and ``services.workbench`` return and translate the
decision form into ``Govpub.decide``; every rule (who may decide, which level, what a decision must
carry) is the application layer's, and a refusal is shown in the rule's own words.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from disclosure.attributes import DisclosureAttribute, LegalGround
from disclosure.errors import DocumentNotFound, Forbidden, RuleViolation
from disclosure.review import Decision
from services.facade import Govpub
from services.principal import Principal
from services.public_records import KIND_LABELS
from services.reviewing import ReviewItem
from services.workbench import Workbench
from web.context import govpub_of
from web.session import CsrfForm, PagePrincipal, field, finish
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]

STATES = {"submitted": "已提交，待筛查", "in_review": "审核中", "returned": "已退回修改", "referred": "已报送保密审查",
          "rejected": "不予通过", "approved": "已通过审核", "published": "已公开", "withdrawn": "已撤回",
          "waiting": "待审核", "screening": "筛查中"}  # fmt: skip
DECISIONS = {Decision.APPROVE: "通过", Decision.RETURN: "退回修改", Decision.REJECT: "不予通过",
             Decision.REFER: "报送保密行政管理部门"}  # fmt: skip
DECISION_HINTS = {Decision.APPROVE: "本级审核通过，转下一级；终审通过后等待发布",
                  Decision.RETURN: "退回起草人修改，须写明理由", Decision.REJECT: "审核结束，不予公开，须写明理由",
                  Decision.REFER: "对是否涉密不能确定时报送，须写明理由"}  # fmt: skip
DETECTORS = {"resident_id": "居民身份证号码", "resident_id_15": "15 位居民身份证号码", "mobile": "手机号码",
             "bank_card": "银行卡号", "secrecy_marking": "密级标识", "negative_term": "负面清单用语",
             "unscreened": "未能自动筛查"}  # fmt: skip
ACTIONS = {"document.submitted": "提交", "document.revised": "提交修订版本", "document.screened": "自动筛查完成",
           "review.decided": "本级审核通过", "document.approved": "终审通过", "document.returned": "退回修改",
           "document.rejected": "不予通过", "document.referred": "报送保密行政管理部门",
           "referral.cleared": "保密行政管理部门答复可以公开", "review.voided": "旧版本的审核作废",
           "review.refused": "审核决定未被接受", "access.refused": "操作被拒绝", "document.published": "公开发布",
           "document.corrected": "更正后重新发布", "document.withdrawn": "撤回", "document.validity": "有效性变更",
           "index_number.issued": "分配索引号", "publication.held": "暂缓发布", "publication.published": "发布完成",
           "publication.failed": "发布失败"}  # fmt: skip
KINDS = KIND_LABELS
SCOPES = {"society": "全社会", "specific_group": "特定群体"}
GRADES = {"ordinary": "一般", "important": "重要", "sensitive": "敏感"}
ATTRIBUTES = {a.value: a.label for a in DisclosureAttribute}
GROUNDS = {g.value: g.label for g in LegalGround}
LABELS = {"states": STATES, "decisions": {d.value: t for d, t in DECISIONS.items()}, "detectors": DETECTORS,
          "actions": ACTIONS, "kinds": KINDS, "scopes": SCOPES, "grades": GRADES, "attributes": ATTRIBUTES,
          "grounds": GROUNDS, "decision_hints": {d.value: t for d, t in DECISION_HINTS.items()}}  # fmt: skip


@router.get("/work/reviews")
def queue(request: Request, principal: PagePrincipal, decided: str = "") -> Response:
    """What waits for the signed-in reviewer (their levels, others' documents), oldest first."""
    govpub = govpub_of(request)
    items = govpub.review_queue(principal)
    notice = _notice(govpub, principal, decided[:64]) if decided else None
    return render(request, "reviews/queue.html", {"items": items, "notice": notice, "labels": LABELS})


@router.get("/work/reviews/{document_id}")
def document_page(request: Request, principal: PagePrincipal, document_id: DocumentId) -> Response:
    """The document as its reviewer needs it, and the decision form when the reviewer holds the level."""
    return _document(request, principal, document_id)


@router.post("/work/reviews/{document_id}/decision")
def decide(request: Request, principal: PagePrincipal, form: CsrfForm, document_id: DocumentId) -> Response:
    """Record the decision through the application layer; a refusal is shown on the document page."""
    values = {name: field(form, name).strip() for name in ("decision", "comment", "attribute", "ground", "law_name")}
    values["acknowledge_unscreened"] = field(form, "acknowledge_unscreened")
    errors = {}
    if values["decision"] not in {d.value for d in Decision}:
        errors["decision"] = "请选择一项审核决定。"
    if values["attribute"] and values["attribute"] not in ATTRIBUTES:
        errors["attribute"] = "请从列表中选择公开属性。"
    if values["ground"] and values["ground"] not in GROUNDS:
        errors["ground"] = "请从列表中选择法律依据。"
    if errors:
        return _document(request, principal, document_id, values=values, errors=errors, status=422)
    decision = Decision(values["decision"])
    # the attribute fieldset belongs to an approval (the last level's confirmation); other decisions carry none
    confirms = decision is Decision.APPROVE
    attribute = DisclosureAttribute(values["attribute"]) if confirms and values["attribute"] else None
    ground = (values["ground"] or None) if confirms else None
    if ground == LegalGround.LAW.value and values["law_name"]:
        ground = f"{ground}:{values['law_name'][:180]}"
    try:
        govpub_of(request).decide(principal, document_id, decision, comment=values["comment"][:2000],
                                  attribute=attribute, ground=ground,
                                  acknowledge_unscreened=values["acknowledge_unscreened"] == "1")  # fmt: skip
    except RuleViolation as exc:  # Forbidden is one too: the rule that refused, in its own words
        status = 403 if isinstance(exc, Forbidden) else 409
        return _document(request, principal, document_id, values=values, refusal=str(exc), status=status)
    return finish(request, RedirectResponse(f"/work/reviews?decided={quote(document_id, safe='')}", status_code=303))


def _document(
    request: Request, principal: Principal, document_id: str, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, refusal: str = "", status: int = 200,
) -> Response:  # fmt: skip
    page = Workbench(govpub_of(request)).page(principal, document_id)
    if page.preview_origin:
        request.state.preview_origin = page.preview_origin  # the CSP lets the previews' frames and images in
    disclosure = page.submission.get("disclosure", {})
    proposed = {"attribute": disclosure.get("attribute", ""), "ground": disclosure.get("ground", ""),
                "law_name": disclosure.get("law_name", "")}  # fmt: skip
    context: dict[str, Any] = {
        "page": page, "s": page.status, "labels": LABELS, "decisions": list(Decision), "refusal": refusal,
        "values": values or {}, "errors": errors or {}, "proposed": proposed,
        "why_no_form": "" if page.can_decide else _why_no_form(principal, page.status, page.item),
    }  # fmt: skip
    return render(request, "reviews/document.html", context, status=status)


def _why_no_form(principal: Principal, status: dict[str, Any], item: ReviewItem | None) -> str:
    if status.get("drafter") == principal.username:
        return "您是本文件的起草人，不能审核自己的文件。"
    if item is None:
        return f"本文件当前不在等待审核决定（{STATES.get(status['state'], status['state'])}）。"
    if item.state == "referred":
        return "本文件已报送保密行政管理部门，由政务公开办公室登记答复。"
    return f"本文件正在等待「{item.level}」审核，您未持有该审核级别。"


def _notice(govpub: Govpub, principal: Principal, document_id: str) -> str | None:
    """What the decision led to, read back from the record (never from the URL)."""
    try:
        outcome = Workbench(govpub).outcome(principal, document_id)
    except (DocumentNotFound, Forbidden):
        return None
    title = f"《{outcome.title}》"
    if outcome.waiting_at:
        return f"决定已记录：{title}已通过本级审核，现等待「{outcome.waiting_at}」审核。"
    messages = {"approved": "已通过终审，公开属性已确认，等待发布。", "returned": "已退回起草人修改。",
                "rejected": "不予通过，审核结束。", "referred": "已报送保密行政管理部门，等待答复。",
                "published": "已公开。"}  # fmt: skip
    return f"决定已记录：{title}{messages.get(outcome.state, STATES.get(outcome.state, outcome.state))}"
