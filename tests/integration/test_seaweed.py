"""The managed SeaweedFS: started on demand, shared between users, stopped by the last one."""

import json
import os
from pathlib import Path

from storage.seaweed import ManagedSeaweed
from storage.seaweed_process import reap, start_time


def _alive(pid: int) -> bool:
    reap(pid)
    return start_time(pid) is not None


def test_started_for_a_call_shared_and_stopped_by_the_last_user(tmp_path):
    root = tmp_path / "s3"
    with ManagedSeaweed(root) as first:
        state = json.loads((root / "state.json").read_text())
        assert state["endpoint"]["pid"] == state["process"]["pid"] == first.pid
        assert oct((root / "credentials.json").stat().st_mode & 0o777) == "0o600"
        with ManagedSeaweed(root) as second:
            assert second.pid == first.pid  # reused, not started twice
        assert _alive(first.pid)  # the inner user left; the outer still uses it
    assert not _alive(first.pid)
    assert not (root / "state.json").exists()


def test_a_server_owned_by_serve_outlives_calls(tmp_path):
    root = tmp_path / "s3"
    serve = ManagedSeaweed(root, owner="serve")
    endpoint = serve.__enter__()
    try:
        with ManagedSeaweed(root) as call:
            assert call.pid == endpoint.pid
        assert _alive(endpoint.pid)
    finally:
        serve.__exit__(None, None, None)
    assert not _alive(endpoint.pid)


def test_a_dead_server_is_replaced(tmp_path):
    root = tmp_path / "s3"
    with ManagedSeaweed(root) as first:
        os.kill(first.pid, 9)
        with ManagedSeaweed(root) as second:
            assert second.pid != first.pid
            assert _alive(second.pid)
    assert not _alive(second.pid)


def test_it_listens_on_loopback_only(tmp_path):
    root = tmp_path / "s3"
    with ManagedSeaweed(root) as endpoint:
        listening = _listening_addresses(endpoint.pid)
        assert listening
        assert all(address.startswith("127.0.0.1:") for address in listening), listening


def _listening_addresses(pid: int) -> list[str]:
    inodes = set()
    for fd in os.scandir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(fd.path)
        except FileNotFoundError:  # the descriptor closed while we listed them
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:  # noqa: PTH123
            for line in handle.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                    host, port = fields[1].split(":")
                    ip = ".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0)) if len(host) == 8 else host
                    found.append(f"{ip}:{int(port, 16)}")
    return found


def test_a_relative_data_directory_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with ManagedSeaweed(Path("var") / "s3") as endpoint:
        assert _alive(endpoint.pid)
    assert not _alive(endpoint.pid)
