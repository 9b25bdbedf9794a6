"""The managed SeaweedFS is known by more than its PID, keeps its ports, and never outlives its users."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest
from minio import Minio

from disclosure.errors import ServiceUnavailable
from storage.seaweed import ManagedSeaweed, weed_binary
from storage.seaweed_process import boot_id, reap, start_time
from tests.conftest import poll_until
from tests.integration.test_seaweed_security import listening_sockets


def _alive(pid: int) -> bool:
    reap(pid)
    return start_time(pid) is not None


def _answers(endpoint) -> bool:
    client = Minio(endpoint.address, access_key=endpoint.access_key, secret_key=endpoint.secret_key, secure=False)
    client.list_buckets()
    return True


@pytest.fixture
def unrelated():
    """A live process of ours that is no SeaweedFS server."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


@pytest.mark.parametrize("layout", ["current", "older"])
def test_a_stale_state_file_naming_another_process_leaves_it_alone(tmp_path, unrelated, layout):
    root = tmp_path / "s3"
    root.mkdir()
    endpoint = {"pid": unrelated.pid, "s3_port": 9, "access_key": "a", "secret_key": "b", "owner": "call"}
    process = {  # even its start time matches: only the command line tells it apart
        "pid": unrelated.pid, "start_time": start_time(unrelated.pid), "boot_id": boot_id(),
        "binary": str(weed_binary()), "data_dir": str(root / "data"),
    }  # fmt: skip
    state = {"version": 2, "endpoint": endpoint, "process": process} if layout == "current" else endpoint
    (root / "state.json").write_text(json.dumps(state))
    with ManagedSeaweed(root) as server:
        assert server.pid != unrelated.pid
        assert _answers(server)
    assert unrelated.poll() is None  # neither signalled on start nor on stop
    # stopping returns once the process is no longer our server (it is exiting): it is gone soon after
    poll_until(lambda: not _alive(server.pid), timeout=30, what="the server to exit")


def test_a_copied_data_directory_neither_adopts_nor_stops_the_original(tmp_path):
    original = tmp_path / "a" / "s3"
    with ManagedSeaweed(original) as server:
        copy = tmp_path / "b" / "s3"
        shutil.copytree(original, copy, ignore=shutil.ignore_patterns("data"))
        s3_port = json.loads((copy / "ports.json").read_text())["s3"]
        with pytest.raises(ServiceUnavailable, match=r"port \d+ .* held by pid \d+ \(.*weed .*mini") as refused:
            ManagedSeaweed(copy).__enter__()
        assert str(original / "data") in str(refused.value)  # names who holds it
        ManagedSeaweed(copy).stop_if_unused()
        assert _alive(server.pid)
        assert _answers(server)
        (copy / "ports.json").unlink()  # as the message says: the copy then gets ports of its own
        with ManagedSeaweed(copy) as second:
            assert second.pid != server.pid
            assert second.s3_port != s3_port
            assert _answers(second)
        assert _alive(server.pid)
    assert not _alive(server.pid)


def test_a_killed_user_does_not_leave_its_server_behind(tmp_path):
    root = tmp_path / "s3"
    script = textwrap.dedent(f"""
        import sys, threading
        from pathlib import Path
        from storage.seaweed import ManagedSeaweed
        with ManagedSeaweed(Path({str(root)!r})) as endpoint:
            print(endpoint.pid, flush=True)
            threading.Event().wait()
    """)
    user = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(user.stdout.readline())
        assert _alive(pid)
    finally:
        user.kill()  # like `timeout` or kill -9: no __exit__ runs
        user.wait()
        user.stdout.close()
    # the watchdog stops the server, then removes its record: wait for both
    poll_until(lambda: not _alive(pid) and not (root / "state.json").exists(), timeout=30,
               what="the unowned server to stop and its record to go")  # fmt: skip


def test_ports_are_kept_after_the_server_is_killed(tmp_path):
    root = tmp_path / "s3"
    with ManagedSeaweed(root) as first:
        ports = json.loads((root / "ports.json").read_text())
        assert _answers(first)  # connections now close from the server's side: TIME-WAIT
        os.kill(first.pid, signal.SIGKILL)
        with ManagedSeaweed(root) as second:
            assert second.pid != first.pid
            assert second.s3_port == ports["s3"]
            assert set(listening_sockets(second.pid)[0]) == set(ports.values())
            assert _answers(second)
        assert json.loads((root / "ports.json").read_text()) == ports
