"""`applications transfer-proactive` and `redacted-copy` as separate processes: bad input named, the
wrong principal refused, nothing written (the successful paths: tests/integration/test_application_transfer.py
and tests/api/test_application_transfer.py)."""

import json

import pytest

from tests.e2e.conftest import govpub

APPLICATION = {"applicant": {"type": "自然人", "name": "令狐冲", "id_proof": "身份证 110101199001011234"},
               "description": "2021年政务公开工作要点", "channel": "in_person",
               "received": {"handed_in_on": "2026-11-02"}}  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_input_and_the_wrong_principal_are_refused_by_name(env, tmp_path):
    path = tmp_path / "application.json"
    path.write_text(json.dumps(APPLICATION, ensure_ascii=False), "utf-8")
    case = govpub(env, "applications", "register", "--file", str(path), "--as", "office")
    assert case.returncode == 0, case.stderr
    case_id = case.stdout.split()[-1]
    body = tmp_path / "redacted.txt"
    body.write_text("节选（第三方信息已删除）", "utf-8")

    missing = govpub(env, "applications", "redacted-copy", case_id, "--from", "nodoc", "--body", str(tmp_path / "no.txt"),
                     "--ground", "third_party", "--as", "office")  # fmt: skip
    assert missing.returncode == 2
    assert "--body:" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_ground = govpub(env, "applications", "redacted-copy", case_id, "--from", "nodoc", "--body", str(body),
                        "--ground", "popular", "--as", "office")  # fmt: skip
    assert bad_ground.returncode == 2
    assert "Traceback" not in bad_ground.stderr
    early = govpub(env, "applications", "redacted-copy", case_id, "--from", "nodoc", "--body", str(body),
                   "--ground", "third_party", "--as", "office")  # fmt: skip
    assert (early.returncode, early.stderr.strip()) == (
        1,
        f"error: application {case_id} is registered: a redacted copy is made while it is in process",
    )
    accepted = govpub(env, "applications", "accept", case_id, "--on", "2026-11-03", "--as", "office")
    assert accepted.returncode == 0, accepted.stderr
    unknown = govpub(env, "applications", "redacted-copy", case_id, "--from", "nodoc", "--body", str(body),
                     "--ground", "third_party", "--as", "office")  # fmt: skip
    assert unknown.returncode != 0
    assert "nodoc" in unknown.stderr
    forbidden = govpub(env, "applications", "redacted-copy", case_id, "--from", "nodoc", "--body", str(body),
                       "--ground", "third_party", "--as", "drafter")  # fmt: skip
    assert forbidden.returncode == 1
    assert "disclosure office" in forbidden.stderr

    transfer = govpub(env, "applications", "transfer-proactive", "nodoc", "--reason", "several-applicants",
                      "--application", case_id, "--as", "reviewer1")  # fmt: skip
    assert transfer.returncode == 1
    assert "disclosure office" in transfer.stderr
    shown = govpub(env, "applications", "show", case_id, "--json", "--as", "office")
    assert [e["act"] for e in json.loads(shown.stdout)["events"]] == [
        "register",
        "accept",
    ]  # nothing but refusals written
