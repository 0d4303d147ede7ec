"""Cleaning on the shared real-world corpus (skipped when ../shared is absent).

The full figures come from benchmarks/bench_extract.py and bench_messy.py;
these tests hold the line on a sample so a regression shows up in CI.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import trafilatura

from desk.core.article.extract import extract_page, text_of_document

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def benchmark(name: str) -> ModuleType:
    """A benchmark script as a module, for its scoring and auditing functions."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_no_junk_survives_in_the_messy_sets(shared_dir: Path) -> None:
    audit = benchmark("bench_messy").audit
    files = sorted((shared_dir / "corpus" / "messy").glob("*/*.md"))
    assert len(files) >= 100
    left = [
        (path.name, kind, line)
        for path in files
        for kind, line in audit(text_of_document(path.read_text(encoding="utf-8")))
    ]
    assert left == []


def test_extract_and_clean_beat_trafilatura_alone_without_losing_story(shared_dir: Path) -> None:
    bench = benchmark("bench_extract")
    pages = bench.load_pages(shared_dir / "corpus" / "extraction" / "aeb")[:40]
    desk, alone = [], []
    for page in pages:
        extracted = extract_page(page.html, page.url)
        desk.append(
            bench.page_counts(page.truth, bench.under_headline(extracted.title, extracted.text))
        )
        baseline = trafilatura.extract(page.html, include_comments=False) or ""
        alone.append(bench.page_counts(page.truth, baseline))
    desk_precision, desk_recall, desk_f1 = bench.score(desk)
    alone_precision, alone_recall, alone_f1 = bench.score(alone)
    assert desk_f1 >= 0.96 and desk_f1 > alone_f1
    assert desk_precision > alone_precision
    assert desk_recall >= alone_recall - 0.005  # cleaning removes junk, not story
