"""Credentials at the command line: tokens, login, deactivation, --as only in development."""

import json

import pytest

from tests.e2e.conftest import govpub

PASSWORD = "一个足够长的口令-2026"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_persons_act_needs_that_persons_credentials(env, tmp_path):
    assert govpub(env, "init").returncode == 0
    created = govpub(env, "users", "token", "create", "reviewer1", "--expires-days", "2")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("gp_")
    as_reviewer = {**env, "GOVPUB_TOKEN": token}
    queue = govpub(as_reviewer, "review", "list", "--json")
    assert queue.returncode == 0, queue.stderr
    assert json.loads(queue.stdout) == []
    mismatch = govpub(as_reviewer, "review", "list", "--as", "leader")
    assert mismatch.returncode == 1
    assert "does not match" in mismatch.stderr
    refused = govpub(as_reviewer, "withdraw", "0" * 32, "--reason", "无权")  # a reviewer is not the office
    assert refused.returncode == 1
    assert "only the disclosure office withdraws" in refused.stderr
    production = {**env, "GOVPUB_ENVIRONMENT": "production", "GOVPUB_FEEDS_BASE_URL": "https://gov.example.cn/"}
    as_flag = govpub(production, "review", "list", "--as", "reviewer1")
    assert as_flag.returncode == 1, as_flag.stderr
    assert "--as is refused in production" in as_flag.stderr
    # deactivation applies at once, on every door: the token stops working
    assert govpub(env, "users", "deactivate", "reviewer1").returncode == 0
    after = govpub(as_reviewer, "review", "list")
    assert after.returncode == 1
    assert "invalid or expired credentials" in after.stderr
    listed = json.loads(govpub(env, "users", "list", "--json").stdout)
    assert next(u for u in listed if u["username"] == "reviewer1")["active"] is False
    assert govpub(env, "init").returncode == 0  # re-applying the configuration never reactivates
    listed = json.loads(govpub(env, "users", "list", "--json").stdout)
    assert next(u for u in listed if u["username"] == "reviewer1")["active"] is False


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_login_keeps_a_private_token_and_logout_revokes_it(env, tmp_path):
    assert govpub(env, "init").returncode == 0
    set_pw = _with_stdin(env, ["users", "set-password", "office", "--password-stdin"], PASSWORD)
    assert set_pw.returncode == 0, set_pw.stderr
    wrong = _with_stdin(env, ["login", "office", "--password-stdin"], "not the password")
    assert wrong.returncode == 1
    logged = _with_stdin(env, ["login", "office", "--password-stdin"], PASSWORD)
    assert logged.returncode == 0, logged.stderr
    token_path = tmp_path / "var" / "credentials" / "token"
    assert token_path.stat().st_mode & 0o777 == 0o600
    assert govpub(env, "deadlines", "--json").returncode == 0  # as office, through the kept token
    users = govpub(env, "users", "list")  # the office is not an admin
    assert users.returncode == 1
    assert "only an admin manages users" in users.stderr
    assert govpub(env, "logout").returncode == 0
    assert not token_path.exists()


def _with_stdin(env, args, text):
    import subprocess

    from tests.e2e.conftest import GOVPUB

    return subprocess.run([GOVPUB, *args], env=env, input=text + "\n", capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
