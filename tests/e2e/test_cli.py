"""The govpub command end to end, as a separate process, on real S3 and real databases."""

import json
import os
import sqlite3

from tests.e2e.conftest import govpub


def test_submit_status_and_audit(env, tmp_path, store, bucket_prefix):
    exported = govpub(env, "sample", "export", str(tmp_path / "samples"))
    assert exported.returncode == 0, exported.stderr
    files = sorted((tmp_path / "samples").glob("*.json"))
    assert len(files) == 5
    ids = []
    for path in files:
        done = govpub(env, "submit", str(path))
        assert done.returncode == 0, done.stderr
        ids.append(done.stdout.strip().splitlines()[-1])
    shown = govpub(env, "status", ids[0], "--json")
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["id"] == ids[0]
    assert info["state"] == "submitted"
    assert info["attribute"] == "proactive"
    assert [v["number"] for v in info["versions"]] == [1]
    assert [e["action"] for e in info["audit"]] == ["document.submitted"]
    assert len(list(store.list_keys(bucket_prefix + "govpub-private", "drafts/"))) == 10
    assert list(store.list_keys(bucket_prefix + "govpub-public")) == []
    human = govpub(env, "status", ids[0])
    assert human.returncode == 0
    assert info["title"] in human.stdout
    assert govpub(env, "audit", "verify").returncode == 0


def test_invalid_submission_exits_2_with_one_line_per_violation(env, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"body": "正文", "doc_number": "浙政办发〔2020]20号", "extra": 1}', "utf-8")
    done = govpub(env, "submit", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert "$.title: is required" in lines
    assert "$.extra: is not a field of this form" in lines
    assert "Traceback" not in done.stderr + done.stdout
    assert govpub(env, "audit", "verify").returncode == 0


def test_unknown_document_and_missing_file_are_clear_errors(env, tmp_path):
    missing = govpub(env, "status", "f" * 32)
    assert missing.returncode == 1
    assert "no document" in missing.stderr
    absent = govpub(env, "submit", str(tmp_path / "nope.json"))
    assert absent.returncode == 2
    assert "nope.json" in absent.stderr
    assert "Traceback" not in missing.stderr + absent.stderr


def test_init_with_an_invalid_config_names_the_fields(env, tmp_path):
    config = tmp_path / "agency.json"
    config.write_text(json.dumps({"agency": {"code": "X Y", "name": "机关"}, "users": [
        {"username": "r", "name": "审核", "roles": ["reviewer"]}]}, ensure_ascii=False))  # fmt: skip
    done = govpub(env, "init", "--config", str(config))
    assert done.returncode == 2
    for path in ("$.agency.code", "$.agency.org_code", "$.users[0].review_levels"):
        assert path in done.stderr


def test_audit_verify_names_an_edited_record(tmp_path, seaweed, bucket_prefix):
    db = tmp_path / "govpub.db"
    env = {**os.environ, "GOVPUB_DATA_DIR": str(tmp_path / "var"),
           "GOVPUB_DATABASE_URL": f"sqlite:///{db}", "GOVPUB_STORE_ENDPOINT": seaweed.address,
           "GOVPUB_STORE_ACCESS_KEY": seaweed.access_key,
           "GOVPUB_STORE_SECRET_KEY": seaweed.secret_key,
           "GOVPUB_STORE_BUCKET_PREFIX": bucket_prefix}  # fmt: skip
    govpub(env, "sample", "export", str(tmp_path / "s"))
    for path in sorted((tmp_path / "s").glob("*.json"))[:2]:
        assert govpub(env, "submit", str(path)).returncode == 0
    assert govpub(env, "audit", "verify").returncode == 0
    with sqlite3.connect(db) as connection:
        (target,) = connection.execute(
            "SELECT sequence FROM audit_event WHERE action = 'document.submitted' ORDER BY sequence"
        ).fetchone()
        connection.execute("UPDATE audit_event SET actor = 'someone' WHERE sequence = ?", (target,))
    broken = govpub(env, "audit", "verify")
    assert broken.returncode == 1
    assert f"audit event #{target}" in broken.stderr


def test_embedded_defaults_start_and_stop_their_own_s3(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOVPUB_")}
    env["GOVPUB_DATA_DIR"] = str(tmp_path / "var")
    exported = govpub(env, "sample", "export", "samples", cwd=tmp_path)
    assert exported.returncode == 0
    done = govpub(env, "submit", "samples/hunan-police-2019-annual-report.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "govpub.db").exists()
    assert not (tmp_path / "var" / "s3" / "state.json").exists()  # stopped after the call
    shown = govpub(env, "status", done.stdout.split()[-1], "--json", cwd=tmp_path)
    assert json.loads(shown.stdout)["title"] == "湖南省公安厅2019年政府信息公开工作年度报告"
