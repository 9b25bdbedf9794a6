"""What the disclosure office's pages show beside the facade's use cases: deadlines with the working
days left and their computation in Chinese, the published documents to pick from, one document's
public facts, one referral. Reads only, each authorised through ``app.authz`` with the act it leads
to; every act itself (withdraw, validity, resolve) stays in the facade."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from disclosure.calendar import DayKind, WorkingCalendar
from disclosure.publication import Deadline, Validity
from disclosure.review import ReviewState
from disclosure.states import DocumentState
from services.authz import Act, refusal
from services.bootstrap import App, today
from services.calendar import load_calendar
from services.principal import Principal
from services.public_records import first_published, last_publication
from storage.db import read_scope
from storage.models import AuditEvent, Document, ReviewRun, aware
from storage.repository.audit import list_events
from storage.repository.documents import get_document

MAX_LIST = 100
STATE_LABELS = {
    DocumentState.SUBMITTED: "已提交", DocumentState.IN_REVIEW: "审核中", DocumentState.RETURNED: "已退回",
    DocumentState.REFERRED: "已移送保密行政管理部门", DocumentState.REJECTED: "已驳回",
    DocumentState.APPROVED: "审核通过（待发布）", DocumentState.PUBLISHED: "已公开", DocumentState.WITHDRAWN: "已撤回",
}  # fmt: skip
KIND_LABELS = {"publication": "发布时限", "interpretation": "政策解读时限"}
KIND_RULES = {"publication": "《政府信息公开条例》第二十六条：形成或变更之日起 {days} 个工作日内公开",
              "interpretation": "本机关规定：政策公开（或等待同步发布）后 {days} 个工作日内公开解读"}  # fmt: skip
# chinesecalendar's holiday names (an agency's override file names its own, in Chinese)
HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}  # fmt: skip
# how the publication service words a deadline's start (Deadline.basis), as the page names it
_ANCHORS = (("formed", "成文日期"), ("changed", "文件变更日期"), ("policy published", "政策发布日期"),
            ("policy approved", "政策审核通过日期"))  # fmt: skip


def state_label(state: str) -> str:
    """A document state as the office reads it."""
    try:
        return STATE_LABELS[DocumentState(state)]
    except ValueError:
        return state


def office_acts(principal: Principal) -> frozenset[Act]:
    """The office's acts the principal may do (which links and forms a page offers)."""
    acts = (Act.DEADLINES, Act.REVIEW_QUEUE, Act.READ_CHANNELS, Act.RESOLVE_REFERRAL, Act.WITHDRAW, Act.SET_VALIDITY)
    return frozenset(a for a in acts if refusal(principal, a) is None)


# -- deadlines -----------------------------------------------------------------------------------
class DeadlineView(BaseModel):
    """An open deadline as the board shows it: due date, working days left, how it was computed."""

    document_id: str
    kind: str
    kind_label: str
    kind_rule: str
    title: str
    start: date
    start_label: str
    working_days: int
    due: date
    overdue: bool
    days_left: int  # working days after today up to the due date; when overdue, working days past it
    provisional: bool
    computation: str  # the computation in Chinese, step by step
    skipped_weekends: list[date]
    skipped_holidays: list[tuple[date, str]]
    makeup_days: list[date]
    basis: str  # the publication service's own record of the basis
    explanation: str  # and of the computation


def deadline_views(app: App, deadlines: Sequence[Deadline], *, on: date | None = None) -> list[DeadlineView]:
    """The facade's deadlines (already authorised), with working days left on the agency's calendar."""
    calendar = load_calendar(app.settings)
    now = on or today()
    return [_deadline_view(d, calendar, now) for d in deadlines]


def _deadline_view(deadline: Deadline, calendar: WorkingCalendar, now: date) -> DeadlineView:
    computed = deadline.computed
    overdue = deadline.overdue(now)
    left = calendar.count_working_days(deadline.due, now) if overdue else calendar.count_working_days(now, deadline.due)
    start_label = next((label for key, label in _ANCHORS if deadline.basis.startswith(key)), "起算日")
    weekends = [d.day for d in computed.skipped if d.kind is DayKind.WEEKEND]
    holidays = [(d.day, HOLIDAY_NAMES.get(d.name, d.name)) for d in computed.skipped if d.kind is DayKind.HOLIDAY]
    start = f"自{start_label} {computed.start.isoformat()} 的次日起计 {computed.days} 个工作日"
    parts = [f"{start}，截止 {computed.value.isoformat()}"]
    if weekends:
        parts.append(f"跳过周末 {len(weekends)} 天")
    if holidays:
        names = "、".join(sorted({name for _, name in holidays if name}))
        parts.append(f"跳过法定节假日 {len(holidays)} 天" + (f"（{names}）" if names else ""))
    if computed.makeup_days:
        parts.append(f"计入调休上班日 {len(computed.makeup_days)} 天")
    if computed.provisional:
        parts.append("暂定：期间有日期超出已知的节假日安排，按周一至周五为工作日推算")
    return DeadlineView(
        document_id=deadline.document_id, kind=deadline.kind, kind_label=KIND_LABELS.get(deadline.kind, deadline.kind),
        kind_rule=KIND_RULES.get(deadline.kind, "").format(days=computed.days),
        title=deadline.title, start=computed.start, start_label=start_label, working_days=computed.days,
        due=deadline.due, overdue=overdue, days_left=left, provisional=computed.provisional,
        computation="；".join(parts) + "。", skipped_weekends=weekends, skipped_holidays=holidays,
        makeup_days=list(computed.makeup_days), basis=deadline.basis, explanation=computed.explanation(),
    )  # fmt: skip


# -- published documents ---------------------------------------------------------------------------
class OfficeDocument(BaseModel):
    """A document as the withdrawal and validity pages show it: what is public of it now."""

    id: str
    title: str
    doc_number: str | None
    item_type: str
    state: str
    state_label: str
    index_number: str | None
    validity: str
    validity_label: str
    validity_note: str
    published_version: int | None
    first_published_at: datetime | None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str = ""
    interprets: str | None = None  # the title of the policy an interpretation explains
    followers: list[str] = []  # titles of published interpretations a withdrawal takes down too


class DocumentList(BaseModel):
    """Published documents matching a title search, newest change first."""

    items: list[OfficeDocument]
    more: bool


def published_documents(app: App, principal: Principal, *, query: str = "", limit: int = 50) -> DocumentList:
    """Published documents (title containing ``query``) to pick one for withdrawal or a validity change."""
    app.authz.require(principal, Act.WITHDRAW, subject="published documents")
    limit = max(1, min(limit, MAX_LIST))
    statement = select(Document).where(Document.state == DocumentState.PUBLISHED.value)
    if query.strip():
        statement = statement.where(col(Document.title).contains(query.strip(), autoescape=True))
    with read_scope(app.engine) as session:
        rows = list(session.exec(statement.order_by(col(Document.updated_at).desc()).limit(limit + 1)))
        return DocumentList(items=[_facts(session, d) for d in rows[:limit]], more=len(rows) > limit)


def office_document(app: App, principal: Principal, document_id: str, act: Act) -> OfficeDocument:
    """One document's public facts for the page leading to ``act`` (WITHDRAW or SET_VALIDITY)."""
    app.authz.require(principal, act, subject=document_id)
    with read_scope(app.engine) as session:
        document = get_document(session=session, document_id=document_id)
        facts = _facts(session, document)
        if DocumentState(document.state) is DocumentState.WITHDRAWN:
            event = _last_event(session, document.id, {"document.withdrawn"})
            if event is not None:
                facts.withdrawn_at, facts.withdrawal_reason = aware(event.occurred_at), event.reason or ""
        if document.interprets_id and (policy := session.get(Document, document.interprets_id)) is not None:
            facts.interprets = policy.title
        facts.followers = [i.title for i in session.exec(select(Document).where(
            Document.interprets_id == document.id, Document.state == DocumentState.PUBLISHED.value))]  # fmt: skip
        return facts


def document_ref(app: App, ref: str) -> str:
    """The document a form names by 索引号 or by id (as typed when nothing matches: the rule then refuses it)."""
    ref = ref.strip()
    with read_scope(app.engine) as session:
        found = session.exec(select(Document.id).where(Document.index_number == ref)).first()
    return found or ref


def _facts(session: Session, document: Document) -> OfficeDocument:
    last = last_publication(session, document.id)
    try:
        validity = Validity(document.validity)
        label = validity.label
    except ValueError:
        label = document.validity
    return OfficeDocument(
        id=document.id, title=document.title, doc_number=document.doc_number, item_type=document.item_type,
        state=document.state, state_label=state_label(document.state), index_number=document.index_number,
        validity=document.validity, validity_label=label, validity_note=document.validity_note,
        published_version=last.version if last else None, first_published_at=first_published(session, document.id),
    )  # fmt: skip


def _last_event(session: Session, entity_id: str, actions: set[str]) -> AuditEvent | None:
    return session.exec(select(AuditEvent).where(AuditEvent.entity_id == entity_id, col(AuditEvent.action).in_(actions))
                        .order_by(col(AuditEvent.sequence).desc())).first()  # fmt: skip


# -- referrals -------------------------------------------------------------------------------------
class ReferralView(BaseModel):
    """A document referred to the secrecy administration (保密行政管理部门), and its answer once recorded."""

    document_id: str
    title: str
    doc_number: str | None
    state: str
    state_label: str
    version: int
    waiting: bool  # still waiting for the answer
    level: str | None  # the review level that referred it
    referred_by: str | None
    referred_at: datetime | None
    referral_comment: str
    answered_by: str | None = None
    answered_at: datetime | None = None
    cleared: bool | None = None
    answer: str = ""


def referral(app: App, principal: Principal, document_id: str) -> ReferralView:
    """The referral of a document: who referred it at which level and why, and the answer if recorded."""
    app.authz.require(principal, Act.RESOLVE_REFERRAL, subject=document_id)
    with read_scope(app.engine) as session:
        document = get_document(session=session, document_id=document_id)
        run = session.exec(select(ReviewRun).where(ReviewRun.document_id == document.id)
                           .order_by(col(ReviewRun.version).desc(), col(ReviewRun.id).desc())).first()  # fmt: skip
        events = list_events(session=session, entity_id=document.id)
    referred = next((e for e in reversed(events) if e.action == "document.referred"), None)
    answered = next((e for e in reversed(events) if "cleared" in (e.after or {})), None)
    if answered is not None and referred is not None and answered.sequence < referred.sequence:
        answered = None  # an answer to an earlier referral
    after = (referred.after or {}) if referred else {}
    view = ReferralView(
        document_id=document.id, title=document.title, doc_number=document.doc_number, state=document.state,
        state_label=state_label(document.state), version=run.version if run else document.current_version,
        waiting=run is not None and ReviewState(run.state) is ReviewState.REFERRED,
        level=str(after["level"]) if "level" in after else None,
        referred_by=referred.actor if referred else None,
        referred_at=aware(referred.occurred_at) if referred else None,
        referral_comment=(referred.reason or "") if referred else "",
    )  # fmt: skip
    if answered is not None:
        view.answered_by, view.answered_at = answered.actor, aware(answered.occurred_at)
        view.cleared, view.answer = bool((answered.after or {}).get("cleared")), answered.reason or ""
    return view
