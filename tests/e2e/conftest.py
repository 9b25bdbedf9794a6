"""The govpub command as a separate process: its environment and a runner."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GOVPUB = shutil.which("govpub", path=str(Path(sys.executable).parent))


@pytest.fixture
def env(tmp_path, seaweed, bucket_prefix, database_url):
    values = {
        **os.environ,
        "GOVPUB_DATA_DIR": str(tmp_path / "var"),
        "GOVPUB_DATABASE_URL": database_url,
        "GOVPUB_STORE_ENDPOINT": seaweed.address,
        "GOVPUB_STORE_ACCESS_KEY": seaweed.access_key,
        "GOVPUB_STORE_SECRET_KEY": seaweed.secret_key,
        "GOVPUB_STORE_BUCKET_PREFIX": bucket_prefix,
        "COLUMNS": "200",
    }
    return values


def govpub(env, *args, cwd=None):
    assert GOVPUB, "the govpub console script is installed beside this Python"
    return subprocess.run([GOVPUB, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
