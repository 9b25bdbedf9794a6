"""`govpub applications due`: the reply due date as the last line, its explanation, JSON, and bad input.

No database, S3 or Prefect is needed, like `govpub calendar add`: most cases run in-process through
typer's CliRunner; two run the installed command as a separate process.
"""

import json
import os
import subprocess

import pytest
from typer.testing import CliRunner

from govpub.cli import app
from tests.e2e.conftest import GOVPUB, govpub

ACCEPTANCE = [
    (["2026-03-02"], "2026-03-30"),
    (["2026-09-21", "--pause", "2026-09-24:2026-10-09"], "2026-11-02"),
    (["2026-05-06", "--correction-received", "2026-05-11", "--extend", "10"], "2026-06-23"),
]


@pytest.fixture
def run(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("GOVPUB_")]:
        monkeypatch.delenv(name)
    env = {"GOVPUB_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}

    def invoke(*args):
        return CliRunner().invoke(app, ["applications", "due", *args], env=env)

    return invoke


@pytest.mark.parametrize(("args", "expected"), ACCEPTANCE, ids=["plain", "paused", "corrected-extended"])
def test_the_due_date_is_the_last_line(run, args, expected):
    done = run(*args)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == expected
    assert done.stderr == ""
    explained = run(*args, "--explain")
    assert explained.exit_code == 0, explained.output
    lines = explained.stdout.splitlines()
    assert lines[-1] == expected
    assert lines[-2] == f"期限：{expected} / due: {expected}"
    assert lines[0].startswith("答复政府信息公开申请：20个工作日")


def test_explain_shows_the_pause_and_the_makeup_day(run):
    done = run("2026-09-21", "--pause", "2026-09-24:2026-10-09", "--explain")
    text = done.stdout
    assert "2026-09-24为工作日，计入第3日" in text
    assert "2026-09-25 … 2026-10-09" in text
    assert "暂停，不计入（其中工作日5日） / paused, not counted (5 working day(s) among them)" in text
    assert "调休上班日，计入第4日 / make-up working day, counted 4" in text


def test_json(run):
    done = run("2026-05-06", "--correction-received", "2026-05-11", "--extend", "10", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["due"] == "2026-06-23"
    assert data["provisional"] is False
    explanation = data["explanation"]
    assert explanation["counted_from"] == "2026-05-11"
    assert explanation["due_before_extension"] == "2026-06-08"
    assert explanation["extension_days"] == 10
    assert len(explanation["counted"]) == 30
    assert [s["date"] for s in explanation["skipped"] if s["kind"] == "holiday"] == ["2026-06-19", "2026-06-20",
                                                                                      "2026-06-21"]  # fmt: skip


def test_beyond_the_known_calendar_provisional_goes_to_stderr(run):
    done = run("2026-12-20")
    assert done.exit_code == 0
    assert done.stdout.splitlines()[-1] == "2027-01-15"
    assert "PROVISIONAL: from 2027-01-01" in done.stderr
    data = json.loads(run("2026-12-20", "--json").stdout)
    assert data["provisional"] is True
    assert data["explanation"]["provisional_from"] == "2027-01-01"


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (["2026-02-30"], ["RECEIVED: '2026-02-30' is not a date (YYYY-MM-DD)"]),
        (["2026-05-06", "--pause", "2026-05-20:2026-05-19"],
         ["--pause: the pause from 2026-05-20 to 2026-05-19 ends before it starts"]),
        (["2026-05-06", "--pause", "2026-05-20:2026-05-29", "--pause", "2026-05-25:2026-06-02"],
         ["--pause: the pause starting 2026-05-25 overlaps the pause from 2026-05-20 to 2026-05-29"]),
        (["2026-05-06", "--pause", "2026-05-01:2026-05-07"],
         ["--pause: the pause starting 2026-05-01 starts before the application was received (2026-05-06)"]),
        (["2026-05-06", "--extend", "21"], ["--extend: an extension is 1 to 20 working days (Art. 33), not 21"]),
        (["2026-05-06", "--extend", "0"], ["--extend: an extension is 1 to 20 working days (Art. 33), not 0"]),
        (["2026-05-06", "--correction-received", "2026-05-05"],
         ["--correction-received: the corrected application cannot be received (2026-05-05) before the application (2026-05-06)"]),
        (["2026-05-06", "--pause", "2026-08-08:2026-08-14"],
         ["--pause: the pause starting 2026-08-08 starts after the reply was already due (2026-06-02)"]),
        (["2026-05-06", "--pause", "soon", "--extend", "ten", "--correction-received", "2026-05-01"],
         ["--correction-received: the corrected application cannot be received (2026-05-01) before the application (2026-05-06)",
          "--extend: 'ten' is not a whole number of working days (1 to 20)",
          "--pause: 'soon' is not FROM:TO (YYYY-MM-DD:YYYY-MM-DD)"]),
    ],
    ids=["date", "pause-backwards", "pauses-overlap", "pause-before-receipt", "extend-21", "extend-0",
         "correction-before-receipt", "pause-after-due", "every-problem"],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line_per_violation(run, args, lines):
    done = run(*args)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == lines


def test_as_a_separate_process(tmp_path):
    assert GOVPUB, "the govpub console script is installed beside this Python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPUB_")} | {
        "GOVPUB_DATA_DIR": str(tmp_path / "var")
    }
    args, expected = ACCEPTANCE[1]
    done = subprocess.run([GOVPUB, "applications", "due", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == expected
    bad = subprocess.run([GOVPUB, "applications", "due", "2026-09-21", "--pause", "2026-10-09:2026-09-24"], env=env,
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr == "--pause: the pause from 2026-10-09 to 2026-09-24 ends before it starts\n"
    assert "Traceback" not in bad.stdout + bad.stderr
    assert not (tmp_path / "var").exists()  # nothing set up: no database, no buckets


APPLICATION = {
    "applicant": {"type": "自然人", "name": "李四光", "id_proof": "身份证 110101198001011234", "phone": "13912345678"},
    "description": "2025年本区道路改造工程的招标公告", "channel": "in_person", "received": {"handed_in_on": "2026-02-10"},
}  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_an_application_walks_from_the_cli(env, tmp_path):
    assert govpub(env, "init").returncode == 0
    source = tmp_path / "application.json"
    source.write_text(json.dumps(APPLICATION, ensure_ascii=False), "utf-8")
    refused = govpub(env, "applications", "register", "--file", str(source), "--as", "drafter")
    assert refused.returncode == 1
    assert "only the disclosure office handles applications" in refused.stderr
    registered = govpub(env, "applications", "register", "--file", str(source), "--as", "office", "--json")
    assert registered.returncode == 0, registered.stderr
    view = json.loads(registered.stdout)
    app_id, number = str(view["id"]), view["receipt_number"]
    assert number == "2026-00001"
    assert view["due"] == "2026-03-16"
    assert view["applicant"]["name"] == "李四光"
    shown = govpub(env, "applications", "show", app_id, "--as", "office")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1] == "2026-03-16"
    assert "李四光" in shown.stdout
    assert "调休上班日" in shown.stdout
    masked = govpub(env, "applications", "show", app_id, "--as", "admin", "--json")
    assert json.loads(masked.stdout)["applicant"]["name"] == "李**"
    listed = govpub(env, "applications", "list", "--json")  # the operator: masked
    assert json.loads(listed.stdout)[0]["applicant"]["phone"] == "139****5678"
    assert "李四光" not in listed.stdout
    steps = [
        ("correction-request", "--correct-by", "2026-03-06", "--note", "请写明工程名称", "--on", "2026-02-12"),
        ("correction-received", "--on", "2026-03-02"),
        ("accept", "--on", "2026-03-02"),
        ("consult", "--party", "third-party", "--on", "2026-03-03"),
        ("consultation-answered", "--answer", "consent", "--on", "2026-03-10"),
    ]
    for name, *options in steps:
        done = govpub(env, "applications", name, app_id, *options, "--as", "office", "--json")
        assert done.returncode == 0, (name, done.stderr)
    # 20 WD after Mar 2, Mar 4-10 paused: Mar 3 | 11-13, 16-20, 23-27, 30, 31, Apr 1-3 | Qingming 4-6 | 7 = 20
    assert json.loads(done.stdout)["due"] == "2026-04-07"
    deadlines = govpub(env, "deadlines", "--json")
    assert deadlines.returncode == 0, deadlines.stderr
    listed_due = [d for d in json.loads(deadlines.stdout) if d["document_id"] == f"application:{app_id}"]
    assert [(d["kind"], d["due"]) for d in listed_due] == [("application_reply", "2026-04-07")]
    again = govpub(env, "applications", "correction-request", app_id, "--correct-by", "2026-04-01", "--note", "x",
                   "--as", "office")  # fmt: skip
    assert again.returncode == 1
    assert "cannot request_correction" in again.stderr
    withheld = govpub(env, "applications", "reply", app_id, "--kind", "withheld", "--as", "office")
    assert withheld.returncode == 2
    assert withheld.stderr.startswith("$.ground: a withholding needs its ground")
    replied = govpub(env, "applications", "reply", app_id, "--kind", "withheld", "--ground", "third_party",
                     "--on", "2026-04-08", "--as", "office", "--json")  # fmt: skip
    assert replied.returncode == 0, replied.stderr
    assert json.loads(replied.stdout)["outcome_label"] == "4.保护第三方合法权益"
    for name in ("delivered", "archive"):
        assert govpub(env, "applications", name, app_id, "--as", "office").returncode == 0
    audit = govpub(env, "audit", "verify")
    assert audit.returncode == 0, audit.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_bad_registration_names_the_field(env, tmp_path):
    assert govpub(env, "init").returncode == 0
    source = tmp_path / "bad.json"
    source.write_text(json.dumps({**APPLICATION, "channel": "registered_post"}, ensure_ascii=False), "utf-8")
    done = govpub(env, "applications", "register", "--file", str(source), "--as", "office")
    assert done.returncode == 2
    assert done.stderr.startswith("$.received.signed_for_on: an application by registered_post is received on")
    missing = govpub(env, "applications", "show", "999", "--as", "office")
    assert missing.returncode == 1
    assert "no application 999" in missing.stderr
