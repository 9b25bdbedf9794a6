"""The annual report at 100,000 applications: computed through the service against one SQL aggregate.

Seeds N applications of one agency (received across 2025-2026, most answered within 40 days under
a weighted mix of Table 3's rows, the rest open) straight into ``application`` with bulk inserts,
enters the office's figures and texts through the service, then times, in the same run and on the
same rows, ``AnnualReports.compute`` for 2026 (authorisation, Table 3 of 2026 and 2025 from the
``GROUP BY``, Table 2 from the documents, every check) against a bare ``GROUP BY applicant_type,
outcome, year received, year closed`` over the table. Best of ``--repeat`` runs each. Also prints
(not in the result) the time of the path that counts ``case_facts`` row by row. Target: ratio ≤ 3.

    python bench/report.py [--count 100000] [--repeat 5] [--pg] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import Engine, insert, text

from disclosure.calendar import WorkingCalendar
from disclosure.report_rows import ApplicantType, Table3Leaf
from services.annual_report import AnnualReports
from services.applications import ApplicationService
from services.authz import Authorizer
from services.bootstrap import sample_agency_config
from services.identities import Identities
from storage.db import make_engine, migrate, session_scope
from storage.models_applications import Application
from storage.repository.agencies import apply_agency_config

YEAR = 2026
PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
TYPES = [(ApplicantType.NATURAL_PERSON, 70), (ApplicantType.COMMERCIAL, 15), (ApplicantType.RESEARCH, 2),
         (ApplicantType.PUBLIC_INTEREST, 2), (ApplicantType.LEGAL_SERVICE, 6), (ApplicantType.OTHER, 5)]  # fmt: skip
LEAVES = [(Table3Leaf.DISCLOSED, 40), (Table3Leaf.PARTLY_DISCLOSED, 10), (Table3Leaf.UNAVAILABLE_NOT_HELD, 20),
          *[(leaf, 2) for leaf in Table3Leaf if leaf.value.startswith(("withheld", "not_handled", "other"))],
          (Table3Leaf.UNAVAILABLE_WOULD_NEED_MAKING, 3)]  # fmt: skip
AGGREGATE = """
SELECT applicant_type, outcome,
       CASE WHEN received_on < :start THEN 0 ELSE 1 END AS received,
       CASE WHEN closed_on IS NULL THEN NULL WHEN closed_on < :start THEN 0 WHEN closed_on <= :end THEN 1 ELSE 2 END,
       count(*)
FROM application WHERE agency = 'demo' AND received_on <= :end
GROUP BY 1, 2, 3, 4
"""


class _NoEvents:
    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, object]) -> None:
        """Nothing listens in the bench."""


def seed(engine: Engine, count: int) -> None:
    """``count`` applications of agency demo, in batches of 5,000."""
    rng = random.Random(11)
    kinds, kind_weights = zip(*TYPES, strict=True)
    leaves, leaf_weights = zip(*LEAVES, strict=True)
    first, now, serial = date(YEAR - 1, 1, 1), datetime.now(UTC), {YEAR - 1: 0, YEAR: 0}
    for start in range(0, count, 5000):
        rows = []
        for n in range(start, min(count, start + 5000)):
            received = first + timedelta(days=rng.randrange(730))
            serial[received.year] += 1
            closed = received + timedelta(days=rng.randrange(41)) if rng.random() < 0.9 else None  # noqa: PLR2004
            if closed is not None and closed > date(YEAR, 12, 31):
                closed = None
            leaf = rng.choices(leaves, leaf_weights)[0] if closed else None
            rows.append({"agency": "demo", "receipt_number": f"{received.year}-{serial[received.year]:05d}",
                         "applicant_type": rng.choices(kinds, kind_weights)[0].value, "applicant_name": f"申请人{n}",
                         "applicant_id_proof": "", "applicant_phone": "", "applicant_email": "", "applicant_address": "",
                         "description": "某项政府信息", "doc_number": "", "form": "electronic", "delivery": "email",
                         "channel": "online", "receipt_dates": {"confirmed_on": received.isoformat()},
                         "received_on": received, "state": "replied" if closed else "in_process",
                         "outcome": leaf.value if leaf else None, "reply": None, "closed_on": closed,
                         "correction_by": None, "fee_yuan": None, "fee_pay_by": None, "due_soon_for": None,
                         "overdue_for": None, "created_by": "office", "created_at": now, "updated_at": now})  # fmt: skip
        with session_scope(engine) as session:
            session.execute(insert(Application), rows)
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def best(repeat: int, step: Callable[[], object]) -> float:
    """The fastest of ``repeat`` timed runs (after one warm-up)."""
    step()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def run(url: str, count: int, repeat: int) -> None:
    """Seed, enter the office's inputs, time both and print the result line."""
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    authz = Authorizer(engine)
    office = Identities(engine, authz=authz).impersonate("office", via="cli")
    applications = ApplicationService(engine, authz=authz, events=_NoEvents(), calendar=WorkingCalendar,
                                      today=lambda: date(YEAR, 12, 31))  # fmt: skip
    reports = AnnualReports(engine, authz=authz, applications=applications, today=lambda: date(YEAR, 12, 31))
    started = time.perf_counter()
    seed(engine, count)
    print(f"seeded {count} applications in {time.perf_counter() - started:.1f} s ({engine.dialect.name})")
    reports.set_figures(office, year=YEAR, agency="demo", data={"table2": {"行政许可": 10}, "table4": {}})
    for part in "一五六":
        reports.set_text(office, year=YEAR, agency="demo", part=part, text="基准测试。")
    report = reports.compute(office, year=YEAR, agency="demo")
    new, out = (next(r.values["总计"] for r in report.table3 if r.label.startswith(p)) for p in ("一、", "四、"))
    print(f"report {YEAR}: 一 = {new}, 四 = {out}")
    params = {"start": date(YEAR, 1, 1), "end": date(YEAR, 12, 31)}

    def aggregate() -> object:
        with engine.connect() as connection:
            return connection.execute(text(AGGREGATE), params).all()

    report_s = best(repeat, lambda: reports.compute(office, year=YEAR, agency="demo"))
    aggregate_s = best(repeat, aggregate)
    by_rows = AnnualReports(engine, authz=authz, applications=applications, today=lambda: date(YEAR, 12, 31),
                            count_in_sql=False)  # fmt: skip
    facts_s = best(1, lambda: by_rows.compute(office, year=YEAR, agency="demo"))
    print(f"counting case_facts row by row instead: {facts_s:.3f} s ({facts_s / aggregate_s:.1f}x the aggregate)")
    engine.dispose()
    print(f"result: report_s={report_s:.4f} aggregate_s={aggregate_s:.4f} ratio={report_s / aggregate_s:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", action="store_true", help=f"PostgreSQL in a fresh schema of {PG_DSN}")
    parser.add_argument("--database-url", help="any database URL instead (it must be empty)")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.count, args.repeat)
    elif args.pg:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{schema}"
            run(url, args.count, args.repeat)
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    else:
        run(f"sqlite:///{Path(tempfile.mkdtemp(prefix='govpub-bench-report-')) / 'govpub.db'}", args.count, args.repeat)


if __name__ == "__main__":
    main()
