"""Write desk/watchlists/examples.jsonl, the shipped watchlists' labelled examples.

The examples are our own blind writing (benchmarks/data/blind_rounds,
blind_articles and blind_leads, an ordinary day's wire leads: helpers who read only the labelling guidelines wrote and
graded them). Each becomes what the matcher compares at run time: the lead
of the text as the poller prepares it (title first, cleaned, its first three
sentences), with a grade per watchlist (2 about it, 1 borderline, 0 not) and
the round it came from. The rounds in HELD_OUT, and any named with
--hold-out, stay out, so that they measure the signal on text it has never seen.

    .venv/bin/python scripts/build_examples.py [--hold-out NAME ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from desk.core.article.clean import clean_text
from desk.core.article.headline import lead_with_title
from desk.core.match.matcher import lead_end
from desk.core.match.semantic import ExampleIndex, StaticEncoder, index_bytes, index_path
from desk.core.match.watchlists import load_examples

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = ROOT / "benchmarks" / "data" / "blind_rounds"
ARTICLES = ROOT / "benchmarks" / "data" / "blind_articles"
LEADS = ROOT / "benchmarks" / "data" / "blind_leads"
OUT = ROOT / "desk" / "watchlists" / "examples.jsonl"
WATCHLISTS = ("troop-deployment", "technology-transfer", "icbm-reentry")
HELD_OUT = (
    "zzt",
    "zzu",
    "zzv",
    "zzw",
    "zzx",
    "zzy",
    "zzz",
    "zzza",
    "zzzb",
    "zzzc",
    "zzzd",
    "zzze",
    "zzzf",
    "zzzg",
    "zzzh",
    "AF",
)
"""Rounds written after the signal was built, never among the examples: they measure it
(benchmarks/bench_semantic.py). zzt-zzw chose its settings; zzx, zzy and AF were scored once,
and zzz, zzza, zzzb (written 7 Dec, scored once: 56, 56, 53 of 60); zzzc, zzzd, zzze written
on the next 7 Dec and scored once (57, 57, 59); zzzf, zzzg, zzzh written after them."""
LEAD = 3


def main() -> None:
    """Build the file from every round not held out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold-out", nargs="*", default=[], help="round names to leave out")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    held = set(HELD_OUT) | set(args.hold_out)
    lines = []
    for path in sorted(ROUNDS.glob("*.jsonl")):
        if path.stem not in held:
            lines += [written_example(json.loads(line), path.stem) for line in _lines(path)]
    for path in sorted([*ARTICLES.glob("*.jsonl"), *LEADS.glob("*.jsonl")]):
        if path.stem not in held:
            lines += [article_example(json.loads(line), path.stem) for line in _lines(path)]
    args.out.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    print(f"wrote {len(lines):,} examples to {args.out}")
    examples = load_examples(args.out)
    index = ExampleIndex.build(examples, StaticEncoder())
    index_path(examples).write_bytes(index_bytes(examples, index))
    print(f"wrote their index to {index_path(examples)}")


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def lead(text: str) -> str:
    """A prepared text's first sentences, as the matcher cuts them."""
    return text[: lead_end(text, LEAD)]


def written_example(case: dict[str, object], round_name: str) -> dict[str, object]:
    """A written case: 1 means about it, unless `unscored` names the watchlist (borderline)."""
    unscored = set(case.get("unscored", ()))  # type: ignore[call-overload]
    grades = {w: 1 if w in unscored else 2 if case.get(w) else 0 for w in WATCHLISTS}
    return {"text": lead(clean_text(str(case["text"]))), "labels": grades, "from": round_name}


def article_example(article: dict[str, object], round_name: str) -> dict[str, object]:
    """An article round's article: its title and cleaned body's lead, graded as labelled."""
    text = lead_with_title(str(article["title"]), clean_text(str(article["text"])))
    return {"text": lead(text), "labels": article["labels"], "from": f"articles {round_name}"}


if __name__ == "__main__":
    main()
