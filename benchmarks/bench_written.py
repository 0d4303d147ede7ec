"""The blind written rounds: short cases written from GUIDELINES.md alone, beside the regex filter.

Each file of `benchmarks/data/blind_rounds/` is one round of 60 cases (14
troop deployments, 14-15 technology transfers, 6 ICBM re-entry cases, 26
look-alikes), written by someone who had not seen the watchlists. A case is
right when the watchlists that fire on its text, cleaned as the poller cleans
it, are exactly the ones it calls for.

The rounds were scored once on first sight (the README's table); after that
the watchlists learnt from their misses, so what this prints for the shipped
watchlists is no longer a held-out figure: it shows what is still missed
and guards against losing what was learnt. Point `--watchlists` at another
folder to score an edit, or an old version, on the same rounds.

    python benchmarks/bench_written.py [--watchlists DIR] [--misses]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_matching import REGEX_FILTERS

from desk.cli.common import load_watchlist_folder
from desk.core.article.clean import clean_text
from desk.core.match.matcher import Matcher
from desk.core.settings.config import shipped_watchlists_dir

ROUNDS = Path(__file__).resolve().parent / "data" / "blind_rounds"
WATCHLISTS = ("troop-deployment", "technology-transfer", "icbm-reentry")


def wanted(case: dict[str, object]) -> set[str]:
    """The watchlists a case calls for."""
    return {watchlist for watchlist in WATCHLISTS if case.get(watchlist)}


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
    print(f"watchlists from {args.watchlists}")
    print(f"{'round':8} {'desk':>6} {'regex':>6}")
    totals = [0, 0, 0]
    for path in sorted(ROUNDS.glob("*.jsonl")):
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        right = regex_right = 0
        for case in cases:
            fired = {hit.watchlist for hit in matcher.match(clean_text(case["text"]))}
            right += fired == wanted(case)
            regex_right += regex_fired(case["text"]) == wanted(case)
            if args.misses and fired != wanted(case):
                print(f"  want {sorted(wanted(case))} got {sorted(fired)}: {case['text']!r}")
        totals = [totals[0] + right, totals[1] + regex_right, totals[2] + len(cases)]
        print(f"{path.stem:8} {right:>3}/{len(cases)} {regex_right:>3}/{len(cases)}")
    desk, regex, cases = totals
    print(f"{'all':8} {desk:>6} {regex:>6}  of {cases} ({desk / cases:.0%} vs {regex / cases:.0%})")


if __name__ == "__main__":
    main()
