"""Publication commands as a separate process: publish, feeds export, deadlines, channels, validity,
withdraw, calendar — with their refusals and bad input. Reviews are decided in-process (the review
flow itself is covered by test_review_flow) on the same database and S3."""

import json
from datetime import date

import feedparser
import pytest

from disclosure.attributes import DisclosureAttribute
from services.review_service import ReviewService
from storage.db import make_engine
from tests.e2e.conftest import govpub
from tests.helpers import review_through


class Quiet:
    def emit(self, event, *, document_id, version, payload):
        pass


def approve(env, store, doc, *, attribute=DisclosureAttribute.PROACTIVE):
    engine = make_engine(env["GOVPUB_DATABASE_URL"])
    try:
        bucket = env["GOVPUB_STORE_BUCKET_PREFIX"] + "govpub-private"
        service = ReviewService(engine=engine, store=store, private_bucket=bucket, events=Quiet(), today=date.today)
        review_through(service, doc, 1, attribute=attribute)
    finally:
        engine.dispose()


def submit(env, tmp_path, name):
    exported = govpub(env, "sample", "export", str(tmp_path / "samples"))
    assert exported.returncode == 0, exported.stderr
    done = govpub(env, "submit", str(tmp_path / "samples" / f"{name}.json"))
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


def test_publish_feeds_channels_validity_withdraw(env, tmp_path, store):
    args = ("channels", "add", "wechat-main", "--title", "政务微信", "--webhook", "http://127.0.0.1:9/hook")
    anonymous = govpub(env, *args)  # a person's act: the operator's shell alone may not register a channel
    assert anonymous.returncode == 1
    assert "only an admin registers" in anonymous.stderr
    registered = govpub(env, *args, "--as", "admin")
    assert registered.returncode == 0, registered.stderr
    assert "webhook secret (shown once)" in registered.stdout
    bad = govpub(env, "channels", "add", "Bad Name", "--title", "x", "--webhook", "ftp://x", "--as", "admin")
    assert bad.returncode == 2
    assert "NAME:" in bad.stderr
    assert "--webhook:" in bad.stderr

    doc = submit(env, tmp_path, "hangzhou-2021-work-points")
    unreviewed = govpub(env, "publish", doc)
    assert unreviewed.returncode == 1
    assert "nothing published" in unreviewed.stderr
    approve(env, store, doc)
    published = govpub(env, "publish", doc)
    assert published.returncode == 0, published.stderr
    assert "索引号 000014349/" in published.stdout
    assert "already published" in govpub(env, "publish", doc).stdout

    out = tmp_path / "feeds"
    exported = govpub(env, "feeds", "export", str(out))
    assert exported.returncode == 0, exported.stderr
    for channel in ("all", "agency-demo", "category-综合政务-政务公开", "wechat-main"):
        for name in ("atom.xml", "rss.xml", "feed.json"):
            assert (out / channel / name).is_file(), (channel, name)
    atom = feedparser.parse((out / "wechat-main" / "atom.xml").read_bytes())
    assert [e.title for e in atom.entries] == ["杭州市人民政府办公厅关于印发2021年杭州市政务公开工作要点的通知"]

    channels = json.loads(govpub(env, "channels", "list", "--json").stdout)
    wechat = next(c for c in channels if c["name"] == "wechat-main")
    assert wechat["items"] == 1
    assert wechat["deliveries"]["pending"] == 1  # nothing listens on port 9: retried later
    assert wechat["last_delivery"]["error"]

    refused = govpub(env, "validity", doc, "repealed", "--as", "drafter", "--note", "x")
    assert refused.returncode == 1
    assert "disclosure office" in refused.stderr
    assert govpub(env, "validity", doc, "gone", "--as", "office", "--note", "x").returncode == 2
    changed = govpub(env, "validity", doc, "repealed", "--as", "office", "--note", "被新文件废止")
    assert changed.returncode == 0, changed.stderr
    status = json.loads(govpub(env, "status", doc, "--json").stdout)
    assert status["validity"] == "repealed"
    assert status["publications"][0]["index_number"] == status["index_number"]

    assert govpub(env, "withdraw", doc, "--as", "office", "--reason", " ").returncode == 1
    withdrawn = govpub(env, "withdraw", doc, "--as", "office", "--reason", "内容有误")
    assert withdrawn.returncode == 0, withdrawn.stderr
    exported = govpub(env, "feeds", "export", str(tmp_path / "feeds2"))
    assert exported.returncode == 0
    atom_bytes = (tmp_path / "feeds2" / "all" / "atom.xml").read_bytes()
    assert b"deleted-entry" in atom_bytes
    assert "内容有误".encode() in atom_bytes
    assert govpub(env, "audit", "verify").returncode == 0


def test_deadlines_and_status_explain_the_computation(env, tmp_path, store):
    policy = submit(env, tmp_path, "zhejiang-civil-affairs-2020-key-work")  # requires an interpretation
    approve(env, store, policy)
    held = govpub(env, "publish", policy)
    assert held.returncode == 0, held.stderr
    assert "held" in held.stdout
    listed = govpub(env, "deadlines", "--json")
    assert listed.returncode == 0, listed.stderr
    deadlines = {d["kind"]: d for d in json.loads(listed.stdout) if d["document_id"] == policy}
    assert set(deadlines) == {"interpretation", "publication"}
    assert "Art. 26" in deadlines["publication"]["basis"]
    assert deadlines["publication"]["overdue"]  # formed in 2020: 20 working days have long passed
    interpretation = deadlines["interpretation"]
    assert interpretation["basis"].startswith("policy approved")
    assert "working day(s) after" in interpretation["computation"]["explanation"]
    shown = govpub(env, "status", policy)
    assert shown.returncode == 0
    assert "interpretation due" in shown.stdout
    assert "how:" in shown.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("calendar", "add", "2026-09-30", "1"), "2026-10-08"),
        (("calendar", "add", "2026-02-27", "1"), "2026-02-28"),
        (("calendar", "add", "2026-10-03", "0"), "2026-10-08"),
        (("calendar", "is-workday", "2026-10-10"), "yes"),
        (("calendar", "is-workday", "2026-10-05"), "no"),
    ],
)
def test_calendar_commands(env, args, expected):
    done = govpub(env, *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_calendar_marks_provisional_and_uses_the_override(env, tmp_path):
    beyond = govpub(env, "calendar", "add", "2026-12-30", "3")
    assert beyond.returncode == 0
    assert "PROVISIONAL" in beyond.stderr
    override = {
        "years": [
            {
                "year": 2027,
                "source": "国办发明电〔2026〕7号",
                "holidays": [{"date": "2027-01-01", "name": "元旦"}],
                "workdays": [],
            }
        ]
    }
    path = tmp_path / "var" / "calendar-override.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(override, ensure_ascii=False))
    assert govpub(env, "calendar", "check", str(path)).returncode == 0
    known = govpub(env, "calendar", "add", "2026-12-30", "3")
    assert known.stdout.strip() == "2027-01-05"
    assert "PROVISIONAL" not in known.stderr
    for bad in (("calendar", "add", "2026-13-01", "1"), ("calendar", "add", "2026-01-01", "x")):
        refused = govpub(env, *bad)
        assert refused.returncode == 2
        assert "Traceback" not in refused.stderr
    path.write_text('{"years": [{"year": 2027}]}')
    broken = govpub(env, "calendar", "add", "2026-12-30", "3")
    assert broken.returncode == 2
    assert "calendar override" in broken.stderr
