"""Turns the bundled corpus of real agency documents into ready-to-submit files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

_KINDS = (("annual report", "report"), ("notice", "notice"), ("work plan", "policy"))


@dataclass(frozen=True, slots=True)
class Sample:
    """One corpus document as a submission plus the attachment files it references."""

    name: str
    submission: dict[str, Any]
    files: dict[str, bytes]


def corpus_dir() -> Path:
    """The corpus bundled with govpub (a copy of shared/corpus)."""
    return Path(str(resources.files("govpub") / "corpus"))


def load_samples(directory: Path | None = None, *, drafter: str = "drafter") -> list[Sample]:
    """Read ``index.json`` and build one valid submission per document, text kept byte-exact.

    Where the index has no 成文日期 the sample uses the publication date, else 1 January of the
    document's year; the original text file is attached as 原文.
    """
    root = directory or corpus_dir()
    index = json.loads((root / "index.json").read_text("utf-8"))
    samples = []
    for entry in index["documents"]:
        raw = (root / entry["file"]).read_bytes()
        body = raw.decode("utf-8")
        name = Path(entry["file"]).stem
        kind = next((k for marker, k in _KINDS if marker in entry["kind"]), "other")
        written = entry.get("written_on") or entry.get("published_on") or f"{entry['year']}-01-01"
        attachment_name = f"{name}-原文.txt"
        submission = {
            "title": entry["title"],
            "doc_number": entry.get("doc_number"),
            "issuing_agency": entry["issuing_org"],
            "co_issuers": [],
            "written_on": written,
            "category": "综合政务/政务公开",
            "kind": kind,
            "disclosure": {"attribute": "proactive"},
            "interpretation_required": kind == "policy",
            "public_scope": "society",
            "summary": f"{entry['issuing_org']}：{entry['title']}"[:100],
            "body": body,
            "body_format": "text",
            "attachments": [
                {
                    "file_name": attachment_name,
                    "media_type": "text/plain",
                    "size": len(raw),
                    "sha256": hashlib.sha256(raw).hexdigest(),
                }
            ],
            "drafter": drafter,
        }
        if submission["doc_number"] is None:
            del submission["doc_number"]
        samples.append(Sample(name=name, submission=submission, files={attachment_name: raw}))
    return samples


def export_samples(target: Path, directory: Path | None = None, *, drafter: str = "drafter") -> list[Path]:
    """Write ``<name>.json`` per sample and its attachment files under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in load_samples(directory, drafter=drafter):
        path = target / f"{sample.name}.json"
        path.write_text(json.dumps(sample.submission, ensure_ascii=False, indent=2), "utf-8")
        for file_name, content in sample.files.items():
            (target / file_name).write_bytes(content)
        written.append(path)
    return written


def sample_interpretation(
    policy_id: str, submission: dict[str, object], *, drafter: str = "drafter"
) -> dict[str, object]:
    """A plain Q&A interpretation (简明问答) of a sample policy, drafted by the same department."""
    title = str(submission["title"])
    agency = str(submission["issuing_agency"])
    body_lines = str(submission["body"]).splitlines()
    points = [line.strip() for line in body_lines if line.strip()][1:4]
    answers = "\n".join(f"答：{point}" for point in points) or "答：详见原文。"
    body = (
        f"《{title}》政策解读\n"
        f"问：为什么制定《{title}》？\n答：为深入推进政务公开工作，{agency}制定本文件。\n"
        f"问：主要内容有哪些？\n{answers}\n"
        f"问：如何咨询？\n答：可通过{agency}政务公开专栏留言。"
    )
    return {
        "document_id": policy_id,
        "title": f"《{title}》政策解读"[:200],
        "form": "qa",
        "interpreting_unit": agency,
        "interpreter": f"{agency}政务公开办公室",
        "summary": f"简明问答：{title}"[:100],
        "body": body,
        "body_format": "text",
        "drafter": drafter,
    }
