"""Intake against real S3 and real SQLite/PostgreSQL: all or nothing, stored once, byte-exact."""

import copy
import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from disclosure.errors import InvalidInput
from govpub.samples import load_samples
from services.bootstrap import sample_agency_config
from services.intake import Intake, attachment_key
from storage.db import session_scope
from storage.models import Attachment, AuditEvent, Document, DocumentVersion
from storage.repository.agencies import apply_agency_config
from storage.repository.audit import verify_trail

TODAY = date(2026, 11, 23)


@pytest.fixture
def buckets(store, bucket_prefix):
    private, public = bucket_prefix + "govpub-private", bucket_prefix + "govpub-public"
    store.ensure_bucket(private)
    store.ensure_bucket(public)
    return private, public


@pytest.fixture
def intake(engine, store, buckets):
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    return Intake(engine=engine, store=store, private_bucket=buckets[0])


def write_sample(tmp_path, sample, submission=None):
    path = tmp_path / f"{sample.name}.json"
    path.write_text(json.dumps(submission or sample.submission, ensure_ascii=False), "utf-8")
    for name, content in sample.files.items():
        (tmp_path / name).write_bytes(content)
    return path


def snapshot(engine, store, buckets):
    with session_scope(engine) as session:
        counts = tuple(session.scalar(select(func.count()).select_from(t))
                       for t in (Document, DocumentVersion, Attachment, AuditEvent))  # fmt: skip
    return counts, [sorted(store.list_keys(b)) for b in buckets]


def test_every_corpus_document_is_stored_privately_and_byte_exact(intake, engine, store, buckets, tmp_path):
    private, public = buckets
    ids = []
    for sample in load_samples():
        path = write_sample(tmp_path, sample)
        result = intake.submit(path.read_bytes(), beside=tmp_path, today=TODAY)
        assert result.created
        ids.append(result.document_id)
        with session_scope(engine) as session:
            version = session.scalars(
                select(DocumentVersion).where(DocumentVersion.document_id == result.document_id)
            ).one()
        assert version.body_key.startswith(f"drafts/{result.document_id}/1/")
        body = store.get(private, version.body_key)
        assert body == sample.submission["body"].encode("utf-8")
        (content,) = sample.files.values()
        assert store.get(private, attachment_key(hashlib.sha256(content).hexdigest())) == content
    assert len(set(ids)) == 5
    assert list(store.list_keys(public)) == []  # nothing public before review
    with session_scope(engine) as session:
        assert verify_trail(session=session) > 5
        documents = session.exec(select(Document)).scalars().all()
        assert {d.state for d in documents} == {"submitted"}
        assert {d.attribute for d in documents} == {"proactive"}


def test_resubmitting_the_same_content_changes_nothing(intake, engine, store, buckets, tmp_path):
    sample = load_samples()[0]
    path = write_sample(tmp_path, sample)
    first = intake.submit(path.read_bytes(), beside=tmp_path, today=TODAY)
    before = snapshot(engine, store, buckets)
    again = intake.submit(path.read_bytes(), beside=tmp_path, today=TODAY)
    assert (again.document_id, again.created) == (first.document_id, False)
    assert snapshot(engine, store, buckets) == before


def test_a_shared_attachment_is_stored_once(intake, store, buckets, tmp_path):
    sample = load_samples()[0]
    changed = copy.deepcopy(sample.submission)
    changed["title"] = "另一份文件，附件相同"
    intake.submit(write_sample(tmp_path, sample).read_bytes(), beside=tmp_path, today=TODAY)
    intake.submit(write_sample(tmp_path, sample, changed).read_bytes(), beside=tmp_path, today=TODAY)
    assert len(list(store.list_keys(buckets[0], "attachments/"))) == 1
    assert len(list(store.list_keys(buckets[0], "drafts/"))) == 4  # two documents × body + json


def test_revision_is_a_new_version(intake, engine, tmp_path):
    sample = load_samples()[0]
    first = intake.submit(write_sample(tmp_path, sample).read_bytes(), beside=tmp_path, today=TODAY)
    changed = copy.deepcopy(sample.submission)
    changed["summary"] = "修改后的概述"
    raw = write_sample(tmp_path, sample, changed).read_bytes()
    second = intake.submit(raw, beside=tmp_path, revise=first.document_id, today=TODAY)
    assert (second.document_id, second.version) == (first.document_id, 2)
    with session_scope(engine) as session:
        versions = (
            session.exec(select(DocumentVersion).where(DocumentVersion.document_id == first.document_id))
            .scalars()
            .all()
        )
        assert len({v.content_sha256 for v in versions}) == 2
    with pytest.raises(InvalidInput, match="--revise"):
        intake.submit(raw, beside=tmp_path, revise="0" * 32, today=TODAY)


def _bad_cases(sample):
    def edit(fn):
        data = copy.deepcopy(sample.submission)
        fn(data)
        return json.dumps(data, ensure_ascii=False).encode()

    return {
        "missing title": (edit(lambda d: d.pop("title")), "$.title"),
        "withheld without ground": (
            edit(lambda d: d.update(disclosure={"attribute": "withheld", "reason": "x"})),
            "$.disclosure.ground",
        ),
        "bad 文号": (edit(lambda d: d.update(doc_number="浙政办发2020-20")), "$.doc_number"),
        "hash mismatch": (
            edit(lambda d: d["attachments"][0].update(sha256="0" * 64)),
            "$.attachments[0].sha256",
        ),
        "non-UTF-8 body": (
            edit(lambda d: d.update(body="@@")).replace(b"@@", b"\xff\xfe"),
            "$.body",
        ),
        "10 MB title": (edit(lambda d: d.update(title="长" * 10_000_000)), "$.title"),
        "unknown drafter": (edit(lambda d: d.update(drafter="ghost")), "$.drafter"),
        "reviewer as drafter": (edit(lambda d: d.update(drafter="reviewer1")), "$.drafter"),
    }


@pytest.mark.parametrize("case", list(_bad_cases(load_samples()[0])))
def test_invalid_submissions_write_nothing(case, intake, engine, store, buckets, tmp_path):
    sample = load_samples()[0]
    write_sample(tmp_path, sample)
    raw, path = _bad_cases(sample)[case]
    before = snapshot(engine, store, buckets)
    with pytest.raises(InvalidInput) as caught:
        intake.submit(raw, beside=tmp_path, today=TODAY)
    assert path in {v.path for v in caught.value.violations}
    assert snapshot(engine, store, buckets) == before


def test_undeclared_and_missing_attachment_files_are_reported_together(intake, tmp_path):
    sample = load_samples()[0]
    stray = tmp_path / "stray.pdf"
    stray.write_bytes(b"%PDF-1.4")
    raw = json.dumps(sample.submission, ensure_ascii=False).encode()
    with pytest.raises(InvalidInput) as caught:
        intake.submit(raw, files=[stray], today=TODAY)  # its declared file is not beside it
    paths = {v.path for v in caught.value.violations}
    assert paths == {"$.attachments[0]", f"--attach {stray}"}


class FailingStore:
    """A real ObjectStore (the S3 one) that fails on the submission JSON: an outage mid-intake."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def put(self, bucket, key, data, **kwargs):
        if key.endswith("submission.json"):
            raise ConnectionError("S3 went away")
        return self._inner.put(bucket, key, data, **kwargs)


def test_an_outage_mid_intake_leaves_no_rows_and_no_drafts(engine, store, buckets, tmp_path):
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    failing = Intake(engine=engine, store=FailingStore(store), private_bucket=buckets[0])
    sample = load_samples()[0]
    path = write_sample(tmp_path, sample)
    counts_before, _ = snapshot(engine, store, buckets)
    with pytest.raises(ConnectionError):
        failing.submit(path.read_bytes(), beside=tmp_path, today=TODAY)
    counts_after, keys = snapshot(engine, store, buckets)
    assert counts_after == counts_before
    assert [k for k in keys[0] if k.startswith("drafts/")] == []
    assert keys[1] == []


def _with_attachment(sample, name, media_type, content):
    data = copy.deepcopy(sample.submission)
    data["attachments"].append({"file_name": name, "media_type": media_type, "size": len(content),
                                "sha256": hashlib.sha256(content).hexdigest()})  # fmt: skip
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("name", "media_type", "content", "message"),
    [
        ("公告.pdf", "application/pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\n2 0 obj<<>>endobj\n", "no startxref"),
        ("公告.pdf", "application/pdf", b"<html>not a pdf</html>", "is not a PDF"),
        (
            "名单.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            None,
            "uncompressed, more than the 100 MB screening inflates",
        ),
        ("公告.doc", "application/msword", b"PK\x03\x04 a docx renamed", "D0 CF 11 E0"),
    ],
)
def test_an_attachment_that_is_not_what_it_claims_is_refused_by_name(
    name, media_type, content, message, intake, engine, store, buckets, tmp_path
):
    import zipfile

    if content is None:  # a spreadsheet bomb: 200 MB of zeros in its sheet, ~200 KB on disk
        path = tmp_path / "bomb.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 200_000_000)
        content = path.read_bytes()
    sample = load_samples()[0]
    write_sample(tmp_path, sample)
    (tmp_path / name).write_bytes(content)
    before = snapshot(engine, store, buckets)
    with pytest.raises(InvalidInput) as caught:
        intake.submit(_with_attachment(sample, name, media_type, content), beside=tmp_path, today=TODAY)
    (violation,) = caught.value.violations
    assert violation.path == "$.attachments[1]"
    assert violation.message.startswith(f"{name}: ")
    assert message in violation.message
    assert snapshot(engine, store, buckets) == before
