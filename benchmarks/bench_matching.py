"""Matching quality and speed on ../shared/corpus/watch/dev.jsonl, beside a regex filter.

The alternative is what a newsboat / Miniflux / FreshRSS user would write:
one case-insensitive regex per watchlist. Both run in this process on the
same cleaned texts. Prints a table: per watchlist precision, recall and F1
(over articles graded 2 = must alert and 0 = must not), then articles/s:
desk (terms and the examples' vote), the same watchlists' terms alone, and
the regex, timed a pass of each in turn (PASSES passes; the best warm one counts).

    python benchmarks/bench_matching.py [path/to/dev.jsonl]
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml

from desk.core.article.clean import clean_text
from desk.core.article.headline import lead_with_title
from desk.core.match.matcher import Matcher, term_words
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Term, Watchlist
from desk.core.pipeline import COMMIT_BATCH
from desk.core.settings.config import shipped_watchlists_dir

TUNED_ON = ("reuters_feed_blog_2016", "baram_naver_en")
"""The dev sources the shipped watchlists were tuned on; the rest of dev.jsonl stays unseen."""

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "watch" / "dev.jsonl"

REGEX_FILTERS = {
    "troop-deployment": re.compile(
        r"(troops?|soldiers?|forces) (were |was |have been |are )?(deployed|sent|dispatched|stationed)"
        r"|deploy(ed|s|ing|ment)? (of )?(\w+ ){0,2}(troops|soldiers)",
        re.IGNORECASE,
    ),
    "technology-transfer": re.compile(
        r"(transfer|sale|export|smuggl\w*|theft) of (\w+ ){0,2}(technology|know-how)"
        r"|(missile|nuclear|military) technology|export controls?",
        re.IGNORECASE,
    ),
    "icbm-reentry": re.compile(
        r"re-?entry vehicle|icbm re-?entry|warhead re-?entry", re.IGNORECASE
    ),
}


def score(
    predicted: list[set[str]], articles: list[dict], watchlist: str
) -> tuple[float, float, float]:
    """Precision, recall and F1 over the articles graded 2 or 0.

    As DESIGN.md says for `desk test`: P = 1 when nothing fired, R = 1 when
    there was nothing to find.
    """
    tp = fp = fn = 0
    for fired, article in zip(predicted, articles, strict=True):
        grade = article["labels"][watchlist]
        if grade == 1:
            continue
        hit = watchlist in fired
        tp += hit and grade == 2
        fp += hit and grade == 0
        fn += (not hit) and grade == 2
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


PASSES = 10
"""Passes over the texts each way is timed: the first (desk's with every word new; the ways
after it in a turn find the module's stem caches filled), then one of warm-up, then eight
warm ones, of which the best counts (the shared machine is noisy: the best pass is the least
disturbed one)."""


def timed(run: Callable[[str], set[str]], texts: list[str]) -> tuple[list[set[str]], float, float]:
    """Run over every text PASSES times; return the results, the first pass's articles/s and
    the best warm pass's."""
    ((results, cold, warm),) = in_turns({"": lambda: [run(text) for text in texts]}, len(texts))
    return results, cold, warm


def in_turns(
    ways: dict[str, Callable[[], list[set[str]]]], count: int
) -> list[tuple[list[set[str]], float, float]]:
    """Each way over all `count` texts, a pass of each in turn (so that the machine's load
    falls on all alike), PASSES times: per way its results, its first pass's articles/s and
    its best warm pass's."""
    rates: dict[str, list[float]] = {name: [] for name in ways}
    results: dict[str, list[set[str]]] = {}
    for _ in range(PASSES):
        for name, run in ways.items():
            started = time.perf_counter()
            results[name] = run()
            rates[name].append(count / (time.perf_counter() - started))
    return [(results[name], rates[name][0], max(rates[name][2:])) for name in ways]


def batched(matcher: Matcher, texts: list[str]) -> Callable[[], list[set[str]]]:
    """desk as a poll runs it: a batch of up to COMMIT_BATCH pages at a time
    (desk/core/pipeline.py), the terms text by text, then the examples' vote 63 leads at once."""
    batches = poll_batches(texts)
    return lambda: [{h.watchlist for h in hits} for b in batches for hits in matcher.match_many(b)]


def poll_batches(texts: list[str]) -> list[list[str]]:
    """The texts in the batches a poll matches together (COMMIT_BATCH pages each)."""
    return [texts[start : start + COMMIT_BATCH] for start in range(0, len(texts), COMMIT_BATCH)]


def synthetic_watchlists(texts: list[str], count: int, seed: int = 7) -> list[Watchlist]:
    """`count` watchlists shaped like the shipped ones, built from the corpus's own words.

    Each has 8 terms: slots of 3-6 alternatives, two or three slots a term.
    """
    rng = random.Random(seed)
    words = sorted({w.lower() for t in texts for w in re.findall(r"[A-Za-z]{5,}", t)})
    made = []
    for n in range(count):
        terms = []
        for _ in range(8):
            slots = [
                "|".join(rng.sample(words, rng.randint(3, 6))) for _ in range(rng.randint(2, 3))
            ]
            terms.append(Term(text=" ".join(slots), words=term_words(" ".join(slots))))
        made.append(Watchlist(id=f"synthetic-{n}", name=f"Synthetic {n}", terms=tuple(terms)))
    return made


def scaling(texts: list[str], shipped: list[Watchlist]) -> None:
    """Articles/s with the 3 shipped watchlists and with 30 (27 synthetic added)."""
    rows = []
    for label, watchlists in (
        ("3 watchlists", shipped),
        ("30 watchlists", shipped + synthetic_watchlists(texts, 27)),
    ):
        matcher = Matcher(watchlists)
        _, cold, warm = timed(lambda t, m=matcher: {h.watchlist for h in m.match(t)}, texts)
        terms = sum(len(w.terms) for w in watchlists)
        rows.append((label, terms, cold, warm))
    for label, terms, cold, warm in rows:
        print(
            f"{label:14} {terms:4} terms: {cold:7,.0f} / {warm:7,.0f} articles/s (first pass / warm)"
        )
    ratio = rows[0][3] / rows[1][3]
    growth = rows[1][1] / rows[0][1]
    print(
        f"{growth:.1f}x the terms cost {ratio:.2f}x the time (sub-linear when below {growth:.1f}x)"
    )


WRITTEN_CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "watch_cases.yaml"


def written_cases() -> list[dict]:
    """The project's own written sentences as articles labelled 2 (fires) or 0 (quiet)."""
    cases = yaml.safe_load(WRITTEN_CASES.read_text(encoding="utf-8"))
    articles = []
    for watchlist, texts in cases["fires"].items():
        for text in texts:
            labels = {w: (2 if w == watchlist else 1) for w in REGEX_FILTERS}
            articles.append({"title": "", "text": text, "labels": labels})
    for text in cases["quiet"]:
        articles.append({"title": "", "text": text, "labels": dict.fromkeys(REGEX_FILTERS, 0)})
    return articles


def compare(title: str, articles: list[dict], matcher: Matcher) -> None:
    """Print desk's and the regex's precision, recall and F1 per watchlist."""
    texts = [lead_with_title(a["title"], clean_text(a["text"])) for a in articles]
    desk_fired = [{h.watchlist for h in matcher.match(t)} for t in texts]
    regex_fired = [{w for w, rx in REGEX_FILTERS.items() if rx.search(t)} for t in texts]
    print(title)
    print_scores(articles, desk_fired, regex_fired)


def print_scores(
    articles: list[dict], desk_fired: list[set[str]], regex_fired: list[set[str]]
) -> None:
    """One row per watchlist: desk's and the regex's precision, recall and F1."""
    print(f"{'watchlist':22} {'desk P':>7} {'R':>5} {'F1':>5}   {'regex P':>7} {'R':>5} {'F1':>5}")
    for watchlist in REGEX_FILTERS:
        d = score(desk_fired, articles, watchlist)
        r = score(regex_fired, articles, watchlist)
        print(
            f"{watchlist:22} {d[0]:7.2f} {d[1]:5.2f} {d[2]:5.2f}   {r[0]:7.2f} {r[1]:5.2f} {r[2]:5.2f}"
        )


def print_halves(
    articles: list[dict], desk_fired: list[set[str]], regex_fired: list[set[str]]
) -> None:
    """The same table for the half the watchlists were tuned on and the half kept unseen."""
    for name, tuned in (("tuned on", True), ("unseen", False)):
        chosen = [i for i, a in enumerate(articles) if a["source"].startswith(TUNED_ON) == tuned]
        sources = "sources " + ", ".join(TUNED_ON) if tuned else "every other source"
        print(f"the half {name} ({len(chosen)} articles, {sources})")
        print_scores(
            [articles[i] for i in chosen],
            [desk_fired[i] for i in chosen],
            [regex_fired[i] for i in chosen],
        )


def main() -> int:
    """Print the comparison table."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEV
    if not path.exists():
        print(f"no labelled set at {path}; pass its path", file=sys.stderr)
        return 1
    articles = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    texts = [lead_with_title(a["title"], clean_text(a["text"])) for a in articles]
    matcher = Matcher(list(load_watchlists(shipped_watchlists_dir()).watchlists))
    single = Matcher(matcher.watchlists)  # its own caches, as warm as the batched one's
    terms = Matcher([replace(w, semantic=None) for w in matcher.watchlists])
    desk_run, single_run, terms_run, regex_run = in_turns(
        {
            "desk": batched(matcher, texts),
            "one at a time": lambda: [{h.watchlist for h in single.match(t)} for t in texts],
            "terms": lambda: [{h.watchlist for h in terms.match(t)} for t in texts],
            "regex": lambda: [
                {w for w, rx in REGEX_FILTERS.items() if rx.search(t)} for t in texts
            ],
        },
        len(texts),
    )
    (desk_fired, desk_cold, desk_warm), (regex_fired, regex_cold, regex_warm) = desk_run, regex_run
    single_warm, (_, terms_cold, terms_warm) = single_run[2], terms_run
    print(f"{len(articles)} articles from {path.name}")
    print_scores(articles, desk_fired, regex_fired)
    print_halves(articles, desk_fired, regex_fired)
    print(
        f"speed (one core, first pass / best warm pass of {PASSES - 2}, the four ways in turns):"
        f" desk {desk_cold:,.0f} / {desk_warm:,.0f}"
        f" articles/s (as a poll matches, {COMMIT_BATCH} at a time; one at a time"
        f" {single_warm:,.0f}),"
        f" its terms alone {terms_cold:,.0f} / {terms_warm:,.0f},"
        f" regex {regex_cold:,.0f} / {regex_warm:,.0f} articles/s"
    )
    scaling(texts, list(load_watchlists(shipped_watchlists_dir()).watchlists))
    compare(
        f"the project's own written cases ({WRITTEN_CASES.name}; a sentence fires one watchlist or none)",
        written_cases(),
        matcher,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
