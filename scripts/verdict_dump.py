"""Dump everything the matcher decides, to hold a change to the matcher's code to the same verdicts.

For every text of the labelled and blind sets, the messy corpus and the AEB
bodies (raw and as the poller cleans them where that differs) and the
project's written cases: each watchlist's verdict (fired, total, hits,
evidence, dropped hits, closest term), plain and explained, `match()`'s hits
and the evidence `evidence_for` shows; then `desk test`'s JSON for dev.jsonl.
Once with the shipped watchlists, once with 27 synthetic ones beside them (and
once more by a matcher that recalls the words one over the shipped lists
learnt: its lines must equal the line before but for the name);
each text twice (the second time from warm caches). Run it before and after a
change and compare the two files: a speed change must leave them identical.

    .venv/bin/python scripts/verdict_dump.py OUT [--corpus ../shared/corpus]

The corpus is read where it is, never copied; a missing part is skipped and said.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import yaml

from desk.core.article.clean import clean_text
from desk.core.article.headline import lead_with_title
from desk.core.match.backtest import backtest, read_labelled, report_json
from desk.core.match.matcher import Matcher, evidence_for
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Watchlist
from desk.core.settings.config import shipped_watchlists_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_matching import synthetic_watchlists  # noqa: E402  (the benchmark's own lists)

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def labelled_texts(corpus: Path) -> Iterator[tuple[str, str]]:
    """dev.jsonl and the blind sets: each article as matched (title, cleaned body) and raw."""
    files = [corpus / "watch" / "dev.jsonl"]
    files += sorted((ROOT / "benchmarks" / "data").glob("blind_*/*.jsonl"))
    for path in files:
        if not path.exists():
            print(f"skipped (absent): {path}", file=sys.stderr)
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                article = json.loads(line)
                title, body = article.get("title", ""), article.get("text", "")
                yield path.name, lead_with_title(title, clean_text(body))
                yield path.name + " raw", f"{title}\n{body}"


def other_texts(corpus: Path) -> Iterator[tuple[str, str]]:
    """The messy corpus (raw and cleaned), the AEB bodies and the written cases."""
    for path in sorted(corpus.glob("messy/*/*")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        yield "messy raw", raw
        yield "messy", clean_text(raw)
    truth = corpus / "extraction" / "aeb" / "ground-truth.json"
    if truth.exists():
        bodies = json.loads(truth.read_text(encoding="utf-8"))
        for key in sorted(bodies):
            yield "aeb", bodies[key].get("articleBody") or ""
    cases = yaml.safe_load((ROOT / "tests" / "data" / "watch_cases.yaml").read_text("utf-8"))
    for texts in cases["fires"].values():
        yield from (("case", text) for text in texts)
    yield from (("case", text) for text in cases["quiet"])
    for text in ["", " ", "a", "troops", "re entry", "tro ops sent", "U.S. troops. Mr. X", "1.5bn"]:
        yield "edge", text


def dump_matcher(
    name: str,
    watchlists: list[Watchlist],
    texts: list[tuple[str, str]],
    out: TextIO,
    recall_from: list[Watchlist] | None = None,
) -> None:
    """Every verdict (plain and explained) and match() of one matcher, each text twice; with
    `recall_from`, a matcher that first recalls the words one over those watchlists learnt
    from the texts (its lines must equal a new matcher's but for the name)."""
    matcher = Matcher(watchlists)
    if recall_from is not None:
        teacher = Matcher(recall_from)
        for _, text in texts:
            teacher.assess(text)
        matcher.recall(teacher.learnt())
    for round_ in (1, 2):
        for number, (kind, text) in enumerate(texts):
            for explain in (False, True):
                verdicts = matcher.assess(text, explain=explain)
                print(name, round_, number, kind, explain, repr(verdicts), file=out)
            hits = matcher.match(text)
            print(name, round_, number, "match", repr(hits), file=out)
            if round_ == 1:
                for watchlist in watchlists:
                    parts = evidence_for(watchlist, hits, text)
                    print(name, number, "evidence_for", watchlist.id, repr(parts), file=out)


def main() -> int:
    """Write the dump; exit 2 when the shipped watchlists do not load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    loaded = load_watchlists(shipped_watchlists_dir())
    if loaded.errors:
        print(f"the shipped watchlists do not load: {loaded.errors[0]}", file=sys.stderr)
        return 2
    shipped = list(loaded.watchlists)
    texts = [*labelled_texts(args.corpus), *other_texts(args.corpus)]
    matched = [text for kind, text in texts if kind == "dev.jsonl"]
    with args.out.open("w", encoding="utf-8") as out:
        dump_matcher("shipped", shipped, texts, out)
        synthetic = synthetic_watchlists(matched, 27)
        dump_matcher("with-synthetic", shipped + synthetic, texts, out)
        dump_matcher("recalled-synthetic", shipped + synthetic, texts, out, recall_from=shipped)
        dev = args.corpus / "watch" / "dev.jsonl"
        if dev.exists():
            articles = read_labelled(dev.read_bytes(), str(dev))
            for report in backtest(articles, matched, Matcher(shipped)):
                print(json.dumps(report_json(report), sort_keys=True), file=out)
    print(f"{len(texts):,} texts -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
