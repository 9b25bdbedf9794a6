"""The three doors a submission comes in by, each answering with one Outcome, and what a refusal must
leave alone (every row, every object of both buckets).

- ``via_api``: multipart POST /api/v1/documents, the body built byte for byte (file names are sent
  as they are, not percent-encoded as httpx and browsers would);
- ``via_page``: the drafting form (POST /work/documents) with a page session and its CSRF token;
- ``via_cli``: ``govpub submit FILE --attach …`` on the same database and buckets, as a process of
  its own (``govpub``) or in this one (``in_process``: the same click command, its exit code and
  stderr, without a Python start-up per case).
"""

from __future__ import annotations

import json
import os
import subprocess
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import click
import httpx
import lxml.html
import typer.main
from click.testing import CliRunner
from sqlalchemy import inspect, text

from govpub import cli
from services.drafting import DOCUMENT_FIELDS, field_of, values_of
from services.sessions import csrf_token
from storage.db import read_scope
from tests.api.conftest import ApiWorld
from tests.e2e.conftest import govpub
from tests.hostile.corpus import Case, Sent
from web.session import SESSION_COOKIE

Runner = Callable[..., subprocess.CompletedProcess[str]]
VOLATILE = {"last_used_at", "last_seen_at"}  # a token's or session's use is recorded on every request


@dataclass
class Outcome:
    """What a door answered: accepted (a document id) or the violations it named (path, message)."""

    accepted: bool
    violations: list[tuple[str, str]] = field(default_factory=list)
    detail: str = ""
    document_id: str = ""

    def check(self, case: Case, door: str) -> None:
        """The case's expectation at this door: refused naming its field, or accepted."""
        target, fragment = case.expected(door)
        if fragment is None:
            assert self.accepted, f"{case.name} via {door}: refused, expected accepted: {self.detail}"
            return
        assert not self.accepted, f"{case.name} via {door}: accepted, expected a refusal naming {target}"
        named = [message for path, message in self.violations if path == target or path.startswith(target + " ")]
        assert named, f"{case.name} via {door}: nothing at {target!r}; got {self.violations or self.detail}"
        assert any(fragment in m for m in named), f"{case.name} via {door}: {fragment!r} not in {named}"
        for _, message in self.violations:  # one readable line each, no internals
            assert "Traceback" not in message
            assert len(message) < 2000, message[:200]


# -- the API ----------------------------------------------------------------------------------------
def multipart_body(sent: Sent) -> tuple[bytes, str]:
    """A multipart/form-data body with the submission part and each file under its raw name."""
    boundary = uuid.uuid4().hex
    parts = [b'Content-Disposition: form-data; name="submission"\r\nContent-Type: application/json\r\n\r\n' + sent.raw]
    for name, content in sent.files.items():
        quoted = name.replace("\\", "\\\\").replace('"', '\\"').encode("utf-8")
        parts.append(
            b'Content-Disposition: form-data; name="files"; filename="'
            + quoted
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            + content
        )
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


def via_api(world: ApiWorld, sent: Sent, user: str = "drafter") -> Outcome:
    body, content_type = multipart_body(sent)
    headers = {"Authorization": f"Bearer {world.tokens[user]}", "Content-Type": content_type}
    response = httpx.post(world.url + "/api/v1/documents", content=body, headers=headers, timeout=120)
    if response.status_code in {200, 201}:
        return Outcome(accepted=True, document_id=response.json()["document_id"])
    assert response.status_code in {413, 422}, f"{response.status_code}: {response.text[:500]}"
    problem = response.json()
    violations = [(e["path"], e["message"]) for e in problem.get("errors", [])]
    if response.status_code == 413:
        violations.append(("(body)", problem["detail"]))
    return Outcome(accepted=False, violations=violations, detail=response.text[:1000])


# -- the pages' drafting form ---------------------------------------------------------------------------
def form_of(payload: dict[str, Any]) -> dict[str, str]:
    """The form's fields for a submission the form can express."""
    values = values_of(payload)
    return {name: values.get(name, "") for name in DOCUMENT_FIELDS if name != "attachments"}


def via_page(world: ApiWorld, secret: str, sent: Sent, *, encodings: dict[str, str] | None = None) -> Outcome:
    """The form posted with the case's values and files (``encodings``: a field's bytes in another codec)."""
    assert sent.payload is not None, "the form only sends what it can express"
    data = {**form_of(sent.payload), "csrf_token": csrf_token(secret)}
    files = [("attachments", (name, content, "application/octet-stream")) for name, content in sent.files.items()]
    body, content_type = _form_body(data, files, encodings or {})
    response = httpx.post(
        world.url + "/work/documents",
        content=body,
        timeout=120,
        follow_redirects=False,
        headers={"Cookie": f"{SESSION_COOKIE}={secret}", "Content-Type": content_type},
    )
    if response.status_code == 303:
        location = response.headers["location"]
        return Outcome(accepted=True, document_id=location.split("/")[-1].split("?")[0])
    assert response.status_code == 422, f"{response.status_code}: {response.text[:500]}"
    page = lxml.html.fromstring(response.text)
    violations = [
        (div.get("id", "(page)").removesuffix("-error"), p.text_content().removeprefix("错误："))
        for div in page.xpath("//div[@class='error']")
        for p in div.iter("p")
    ]
    violations += [("(general)", li.text_content()) for li in page.xpath("//div[@id='error-summary']//li")]
    return Outcome(accepted=False, violations=violations, detail=" | ".join(m for _, m in violations)[:1000])


def _form_body(
    data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]], encodings: dict[str, str]
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks = [
        b'Content-Disposition: form-data; name="' + k.encode() + b'"\r\n\r\n' + v.encode(encodings.get(k, "utf-8"))
        for k, v in data.items()
    ]
    for field_name, (name, content, kind) in files:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"').encode()
        chunks.append(
            b'Content-Disposition: form-data; name="'
            + field_name.encode()
            + b'"; filename="'
            + quoted
            + b'"\r\nContent-Type: '
            + kind.encode()
            + b"\r\n\r\n"
            + content
        )
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in chunks)
    return body + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


def page_target(case: Case) -> str:
    """The form field a case's JSON path is about (``$.disclosure.reason`` → ``reason``)."""
    target, _ = case.expected("page")
    return field_of(target, DOCUMENT_FIELDS) or target


# -- the command line --------------------------------------------------------------------------------
def cli_env(world: ApiWorld, base: dict[str, str]) -> dict[str, str]:
    """The environment of a ``govpub`` process on the world's database and buckets."""
    settings = world.govpub.app.settings
    store = settings.store
    assert settings.database.url is not None
    assert store.secret_key is not None
    return {
        **base,
        "GOVPUB_DATA_DIR": str(settings.data_dir),
        "GOVPUB_DATABASE_URL": settings.database.url.get_secret_value(),
        "GOVPUB_STORE_ENDPOINT": store.endpoint or "",
        "GOVPUB_STORE_ACCESS_KEY": store.access_key or "",
        "GOVPUB_STORE_SECRET_KEY": store.secret_key.get_secret_value(),
        "GOVPUB_STORE_BUCKET_PREFIX": store.bucket_prefix,
        "COLUMNS": "200",
    }


@cache
def _command() -> click.Command:
    """The click command typer builds from the app (built once: typer would rebuild it per call)."""
    return typer.main.get_command(cli.app)


def in_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``govpub ARGS`` run in this process (click's runner: the same command, its exit code and stderr)."""
    result = CliRunner().invoke(_command(), list(args), env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr = "".join(traceback.format_exception(result.exception))
        return subprocess.CompletedProcess(args, 1, result.stdout, "Traceback: " + stderr)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def via_cli(env: dict[str, str], sent: Sent, directory: Path, *, run: Runner = govpub) -> Outcome:
    directory.mkdir(parents=True)
    submission = directory / "submission.json"
    submission.write_bytes(sent.raw)
    attach: list[str] = []
    for name, content in sent.files.items():
        path = directory / "files" / name
        try:  # names no disk can hold (a slash, NUL, 256 bytes) are refused in the JSON first
            if os.sep in name or "\0" in name or name in {".", ".."}:
                continue
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(content)
        except OSError:
            continue
        attach += ["--attach", str(path)]
    done = run(env, "submit", str(submission), *attach)
    if done.returncode == 0:
        return Outcome(accepted=True, document_id=done.stdout.strip().splitlines()[-1])
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    violations = []
    for line in done.stderr.splitlines():
        path, _, message = line.partition(": ")
        violations.append((path, message))
    return Outcome(accepted=False, violations=violations, detail=done.stderr[-1000:])


# -- what a refusal must leave alone ---------------------------------------------------------------------
def snapshot(world: ApiWorld) -> dict[str, Any]:
    """Every row of every table (volatile use-stamps left out) and every key and ETag of both buckets."""
    found: dict[str, Any] = {}
    with read_scope(world.govpub.app.engine) as session:
        conn = session.connection()
        schema = inspect(conn)
        for table in schema.get_table_names():
            columns = [c["name"] for c in schema.get_columns(table) if c["name"] not in VOLATILE]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = conn.execute(text(f'SELECT {names} FROM "{table}"')).all()  # noqa: S608 - names from the schema
            found[table] = sorted((tuple(str(v) for v in row) for row in rows), key=repr)
    app = world.govpub.app
    for bucket in (app.settings.store.private_bucket, app.settings.store.public_bucket):
        found[f"bucket {bucket}"] = sorted(app.store.list_keys(bucket, ""))
    return found


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What differs between two snapshots (for an assertion message)."""
    return {
        k: {"added": sorted(set(map(json.dumps, after.get(k, []))) - set(map(json.dumps, v)))[:5]}
        for k, v in before.items()
        if after.get(k) != v
    }
