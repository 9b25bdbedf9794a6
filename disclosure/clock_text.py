"""A computed due date told so that a person can check it: bilingual lines, and a JSON-ready form."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from disclosure.clock import ClockEvent, Extended, Paused, Restarted, Resumed, Started
from disclosure.clock_due import DayEntry, DayUse, DueDate, PauseSpan
from disclosure.time_limits import RULES, PauseReason

HOLIDAYS_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_REASONS = {
    PauseReason.CONSULTATION: ("征求意见", "consultation"),
    PauseReason.THIRD_PARTY_CONSULTATION: ("征求第三方意见", "third-party consultation"),
    PauseReason.AGENCY_CONSULTATION: ("征求其他机关意见", "inter-agency consultation"),
    PauseReason.FEE: ("收费通知至缴费", "fee notice until payment"),
}


def explanation_lines(result: DueDate) -> list[str]:
    """How the due date was reached, one fact a line, each in Chinese then English."""
    rule, period = RULES[result.kind], result.period
    lines = [
        (
            f"{rule.label_zh}：{period}个工作日（{rule.basis_zh}） / "
            f"{rule.label_en}: {period} working days ({rule.basis_en})"
        ),
        f"{rule.start_zh}：{result.received}，当日不计入 / {rule.start_en} {result.received}; that day not counted",
    ]
    if result.restarted:
        lines.append(f"补正后收到：{result.start}，{period}个工作日自此重新计算，当日不计入 / corrected application "
                     f"received {result.start}: the {period} working days count again from it; "
                     "that day not counted")  # fmt: skip
        if len(result.superseded) > 1:
            lines.append(f"此前的{len(result.superseded) - 1}项记录不再计入 / "
                         f"{len(result.superseded) - 1} earlier event(s) superseded by it")  # fmt: skip
    lines += [_pause_line(span, result) for span in result.pauses]
    lines += [_extension_line(extension) for extension in result.extensions]
    lines.append("逐日 / day by day:")
    lines += [f"  {line}" for line in _day_lines(result)]
    lines.append(_totals_line(result))
    if result.extensions and result.due_before_extension is not None:
        lines.append(
            f"延长前的期限：{result.due_before_extension} / due before the extension: {result.due_before_extension}"
        )
    if result.provisional_from is not None:
        lines.append(f"暂定：自{result.provisional_from}起超出已知日历（按周一至周五推定） / PROVISIONAL: from "
                     f"{result.provisional_from} the calendar is not known (weekdays assumed)")  # fmt: skip
    if result.due is None:
        lines.append(f"计时已暂停：已计入{len(result.counted)}个工作日，尚余{result.remaining}个 / the clock is "
                     f"stopped: {len(result.counted)} working days counted, {result.remaining} to go")  # fmt: skip
    else:
        lines.append(f"期限：{result.due} / due: {result.due}")
    return lines


def _pause_line(span: PauseSpan, result: DueDate) -> str:
    zh, en = _REASONS[span.reason]
    note = f"（{span.note}）" if span.note else ""
    first_zh, first_en = _pause_start(span.start, result)
    if span.end is None:
        return (f"暂停（{zh}）{note}：自{span.start}起，尚未恢复；{first_zh} / "
                f"paused ({en}) since {span.start}, not yet resumed; {first_en}")  # fmt: skip
    after = span.start + timedelta(days=1)
    if span.end < after:
        return (f"暂停（{zh}）{note}：{span.start}当日即恢复，无日不计入 / paused ({en}) on {span.start} and resumed "
                "the same day: no day left out")  # fmt: skip
    return (f"暂停（{zh}）{note}：{span.start}至{span.end}；{first_zh}，{after}至{span.end}不计入 / "
            f"paused ({en}) from {span.start} to {span.end}: {first_en}, {after} … {span.end} do not")  # fmt: skip


def _pause_start(day: date, result: DueDate) -> tuple[str, str]:
    """What the count did with the day a pause started (it counts if it is a working day)."""
    entry = next((d for d in result.days if d.day == day), None)
    if entry is None:
        return f"{day}为起算日，不计入", f"{day} is the day counting starts after, not counted"
    if entry.counted:
        return f"{day}为工作日，计入第{entry.number}日", f"{day} is a working day, counted {entry.number}"
    return f"{day}非工作日，不计入", f"{day} is not a working day, not counted"


def _extension_line(extension: Extended) -> str:
    approval = extension.approval
    if approval is None:
        zh, en = "未记录批准（试算）", "approval not recorded (a what-if computation)"
    else:
        zh, en = f"经{approval.by}于{approval.on}批准", f"approved by {approval.by} on {approval.on}"
    return (f"延长：{extension.days}个工作日，{zh}，自原期限后起算 / extended by {extension.days} working days, {en}, "
            "counted after the due date otherwise reached")  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Run:
    use: DayUse
    name: str
    extension: bool
    provisional: bool
    days: tuple[DayEntry, ...]


def _runs(result: DueDate) -> Iterator[_Run]:
    """Consecutive days the count treated alike (a counted run breaks where the extension begins)."""

    def key(entry: DayEntry) -> tuple[DayUse, str, bool, bool]:
        return entry.use, entry.name, entry.number > result.period, entry.provisional

    for (use, name, extension, provisional), group in groupby(result.days, key=key):
        yield _Run(use, name, extension, provisional, tuple(group))


def _day_lines(result: DueDate) -> Iterator[str]:
    for run in _runs(result):
        first, last = run.days[0], run.days[-1]
        when = f"{first.day}" if first is last else f"{first.day} … {last.day}"
        numbers = f"{first.number}" if first is last else f"{first.number}–{last.number}"
        zh, en = _run_words(run, numbers)
        flag = "（暂定 provisional）" if run.provisional else ""
        yield f"{when:<24}  {zh} / {en}{flag}"


def _run_words(run: _Run, numbers: str) -> tuple[str, str]:
    if run.use is DayUse.PAUSED:
        working = sum(d.working for d in run.days)
        return (f"暂停，不计入（其中工作日{working}日）",
                f"paused, not counted ({working} working day(s) among them)")  # fmt: skip
    if run.use is DayUse.WEEKEND:
        return "周末，跳过", "weekend, skipped"
    if run.use is DayUse.HOLIDAY:
        name_zh = HOLIDAYS_ZH.get(run.name, run.name) or "休息日"
        return f"{name_zh}，跳过", f"holiday{f' ({run.name})' if run.name else ''}, skipped"
    part_zh, part_en = ("延长期", " (extension)") if run.extension else ("", "")
    if run.use is DayUse.MAKEUP:
        return (f"调休上班日，{part_zh}计入第{numbers}日",
                f"make-up working day, counted {numbers}{part_en}")  # fmt: skip
    return f"{part_zh}计入第{numbers}日", f"counted {numbers}{part_en}"


def _totals_line(result: DueDate) -> str:
    counted, makeup, paused = len(result.counted), len(result.makeup_days), len(result.paused_days)
    weekend = sum(d.use is DayUse.WEEKEND for d in result.days)
    holiday = sum(d.use is DayUse.HOLIDAY for d in result.days)
    return (f"合计：计入{counted}个工作日（含调休上班日{makeup}日），跳过周末{weekend}日、节假日{holiday}日，"
            f"暂停{paused}日 / "
            f"in all: {counted} working days counted ({makeup} make-up day(s) among them), {weekend} weekend and "
            f"{holiday} holiday day(s) skipped, {paused} day(s) paused")  # fmt: skip


def as_dict(result: DueDate) -> dict[str, object]:
    """The computation in JSON-ready form (dates as YYYY-MM-DD)."""
    rule = RULES[result.kind]
    return {
        "kind": result.kind.value,
        "legal_basis": {"citation": rule.basis_zh, "en": rule.basis_en, "text": rule.text},
        "working_days": result.period,
        "extension_days": result.extension_days,
        "received": result.received.isoformat(),
        "counted_from": result.start.isoformat(),
        "restarted": result.restarted,
        "superseded": [event_dict(e) for e in result.superseded],
        "pauses": [
            {"from": s.start.isoformat(), "to": _iso(s.end), "reason": s.reason.value, "note": s.note}
            for s in result.pauses
        ],
        "extensions": [event_dict(e) for e in result.extensions],
        "counted": [
            {
                "date": d.day.isoformat(),
                "n": d.number,
                "makeup": d.use is DayUse.MAKEUP,
                "extension": d.number > result.period,
            }
            for d in result.counted
        ],
        "skipped": [{"date": d.day.isoformat(), "kind": d.use.value, "name": d.name} for d in result.skipped],
        "paused_days": [{"date": d.day.isoformat(), "working": d.working} for d in result.paused_days],
        "makeup_days": _isos(result.makeup_days),
        "due_before_extension": _iso(result.due_before_extension),
        "due": _iso(result.due),
        "remaining": result.remaining,
        "provisional": result.provisional,
        "provisional_from": _iso(result.provisional_from),
        "text": explanation_lines(result),
    }


def event_dict(event: ClockEvent) -> dict[str, object]:
    """One clock event in JSON-ready form."""
    if isinstance(event, Extended):
        approval = event.approval
        return {"event": "extended", "days": event.days, "approved_by": approval.by if approval else None,
                "approved_on": _iso(approval.on if approval else None)}  # fmt: skip
    names = {Started: "started", Paused: "paused", Resumed: "resumed", Restarted: "restarted"}
    found: dict[str, object] = {"event": names[type(event)], "on": event.on.isoformat()}
    if isinstance(event, Paused):
        found |= {"reason": event.reason.value, "note": event.note}
    return found


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _isos(days: Iterable[date]) -> list[str]:
    return [d.isoformat() for d in days]
