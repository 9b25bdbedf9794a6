"""One attachment's extraction in a child process with memory, CPU and time limits.

The parsers (python-docx, openpyxl, pypdf, lxml) and the external readers run there; whatever
happens to the child — a bound exceeded, a parser crashing on a damaged file — the parent gets
segments or an unscreened finding with the reason, and its own memory stays untouched.

    python -m services.extract.isolated NAME MEDIA_TYPE LIMITS_JSON < FILE   (the child's side)
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import asdict
from typing import Any

from disclosure.screening import Detector, Finding, Segment
from disclosure.screening.findings import unscreened
from services.extract import extract, kind_of
from services.extract.limits import DEFAULT_LIMITS, ExtractionLimits

_IN_PROCESS = frozenset({"text", "html"})  # linear in the file's size: nothing to inflate
_STDERR_LINE = 200


def extract_file(
    name: str, data: bytes, media_type: str | None = None, *, limits: ExtractionLimits = DEFAULT_LIMITS
) -> list[Segment | Finding]:
    """Segments and unscreened findings of one file; parsed in a bounded child unless plain text."""
    if len(data) > limits.max_uncompressed_bytes:
        mb = limits.max_uncompressed_bytes / 1_000_000
        return [unscreened(name, f"is larger than the {mb:g} MB screening reads")]
    if kind_of(name, media_type) in _IN_PROCESS or kind_of(name, media_type) is None:
        return list(extract(name, data, media_type, limits=limits))
    argv = [sys.executable, "-m", "services.extract.isolated", name, media_type or "", json.dumps(asdict(limits))]
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as child:  # fmt: skip
        try:
            out, err = child.communicate(data, timeout=limits.timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return [unscreened(name, f"reading it took longer than {limits.timeout_seconds:g} s")]
    if child.returncode != 0:
        return [unscreened(name, _failure(child.returncode, err, limits))]
    return [_decode(json.loads(line)) for line in out.splitlines() if line]


def _failure(code: int, err: bytes, limits: ExtractionLimits) -> str:
    if code < 0:
        return (f"reading it exceeded the bounds ({signal.Signals(-code).name}; {limits.memory_bytes >> 20} MiB of "
                f"memory, {limits.timeout_seconds:g} s)")  # fmt: skip
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return f"the reader failed: {(lines[-1] if lines else f'exit {code}')[:_STDERR_LINE]}"


def _encode(item: Segment | Finding) -> str:
    if isinstance(item, Finding):
        return json.dumps({"unscreened": item.as_dict()}, ensure_ascii=False)
    return json.dumps({"source": item.source, "text": item.text, "location": item.location}, ensure_ascii=False)


def _decode(record: dict[str, Any]) -> Segment | Finding:
    if "unscreened" in record:
        found = record["unscreened"]
        return Finding(Detector(found["detector"]), found["file"], found["location"], found["masked"], found["note"])
    return Segment(record["source"], record["text"], record["location"])


def _child(argv: list[str]) -> int:
    name, media_type, raw = argv
    limits = ExtractionLimits(**json.loads(raw))
    cpu = max(1, int(limits.timeout_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    data = sys.stdin.buffer.read()
    out = sys.stdout
    try:
        for item in extract(name, data, media_type or None, limits=limits):
            out.write(_encode(item) + "\n")
    except MemoryError:
        out.write(_encode(unscreened(name, f"reading it needs more than {limits.memory_bytes >> 20} MiB of memory")))
        out.write("\n")
    except RecursionError:
        out.write(_encode(unscreened(name, "it is nested too deeply to read")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
