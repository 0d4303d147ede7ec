"""The semantic signal (the examples' vote) on text it has never seen, beside terms alone and the regex.

Held out: the rounds `scripts/build_examples.py` leaves out of
desk/watchlists/examples.jsonl (HELD_OUT there), written after the signal
was built: six written rounds (zzt-zzw were looked at to choose the vote's
settings; zzx and zzy were scored once, after) and one article round (AF).
Each is scored three ways in this process: the shipped watchlists (terms
and the examples' vote), their terms alone, and the regex filter. Then the
look-alikes of tests/data/watch_cases.yaml (how many the vote adds an alarm
to), dev.jsonl's two halves, and the cost: the model's load, a lead's
vector, and warm matching with and without the vote, in turns.

    python benchmarks/bench_semantic.py [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import yaml
from bench_matching import DEFAULT_DEV, REGEX_FILTERS, TUNED_ON, poll_batches, score
from bench_written import scored

from desk.cli.common import load_watchlist_folder
from desk.core.article.clean import clean_text
from desk.core.article.headline import lead_with_title
from desk.core.match.matcher import Matcher
from desk.core.match.semantic import MODEL_NAME, StaticEncoder
from desk.core.models import Watchlist
from desk.core.settings.config import shipped_watchlists_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from build_examples import ARTICLES, HELD_OUT, ROUNDS  # noqa: E402

CASES = ROOT / "tests" / "data" / "watch_cases.yaml"


def main() -> int:
    """Print the held-out scores, the look-alikes, dev's halves, then the cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="timed passes each way, in turns")
    args = parser.parse_args()
    shipped = load_watchlist_folder(shipped_watchlists_dir())
    both, terms = Matcher(shipped), Matcher(without_examples(shipped))
    written_rounds(both, terms)
    article_rounds(both, terms)
    look_alikes(both)
    if DEFAULT_DEV.exists():
        dev_halves(both, terms)
    cost(both, terms, args.rounds)
    return 0


def without_examples(watchlists: list[Watchlist]) -> list[Watchlist]:
    """The same watchlists with their `semantic:` blocks taken off: terms alone."""
    return [replace(watchlist, semantic=None) for watchlist in watchlists]


def fired(matcher: Matcher, text: str) -> set[str]:
    """The watchlists that fire on a text."""
    return {hit.watchlist for hit in matcher.match(text)}


def written_rounds(both: Matcher, terms: Matcher) -> None:
    """Each held-out written round: cases right with the vote, with terms alone, with the regex."""
    print("written rounds held out of the examples (cases right of 60)")
    print(f"{'round':8} {'desk':>6} {'terms':>6} {'regex':>6}")
    totals = [0, 0, 0, 0]
    for name in HELD_OUT:
        path = ROUNDS / f"{name}.jsonl"
        if not path.exists():
            continue
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        texts = [clean_text(case["text"]) for case in cases]
        row = [
            sum(scored(case, fired(both, text)) for case, text in zip(cases, texts, strict=True)),
            sum(scored(case, fired(terms, text)) for case, text in zip(cases, texts, strict=True)),
            sum(scored(case, regex(case["text"])) for case in cases),
        ]
        totals = [a + b for a, b in zip(totals, [*row, len(cases)], strict=True)]
        print(f"{name:8} {row[0]:>6} {row[1]:>6} {row[2]:>6}")
    print(f"{'all':8} {totals[0]:>6} {totals[1]:>6} {totals[2]:>6}  of {totals[3]}")


def regex(text: str) -> set[str]:
    """The watchlists whose one regex matches."""
    return {watchlist for watchlist, pattern in REGEX_FILTERS.items() if pattern.search(text)}


def article_rounds(both: Matcher, terms: Matcher) -> None:
    """Each held-out article round: P, R, F1 with the vote, then terms alone, beside the regex."""
    for name in HELD_OUT:
        path = ARTICLES / f"{name}.jsonl"
        if not path.exists():
            continue
        articles = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        texts = [lead_with_title(a["title"], clean_text(a["text"])) for a in articles]
        print(f"article round {name} held out ({len(articles)} articles)")
        three_ways(articles, texts, both, terms)


def look_alikes(both: Matcher) -> None:
    """How many of the written look-alikes (terms alone stay quiet on all) the vote fires on."""
    quiet = yaml.safe_load(CASES.read_text(encoding="utf-8"))["quiet"]
    loud = [text for text in quiet if fired(both, clean_text(text))]
    print(
        f"look-alikes (tests/data/watch_cases.yaml): the vote alerts on {len(loud)} of {len(quiet)}"
    )


def dev_halves(both: Matcher, terms: Matcher) -> None:
    """dev.jsonl's half tuned on and its unseen half, with the vote and with terms alone."""
    articles = [json.loads(line) for line in dev_lines()]
    for half, chosen in (
        ("tuned on", [a for a in articles if a["source"].startswith(TUNED_ON)]),
        ("unseen", [a for a in articles if not a["source"].startswith(TUNED_ON)]),
    ):
        texts = [lead_with_title(a["title"], clean_text(a["text"])) for a in chosen]
        print(f"dev.jsonl, the half {half} ({len(chosen)} articles)")
        three_ways(chosen, texts, both, terms)


def three_ways(articles: list[dict], texts: list[str], both: Matcher, terms: Matcher) -> None:
    """P, R, F1 per watchlist: desk (terms and the vote), terms alone, the regex."""
    fired_by = [
        [fired(both, text) for text in texts],
        [fired(terms, text) for text in texts],
        [regex(text) for text in texts],
    ]
    print(
        f"{'watchlist':22} {'desk P    R   F1':>17} {'terms P    R   F1':>18} {'regex P    R   F1':>18}"
    )
    for watchlist in ("troop-deployment", "technology-transfer", "icbm-reentry"):
        cells = ["{:5.2f}{:5.2f}{:5.2f}".format(*score(f, articles, watchlist)) for f in fired_by]
        print(f"{watchlist:22} {cells[0]:>17} {cells[1]:>18} {cells[2]:>18}")


def dev_lines() -> list[str]:
    """dev.jsonl's lines."""
    return DEFAULT_DEV.read_text(encoding="utf-8").splitlines()


def cost(both: Matcher, terms: Matcher, rounds: int) -> None:
    """The model's size and load time, a lead's vector, and warm matching with and without."""
    size = sum(
        (file.locate().stat().st_size for file in metadata.files("wordllama") or ()), start=0
    )
    started = time.perf_counter()
    encoder = StaticEncoder()
    loaded = time.perf_counter() - started
    print(f"model: {MODEL_NAME}, package wordllama {metadata.version('wordllama')} ")
    print(f"  installed {size / 1e6:.0f} MB; loaded in {loaded * 1000:.0f} ms")
    if not DEFAULT_DEV.exists():
        return
    articles = [json.loads(line) for line in dev_lines()]
    texts = [lead_with_title(a["title"], clean_text(a["text"])) for a in articles]
    encoder.embed(texts)  # every word's pieces once
    started = time.perf_counter()
    for text in texts:
        encoder.embed([text[:2000]])
    each = (time.perf_counter() - started) / len(texts)
    print(f"  a text's vector (dev.jsonl's first 2,000 characters, warm): {each * 1e6:.0f} us")
    batches = poll_batches(texts)
    runs: dict[str, Callable[[], object]] = {
        "with the vote, in a poll's batches": lambda: [both.match_many(b) for b in batches],
        "with the vote, one at a time": lambda: [both.match(text) for text in texts],
        "terms alone": lambda: [terms.match(text) for text in texts],
    }
    rates: dict[str, list[float]] = {label: [] for label in runs}
    for run in runs.values():  # warm: every word learnt, the examples embedded
        run()
        run()
    for _ in range(rounds):  # in turns, so that the machine's load falls on all alike
        for label, run in runs.items():
            started = time.perf_counter()
            run()
            rates[label].append(len(texts) / (time.perf_counter() - started))
    for label, measured in rates.items():
        listed = ", ".join(f"{rate:,.0f}" for rate in measured)
        print(f"  matching warm, {label}: best {max(measured):,.0f} articles/s ({listed})")


if __name__ == "__main__":
    raise SystemExit(main())
