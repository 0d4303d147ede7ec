"""Extraction quality and speed on ../shared/corpus/extraction/aeb, beside trafilatura alone.

Quality uses the article-extraction-benchmark's own scoring (see
../shared/corpus/README.md): `\\w+` tokens with case kept, multisets of
4-token shingles, per page the shared shingles (TP) and the surplus on each
side (FP, FN) normalised so every page weighs the same, precision and recall
averaged over pages, F1 of the two averages.

- desk: `extract_page_bytes` on the page's bytes, as the pipeline's
  workers run it (decoded and made safe, then trafilatura's main content,
  desk's tree walk and cleaner). The ground truth is the article body without its headline, and
  desk puts the headline first in the text it shows, so the main figure
  scores the text under that headline; the shown text, headline included,
  is scored too.
- trafilatura alone: `trafilatura.extract(html, include_comments=False)`,
  the configuration behind the published 0.958; run first, on trafilatura
  as installed (desk's first extraction puts its shortcuts into trafilatura:
  `quickprune`, `xpathguard`, `maincontent`).

Speed, in CPU time of this one process so that it reads per core on a shared
machine: extract + clean in pages/s, cleaning alone in articles/s
(`clean_text` on the text trafilatura hands the cleaner); and, for
reference, wall-clock pages/s through the `Extractor` worker pool.

    python benchmarks/bench_extract.py [path/to/aeb]
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import trafilatura

from desk.core.article.clean import clean_text
from desk.core.article.document import extract_page_bytes
from desk.core.article.extract import (
    Extracted,
    Extractor,
    default_worker_count,
    main_text,
)
from desk.core.feeds.charset import decode_text

DEFAULT_AEB = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "extraction" / "aeb"
_TOKEN = re.compile(r"\w+")
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One benchmark page: its id, URL, HTML and the expected article body."""

    id: str
    url: str
    html: str
    truth: str
    raw: bytes
    """The page's bytes as served (UTF-8)."""


def load_pages(root: Path) -> list[Page]:
    """Every page of the benchmark with its ground truth."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, expected in sorted(truth.items()):
        raw = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(
            Page(
                page_id,
                expected.get("url", ""),
                raw.decode("utf-8"),
                expected["articleBody"],
                raw,
            )
        )
    return pages


def shingles(text: str, n: int = 4) -> Counter[str]:
    """The multiset of n-token shingles of a text (one shingle if it is shorter)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def page_counts(truth: str, predicted: str) -> tuple[float, float, float]:
    """Shared, surplus and missing shingles of one page, normalised to sum to 1."""
    expected, got = shingles(truth), shingles(predicted)
    expected.pop("", None)
    got.pop("", None)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def score(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision and recall averaged over pages, and the F1 of those averages."""
    precision = statistics.mean(_precision(*row) for row in rows)
    recall = statistics.mean(_recall(*row) for row in rows)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def under_headline(title: str, text: str) -> str:
    """desk's text without the headline paragraph it puts first."""
    first, _, rest = text.partition("\n\n")
    return rest if title and first == title else text


def timed(pages: list[Page], extract: Callable[[Page], T]) -> tuple[list[T], float]:
    """Each page's result and the pages per CPU second it took in this process (one core).

    One page is extracted first, untimed, so that neither side pays the other's cold start.
    """
    extract(pages[0])
    started = time.process_time()
    results = [extract(page) for page in pages]
    return results, len(pages) / (time.process_time() - started)


def cleaning_rate(raw_texts: list[str], seconds: float = 3.0) -> float:
    """Articles per CPU second through clean_text alone, over at least `seconds`."""
    done, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for text in raw_texts:
            clean_text(text)
        done += len(raw_texts)
    return done / (time.process_time() - started)


async def pool_rate(pages: list[Page], workers: int) -> float:
    """Pages per second through the Extractor pool (after its workers have started)."""
    async with Extractor(workers=workers) as pool:
        await asyncio.gather(*(desk_job(pool, p) for p in pages[:workers]))
        started = time.perf_counter()
        await asyncio.gather(*(desk_job(pool, p) for p in pages))
        return len(pages) / (time.perf_counter() - started)


def desk_job(pool: Extractor, page: Page) -> Awaitable[Extracted]:
    """The page's bytes extracted in the pool, as the pipeline sends them."""
    return pool.extract_bytes(page.raw, "utf-8", decode_text, page.url)


def print_scores(pages: list[Page], desk: list[Extracted], alone: list[str]) -> None:
    """The quality table: desk under its headline, desk as shown, trafilatura alone."""
    systems = {
        "desk (extract + clean)": [under_headline(e.title, e.text) for e in desk],
        "desk, headline included": [e.text for e in desk],
        "trafilatura alone": alone,
    }
    print(f"AEB: {len(pages)} pages")
    print(f"{'system':26} {'precision':>9} {'recall':>7} {'F1':>7}")
    for name, texts in systems.items():
        counts = [page_counts(p.truth, t) for p, t in zip(pages, texts, strict=True)]
        precision, recall, f1 = score(counts)
        print(f"{name:26} {precision:9.4f} {recall:7.4f} {f1:7.4f}")
    print("bar: desk F1 >= 0.96 (trafilatura alone published at 0.958)")


def print_speeds(pages: list[Page], desk_rate: float, alone_rate: float) -> None:
    """Pages per core for extract + clean, articles per core for cleaning, the pool's rate."""
    raw = [main_text(p.html, p.url) for p in pages]
    workers = default_worker_count()
    pool = asyncio.run(pool_rate(pages, workers))
    print(
        f"extract + clean: {desk_rate:6.1f} pages/s per core (bar >= 40); trafilatura alone {alone_rate:.1f}"
    )
    print(f"cleaning alone:  {cleaning_rate(raw):6.0f} articles/s per core (bar >= 2,000)")
    print(f"worker pool:     {pool:6.1f} pages/s wall clock with {workers} worker(s)")


def main() -> int:
    """Score desk and trafilatura alone, then time extraction and cleaning."""
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_AEB
    if not (root / "ground-truth.json").is_file():
        print(f"no AEB corpus at {root}", file=sys.stderr)
        return 2
    pages = load_pages(root)
    # trafilatura alone first: desk's first extraction installs its shortcuts into trafilatura
    # (quickprune, xpathguard, maincontent), which would then speed up trafilatura alone too
    alone, alone_rate = timed(
        pages, lambda p: trafilatura.extract(p.html, include_comments=False) or ""
    )
    desk, desk_rate = timed(pages, lambda p: extract_page_bytes(decode_text, p.raw, "utf-8", p.url))
    print_scores(pages, desk, alone)
    print_speeds(pages, desk_rate, alone_rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
