"""The blind written rounds: cases written from GUIDELINES.md alone, beside the regex filter.

Each file of `benchmarks/data/blind_rounds/` is one round of 60 cases (most
of them 14 troop deployments, 14-15 technology transfers, 6 ICBM re-entry
cases and 25-26 look-alikes; zj is 25 deployments, 23 look-alikes), written
by someone who had not seen the watchlists. A case is
right when the watchlists that fire on its text, cleaned as the poller cleans
it, are exactly the ones it calls for.

The rounds were scored once on first sight (the README's table); after that
the watchlists learnt from their misses, so what this prints for the shipped
watchlists is no longer a held-out figure: it shows what is still missed
and guards against losing what was learnt. Most rounds are also among the
shipped examples (desk/watchlists/examples.jsonl), where a case's nearest
example is itself: the `terms` column scores the terms alone, and the
rounds held out of the examples (marked `held out`; benchmarks/bench_semantic.py)
are the only ones where `desk` measures the examples' vote. Point
`--watchlists` at another folder to score an edit, or an old version, on
the same rounds.

Then the blind article rounds of `benchmarks/data/blind_articles/`: 48
article-length stories a round (a 1987 wire, BBC 2004, AG News, a 2016 news
blog, Korean wire 2025-26; round S is 80 feed snippets in AG News's form,
round T one 1987 wire day), most of them off topic, graded 2/1/0 per
watchlist like `dev.jsonl`; precision, recall and F1 per round and over all
rounds, with the regex beside them.

    python benchmarks/bench_written.py [--watchlists DIR] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from bench_matching import REGEX_FILTERS, print_scores

from desk.cli.common import load_watchlist_folder
from desk.core.article.clean import clean_text
from desk.core.article.headline import lead_with_title
from desk.core.match.matcher import Matcher
from desk.core.settings.config import shipped_watchlists_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from build_examples import HELD_OUT

ROUNDS = Path(__file__).resolve().parent / "data" / "blind_rounds"
ARTICLE_ROUNDS = Path(__file__).resolve().parent / "data" / "blind_articles"
WATCHLISTS = ("troop-deployment", "technology-transfer", "icbm-reentry")


def wanted(case: dict[str, object]) -> set[str]:
    """The watchlists a case calls for."""
    return {watchlist for watchlist in WATCHLISTS if case.get(watchlist)}


def scored(case: dict[str, object], fired: set[str]) -> bool:
    """Whether `fired` is right for `case`, leaving out the watchlists it calls borderline.

    A round may name, under `unscored`, the watchlists a case is only a passing
    mention for (graded 1 in the corpus's terms): firing or not is right there.
    """
    borderline = set(case.get("unscored", ()))  # type: ignore[call-overload]
    return fired - borderline == wanted(case) - borderline


def regex_fired(text: str) -> set[str]:
    """The watchlists whose one regex matches `text`."""
    return {watchlist for watchlist, pattern in REGEX_FILTERS.items() if pattern.search(text)}


def main() -> None:
    """Score every round with the watchlists and with the regex filter; print a line a round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchlists", type=Path, default=shipped_watchlists_dir())
    parser.add_argument("--misses", action="store_true", help="print the cases desk gets wrong")
    args = parser.parse_args()
    watchlists = load_watchlist_folder(args.watchlists)
    if not watchlists:
        raise SystemExit(f"bench_written: no watchlist to score in {args.watchlists}")
    matcher = Matcher(watchlists)
    terms = Matcher([replace(watchlist, semantic=None) for watchlist in watchlists])
    print(f"watchlists from {args.watchlists}")
    print(f"{'round':8} {'desk':>6} {'terms':>6} {'regex':>6}")
    totals = [0, 0, 0, 0]
    for path in sorted(ROUNDS.glob("*.jsonl")):
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        right = terms_right = regex_right = 0
        for case in cases:
            text = clean_text(case["text"])
            fired = {hit.watchlist for hit in matcher.match(text)}
            right += scored(case, fired)
            terms_right += scored(case, {hit.watchlist for hit in terms.match(text)})
            regex_right += scored(case, regex_fired(case["text"]))
            if args.misses and not scored(case, fired):
                print(f"  want {sorted(wanted(case))} got {sorted(fired)}: {case['text']!r}")
        row = (right, terms_right, regex_right, len(cases))
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        held = "  held out" if path.stem in HELD_OUT else ""
        print(
            f"{path.stem:8} {right:>3}/{len(cases)} {terms_right:>3}/{len(cases)}"
            f" {regex_right:>3}/{len(cases)}{held}"
        )
    desk, terms_total, regex, cases = totals
    print(f"{'all':8} {desk:>6} {terms_total:>6} {regex:>6}  of {cases}")
    score_article_rounds(matcher, args.misses)


def score_article_rounds(matcher: Matcher, misses: bool) -> None:
    """Precision, recall and F1 on each blind article round and on all of them, beside the regex."""
    everything: tuple[list[dict], list[set[str]], list[set[str]]] = ([], [], [])
    for path in sorted(ARTICLE_ROUNDS.glob("*.jsonl")):
        articles = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        texts = [lead_with_title(a["title"], clean_text(a["text"])) for a in articles]
        desk = [{hit.watchlist for hit in matcher.match(text)} for text in texts]
        regex = [regex_fired(text) for text in texts]
        print(f"blind article round {path.stem} ({len(articles)} articles)")
        print_scores(articles, desk, regex)
        if misses:
            print_article_misses(articles, desk)
        for pooled, part in zip(everything, (articles, desk, regex), strict=True):
            pooled.extend(part)  # type: ignore[arg-type]
    if everything[0]:
        print(f"all blind article rounds ({len(everything[0])} articles)")
        print_scores(*everything)


def print_article_misses(articles: list[dict], fired: list[set[str]]) -> None:
    """The articles graded 2 that did not fire and those graded 0 that did."""
    for article, found in zip(articles, fired, strict=True):
        for watchlist, grade in article["labels"].items():
            if (grade == 2 and watchlist not in found) or (grade == 0 and watchlist in found):
                kind = "missed" if grade == 2 else "false alarm"
                print(f"  {kind} {watchlist}: {article['id']} {article['title']!r}")


if __name__ == "__main__":
    main()
