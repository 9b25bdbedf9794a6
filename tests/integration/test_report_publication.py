"""The annual report through the review path (Art. 49), on real SQLite/PostgreSQL and S3."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from disclosure.errors import Forbidden, InvalidInput
from services.annual_report import AnnualReports
from services.principal import operator
from services.report_publication import ReportPublication, art49_due
from storage.db import session_scope
from storage.models import Agency, AuditEvent, Document
from tests.integration.test_annual_report import Applications
from tests.integration.test_publication import World

YEAR = 2026


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    w = World(engine, store, bucket_prefix, tmp_path)
    apps = Applications(engine)
    apps.register(0, date(2026, 3, 2))
    reports = AnnualReports(engine, authz=apps.authz, applications=apps.service, today=lambda: date(YEAR, 12, 31))
    w.apps, w.reports = apps, reports
    w.today = date(YEAR, 12, 31)
    w.publication = ReportPublication(engine, authz=apps.authz, reports=reports, intake=w.intake, events=w.events,
                                      today=lambda: w.today)  # fmt: skip
    return w


def test_art49_dates():
    assert art49_due("示范市人民政府", 2026) == date(2027, 3, 31)
    assert art49_due("示范市人民政府办公室", 2026) == date(2027, 1, 31)  # an office of the government: a department


def test_the_report_goes_through_review_and_is_public_only_once_approved(world):
    w = world
    with pytest.raises(InvalidInput, match="part 一、总体情况"):
        w.publication.submit(w.apps.office, year=YEAR, agency="demo", drafter="drafter")
    with Session(w.engine) as session:
        assert session.exec(select(Document).where(Document.kind == "report")).all() == []
    w.apps.enter(w.reports, YEAR)
    with pytest.raises(Forbidden):
        w.publication.submit(w.apps.admin, year=YEAR, agency="demo", drafter="drafter")
    with pytest.raises(Forbidden):
        w.publication.submit(operator(), year=YEAR, agency="demo", drafter="drafter")
    with pytest.raises(InvalidInput, match=r"\$\.drafter"):  # the office is not a drafter itself here
        w.publication.submit(w.apps.office, year=YEAR, agency="demo", drafter=None)

    done = w.publication.submit(w.apps.office, year=YEAR, agency="demo", drafter="drafter")
    assert (done.version, done.revised) == (1, False)
    assert ("govpub.document.submitted", done.document_id, 1) in w.events.events
    doc = w.current(done.document_id)
    assert (doc.kind, doc.state, doc.attribute) == ("report", "submitted", "proactive")
    assert doc.title == "示范市人民政府办公室2026年政府信息公开工作年度报告"
    assert w.publication.submit(w.apps.office, year=YEAR, agency="demo", drafter="drafter").version == 1  # same content
    assert not [k for k in w.public_keys() if k.startswith("documents/")]  # nothing public before review

    with session_scope(w.engine) as session:  # the agency joined govpub in the year reported on
        session.exec(select(Agency).where(Agency.code == "demo")).one().created_at = datetime(YEAR, 1, 5, tzinfo=UTC)
    assert w.publication.deadlines(w.apps.office) == []  # it was not on govpub in 2025: nothing due for it
    w.today = date(YEAR + 1, 1, 10)
    [due] = w.publication.deadlines(w.apps.office)
    assert (due.document_id, due.kind, due.due) == ("report:demo/2026", "annual_report", date(2027, 1, 31))
    w.review_through(done.document_id)
    w.service.publish(done.document_id)
    w.assert_public_only_reviewed()
    assert any(k.startswith("documents/") for k in w.public_keys())
    assert w.publication.deadlines(w.apps.office) == []  # published: nothing due

    w.apps.reports = w.reports
    w.reports.set_text(w.apps.office, year=YEAR, agency="demo", part="六", text="更正：补充说明。")
    again = w.publication.submit(w.apps.office, year=YEAR, agency="demo", drafter="drafter")
    assert (again.document_id, again.version, again.revised) == (done.document_id, 2, True)
    with Session(w.engine) as session:
        revised = session.exec(select(AuditEvent).where(AuditEvent.action == "document.revised")).one()
    assert (revised.actor, revised.after["drafter"]) == ("office", "drafter")
