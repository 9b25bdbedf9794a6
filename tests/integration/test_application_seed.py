"""`applications seed` through the use cases, on real SQLite and PostgreSQL: Table 3 of a seeded year passes
every 勾稽 check, cases carry over into the next year, and nothing is dated after today."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from disclosure.annual_table3 import check_table3, table3
from disclosure.attributes import Role
from disclosure.calendar import WorkingCalendar
from disclosure.errors import Forbidden, InvalidInput
from disclosure.report_rows import ROW_CARRIED_IN, ROW_CARRIED_OUT, ROW_NEW, TOTAL_COLUMN, Table3Leaf
from services.application_seed import NO_APPROVER, ApplicationSeeder
from services.applications import ApplicationService
from services.authz import Authorizer
from services.bootstrap import sample_agency_config
from services.identities import Identities
from services.principal import operator, system
from services.review_service import NoEvents
from storage.db import session_scope
from storage.models_applications import Application, ApplicationEvent
from storage.repository.agencies import apply_agency_config


def seeding(engine, today, *, second_officer):
    """The seeder, the application service it drives, and the identities, on the sample agency."""
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    authz = Authorizer(engine)
    identities = Identities(engine, authz=authz)
    if second_officer:
        identities.add_user(operator(), username="head", name="公开办负责人", roles=[Role.DISCLOSURE_OFFICE], levels=[])
    service = ApplicationService(engine, authz=authz, events=NoEvents(), calendar=WorkingCalendar, today=lambda: today)
    seeder = ApplicationSeeder(service, engine=engine, authz=authz, identities=identities, calendar=WorkingCalendar,
                               today=lambda: today)  # fmt: skip
    return seeder, service, identities


def rows_of(service, year):
    rows = table3(service.case_facts(system(), agency="demo", through=date(year, 12, 31)), year)
    return {row.label: row.values for row in rows}, rows


def applications(engine):
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Application)).one()


def test_two_seeded_years_pass_every_check_and_carry_over(engine):
    seeder, service, identities = seeding(engine, date(2026, 12, 2), second_officer=True)
    office = identities.impersonate("office", via="cli")
    first = seeder.seed(office, year=2025, count=120, seed=3)
    assert (first.registered, first.closed + first.open, first.notes) == (120, 120, [])
    with Session(engine) as session:
        approved = session.exec(select(ApplicationEvent).where(ApplicationEvent.act == "extend")).all()
    assert len(approved) == first.extended > 0
    assert {(e.actor, e.details["requested_by"]) for e in approved} == {("head", "office")}
    values, rows = rows_of(service, 2025)
    check_table3(rows)
    assert values[ROW_NEW][TOTAL_COLUMN] == 120
    by_path = {row.path: row.values for row in rows}
    assert [leaf for leaf in Table3Leaf if by_path[leaf.path][TOTAL_COLUMN] == 0] == []  # every row occurs
    carried = values[ROW_CARRIED_OUT]
    assert carried[TOTAL_COLUMN] == first.carried_over > 0

    second = seeder.seed(office, year=2026, count=120, seed=3)
    assert second.registered == 120
    later, rows = rows_of(service, 2026)
    check_table3(rows, last_years_carried_out=carried)
    assert later[ROW_CARRIED_IN] == carried
    assert later[ROW_CARRIED_OUT][TOTAL_COLUMN] == second.carried_over > 0


def test_the_current_year_stops_at_today_and_without_an_approver_nothing_is_extended(engine):
    today = date(2026, 7, 15)
    seeder, service, identities = seeding(engine, today, second_officer=False)
    summary = seeder.seed(identities.impersonate("office", via="cli"), year=2026, count=70)
    assert (summary.extended, summary.notes) == (0, [NO_APPROVER])
    assert summary.open > 0
    assert summary.registered == summary.closed + summary.open == sum(summary.by_applicant_type.values()) == 70
    with Session(engine) as session:
        last = session.exec(select(func.max(ApplicationEvent.dated))).one()
        extended = session.exec(select(func.count()).where(ApplicationEvent.act == "extend")).one()
    assert last <= today
    assert extended == 0
    values, rows = rows_of(service, 2026)
    check_table3(rows)
    assert values[ROW_CARRIED_OUT][TOTAL_COLUMN] == summary.open == summary.carried_over


def test_a_wrong_principal_is_refused_and_nothing_is_written(engine):
    seeder, _, identities = seeding(engine, date(2026, 12, 2), second_officer=False)
    for principal in (operator(), *(identities.impersonate(name, via="cli") for name in ("drafter", "admin"))):
        with pytest.raises(Forbidden, match="only the disclosure office"):
            seeder.seed(principal, year=2025, count=10)
    assert applications(engine) == 0


@pytest.mark.parametrize(
    ("year", "count", "agency", "message"),
    [(2030, 10, None, r"--year: 2030: expected 2008 … 2026"), (2025, 0, None, r"--count: 0: expected 1 … 10000"),
     (2025, 10, "nowhere", r"--agency: no agency 'nowhere'")],
)  # fmt: skip
def test_bad_input_names_the_option_and_writes_nothing(engine, year, count, agency, message):
    seeder, _, identities = seeding(engine, date(2026, 12, 2), second_officer=False)
    with pytest.raises(InvalidInput, match=message):
        seeder.seed(identities.impersonate("office", via="cli"), year=year, count=count, agency=agency)
    assert applications(engine) == 0
