"""The public catalogue's pages at 100,000 published items: the list (with filters and deep pages), a
search and an item page, timed request by request against a real server. Target: p99 < 200 ms each.

Seeds N published items in bulk with bench/api.py's ``seed`` (documents, publications, catalogue rows
and their search index, inserted directly), writes the public body of the items the item pages ask
for, serves the API app (pages included) with uvicorn in a thread of this process and asks for every
page with httpx, one request at a time over a kept-alive connection — so each figure is the server's
time plus a loopback round trip (an upper bound of the server-side time). Prints p50 / p99 per page.

    python bench/pages.py [--items 100000] [--requests 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
# run as a script, this folder comes first on sys.path, and bench/api.py would shadow the api package
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.api import QUERIES, seed  # noqa: E402 - after sys.path is put right

TARGET_MS = 200.0


class _NoEvents:
    def emit(self, event: str, *, document_id: str, version: int, payload: dict[str, Any]) -> None:
        """Nothing listens in the bench."""


def _resume(*_args: object, **_kwargs: object) -> None:
    """No review runs in the bench."""


def item_numbers(count: int, sample: int) -> list[str]:
    """Index numbers of seeded items spread over the catalogue (as bench/api.py's seed numbers them)."""
    rng = random.Random(5)
    return [f"000014349/2025-{rng.randrange(count) + 1:06d}" for _ in range(sample)]


def list_paths(client: httpx.Client) -> list[str]:
    """The first page, filtered pages, and pages reached by following 下一页 (keyset cursors)."""
    paths = ["/catalogue", "/catalogue?kind=report", "/catalogue?kind=normative_document",
             "/catalogue?" + str(httpx.QueryParams({"category": "综合政务/其他"})), "/catalogue?year=2025",
             "/catalogue?validity=valid&kind=policy", "/catalogue?agency=demo"]  # fmt: skip
    path = "/catalogue"
    for _ in range(5):  # deep pages: the cursor of page 2, 3, …
        html = client.get(path).text
        at = html.find('rel="next"')
        if at < 0:
            break
        start = html.rfind('href="', 0, at) + len('href="')
        path = html[start : html.index('"', start)].replace("&amp;", "&")
        paths.append(path)
    return paths


def timed(client: httpx.Client, paths: list[str], requests: int, *, expect: int = 200) -> dict[str, list[float]]:
    """Milliseconds of each request by path, cycling through the paths (a warm-up round first)."""
    for path in paths:
        client.get(path)
    took: dict[str, list[float]] = {path: [] for path in paths}
    for n in range(requests):
        path = paths[n % len(paths)]
        started = time.perf_counter()
        response = client.get(path)
        took[path].append((time.perf_counter() - started) * 1000)
        if response.status_code != expect:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:500]}")
    return took


def p(values: list[float], q: int) -> float:
    """The q-th percentile."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per page kind")
    parser.add_argument("--database-url")
    parser.add_argument("--verbose", action="store_true", help="the slowest request of each path")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="govpub-bench-pages-"))
    os.environ["GOVPUB_DATA_DIR"] = str(data)
    if args.database_url:
        os.environ["GOVPUB_DATABASE_URL"] = args.database_url
    from api.server import ApiServer  # noqa: PLC0415 - after the environment names the data directory
    from govpub.samples import load_samples  # noqa: PLC0415
    from services.bootstrap import open_app  # noqa: PLC0415
    from services.facade import Govpub  # noqa: PLC0415
    from services.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    figures: dict[str, float] = {}
    try:
        with open_app(settings, owner="serve") as app:
            started = time.perf_counter()
            seed(app.engine, args.items)
            print(f"seeded {args.items} published items in {time.perf_counter() - started:.1f} s "
                  f"({app.engine.dialect.name})")  # fmt: skip
            numbers = item_numbers(args.items, 100)
            paragraphs = [line for line in load_samples()[2].submission["body"].splitlines() if line.strip()]
            body = "\n".join(f"<p>{line}</p>" for line in paragraphs[:40]).encode()  # a public body of ~8 KB
            for number in set(numbers):  # what publication writes for each item, for the pages asked for
                app.store.put(settings.store.public_bucket, f"documents/{number}/1/body.html", body,
                              length=len(body), content_type="text/html; charset=utf-8")  # fmt: skip
            govpub = Govpub(app, events=_NoEvents(), resume=_resume)  # type: ignore[arg-type]
            with ApiServer(govpub, "127.0.0.1:0") as server, httpx.Client(base_url=server.url, timeout=60) as client:
                first = client.get("/catalogue")
                if first.status_code != 200 or "下一页" not in first.text:  # noqa: PLR2004
                    raise SystemExit(f"the list answered {first.status_code}: {first.text[:500]}")
                pages = {
                    "list": list_paths(client),
                    "search": ["/catalogue?" + str(httpx.QueryParams({"q": q})) for q in QUERIES]
                    + ["/catalogue?" + str(httpx.QueryParams({"q": "政务", "kind": "report"}))],
                    "item": [f"/catalogue/{number}" for number in numbers],
                }
                for name, paths in pages.items():
                    by_path = timed(client, paths, args.requests)
                    took = [ms for values in by_path.values() for ms in values]
                    if args.verbose:
                        for path, values in by_path.items():
                            print(f"         {max(values, default=0):7.1f} ms max  {httpx.URL(path).path[:40]}"
                                  f"?{httpx.URL(path).query.decode()[:60]}")  # fmt: skip
                    figures[f"{name}_p50_ms"], figures[f"{name}_p99_ms"] = p(took, 50), p(took, 99)
                    print(f"{name:>7}: p50 {figures[f'{name}_p50_ms']:7.1f} ms  p99 {figures[f'{name}_p99_ms']:7.1f} ms"
                          f"  max {max(took):7.1f} ms  ({len(paths)} paths, {len(took)} requests)")  # fmt: skip
    finally:
        shutil.rmtree(data, ignore_errors=True)
    worst = max(figures[f"{n}_p99_ms"] for n in ("list", "search", "item"))
    print(
        f"target: p99 < {TARGET_MS:.0f} ms for each ({'met' if worst < TARGET_MS else 'MISSED'}: worst {worst:.1f} ms)"
    )
    order = ["list_p99_ms", "search_p99_ms", "item_p99_ms", "list_p50_ms", "search_p50_ms", "item_p50_ms"]
    print("result: " + " ".join(f"{k}={figures[k]:.2f}" for k in order) + f" items={args.items}")


if __name__ == "__main__":
    main()
