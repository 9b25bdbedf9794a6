"""Hostile input and failing services at the command line: exit codes and one readable line, nothing stored."""

import json

import pytest

from tests.e2e.conftest import govpub


@pytest.fixture
def sqlite_env(env, tmp_path):
    return {**env, "GOVPUB_DATABASE_URL": f"sqlite:///{tmp_path / 'govpub.db'}"}


def _sample(env, tmp_path):
    exported = govpub(env, "sample", "export", str(tmp_path / "samples"))
    assert exported.returncode == 0, exported.stderr
    return min((tmp_path / "samples").glob("*.json"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_hostile_submissions_exit_2_naming_the_field_and_store_nothing(env, tmp_path, store, bucket_prefix):
    path = _sample(env, tmp_path)
    data = json.loads(path.read_text("utf-8"))
    cases = {
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "$: is nested more than 64 levels deep"),
        "title.json": (
            json.dumps({**data, "title": "正常\u202e标题\u0007\u0000"}).encode(),
            "$.title: contains U+0007",
        ),
        "bidi.json": (json.dumps({**data, "title": "正常\u202e标题"}).encode(), "$.title: contains U+202E"),
        "name.json": (
            json.dumps(
                {**data, "attachments": [{**data["attachments"][0], "file_name": "invoice\u202etxt.exe"}]}
            ).encode(),
            "$.attachments[0].file_name: contains U+202E",
        ),
        "device.json": (
            json.dumps({**data, "attachments": [{**data["attachments"][0], "file_name": "NUL.txt"}]}).encode(),
            "$.attachments[0].file_name: is a device name",
        ),
    }
    for name, (raw, expected) in cases.items():
        (tmp_path / name).write_bytes(raw)
        done = govpub(env, "submit", str(tmp_path / name))
        assert done.returncode == 2, (name, done.stderr)
        assert expected in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr
    assert list(store.list_keys(bucket_prefix + "govpub-private", "drafts/")) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_wrong_s3_credentials_exit_3_with_one_line(env, tmp_path):
    path = _sample(env, tmp_path)
    done = govpub({**env, "GOVPUB_STORE_SECRET_KEY": "not-the-secret"}, "submit", str(path))
    assert done.returncode == 3, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "refused govpub's credentials" in lines[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_commands_that_need_no_storage_never_start_it(env, tmp_path):
    managed = {k: v for k, v in env.items() if not k.startswith("GOVPUB_STORE_")}  # the embedded default
    (tmp_path / "a.txt").write_text("联系人手机13912345678。", "utf-8")
    screened = govpub(managed, "screen", str(tmp_path / "a.txt"), "--json")
    assert screened.returncode == 0, screened.stderr
    assert [f["detector"] for f in json.loads(screened.stdout)] == ["mobile"]
    assert govpub(managed, "calendar", "add", "2026-09-30", "1").stdout.strip() == "2026-10-08"
    assert not (tmp_path / "var" / "s3").exists()  # no SeaweedFS was started, nothing left running
