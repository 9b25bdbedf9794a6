"""SQLite reads while publishing: read transactions that take the write lock (every transaction did,
before ``read_scope``) against deferred read transactions, in one run.

A publisher thread publishes approved documents one after another (PublicationService, a managed
SeaweedFS); reader threads meanwhile run a list-like read (the newest 50 documents, each with its
last publication) in a loop. Prints the readers' latency (p50, p99) and throughput and the
publisher's docs/s for both modes.

    python bench/sqlite_reads.py [--count 40] [--readers 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.public_records import last_publication
from storage.db import read_scope, session_scope
from storage.models import Document
from storage.objectstore import S3ObjectStore
from storage.seaweed import ManagedSeaweed

ROOT = Path(__file__).resolve().parent.parent
# run as a script, this folder comes first on sys.path, and bench/api.py would shadow the api package
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.publish import Bench  # noqa: E402 - after sys.path is put right

Scope = Callable[[Engine], AbstractContextManager[Session]]


def _read(engine: Engine, scope: Scope) -> None:
    with scope(engine) as session:
        rows = session.exec(select(Document).order_by(col(Document.updated_at).desc()).limit(50)).all()
        for row in rows:
            last_publication(session, row.id)


def run(bench: Bench, ids: list[str], readers: int, scope: Scope) -> tuple[float, float, float, float]:
    """(read p50 s, read p99 s, reads/s, published docs/s) while ``ids`` are published."""
    done = threading.Event()
    latencies: list[float] = []
    lock = threading.Lock()

    def reader() -> None:
        while not done.is_set():
            start = time.perf_counter()
            _read(bench.engine, scope)
            with lock:
                latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    for doc in ids:
        bench.service.publish(doc)
    elapsed = time.perf_counter() - start
    done.set()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, len(ordered) / elapsed, len(ids) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ManagedSeaweed(Path(tmp) / "s3") as endpoint:
        scratch = Path(tmp)
        store = S3ObjectStore.connect(endpoint.address, access_key=endpoint.access_key,
                                      secret_key=endpoint.secret_key, secure=False, region=None)  # fmt: skip
        os.environ.update({"GOVPUB_STORE_ACCESS_KEY": endpoint.access_key,
                           "GOVPUB_STORE_SECRET_KEY": endpoint.secret_key})  # fmt: skip
        figures: dict[str, float] = {}
        modes: dict[str, Scope] = {"locking": session_scope, "deferred": read_scope}
        for name, scope in modes.items():
            bench = Bench(f"sqlite:///{scratch / f'reads-{name}.db'}", store, scratch)
            ids = bench.approved(args.count)
            bench.service.publish(bench.approved(1)[0])  # channels and pages exist: steady state
            p50, p99, reads, docs = run(bench, ids, args.readers, scope)
            print(f"reads that {'take the write lock' if name == 'locking' else 'are deferred      '}: "
                  f"p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  {reads:7.1f} reads/s  "
                  f"publishing {docs:5.1f} docs/s")  # fmt: skip
            figures |= {f"{name}_p50_ms": p50 * 1000, f"{name}_p99_ms": p99 * 1000,
                        f"{name}_reads_per_s": reads, f"{name}_docs_per_s": docs}  # fmt: skip
            bench.engine.dispose()
    print("result: " + " ".join(f"{k}={v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
