"""Screening throughput: MB/s of all detectors plus a 10,000-term negative list, against a bare
``re.finditer`` pass over the same text in the same run.

    python bench/screen.py [--megabytes 50]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from datetime import date

from disclosure.screening import NegativeTerm, Screener, Segment
from disclosure.screening.terms import AhoCorasickTerms
from govpub.samples import load_samples


def corpus_text(megabytes: float) -> str:
    """Corpus bodies repeated to the size asked, with a few planted identifiers per copy."""
    bodies = "\n".join(s.submission["body"] for s in load_samples())
    planted = "\n联系人：王某，身份证号11010519491231002X，手机13912345678。\n"
    chunk = bodies + planted
    copies = int(megabytes * 1_000_000 / len(chunk.encode())) + 1
    return chunk * copies


def negative_terms(count: int) -> list[NegativeTerm]:
    """Plausible Chinese terms: pairs and triples of corpus words, plus the real list's entries."""
    rng = random.Random(7)
    words = re.findall(r"[\u4e00-\u9fff]{2,4}", "\n".join(s.submission["body"] for s in load_samples()))
    terms = {f"{rng.choice(words)}{rng.choice(words)}名单" for _ in range(count * 2)}
    return [NegativeTerm(t, "《政府信息公开条例》第十五条") for t in sorted(terms)[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50)
    args = parser.parse_args()
    text = corpus_text(args.megabytes)
    size = len(text.encode()) / 1_000_000
    terms = AhoCorasickTerms(negative_terms(10_000))
    screener = Screener(terms=terms, today=date(2026, 11, 23))
    start = time.perf_counter()
    bare = sum(1 for _ in re.finditer(r"[0-9]{11}", text))
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    findings = screener.screen([Segment("bench.txt", text)])
    screening = time.perf_counter() - start
    print(f"text: {size:.1f} MB (UTF-8), {terms.count} negative-list terms")
    print(f"bare re.finditer([0-9]{{11}}): {size / baseline:8.1f} MB/s ({bare} matches)")
    print(f"govpub screening:              {size / screening:8.1f} MB/s ({len(findings)} findings)")
    print(f"ratio screening / bare:        {baseline / screening:8.2f}")
    print(
        f"result: bare_mb_per_s={size / baseline:.1f} screening_mb_per_s={size / screening:.1f} "
        f"ratio={baseline / screening:.2f}"
    )


if __name__ == "__main__":
    main()
