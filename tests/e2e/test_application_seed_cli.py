"""`govpub applications seed` as a separate process on embedded defaults, as ../shared/checks/interfaces.sh runs it."""

import json

import pytest

from services.bootstrap import today
from tests.e2e.conftest import govpub

YEAR = str(today().year - 1)  # a whole year, whatever the day the tests run


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_seeded_year_makes_the_annual_report(env):
    done = govpub(env, "applications", "seed", "--year", YEAR, "--count", "50", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["registered"], summary["closed"] + summary["open"]) == (50, 50)
    assert summary["carried_over"] > 0
    assert summary["notes"] == ["extensions skipped: no other active disclosure officer can approve them (Art. 33)"]

    report = govpub(env, "report", "annual", "--year", YEAR, "--format", "json")
    assert report.returncode == 0, report.stderr
    rows = {row["label"]: row["values"] for row in json.loads(report.stdout)["table3"]["rows"]}
    assert rows["一、本年新收政府信息公开申请数量"]["总计"] == 50
    assert rows["四、结转下年度继续办理"]["总计"] == summary["carried_over"]

    again = govpub(env, "applications", "seed", "--year", YEAR, "--count", "3", "--seed", "9")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"seeded 3 applications for demo {YEAR} (seed 9): ")
    assert len(again.stdout.splitlines()) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "line"),
    [(["--year", "1999", "--count", "5"], "--year: 1999: expected 2008 … "),
     (["--year", YEAR, "--count", "many"], "--count: 'many' is not a whole number")],
    ids=["year", "count"],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(env, args, line):
    done = govpub(env, "applications", "seed", *args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(line)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
