"""A year of realistic applications (依申请公开), planned from a seed and replayed through the use cases.

``plan_year`` draws N cases for a year, deterministically from the seed: applicants weighted like
real annual reports (most 自然人, every type once), intake channels, receipts on the year's working
days, and for each case a route — answered in time with every reply kind and withholding ground,
corrected, never corrected, extended, consulted (a third party, or an agency that stays silent),
a fee paid or unpaid, petitions and Art. 35 rows answered without handling — so that every row of
Table 3 occurs from ``COVERAGE_FROM`` cases on. The last working days' cases run into the next
year (they carry over). No step is dated after today: a path that would run past it stops at the
stage reached. ``ApplicationSeeder`` replays a plan only through ``ApplicationService``, dated act
by act. Names, addresses and descriptions are invented (示范市), never real personal data.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.application_fees import FeeMethod
from disclosure.application_receipt import RECEIPT_RULES, IntakeChannel
from disclosure.application_replies import Closing, Reply, ReplyKind, WithholdingGround, reply_leaf
from disclosure.application_rules import consultation_deadline, payment_deadline
from disclosure.applications import ApplicationAct
from disclosure.attributes import Role
from disclosure.calendar import WorkingCalendar
from disclosure.errors import InvalidInput, Violation
from disclosure.report_rows import GROUP_NOT_HANDLED, ApplicantType, Table3Leaf
from services import bootstrap
from services.annual_report import FIRST_YEAR
from services.application_views import ApplicationDetail
from services.applications import ApplicationService
from services.authz import Act, Authorizer
from services.calendar import load_calendar
from services.identities import Identities
from services.principal import Principal
from storage.models import Agency, User, UserRole

if TYPE_CHECKING:  # the facade is the composition root: it may build a seeder one day, so no import cycle
    from services.facade import Govpub

MAX_COUNT = 10_000
COVERAGE_FROM = 60  # from this many cases on, every Table 3 row and every route occurs
LONGEST_PATH = 55  # working days from receipt to archive on the longest route
CARRY_DAYS = 5  # the carried-over cases are received in the window's last working days
_A, _L, _T = ApplicationAct, Table3Leaf, ApplicantType
_DECISIVE = frozenset({_A.REPLY, _A.CLOSE_UNCORRECTED, _A.CLOSE_UNPAID})
_T_ = TypeVar("_T_")


class Route(StrEnum):
    """How a case travels from registration to its reply or closing."""

    ON_THE_SPOT = "on_the_spot"  # answered the day it was handed in
    DIRECT = "direct"  # not an application to handle (Art. 35, 39): answered from registration
    PLAIN = "plain"  # accepted, answered within 20 working days
    CORRECTED = "corrected"  # a correction asked and received; the clock restarts (Art. 30)
    UNCORRECTED = "uncorrected"  # never corrected: closed once the stated period passed
    EXTENDED = "extended"  # extended with another disclosure officer's approval (Art. 33)
    CONSULT_THIRD_PARTY = "consult_third_party"  # Art. 32
    CONSULT_AGENCY = "consult_agency"  # Art. 34: consent, or silence past 15 working days
    FEE_PAID = "fee_paid"
    FEE_UNPAID = "fee_unpaid"  # closed once the 20 working days to pay passed


FAST = frozenset({Route.ON_THE_SPOT, Route.DIRECT})


@dataclass(frozen=True, slots=True)
class Step:
    """One dated act of a planned case (``count``: an extension's working days, a fee notice's pages)."""

    act: ApplicationAct
    on: date
    note: str = ""
    reply: Reply | None = None
    correct_by: date | None = None
    agency: bool = False
    answer: str = ""
    count: int = 0


@dataclass(frozen=True, slots=True)
class PlannedCase:
    """An application to register and the acts that follow it, none dated after today."""

    application: dict[str, Any]  # schemas/application.schema.json, without the agency
    applicant_type: ApplicantType
    received_on: date
    route: Route
    leaf: Table3Leaf  # the row it counts under once its path is complete
    steps: tuple[Step, ...]

    @property
    def outcome(self) -> Table3Leaf | None:
        """The row it counts under, or None while it stays open."""
        return self.leaf if self.closed_on is not None else None

    @property
    def closed_on(self) -> date | None:
        """The day of the reply or the closing, None if the path stops before it."""
        return next((s.on for s in self.steps if s.act in _DECISIVE), None)


@dataclass(frozen=True, slots=True)
class SeedPlan:
    """The planned cases of a year, in the order of receipt."""

    year: int
    seed: int
    cases: tuple[PlannedCase, ...]
    extensions: bool  # False: no second disclosure officer to approve, so no case was extended


class SeedSummary(BaseModel):
    """What a seed registered and how the cases stand."""

    agency: str
    year: int
    seed: int
    registered: int
    closed: int
    open: int
    carried_over: int  # received in the year and still open at its end (Table 3 四)
    extended: int
    by_outcome: dict[str, int]
    by_applicant_type: dict[str, int]
    notes: list[str]

    def line(self) -> str:
        """The summary on one line."""
        outcomes = ", ".join(f"{k} {v}" for k, v in self.by_outcome.items()) or "none"
        return (f"seeded {self.registered} applications for {self.agency} {self.year} (seed {self.seed}): "
                f"{self.closed} closed, {self.open} open, {self.carried_over} carried over into {self.year + 1}, "
                f"{self.extended} extended; outcomes: {outcomes}" + "".join(f"; {n}" for n in self.notes))  # fmt: skip


# -- what the cases are made of ---------------------------------------------------------------
_TYPES = {_T.NATURAL_PERSON: 85, _T.COMMERCIAL: 6, _T.RESEARCH: 1, _T.PUBLIC_INTEREST: 1, _T.LEGAL_SERVICE: 4,
          _T.OTHER: 3}  # fmt: skip
_CHANNELS = {IntakeChannel.ONLINE: 45, IntakeChannel.REGISTERED_POST: 20, IntakeChannel.IN_PERSON: 18,
             IntakeChannel.ORDINARY_LETTER: 10, IntakeChannel.FAX: 7}  # fmt: skip
_DELIVERY = {IntakeChannel.ONLINE: "online", IntakeChannel.REGISTERED_POST: "post", IntakeChannel.IN_PERSON: "collect",
             IntakeChannel.ORDINARY_LETTER: "post", IntakeChannel.FAX: "email"}  # fmt: skip
_LEAVES = {_L.DISCLOSED: 380, _L.PARTLY_DISCLOSED: 80, _L.WITHHELD_STATE_SECRET: 5, _L.WITHHELD_OTHER_LAW: 10,
           _L.WITHHELD_THREE_SAFETIES: 5, _L.WITHHELD_THIRD_PARTY: 20, _L.WITHHELD_INTERNAL_AFFAIRS: 10,
           _L.WITHHELD_PROCESS_INFO: 30, _L.WITHHELD_ENFORCEMENT_FILE: 10, _L.WITHHELD_QUERY_MATTER: 10,
           _L.UNAVAILABLE_NOT_HELD: 180, _L.UNAVAILABLE_WOULD_NEED_MAKING: 40,
           _L.UNAVAILABLE_UNCLEAR_AFTER_CORRECTION: 15, _L.NOT_HANDLED_PETITION: 30, _L.NOT_HANDLED_REPEATED: 20,
           _L.NOT_HANDLED_PUBLICATION: 5, _L.NOT_HANDLED_EXCESSIVE: 10, _L.NOT_HANDLED_CONFIRMATION: 10,
           _L.OTHER_NO_CORRECTION: 30, _L.OTHER_FEE_UNPAID: 5, _L.OTHER: 30}  # fmt: skip
_R = Route
_ROUTES: dict[Table3Leaf, dict[Route, int]] = {
    _L.DISCLOSED: {_R.PLAIN: 60, _R.ON_THE_SPOT: 8, _R.CORRECTED: 8, _R.EXTENDED: 6, _R.CONSULT_AGENCY: 6,
                   _R.CONSULT_THIRD_PARTY: 4, _R.FEE_PAID: 8},
    _L.PARTLY_DISCLOSED: {_R.PLAIN: 60, _R.CONSULT_THIRD_PARTY: 25, _R.EXTENDED: 15},
    _L.WITHHELD_THIRD_PARTY: {_R.CONSULT_THIRD_PARTY: 70, _R.PLAIN: 30},
    _L.UNAVAILABLE_NOT_HELD: {_R.PLAIN: 75, _R.CORRECTED: 25},
    _L.UNAVAILABLE_WOULD_NEED_MAKING: {_R.PLAIN: 1}, _L.OTHER: {_R.PLAIN: 1},
    _L.UNAVAILABLE_UNCLEAR_AFTER_CORRECTION: {_R.CORRECTED: 1},
    _L.OTHER_NO_CORRECTION: {_R.UNCORRECTED: 1}, _L.OTHER_FEE_UNPAID: {_R.FEE_UNPAID: 1},
    **{leaf: {_R.DIRECT: 1} for leaf in Table3Leaf if leaf.group == GROUP_NOT_HANDLED},
}  # fmt: skip
_WITHHELD_ROUTES = {_R.PLAIN: 85, _R.EXTENDED: 15}
# every row once, then every route once more
COVERAGE: tuple[tuple[Table3Leaf, Route], ...] = (
    *((leaf, next(iter(_ROUTES.get(leaf, _WITHHELD_ROUTES)))) for leaf in Table3Leaf),
    (_L.DISCLOSED, _R.ON_THE_SPOT), (_L.DISCLOSED, _R.CORRECTED), (_L.DISCLOSED, _R.EXTENDED),
    (_L.DISCLOSED, _R.CONSULT_AGENCY), (_L.DISCLOSED, _R.FEE_PAID), (_L.PARTLY_DISCLOSED, _R.CONSULT_THIRD_PARTY),
)  # fmt: skip

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = ("建国", "秀英", "志强", "丽娟", "海燕", "明辉", "晓东", "春梅",
          "国庆", "文静", "子涵", "浩然", "雨桐", "俊杰")  # fmt: skip
_FREQUENT = "钱多申"  # the one applicant behind the repeated and excessive applications (Art. 35)
_ORGANISATIONS = {
    _T.COMMERCIAL: ("示范市青禾建设工程有限公司", "示范远山物业服务有限公司", "示范市恒通物流有限公司"),
    _T.RESEARCH: ("示范大学城乡规划研究所", "示范市社会科学研究院"),
    _T.PUBLIC_INTEREST: ("示范市绿色家园环保志愿者协会", "示范市助老公益服务中心"),
    _T.LEGAL_SERVICE: ("示范明理律师事务所", "示范公正律师事务所"),
    _T.OTHER: ("示范区阳光花园小区业主委员会", "示范市个体劳动者协会"),
}
_STREETS = ("文三路", "解放路", "建设路", "人民路", "中山路", "湖滨路")
_TOPICS = (
    "{prev}年度本区老旧小区改造项目清单及资金安排", "示范市{prev}年城市更新项目征收补偿方案",
    "示范区某地块国有土地使用权出让合同及规划条件", "{prev}年度部门预算及“三公”经费支出明细",
    "{prev}年公共租赁住房分配结果", "示范大道拓宽工程环境影响评价批复", "{year}年度惠民补贴发放标准及依据文件",
    "阳光花园小区加装电梯项目审批材料", "{prev}年度食品安全监督抽检结果汇总", "本镇集体土地征收批复及征收公告",
    "{year}年义务教育学区划分方案及制定依据", "示范市{prev}年重大行政决策事项目录",
)  # fmt: skip
_ASKED = {
    _L.NOT_HANDLED_PETITION: "反映阳光花园小区物业违规收费问题，要求查处并答复",
    _L.NOT_HANDLED_PUBLICATION: "索取《示范市统计年鉴（{prev}）》纸质版一册",
    _L.NOT_HANDLED_CONFIRMATION: "要求确认已取得的示政发〔{prev}〕12号文件是否真实有效并重新盖章出具",
    _L.NOT_HANDLED_EXCESSIVE: "申请公开本机关近十年全部收文、发文目录及每份文件全文",
}
_REPLIES: tuple[Reply, ...] = (
    *(Reply(ReplyKind.WITHHELD, ground=ground) for ground in WithholdingGround),
    *(Reply(kind) for kind in ReplyKind if kind not in {ReplyKind.WITHHELD, ReplyKind.ALREADY_PUBLIC,
                                                         ReplyKind.NOT_THIS_AGENCY, ReplyKind.OTHER}),
    Reply(ReplyKind.ALREADY_PUBLIC, where="示范市人民政府门户网站“政府信息公开”专栏，可在线查阅下载"),
    Reply(ReplyKind.NOT_THIS_AGENCY, agency="示范市自然资源和规划局"),
    Reply(ReplyKind.OTHER, note="申请人在答复前书面撤回申请"),
)  # fmt: skip


def _by_leaf(replies: Sequence[Reply]) -> dict[Table3Leaf, list[Reply]]:
    grouped: dict[Table3Leaf, list[Reply]] = {}
    for reply in replies:
        grouped.setdefault(reply_leaf(reply), []).append(reply)
    return grouped


REPLIES_BY_LEAF = _by_leaf(_REPLIES)  # the core's own mapping, so every replied row has its replies


# -- planning ---------------------------------------------------------------------------------
def check_request(year: int, count: int, *, today: date) -> None:
    """Refuse a year outside 2008 … this year, or a count outside 1 … MAX_COUNT, naming the option."""
    problems = []
    if not FIRST_YEAR <= year <= today.year:
        problems.append(Violation("--year", f"{year}: expected {FIRST_YEAR} … {today.year}"))
    if not 1 <= count <= MAX_COUNT:
        problems.append(Violation("--count", f"{count}: expected 1 … {MAX_COUNT}"))
    if problems:
        raise InvalidInput(problems)


@dataclass(frozen=True, slots=True)
class _Draw:
    """The seeded random source and the calendar a plan is drawn on."""

    rng: random.Random
    calendar: WorkingCalendar

    def after(self, day: date, low: int, high: int) -> date:
        """A working day ``low`` to ``high`` working days after ``day``."""
        return self.calendar.add_working_days(day, self.rng.randint(low, high)).value

    def weighted(self, weights: dict[_T_, int]) -> _T_:
        """One key, drawn by weight."""
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_year(
    year: int, count: int, *, seed: int, today: date, calendar: WorkingCalendar, extensions: bool = True
) -> SeedPlan:
    """``count`` cases received on the working days of ``year`` up to today, deterministic for the seed."""
    check_request(year, count, today=today)
    days = _working_days(date(year, 1, 1), min(date(year, 12, 31), today), calendar)
    if not days:
        raise InvalidInput([Violation("--year", f"{year}: no working day of it has passed yet")])
    draw = _Draw(random.Random(f"govpub-seed:{seed}:{year}"), calendar)  # noqa: S311 - demo data, not secrets
    received, late = _receipts(draw, days, count), days[-CARRY_DAYS:][0]
    cutoff = _cutoff(days, today, calendar)
    eligible = [i for i, day in enumerate(received) if cutoff is not None and day <= cutoff and day < late]
    slots = list(COVERAGE) if count >= COVERAGE_FROM else []
    forced = dict(zip(draw.rng.sample(eligible, min(len(slots), len(eligible))), slots, strict=False))
    types = dict(zip(draw.rng.sample(range(count), len(_T)), _T, strict=True)) if count >= len(_T) else {}
    cases = []
    for index, day in enumerate(received):
        leaf, route = forced.get(index) or _leaf_and_route(draw, slow=day >= late)
        if route is Route.EXTENDED and not extensions:
            route = Route.PLAIN
        kind = types.get(index) or draw.weighted(_TYPES)
        cases.append(_case(draw, index, day, kind=kind, leaf=leaf, route=route, today=today))
    return SeedPlan(year, seed, tuple(cases), extensions)


def _working_days(first: date, last: date, calendar: WorkingCalendar) -> list[date]:
    span = (last - first).days + 1
    return [d for d in (first + timedelta(days=n) for n in range(span)) if calendar.day(d).working]


def _receipts(draw: _Draw, days: Sequence[date], count: int) -> list[date]:
    """Receipts spread over the working days, a few (the carry-over) on the last ones, in order."""
    carry = max(1, count // 50)
    spread = [draw.rng.choice(days) for _ in range(count - carry)]
    return sorted(spread + [draw.rng.choice(days[-CARRY_DAYS:]) for _ in range(carry)])


def _cutoff(days: Sequence[date], today: date, calendar: WorkingCalendar) -> date | None:
    """The last receipt whose longest route still ends by today."""
    return next((d for d in reversed(days) if calendar.add_working_days(d, LONGEST_PATH).value <= today), None)


def _leaf_and_route(draw: _Draw, *, slow: bool) -> tuple[Table3Leaf, Route]:
    while True:
        leaf = draw.weighted(_LEAVES)
        routes = {r: w for r, w in _ROUTES.get(leaf, _WITHHELD_ROUTES).items() if not (slow and r in FAST)}
        if routes:
            return leaf, draw.weighted(routes)


def _case(
    draw: _Draw, index: int, received: date, *, kind: ApplicantType, leaf: Table3Leaf, route: Route, today: date
) -> PlannedCase:
    channel = IntakeChannel.IN_PERSON if route is Route.ON_THE_SPOT else draw.weighted(_CHANNELS)
    application = _application(draw, index, received, kind=kind, channel=channel, leaf=leaf)
    steps = _ROUTE_STEPS[route](draw, received, leaf)
    last = steps[-1]
    if last.act is _A.REPLY:
        delivered = draw.after(last.on, 0, 3)
        steps[-1] = replace(last, reply=draw.rng.choice(REPLIES_BY_LEAF[leaf]))
        steps += [Step(_A.DELIVER, delivered), Step(_A.ARCHIVE, draw.after(delivered, 1, 10))]
    else:
        steps.append(Step(_A.ARCHIVE, draw.after(last.on, 1, 5)))
    kept = tuple(s for s in steps if s.on <= today)
    return PlannedCase(application, kind, received, route, leaf, kept)


def _application(
    draw: _Draw, index: int, received: date, *, kind: ApplicantType, channel: IntakeChannel, leaf: Table3Leaf
) -> dict[str, Any]:
    rng = draw.rng
    if kind is not _T.NATURAL_PERSON:
        name, proof = rng.choice(_ORGANISATIONS[kind]), "统一社会信用代码（演示数据）"
    elif leaf in {_L.NOT_HANDLED_REPEATED, _L.NOT_HANDLED_EXCESSIVE}:
        name, proof = _FREQUENT, "居民身份证（演示数据）"
    else:
        name, proof = rng.choice(_SURNAMES) + rng.choice(_GIVEN), "居民身份证（演示数据）"
    topic = _ASKED.get(leaf) or rng.choice(_TOPICS)
    paper = channel in {IntakeChannel.IN_PERSON, IntakeChannel.REGISTERED_POST, IntakeChannel.ORDINARY_LETTER}
    return {
        "applicant": {"type": kind.value, "name": name, "id_proof": proof, "email": f"applicant{index:05d}@example.org",
                      "address": f"示范市示范区{rng.choice(_STREETS)}{rng.randint(1, 399)}号"},
        "description": topic.format(year=received.year, prev=received.year - 1),
        "form": "paper" if paper and rng.random() < 0.6 else "electronic",  # noqa: PLR2004 - a share
        "delivery": _DELIVERY[channel], "channel": channel.value,
        "received": {RECEIPT_RULES[channel][0]: received.isoformat()},
    }  # fmt: skip


# -- the routes: each returns its steps, the last one the reply (its Reply drawn later) or the closing
def _on_the_spot(_: _Draw, received: date, __: Table3Leaf) -> list[Step]:
    return [Step(_A.REPLY, received)]


def _direct(draw: _Draw, received: date, _: Table3Leaf) -> list[Step]:
    return [Step(_A.REPLY, draw.after(received, 2, 10))]


def _plain(draw: _Draw, received: date, _: Table3Leaf) -> list[Step]:
    return [Step(_A.ACCEPT, draw.after(received, 0, 2)), Step(_A.REPLY, draw.after(received, 3, 19))]


_CORRECTION_NOTE = "请补正所需信息的名称、文号或者便于查询的其他特征性描述，并提供身份证明（一次性告知）"


def _asked_to_correct(draw: _Draw, received: date) -> Step:
    sent = draw.after(received, 1, 5)
    return Step(_A.REQUEST_CORRECTION, sent, note=_CORRECTION_NOTE, correct_by=draw.after(sent, 10, 15))


def _corrected(draw: _Draw, received: date, _: Table3Leaf) -> list[Step]:
    asked = _asked_to_correct(draw, received)
    back = draw.after(asked.on, 2, 8)
    return [asked, Step(_A.RECEIVE_CORRECTION, back), Step(_A.ACCEPT, draw.after(back, 0, 1)),
            Step(_A.REPLY, draw.after(back, 5, 18))]  # fmt: skip


def _uncorrected(draw: _Draw, received: date, _: Table3Leaf) -> list[Step]:
    asked = _asked_to_correct(draw, received)
    return [asked, Step(_A.CLOSE_UNCORRECTED, draw.after(_given(asked.correct_by), 1, 3))]


def _extended(draw: _Draw, received: date, _: Table3Leaf) -> list[Step]:
    days = draw.rng.randint(10, 20)
    return [Step(_A.ACCEPT, draw.after(received, 0, 2)),
            Step(_A.EXTEND, draw.after(received, 17, 19), note="涉及多个科室的档案，需调取汇总", count=days),
            Step(_A.REPLY, draw.after(received, 21, 20 + days))]  # fmt: skip


def _consulted(draw: _Draw, received: date, leaf: Table3Leaf, *, agency: bool) -> list[Step]:
    sent = draw.after(received, 2, 3)
    if agency and draw.rng.random() < 0.5:  # noqa: PLR2004 - half the agencies stay silent (Art. 34)
        answered, answer = draw.after(consultation_deadline(sent, draw.calendar), 1, 3), "silent"
    else:
        answered, answer = draw.after(sent, 5, 14), "consent" if leaf is _L.DISCLOSED else "objection"
    note = "征求共同制作机关意见" if agency else "征求第三方（相关企业）意见"
    return [Step(_A.ACCEPT, draw.after(received, 0, 1)), Step(_A.CONSULT, sent, note=note, agency=agency),
            Step(_A.CONSULTATION_ANSWERED, answered, answer=answer),
            Step(_A.REPLY, draw.after(answered, 2, 12))]  # fmt: skip


def _fee(draw: _Draw, received: date, _: Table3Leaf, *, paid: bool) -> list[Step]:
    notice = Step(_A.NOTIFY_FEE, draw.after(received, 3, 8), count=draw.rng.randint(40, 260))
    steps = [Step(_A.ACCEPT, draw.after(received, 0, 1)), notice]
    if not paid:
        return [*steps, Step(_A.CLOSE_UNPAID, draw.after(payment_deadline(notice.on, draw.calendar), 1, 3))]
    payment = draw.after(notice.on, 2, 10)
    return [*steps, Step(_A.RECORD_PAYMENT, payment), Step(_A.REPLY, draw.after(payment, 2, 10))]


_ROUTE_STEPS: dict[Route, Callable[[_Draw, date, Table3Leaf], list[Step]]] = {
    Route.ON_THE_SPOT: _on_the_spot, Route.DIRECT: _direct, Route.PLAIN: _plain, Route.CORRECTED: _corrected,
    Route.UNCORRECTED: _uncorrected, Route.EXTENDED: _extended,
    Route.CONSULT_THIRD_PARTY: lambda d, r, leaf: _consulted(d, r, leaf, agency=False),
    Route.CONSULT_AGENCY: lambda d, r, leaf: _consulted(d, r, leaf, agency=True),
    Route.FEE_PAID: lambda d, r, leaf: _fee(d, r, leaf, paid=True),
    Route.FEE_UNPAID: lambda d, r, leaf: _fee(d, r, leaf, paid=False),
}  # fmt: skip


def _given(value: _T_ | None) -> _T_:
    if value is None:
        raise ValueError("a planned step lacks its argument")  # a planner bug, not the user's input
    return value


# -- replaying a plan through the use cases ---------------------------------------------------
Perform = Callable[[ApplicationService, Principal, int, Step, Principal], ApplicationDetail]  # …, the approver


def _extend(
    service: ApplicationService, officer: Principal, case: int, step: Step, head: Principal
) -> ApplicationDetail:
    """Asked by the officer, approved by the head of the office the same day, the applicant told (Art. 33)."""
    service.request_extension(officer, case, days=step.count, note=step.note, on=step.on)
    return service.approve_extension(head, case, notice_sent_on=step.on, approved_on=step.on)


_PERFORM: dict[ApplicationAct, Perform] = {
    _A.ACCEPT: lambda s, p, i, st, _: s.accept(p, i, on=st.on),
    _A.REQUEST_CORRECTION: lambda s, p, i, st, _: s.request_correction(
        p, i, correct_by=_given(st.correct_by), note=st.note, sent_on=st.on),
    _A.RECEIVE_CORRECTION: lambda s, p, i, st, _: s.record_correction(p, i, received_on=st.on),
    _A.CLOSE_UNCORRECTED: lambda s, p, i, st, _: s.close(p, i, closing=Closing.NO_CORRECTION, on=st.on),
    _A.CONSULT: lambda s, p, i, st, _: s.consult(p, i, agency=st.agency, note=st.note, sent_on=st.on),
    _A.CONSULTATION_ANSWERED: lambda s, p, i, st, _: s.consultation_answered(
        p, i, answer=st.answer, answered_on=st.on),
    _A.EXTEND: _extend,
    _A.NOTIFY_FEE: lambda s, p, i, st, _: s.notify_fee(
        p, i, method=FeeMethod.PER_PAGE, count=st.count, notified_on=st.on),
    _A.RECORD_PAYMENT: lambda s, p, i, st, _: s.record_payment(p, i, paid_on=st.on),
    _A.CLOSE_UNPAID: lambda s, p, i, st, _: s.close(p, i, closing=Closing.FEE_UNPAID, on=st.on),
    _A.REPLY: lambda s, p, i, st, _: s.reply(p, i, _given(st.reply), replied_on=st.on),
    _A.DELIVER: lambda s, p, i, st, _: s.deliver(p, i, on=st.on),
    _A.ARCHIVE: lambda s, p, i, st, _: s.archive(p, i, on=st.on),
}  # fmt: skip
NO_APPROVER = "extensions skipped: no other active disclosure officer can approve them (Art. 33)"


class ApplicationSeeder:
    """Plan a year of applications and record it act by act through ``ApplicationService``.

    The officer who seeds registers and handles every case; extensions are approved as another active
    disclosure officer (Art. 33: not the one who asked), or skipped when there is none.
    """

    def __init__(
        self, applications: ApplicationService, *, engine: Engine, authz: Authorizer, identities: Identities,
        calendar: Callable[[], WorkingCalendar], today: Callable[[], date],
    ) -> None:  # fmt: skip
        self._applications, self._engine, self._authz, self._identities = applications, engine, authz, identities
        self._calendar, self._today = calendar, today

    def seed(
        self, principal: Principal, *, year: int, count: int, seed: int = 1, agency: str | None = None
    ) -> SeedSummary:
        """Register and answer ``count`` applications of ``year`` as the disclosure officer ``principal``."""
        self._authz.require(principal, Act.HANDLE_APPLICATIONS)
        today = self._today()
        check_request(year, count, today=today)
        approver = self._approver(principal, agency)
        plan = plan_year(year, count, seed=seed, today=today, calendar=self._calendar(),
                         extensions=approver is not None)  # fmt: skip
        head = principal if approver is None else self._identities.impersonate(approver, via=principal.via)
        done = [self._replay(principal, case, agency, head) for case in plan.cases]
        return summarise(plan, done, notes=[] if approver else [NO_APPROVER])

    def _replay(
        self, principal: Principal, case: PlannedCase, agency: str | None, head: Principal
    ) -> ApplicationDetail:
        body = case.application if agency is None else {**case.application, "agency": agency}
        view = self._applications.register(principal, json.dumps(body, ensure_ascii=False).encode())
        for step in case.steps:
            view = _PERFORM[step.act](self._applications, principal, view.id, step, head)
        return view

    def _approver(self, principal: Principal, agency: str | None) -> str | None:
        """Another active disclosure officer of the principal's agency, whose principal approves the extensions."""
        with Session(self._engine) as session:
            if agency is not None and session.exec(select(Agency).where(Agency.code == agency)).first() is None:
                raise InvalidInput([Violation("--agency", f"no agency {agency!r}")])
            query = (select(User.username).join(UserRole, col(UserRole.user_id) == col(User.id))
                     .where(col(UserRole.role) == Role.DISCLOSURE_OFFICE.value, col(User.active).is_(True),
                            col(User.username) != principal.username).order_by(col(User.username)))  # fmt: skip
            if principal.agency_id is not None:
                query = query.where(col(User.agency_id) == principal.agency_id)
            return session.exec(query).first()


def summarise(plan: SeedPlan, done: Sequence[ApplicationDetail], *, notes: list[str]) -> SeedSummary:
    """Count what the replay left: closed and open cases, the carry-over, outcomes and applicants."""
    end = date(plan.year, 12, 31)
    return SeedSummary(
        agency=done[0].agency if done else "", year=plan.year, seed=plan.seed, registered=len(done),
        closed=sum(1 for v in done if v.outcome), open=sum(1 for v in done if not v.outcome),
        carried_over=sum(1 for v in done if v.received_on <= end and (v.closed_on is None or v.closed_on > end)),
        extended=sum(1 for c in plan.cases for s in c.steps if s.act is _A.EXTEND),
        by_outcome={leaf.value: n for leaf in Table3Leaf if (n := sum(1 for v in done if v.outcome == leaf.value))},
        by_applicant_type=dict(Counter(v.applicant.type for v in done).most_common()), notes=notes,
    )  # fmt: skip


def seeder_for(govpub: Govpub) -> ApplicationSeeder:
    """The seeder over the application layer's own use cases, calendar and today."""
    app = govpub.app
    return ApplicationSeeder(govpub.applications, engine=app.engine, authz=app.authz, identities=govpub.identities,
                             calendar=lambda: load_calendar(app.settings), today=bootstrap.today)  # fmt: skip


def sample_disclosure_officer() -> str | None:
    """The sample agency's disclosure officer: who development's seed acts as when no one signed in."""
    users = bootstrap.sample_agency_config().get("users", [])
    return next((u["username"] for u in users if Role.DISCLOSURE_OFFICE.value in u.get("roles", [])), None)
