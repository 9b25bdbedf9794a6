"""The working-day calendar of this installation: chinesecalendar plus the agency's override file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from disclosure.calendar import WorkingCalendar, YearOverride
from disclosure.clock import StatutoryClock, Where, event_path
from disclosure.clock_due import DueDate, compute_due
from disclosure.errors import ConfigurationError, InvalidInput, Violation
from schemas import CALENDAR_OVERRIDE, load_json, validate
from services.settings import Settings


def parse_overrides(raw: bytes) -> list[YearOverride]:
    """Validate an override file's bytes; raise InvalidInput naming every problem."""
    data = load_json(raw)
    validate(CALENDAR_OVERRIDE, data)
    violations: list[Violation] = []
    years: list[YearOverride] = []
    seen: set[int] = set()
    for index, entry in enumerate(data["years"]):
        where = f"$.years[{index}]"
        year = entry["year"]
        if year in seen:
            violations.append(Violation(f"{where}.year", f"{year} is listed twice"))
        seen.add(year)
        holidays = {date.fromisoformat(h["date"]): h["name"] for h in entry["holidays"]}
        workdays = frozenset(date.fromisoformat(d) for d in entry["workdays"])
        for position, day in enumerate([*holidays, *workdays]):
            if day.year != year:
                violations.append(Violation(f"{where}", f"{day} (entry {position}) is not in {year}"))
        violations.extend(
            Violation(f"{where}.workdays", f"{day} is also listed as a holiday") for day in workdays & holidays.keys()
        )
        years.append(YearOverride(year, holidays, workdays))
    if violations:
        raise InvalidInput(violations)
    return years


def override_path(settings: Settings) -> Path:
    """Where the agency's override file is read from."""
    return settings.calendar.override_file or settings.data_dir / "calendar-override.json"


def load_calendar(settings: Settings) -> WorkingCalendar:
    """The calendar with the override file applied when there is one."""
    path = override_path(settings)
    if not path.is_file():
        if settings.calendar.override_file is not None:
            raise ConfigurationError(f"GOVPUB_CALENDAR_OVERRIDE_FILE: {path} does not exist")
        return WorkingCalendar()
    try:
        return WorkingCalendar(parse_overrides(path.read_bytes()))
    except InvalidInput as exc:
        lines = "\n".join(str(v) for v in exc.violations)
        raise ConfigurationError(f"calendar override {path} is invalid:\n{lines}") from None


def clock_due(settings: Settings, clock: StatutoryClock, *, where: Where = event_path) -> DueDate:
    """A statutory clock's due date, and how it was reached, on this installation's calendar."""
    return compute_due(clock, load_calendar(settings).day, where=where)
