"""Publication cost: independent of feed size, and throughput against a bare baseline, in one run.

1. Feed size: the time to publish one approved document into channels that already hold 100 and
   100,000 entries (rows seeded in bulk: documents, publications and feed items; archive pages are
   written once, so only the head page is rebuilt). Prints both medians and their ratio
   (target ≤ 1.2). ``--skip-feed-size`` leaves it out.
2. Throughput: ``--count`` approved documents published through the Prefect flow
   ``publish-releases`` (one run taking every release waiting, one task per batch of 50; a real
   Prefect API from prefect_test_harness), through PublicationService alone (``publish_batch`` in
   batches of 50, and ``publish`` one by one for comparison), and a bare baseline doing the same S3
   puts per document (body, attachment, record, status, 3 channels × 3 feed pages of the same size)
   and SQL writes (publication, 3 feed items, audit) by hand. Prints docs/s and ratios, and the
   overhead of an empty flow run (async, and sync for comparison) on the same server. Ends with one
   ``result:`` line (target ratio ≥ 0.5).

    python bench/publish.py [--count 100] [--repeat 7] [--database-url URL] [--skip-feed-size]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import io
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from disclosure.attributes import DisclosureAttribute
from disclosure.calendar import WorkingCalendar
from disclosure.review import Decision, DecisionRequest
from feeds.channels import agency_channel, category_channel
from feeds.pages import FeedSite
from govpub.samples import load_samples
from services.bootstrap import sample_agency_config
from services.intake import Intake
from services.publication import PublicationService
from services.review_service import NoEvents, ReviewService
from storage.db import make_engine, migrate, session_scope
from storage.models import Document, FeedChannel, FeedItem, Publication, utcnow
from storage.objectstore import S3ObjectStore
from storage.repository.agencies import apply_agency_config, get_user
from storage.seaweed import ManagedSeaweed

TODAY = date(2026, 11, 23)
PAGE = 50
BATCH = 50  # releases per batch (the default of GOVPUB_PUBLISH_BATCH_SIZE)


class Bench:
    """One database + bucket pair with the services wired."""

    def __init__(self, url: str, store: S3ObjectStore, scratch: Path) -> None:
        self.engine: Engine = make_engine(url)
        migrate(self.engine)
        with session_scope(self.engine) as session:
            apply_agency_config(session=session, config=sample_agency_config(), actor="bench")
        prefix = f"b{uuid.uuid4().hex[:8]}-"
        self.private, self.public = prefix + "govpub-private", prefix + "govpub-public"
        self.store, self.scratch = store, scratch
        for bucket in (self.private, self.public):
            store.ensure_bucket(bucket)
        events = NoEvents()
        self.review = ReviewService(engine=self.engine, store=store, private_bucket=self.private, events=events,
                                    today=lambda: TODAY)  # fmt: skip
        self.intake = Intake(engine=self.engine, store=store, private_bucket=self.private)
        site = FeedSite(base_url=f"{store.endpoint_url}{self.public}/", tag_authority="bench.example",
                        page_size=PAGE, hubs=())  # fmt: skip
        self.service = PublicationService(engine=self.engine, store=store, private_bucket=self.private,
                                          public_bucket=self.public, site=site, events=events,
                                          calendar=WorkingCalendar(), today=lambda: TODAY)  # fmt: skip

    def approved(self, count: int) -> list[str]:
        sample = load_samples()[2]
        for name, content in sample.files.items():
            (self.scratch / name).write_bytes(content)
        ids = []
        for _ in range(count):
            data = copy.deepcopy(sample.submission)
            data["title"] = f"{data['title']}（{uuid.uuid4().hex[:8]}）"
            doc = self.intake.submit(json.dumps(data, ensure_ascii=False).encode(), beside=self.scratch,
                                     today=TODAY).document_id  # fmt: skip
            self.review.begin(doc, 1, f"bench-{doc[:20]}")
            view = self.review.screen(doc, 1)
            names = {"初审": "reviewer1", "复审": "reviewer2", "保密审查": "secrecy", "终审": "leader"}
            for position, level in enumerate(view.levels):
                last = position == len(view.levels) - 1
                self.review.decide(doc, DecisionRequest(Decision.APPROVE, names[level.name], "同意",
                                   confirmed_attribute=DisclosureAttribute.PROACTIVE if last else None), via="cli")  # fmt: skip
            ids.append(doc)
        return ids

    def seed(self, entries: int) -> None:
        """Channels all / category / agency holding ``entries`` items each, inserted in bulk."""
        with session_scope(self.engine) as session:
            drafter = get_user(session=session, username="drafter")
            agency_id, drafter_id = drafter.agency_id, drafter.id
        category = load_samples()[2].submission["category"]
        names = ["all", category_channel(category), agency_channel("demo")]
        entry = {"id": "", "action": "publish", "title": "历史文件", "summary": "历史文件", "content_html": "<p>正文</p>" * 40,
                 "link": "http://x/", "published": utcnow().isoformat(), "updated": utcnow().isoformat(),
                 "categories": [category], "enclosures": [], "related": [],
                 "meta": {"index_number": "", "agency": "示范", "version": 1}}  # fmt: skip
        now = utcnow()
        with self.engine.begin() as conn:
            for name in names:
                conn.execute(insert(FeedChannel), [{"name": name, "kind": "all", "title": name, "categories": [],
                                                    "agencies": [], "active": True, "last_seq": entries,
                                                    "archived_pages": entries // PAGE, "created_at": now}])  # fmt: skip
            batch = 5000
            for start in range(0, entries, batch):
                ids = [uuid.uuid4().hex for _ in range(start, min(entries, start + batch))]
                conn.execute(insert(Document), [{
                    "id": d, "agency_id": agency_id, "item_type": "document", "title": "历史文件", "kind": "notice",
                    "category": category, "attribute": "proactive", "grade": "ordinary", "state": "published",
                    "drafter_id": drafter_id, "current_version": 1, "index_number": f"seed/{d}", "validity": "valid",
                    "validity_note": "", "created_at": now, "updated_at": now} for d in ids])  # fmt: skip
                conn.execute(insert(Publication), [{
                    "document_id": d, "version": 1, "index_number": f"seed/{d}", "public_prefix": "seed/",
                    "content_sha256": "0" * 64, "record": {}, "change_note": "", "published_at": now} for d in ids])  # fmt: skip
                for name in names:
                    conn.execute(insert(FeedItem), [{
                        "channel": name, "seq": start + i + 1, "document_id": d, "version": 1, "action": "publish",
                        "entry": {**entry, "id": f"tag:bench.example,2026:seed/{d}",
                                  "meta": {**entry["meta"], "index_number": f"seed/{d}"}},
                        "occurred_at": now} for i, d in enumerate(ids)])  # fmt: skip

    def analyze(self) -> None:
        """Planner statistics, as a database that grew over years has them (autovacuum runs later)."""
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    def time_publish(self, ids: list[str]) -> list[float]:
        timings = []
        for doc in ids:
            start = time.perf_counter()
            self.service.publish(doc)
            timings.append(time.perf_counter() - start)
        return timings


def feed_size(url_for: Any, store: S3ObjectStore, scratch: Path, repeat: int) -> tuple[float, float]:  # noqa: ANN401
    """Median publish time into each world; the two worlds are measured alternately, so drift of the
    machine or of the S3 server over the run (e.g. SeaweedFS growing volumes) hits both alike."""
    worlds, queues = [], []
    for entries in (100, 100_000):
        bench = Bench(url_for(entries), store, scratch)
        started = time.perf_counter()
        bench.seed(entries)
        bench.analyze()
        print(f"  seeded {entries} entries per channel in {time.perf_counter() - started:.1f} s")
        docs = bench.approved(repeat + 2)
        bench.time_publish(docs[:2])  # warm-up: first writes into fresh buckets, caches
        worlds.append(bench)
        queues.append(docs[2:])
    timings: list[list[float]] = [[], []]
    for round_docs in zip(*queues, strict=True):
        for index, doc in enumerate(round_docs):
            timings[index].extend(worlds[index].time_publish([doc]))
    for bench in worlds:
        bench.engine.dispose()
    return statistics.median(timings[0]), statistics.median(timings[1])


def bare(bench: Bench, count: int) -> float:
    """The same S3 puts and SQL writes as one publication, by hand."""
    body = load_samples()[2].submission["body"].encode()
    attachment = next(iter(load_samples()[2].files.values()))
    record = json.dumps({"title": "x" * 200, "attachments": [], "summary": "y" * 100}).encode()
    page = os.urandom(60_000)
    with bench.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_rows"))
        conn.execute(text("CREATE TABLE bench_rows (doc VARCHAR(32), kind VARCHAR(20), payload TEXT)"))
    start = time.perf_counter()
    for _ in range(count):
        doc = uuid.uuid4().hex
        for key, data in ((f"bare/{doc}/body.html", body), (f"bare/{doc}/att", attachment),
                          (f"bare/{doc}/metadata.json", record), (f"bare/{doc}/status.json", record)):  # fmt: skip
            bench.store.put(bench.public, key, io.BytesIO(data), length=len(data), content_type="application/json")
        for channel in range(3):
            for fmt in ("atom.xml", "rss.xml", "feed.json"):
                bench.store.put(bench.public, f"bare/feeds/{channel}/{fmt}", io.BytesIO(page), length=len(page),
                                content_type="application/xml")  # fmt: skip
        with bench.engine.begin() as conn:
            for kind in ("publication", "item1", "item2", "item3", "audit", "document"):
                conn.execute(text("INSERT INTO bench_rows (doc, kind, payload) VALUES (:d, :k, :p)"),
                             {"d": doc, "k": kind, "p": record.decode()})  # fmt: skip
    return time.perf_counter() - start


def _batches(ids: list[str], size: int) -> list[list[str]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def throughput(bench: Bench, count: int, scratch: Path, database_url: str) -> dict[str, float]:
    """docs/s of the bare baseline, the service (one by one and in batches), the publish-releases flow;
    seconds per empty flow run (async and sync), all in one run against the same servers."""
    singles, docs_service = bench.approved(max(10, count // 4)), bench.approved(count)
    baseline = bare(bench, count)
    one_by_one = sum(bench.time_publish(singles))
    start = time.perf_counter()
    for chunk in _batches(docs_service, BATCH):
        bench.service.publish_batch(chunk)
    service = time.perf_counter() - start
    os.environ.update({"GOVPUB_DATA_DIR": str(scratch / "var"), "GOVPUB_DATABASE_URL": database_url,
                       "GOVPUB_STORE_ENDPOINT": bench.store.endpoint_url.removeprefix("http://").rstrip("/"),
                       "GOVPUB_STORE_BUCKET_PREFIX": bench.public.removesuffix("govpub-public"),
                       "GOVPUB_FEEDS_TAG_AUTHORITY": "bench.example", "GOVPUB_PUBLISH_BATCH_SIZE": str(BATCH)})  # fmt: skip
    from prefect import flow as prefect_flow  # noqa: PLC0415 - slow import
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415

    from flows.publish import PublishRun, publish_releases  # noqa: PLC0415

    @prefect_flow(name="empty-async")
    async def empty_async() -> None:
        return None

    @prefect_flow(name="empty-sync")
    def empty_sync() -> None:
        return None

    async def publish_all() -> PublishRun:
        return await publish_releases()  # type: ignore[no-any-return]  # the flow returns its State's data

    with prefect_test_harness(server_startup_timeout=120):
        warm = bench.approved(2)
        assert {d for d, _, _ in asyncio.run(publish_all()).published} == set(warm)  # noqa: S101 - composition, first run
        asyncio.run(empty_async())
        empty_sync()
        docs_flow = bench.approved(count)
        start = time.perf_counter()
        run = asyncio.run(publish_all())
        flow = time.perf_counter() - start
        assert {d for d, _, _ in run.published} == set(docs_flow), run.summary()  # noqa: S101
        runs = 20
        start = time.perf_counter()
        for _ in range(runs):
            asyncio.run(empty_async())
        empty_async_s = (time.perf_counter() - start) / runs
        start = time.perf_counter()
        for _ in range(runs):
            empty_sync()
        empty_sync_s = (time.perf_counter() - start) / runs
    return {"bare": count / baseline, "one_by_one": len(singles) / one_by_one, "service": count / service,
            "flow": count / flow, "flow_batches": run.batches, "empty_async_s": empty_async_s,
            "empty_sync_s": empty_sync_s}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", help="postgresql+psycopg:// URL; each part gets a fresh schema")
    parser.add_argument("--skip-feed-size", action="store_true", help="measure throughput only")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory() as tmp, ManagedSeaweed(Path(tmp) / "s3") as endpoint:
        scratch = Path(tmp)
        store = S3ObjectStore.connect(endpoint.address, access_key=endpoint.access_key,
                                      secret_key=endpoint.secret_key, secure=False, region=None)  # fmt: skip
        os.environ.update({"GOVPUB_STORE_ACCESS_KEY": endpoint.access_key,
                           "GOVPUB_STORE_SECRET_KEY": endpoint.secret_key})  # fmt: skip

        schemas: list[str] = []

        def url_for(name: object) -> str:
            if not args.database_url:
                return f"sqlite:///{scratch / f'bench-{name}.db'}"
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            _postgres(args.database_url, f'CREATE SCHEMA "{schema}"')
            schemas.append(schema)
            return f"{args.database_url}?options=-csearch_path%3D{schema}"

        print(f"database: {'postgresql' if args.database_url else 'sqlite'}; head page {PAGE} entries")
        try:
            _report(args, store, scratch, url_for)
        finally:  # the bench's rows (100,000 per channel) must not stay in the shared database
            for schema in schemas:
                _postgres(args.database_url, f'DROP SCHEMA "{schema}" CASCADE')


def _postgres(url: str, statement: str) -> None:
    import psycopg  # noqa: PLC0415 - PostgreSQL runs only

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(statement)


def _report(args: argparse.Namespace, store: S3ObjectStore, scratch: Path, url_for: Any) -> None:  # noqa: ANN401
    if not args.skip_feed_size:
        small, large = feed_size(url_for, store, scratch, args.repeat)
        print(f"publish one document, feeds of 100 entries:     {small * 1000:8.1f} ms (median)")
        print(f"publish one document, feeds of 100,000 entries: {large * 1000:8.1f} ms (median)")
        print(f"ratio 100,000 / 100:                            {large / small:8.2f} (target ≤ 1.2)")
    url = url_for("throughput")
    bench = Bench(url, store, scratch)
    got = throughput(bench, args.count, scratch, url)
    base, service, flow = got["bare"], got["service"], got["flow"]
    print(f"bare S3 puts + SQL writes:                   {base:8.1f} docs/s")
    print(
        f"PublicationService.publish, one by one:      {got['one_by_one']:8.1f} docs/s  ratio {got['one_by_one'] / base:.2f}"
    )
    print(f"PublicationService.publish_batch ({BATCH} each): {service:8.1f} docs/s  ratio {service / base:.2f}")
    print(
        f"publish-releases Prefect flow ({int(got['flow_batches'])} tasks):  {flow:8.1f} docs/s  ratio {flow / base:.2f}"
    )
    print(f"an empty async Prefect flow (overhead):      {got['empty_async_s'] * 1000:8.1f} ms/run  (same server)")
    print(f"an empty sync Prefect flow (overhead):       {got['empty_sync_s'] * 1000:8.1f} ms/run")
    print(
        f"result: prefect_docs_per_s={flow:.1f} bare_docs_per_s={base:.1f} ratio={flow / base:.2f} "
        f"service_docs_per_s={service:.1f} empty_flow_s={got['empty_async_s']:.3f}"
    )


if __name__ == "__main__":
    main()
