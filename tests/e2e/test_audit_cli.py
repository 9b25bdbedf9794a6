"""`govpub audit checkpoint` and `govpub audit verify` as separate processes."""

import json

from storage.db import make_engine
from tests.e2e.conftest import govpub
from tests.integration.test_audit_checkpoints import truncate


def test_verify_exits_1_naming_the_checkpoint_a_truncation_contradicts(env, tmp_path):
    assert govpub(env, "sample", "export", str(tmp_path / "s")).returncode == 0
    for path in sorted((tmp_path / "s").glob("*.json"))[:2]:
        assert govpub(env, "submit", str(path)).returncode == 0
    made = govpub(env, "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    checkpoint = json.loads(made.stdout)
    size = checkpoint["tree_size"]
    kept = tmp_path / "kept.json"
    kept.write_text(made.stdout)
    assert (tmp_path / "var" / "keys" / "audit-demo.pem").stat().st_mode & 0o077 == 0
    intact = govpub(env, "audit", "verify", "--checkpoint", str(kept))
    assert intact.returncode == 0, intact.stderr
    assert f"audit trail intact: {size} events" in intact.stdout
    assert checkpoint["root_hash"] in intact.stdout

    engine = make_engine(env["GOVPUB_DATABASE_URL"])
    try:
        truncate(engine, size - 1)
    finally:
        engine.dispose()
    broken = govpub(env, "audit", "verify", "--checkpoint", str(kept))
    assert broken.returncode == 1
    assert f"checkpoint of {size} events" in broken.stderr
    assert str(kept) in broken.stderr
    assert f"events #{size}..#{size} were removed" in broken.stderr

    missing = govpub(env, "audit", "verify", "--checkpoint", str(tmp_path / "nowhere.json"))
    assert missing.returncode == 2
    assert "nowhere.json" in missing.stderr
