"""External readers (antiword, catdoc, tesseract, pdftoppm) run with a timeout and resource limits."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence

from services.extract.limits import ExtractionLimits, OverLimit, Unreadable

_STDERR_LINE = 200


def find_tool(*names: str) -> str:
    """The first of ``names`` installed on PATH; Unreadable naming the first one if none is."""
    for name in names:
        if shutil.which(name):
            return name
    raise Unreadable(f"{names[0]} is not installed")


def limiter(limits: ExtractionLimits) -> Callable[[], None]:
    """A preexec_fn giving a child process the memory, CPU and file-size bounds."""
    cpu = max(1, int(limits.timeout_seconds))

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_uncompressed_bytes, limits.max_uncompressed_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_tool(argv: Sequence[str], limits: ExtractionLimits, *, stdin: bytes | None = None) -> bytes:
    """Run a reader; its stdout. Unreadable if it fails, OverLimit if it needs too long or too much."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=limiter(limits),  # noqa: PLW1509 - rlimits are set in the child; extraction runs single-threaded
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(stdin, timeout=limits.timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise OverLimit(f"{argv[0]} took longer than {limits.timeout_seconds:g} s") from None
    if process.returncode < 0:
        name = signal.Signals(-process.returncode).name
        if -process.returncode in {signal.SIGXCPU, signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT}:
            raise OverLimit(f"{argv[0]} exceeded its memory or CPU bounds ({name})")
        raise Unreadable(f"{argv[0]} was stopped by {name}")
    if len(out) > limits.max_uncompressed_bytes:
        raise OverLimit(f"{argv[0]} produced more than {limits.max_uncompressed_bytes} bytes of text")
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip().splitlines()
        raise Unreadable(f"{argv[0]} could not read it: {(message[-1] if message else 'no message')[:_STDERR_LINE]}")
    return out
