"""`desk test` on dev.jsonl as an analyst runs it on every save: articles/s, beside a cold run.

Each round runs the real command three ways, in turns, so that the machine's
load falls on all three alike:
- cold: no words kept from an earlier run (what every run did before words were kept);
- again: the same watchlists as the run before;
- edited: the watchlists the run before used, with one term added or taken away
  again, so that the words kept were learnt under another vocabulary.
Texts are cleaned by an earlier run in all three (that cache is older). The
figure is the command's own rate line: from reading the file to the report's
last line, not Python's start-up. The bar is 1,000 articles/s.

    python benchmarks/bench_backtest.py [--rounds 8]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "corpus" / "watch" / "dev.jsonl"
SHIPPED = ROOT / "desk" / "watchlists"
ADDED_TERM = "  - term: legionnaires dispatched\n"
"""The edit: a term with words no shipped list has, added to troop-deployment."""
RATE = re.compile(r"\(([\d,]+) articles/s, texts cleaned (.*?), words learnt (.*?)\)")


def desk_test(folder: Path, data: Path) -> tuple[float, str]:
    """One run's articles/s and how its words were had ('now', 'by an earlier run', and after
    an edit 'by an earlier run, 85 stems again')."""
    command = ["test", str(DEV), "--watchlists", str(folder)]
    run = subprocess.run(
        [sys.executable, "-m", "desk", "--data", str(data), *command],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    found = RATE.search(run.stderr)
    if found is None:
        raise SystemExit(f"no rate line in: {run.stderr[-300:]}")
    return float(found[1].replace(",", "")), found[3]


def edited_copy(where: Path) -> Path:
    """The shipped watchlists with one term added to troop-deployment."""
    folder = where / "edited"
    shutil.copytree(SHIPPED, folder)
    troop = folder / "troop-deployment.yaml"
    text = troop.read_text(encoding="utf-8")
    troop.write_text(text.replace("terms:\n", "terms:\n" + ADDED_TERM, 1), encoding="utf-8")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    if not DEV.exists():
        print(f"skipped: {DEV} is absent", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        data, edited = where / "data", edited_copy(where)
        words = data / "backtest" / "words"
        desk_test(SHIPPED, data)  # cleans the texts
        rates: dict[str, list[float]] = {"cold": [], "again": [], "edited": []}
        for round_ in range(args.rounds):
            shutil.rmtree(words, ignore_errors=True)
            rates["cold"].append(_expect(desk_test(SHIPPED, data), "now"))
            rates["again"].append(_expect(desk_test(SHIPPED, data), "by an earlier run"))
            folder = edited if round_ % 2 == 0 else SHIPPED  # the next run's vocabulary differs
            desk_test(SHIPPED if folder is edited else edited, data)
            rates["edited"].append(_expect(desk_test(folder, data), "by an earlier run"))
    load = os.getloadavg()[0]
    print(f"desk test on dev.jsonl, {args.rounds} rounds in turns (load {load:.1f}); bar 1,000")
    for name, figures in rates.items():
        low, high = min(figures), max(figures)
        median = statistics.median(figures)
        print(f"  {name:7} median {median:6,.0f}  range {low:6,.0f}-{high:6,.0f} articles/s")
    gain = statistics.median(rates["edited"]) / statistics.median(rates["cold"])
    print(f"an edited run with words kept: {gain:.2f}x a cold run")
    return 0


def _expect(result: tuple[float, str], words: str) -> float:
    rate, learnt = result
    if not learnt.startswith(words):  # "by an earlier run, 85 stems again" after an edit
        raise SystemExit(f"expected words learnt {words}, the run said {learnt}")
    return rate


if __name__ == "__main__":
    raise SystemExit(main())
