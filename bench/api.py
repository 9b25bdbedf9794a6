"""HTTP API under load: feed GETs (conditional → 304, and full), catalogue list and search at 100,000
published items, against the same feed GETs served directly by the S3 server, in one run.

Seeds N published items in bulk (documents, publications, catalogue rows and their search index,
inserted directly), writes a head page of 50 entries to the public bucket, serves the API app with
uvicorn (a thread of this process) and measures every target with ``wrk`` (Debian package ``wrk``;
another process) — requests/s and p99 latency. Targets: 304s at ≥ 50% of the S3 server's rate;
search p99 < 100 ms.

    python bench/api.py [--items 100000] [--seconds 8] [--connections 8] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, insert, text

from govpub.samples import load_samples
from storage.db import session_scope
from storage.models import CatalogueText, Document, Publication
from storage.repository.search import normalise, tokens

QUERIES = ["政务", "解读", "公开", "信息", "工作要点", "规范性文件", "杭州", "年度报告", "公安 政务", "湛江"]


class _NoEvents:
    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, Any]) -> None:
        """Nothing listens in the bench."""


def _resume(*_args: object, **_kwargs: object) -> None:
    """No review runs in the bench."""


def seed(engine: Engine, count: int) -> None:
    """``count`` published items with texts cut from the corpus, straight into the tables."""
    rng = random.Random(8)
    corpus = [s.submission["body"].replace("\n", "") for s in load_samples()]
    titles = [s.submission["title"] for s in load_samples()]
    categories = ["综合政务/政务公开", "综合政务/其他", "公安、安全、司法/公安", "民政、扶贫、救灾/民政"]
    kinds = ["notice", "policy", "report", "normative_document"]
    with session_scope(engine) as session:
        agency = session.execute(text("SELECT id, code FROM agency")).first()
        drafter = session.execute(text("SELECT id FROM govpub_user WHERE username = 'drafter'")).scalar_one()
    if agency is None:
        raise SystemExit("no agency")
    now = datetime.now(UTC)
    batch = 5000
    for start in range(0, count, batch):
        docs, pubs, rows, index = [], [], [], []
        for n in range(start, min(count, start + batch)):
            body = corpus[n % len(corpus)]
            at = rng.randrange(0, len(body) - 500)
            body = body[at : at + rng.randrange(300, 500)]
            title = f"{titles[n % len(titles)][: rng.randrange(8, 20)]}（第{n}号）"
            number, doc_id = f"000014349/2025-{n + 1:06d}", f"bench{n:08d}"
            category, kind = categories[n % 4], kinds[n % 3 if n % 50 else 3]
            docs.append({"id": doc_id, "agency_id": agency.id, "item_type": "document", "title": title, "kind": kind,
                         "category": category, "attribute": "proactive", "grade": "ordinary", "state": "published",
                         "drafter_id": drafter, "current_version": 1, "index_number": number, "validity": "valid",
                         "validity_note": "", "created_at": now, "updated_at": now})  # fmt: skip
            prefix = f"documents/{number}/1/"
            record = {"index_number": number, "entry_id": f"tag:gov.example.cn,2025:{number}", "title": title,
                      "doc_number": None, "issuing_agency": "杭州市人民政府办公厅", "co_issuers": [],
                      "written_on": "2025-06-01", "published_on": "2025-06-02", "first_published_on": "2025-06-02",
                      "category": category, "kind": kind, "item_type": "document", "attribute": "主动公开",
                      "public_scope": "society", "summary": title, "validity": "有效", "version": 1,
                      "change_note": None, "interpretation": None, "interprets": None, "interpretations": [],
                      "content_sha256": "0" * 64, "body": {"url": prefix + "body.html"}, "attachments": []}  # fmt: skip
            pubs.append({"id": n + 1, "document_id": doc_id, "version": 1, "index_number": number,
                         "public_prefix": prefix, "content_sha256": "0" * 64, "record": record, "change_note": "",
                         "published_at": now})  # fmt: skip
            title_text, body_text = normalise(title), normalise(f"{title}\n{body}")
            rows.append({"id": n + 1, "document_id": doc_id, "publication_id": n + 1, "index_number": number,
                         "agency": agency.code, "category": category, "kind": kind, "year": 2025,
                         "title_text": title_text, "body_text": body_text})  # fmt: skip
            index.append((n + 1, tokens(title_text), tokens(body_text)))
        with session_scope(engine) as session:
            session.execute(insert(Document), docs)
            session.execute(insert(Publication), pubs)
            session.execute(insert(CatalogueText), rows)
            if engine.dialect.name == "sqlite":
                session.execute(text("INSERT INTO catalogue_fts(rowid, title, body) VALUES (:id, :t, :b)"),
                                [{"id": i, "t": " ".join(t), "b": " ".join(b)} for i, t, b in index])  # fmt: skip
            else:
                session.execute(
                    text("UPDATE catalogue_text SET title_grams = array_to_tsvector(CAST(:t AS text[])), "
                         "grams = array_to_tsvector(CAST(:g AS text[])) WHERE id = :id"),
                    [{"id": i, "t": sorted(set(t)), "g": sorted(set(t) | set(b))} for i, t, b in index],
                )  # fmt: skip
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def head_page(entries: int = 50) -> bytes:
    """An Atom head page of realistic size (50 entries with their content)."""
    body = load_samples()[2].submission["body"][:1500]
    items = "".join(
        f"<entry><id>tag:gov.example.cn,2025:000014349/2025-{n:06d}</id><title>条目{n}</title>"
        f"<updated>2025-06-02T00:00:00+08:00</updated><content type='html'>{body}</content></entry>"
        for n in range(entries)
    )
    return (f"<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<id>tag:gov.example.cn,2025:feeds/all</id><title>全部</title>{items}</feed>").encode()  # fmt: skip


LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {%s})
end
"""


def wrk(url: str, paths: list[str], *, headers: dict[str, str], seconds: int, connections: int) -> tuple[float, float]:
    """Requests/s and p99 (ms) of wrk on these paths of ``url`` (rotated), checking for errors."""
    script = Path(tempfile.mkdtemp()) / "paths.lua"
    quoted = ", ".join(json.dumps(p) for p in paths)
    head = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    script.write_text(LUA % (quoted, head), encoding="utf-8")
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    shutil.rmtree(script.parent)
    if "Non-2xx or 3xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors under load at {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:  # noqa: PLR0915 - one straight run
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    data = Path(tempfile.mkdtemp(prefix="govpub-bench-api-"))
    os.environ["GOVPUB_DATA_DIR"] = str(data)
    if args.database_url:
        os.environ["GOVPUB_DATABASE_URL"] = args.database_url
    here = Path(__file__).resolve().parent  # this file is bench/api.py: it must not shadow the api package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.modules.pop("api", None)
    from api.server import ApiServer  # noqa: PLC0415 - after the environment names the data directory
    from services.bootstrap import open_app  # noqa: PLC0415
    from services.facade import Govpub  # noqa: PLC0415
    from services.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    try:
        with open_app(settings, owner="serve") as app:
            started = time.perf_counter()
            seed(app.engine, args.items)
            print(f"seeded {args.items} published items in {time.perf_counter() - started:.1f} s "
                  f"({app.engine.dialect.name})")  # fmt: skip
            bucket = settings.store.public_bucket
            page = head_page()
            app.store.put(bucket, "feeds/all/atom.xml", page, length=len(page), content_type="application/atom+xml")
            s3 = f"{app.store.endpoint_url}{bucket}/"
            govpub = Govpub(app, events=_NoEvents(), resume=_resume)  # type: ignore[arg-type]
            with ApiServer(govpub, "127.0.0.1:0") as server:
                api = server.url
                etag = httpx.get(f"{api}/feeds/all/atom.xml").headers["etag"]
                s3_etag = httpx.get(f"{s3}feeds/all/atom.xml").headers["etag"]
                check = httpx.get(f"{api}/api/v1/catalogue", params={"q": "政务"}).json()
                if not check["items"] or not check["next"]:
                    raise SystemExit(f"the catalogue search answered {check}")
                run = {"seconds": args.seconds, "connections": args.connections}
                figures: dict[str, float] = {}
                feed = ["/" + "feeds/all/atom.xml"]
                s3_path = [f"/{bucket}/feeds/all/atom.xml"]
                s3_root = s3.split(f"/{bucket}/", maxsplit=1)[0]
                figures["api_304_rps"], figures["api_304_p99_ms"] = wrk(
                    api, feed, headers={"If-None-Match": etag}, **run
                )
                figures["s3_304_rps"], figures["s3_304_p99_ms"] = wrk(
                    s3_root, s3_path, headers={"If-None-Match": s3_etag}, **run
                )
                figures["api_feed_rps"], figures["api_feed_p99_ms"] = wrk(api, feed, headers={}, **run)
                figures["s3_feed_rps"], figures["s3_feed_p99_ms"] = wrk(s3_root, s3_path, headers={}, **run)
                lists = ["/api/v1/catalogue", "/api/v1/catalogue?kind=report", "/api/v1/catalogue?category=%E7%BB%BC%E5%90%88%E6%94%BF%E5%8A%A1%2F%E5%85%B6%E4%BB%96",
                         "/api/v1/catalogue?year=2025&limit=50"]  # fmt: skip
                figures["list_rps"], figures["list_p99_ms"] = wrk(api, lists, headers={}, **run)
                searches = [str(httpx.URL("/api/v1/catalogue", params={"q": q})) for q in QUERIES]
                figures["search_rps"], figures["search_p99_ms"] = wrk(api, searches, headers={}, **run)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    figures["ratio_304"] = figures["api_304_rps"] / figures["s3_304_rps"]
    figures["ratio_feed"] = figures["api_feed_rps"] / figures["s3_feed_rps"]
    for name, value in figures.items():
        print(f"{name:>16}: {value:10.2f}")
    print(
        f"targets: 304s at >= 50% of S3 ({figures['ratio_304']:.2f}); search p99 < 100 ms ({figures['search_p99_ms']:.1f})"
    )
    print("result: " + " ".join(f"{k}={v:.2f}" for k, v in figures.items()) + f" items={args.items}")


if __name__ == "__main__":
    main()
