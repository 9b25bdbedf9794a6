"""Intake throughput against a bare baseline measured in the same run.

500 corpus-based submissions, each with a distinct 20 KB attachment, through govpub's intake
(validation, hashing, content-addressed attachment, draft objects, rows, audit event), and the
same number of bare minio puts (attachment, body, JSON) plus plain SQL inserts. Prints both rates
and their ratio. Database: SQLite in a scratch directory, or --database-url (e.g. PostgreSQL).

    python bench/intake.py [--count 500] [--database-url URL]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import os
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import text

from govpub.samples import load_samples
from services.bootstrap import sample_agency_config
from services.intake import Intake
from storage.db import make_engine, migrate, session_scope
from storage.objectstore import S3ObjectStore
from storage.repository.agencies import apply_agency_config
from storage.seaweed import ManagedSeaweed

TODAY = date(2026, 11, 23)


def prepare(count: int, scratch: Path) -> list[tuple[bytes, Path]]:
    samples = load_samples()
    jobs = []
    for i in range(count):
        sample = samples[i % len(samples)]
        attachment = os.urandom(20 * 1024)
        name = f"附件-{i:04d}.bin"
        (scratch / name).write_bytes(attachment)
        data = copy.deepcopy(sample.submission)
        data["title"] = f"{data['title']}（第{i}份）"
        data["attachments"] = [{"file_name": name, "media_type": "application/octet-stream",
                                "size": len(attachment), "sha256": hashlib.sha256(attachment).hexdigest()}]  # fmt: skip
        jobs.append((json.dumps(data, ensure_ascii=False).encode(), scratch / name))
    return jobs


def run_intake(intake: Intake, jobs: list[tuple[bytes, Path]]) -> float:
    start = time.perf_counter()
    for raw, path in jobs:
        intake.submit(raw, files=[path], today=TODAY)
    return time.perf_counter() - start


def run_baseline(engine, store: S3ObjectStore, bucket: str, jobs: list[tuple[bytes, Path]]) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for raw, path in jobs:
        doc = uuid.uuid4().hex
        content = path.read_bytes()
        body = json.loads(raw)["body"].encode()
        for key, data in (
            (f"bare/att/{doc}", content),
            (f"bare/{doc}/body.txt", body),
            (f"bare/{doc}/s.json", raw),
        ):
            store.put(bucket, key, io.BytesIO(data), length=len(data), content_type="application/octet-stream")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_rows (doc, kind, payload) VALUES (:d, 'document', :p)"),
                         {"d": doc, "p": raw.decode()})  # fmt: skip
            conn.execute(text("INSERT INTO bench_rows (doc, kind, payload) VALUES (:d, 'version', '')"), {"d": doc})
            conn.execute(text("INSERT INTO bench_rows (doc, kind, payload) VALUES (:d, 'attachment', '')"), {"d": doc})
            conn.execute(text("INSERT INTO bench_rows (doc, kind, payload) VALUES (:d, 'audit', '')"), {"d": doc})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ManagedSeaweed(Path(tmp) / "s3") as endpoint:
        scratch = Path(tmp)
        url = args.database_url or f"sqlite:///{scratch / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_rows"))
            conn.execute(text("CREATE TABLE bench_rows (doc VARCHAR(32), kind VARCHAR(20), payload TEXT)"))
        with session_scope(engine) as session:
            apply_agency_config(session=session, config=sample_agency_config(), actor="bench")
        store = S3ObjectStore.connect(endpoint.address, access_key=endpoint.access_key,
                                      secret_key=endpoint.secret_key, secure=False, region=None)  # fmt: skip
        bucket = f"bench{uuid.uuid4().hex[:8]}-govpub-private"
        store.ensure_bucket(bucket)
        jobs = prepare(args.count, scratch)
        baseline = run_baseline(engine, store, bucket, jobs)
        govpub = run_intake(Intake(engine=engine, store=store, private_bucket=bucket), jobs)
        engine.dispose()
    n = args.count
    print(f"database: {url.split('://')[0]}; {n} submissions with a 20 KB attachment each")
    print(f"bare minio puts + SQL inserts: {n / baseline:8.1f} submissions/s ({baseline:.2f} s)")
    print(f"govpub intake:                 {n / govpub:8.1f} submissions/s ({govpub:.2f} s)")
    print(f"ratio govpub / bare:           {baseline / govpub:8.2f}")
    print(f"result: bare_per_s={n / baseline:.1f} govpub_per_s={n / govpub:.1f} ratio={baseline / govpub:.2f}")


if __name__ == "__main__":
    main()
