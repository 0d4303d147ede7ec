"""`desk test`: the watchlists over labelled articles, scored, explained and compared.

The scoring is `desk.core.match.backtest`; this module reads the file, cleans
the texts (cached in DATA/backtest/ so that a run on every save of a
watchlist does not clean the same articles again), prints, and times.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import unicodedata
from collections.abc import Sequence
from difflib import get_close_matches
from pathlib import Path

import orjson

import desk.core.article
from desk.cli.common import locations_of, match_watchlists_dir, shorten
from desk.cli.kept_vectors import (
    Kept,
    keep_examples,
    keep_neighbours,
    keep_vectors,
    read_neighbours,
    read_vectors,
    remember_kept_examples,
)
from desk.cli.learnt_words import keep_words, read_words
from desk.cli.parser import EXIT_BAD_INPUT, EXIT_OK
from desk.core.article.clean import clean_text
from desk.core.article.headline import lead_with_title
from desk.core.errors import DeskError, StoreError, plural
from desk.core.match.backtest import (
    Comparison,
    Labelled,
    Outcome,
    Report,
    TermCount,
    backtest,
    compare,
    comparison_json,
    labelled_ids,
    read_labelled,
    report_json,
)
from desk.core.match.matcher import LearntWords, Matcher, describe_evidence
from desk.core.match.semantic import KeptVectors
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Hit, Verdict, Watchlist
from desk.core.safetext import safe_line
from desk.core.store.tinystore import atomic_write

CACHE_FOLDER = "backtest"
CACHE_KEEP = 8
"""Cleaned copies of this many labelled files (or versions of one) are kept."""


def run_test(args: argparse.Namespace) -> int:
    """`desk test`: P, R, F1 and their reasons per watchlist; exit 2 on bad input."""
    started = time.perf_counter()
    path = Path(args.labelled)
    data = _read(path)
    articles = read_labelled(data, str(path))
    cache = locations_of(args).data_dir / CACHE_FOLDER
    key = texts_key(data)
    texts, cached = cleaned_texts(articles, key, cache)
    folder = Path(args.watchlists) if args.watchlists else match_watchlists_dir(args)
    recalled = read_words(cache, key)
    handed = remember_kept_examples(cache)
    vectors = KeptVectors(read=lambda: read_vectors(cache))
    neighbours = read_neighbours(cache, key)
    found_before = len(neighbours)
    folders = (folder, Path(args.compare)) if args.compare else (folder,)
    done = _run_folders(folders, articles, texts, path, recalled, (vectors, neighbours))
    if done is None:  # _run_folders has said why
        return EXIT_BAD_INPUT
    runs, matcher, relearnt = done
    elapsed = time.perf_counter() - started
    if args.compare:
        print_comparisons(compare(*runs), str(folder), args.compare, args.json)
    else:
        print_reports(runs[0], path, folder, len(articles), args.json)
    words = None if recalled is None else relearnt
    print(rate_line(len(articles), elapsed, cached, len(runs), words), file=sys.stderr)
    keep_words(matcher, cache, key, recalled)
    current = {w.semantic.examples.digest for w in matcher.watchlists if w.semantic}
    keep_neighbours(cache, key, neighbours, found_before, current)
    keep_vectors(cache, vectors)
    in_use = {w.semantic.examples for w in matcher.watchlists if w.semantic}
    keep_examples(cache, in_use, handed)
    return EXIT_OK


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DeskError(f"cannot read: {exc.strerror or exc}", path) from None


def _run_folders(
    folders: tuple[Path, ...],
    articles: list[Labelled],
    texts: list[str],
    path: Path,
    recalled: LearntWords | None,
    semantic: tuple[KeptVectors, Kept],
) -> tuple[list[list[Report]], Matcher, int] | None:
    """Each folder's reports; the first folder's matcher (the words it keeps are those of the
    folder run most often), and how many recalled stems it learnt again. None if a folder
    has a watchlist that cannot be read or none the file labels (said why)."""
    loaded = [_watchlists_in(folder) for folder in folders]
    if any(watchlists is None for watchlists in loaded):
        return None
    every = [watchlist for watchlists in loaded if watchlists for watchlist in watchlists]
    _say_unknown_labels(articles, path, {watchlist.id for watchlist in every})
    runs, matchers, relearnt = [], list[Matcher](), 0
    for folder, watchlists in zip(folders, loaded, strict=True):
        scored = _labelled_watchlists(watchlists or [], articles, path, folder)
        if not scored:
            return None
        vectors, neighbours = semantic
        matcher = Matcher(scored, encoder=vectors, kept_neighbours=neighbours)
        if matchers:  # --compare: the second matcher meets the first one's words
            matcher.recall(matchers[0].learnt())
        elif recalled is not None:
            relearnt = matcher.recall(recalled)
        runs.append(backtest(articles, texts, matcher))
        matchers.append(matcher)
    return runs, matchers[0], relearnt


def _watchlists_in(folder: Path) -> list[Watchlist] | None:
    """The folder's watchlists; None (each error said) when a file in it cannot be read: a
    backtest that left out a watchlist with a typo would report the folder without it."""
    if not folder.is_dir():
        raise DeskError("not a folder" if folder.exists() else "no such watchlist folder", folder)
    result = load_watchlists(folder)
    for error in result.errors:  # the others are files left out, and say so (a .yml twin)
        print(f"desk: {error}" + ("" if error in result.failed else " (skipped)"), file=sys.stderr)
    if result.failed:
        return None
    if not result.watchlists:
        print(
            f"desk: {safe_line(str(folder))}: no watchlists (*.yaml) in this folder",
            file=sys.stderr,
        )
    return list(result.watchlists)


def _say_unknown_labels(articles: list[Labelled], path: Path, ids: set[str]) -> None:
    """A line for each label that names no watchlist (not scored), with a near id if any:
    'icbm_reentry' for 'icbm-reentry' would otherwise be left out without a word."""
    labels = labelled_ids(articles)
    if labels.isdisjoint(ids) and not any(_near_id(label, ids) for label in labels):
        return  # nothing known, nothing near: one line says so (_labelled_watchlists)
    for label in sorted(labels - ids):
        near = _near_id(label, ids)
        hint = f"; did you mean '{near}'?" if near else ""
        print(
            f"desk: {safe_line(str(path))}: label '{safe_line(label)}' names no watchlist "
            f"(not scored{hint})",
            file=sys.stderr,
        )


def _near_id(label: str, ids: set[str]) -> str:
    """The watchlist id a label most likely meant ('icbm_reentry': 'icbm-reentry'), or ''."""
    near = get_close_matches(label.replace("_", "-"), sorted(ids), n=1, cutoff=0.75)
    return near[0] if near else ""


def _labelled_watchlists(
    watchlists: list[Watchlist], articles: list[Labelled], path: Path, folder: Path
) -> list[Watchlist]:
    """The watchlists some article is labelled for; the others are said."""
    labels = labelled_ids(articles)
    scored = [w for w in watchlists if w.id in labels]
    if not scored:
        if watchlists:
            known = ", ".join(sorted(safe_line(label) for label in labels))
            print(
                f"desk: {safe_line(str(path))}: no article is labelled for a watchlist in "
                f"{safe_line(str(folder))} (labels: {known})",
                file=sys.stderr,
            )
        return []
    for watchlist in watchlists:
        if watchlist.id not in labels:
            print(
                f"desk: {safe_line(str(path))}: no labels for '{watchlist.id}' (not scored)",
                file=sys.stderr,
            )
    return scored


# Cleaning, cached on disk by the file's content and the cleaning code.

TEXT_RECIPE = b"lead_with_title(title, clean_text(body))"
"""Part of the cache key: a change in how texts are prepared leaves older caches unread."""


def texts_key(data: bytes) -> str:
    """The key of a labelled file's cleaned texts (and of the words learnt from them): its
    content, the cleaning code and the recipe."""
    return hashlib.sha256(data + cleaning_fingerprint() + TEXT_RECIPE).hexdigest()[:32]


def cleaned_texts(articles: list[Labelled], key: str, cache: Path) -> tuple[list[str], bool]:
    """Each article's cleaned text, and whether it came from an earlier run's cache (under
    `key`, texts_key of the file)."""
    place = cache / f"{key}.json"
    texts = _read_cache(place, len(articles))
    if texts is not None:
        return texts, True
    texts = [prepared_text(article) for article in articles]
    _write_cache(place, texts)
    return texts, False


def prepared_text(article: Labelled) -> str:
    """The text matched, prepared as the poller prepares an article: body cleaned, title first."""
    return lead_with_title(article.title, clean_text(article.text))


def cleaning_fingerprint() -> bytes:
    """Changes when the cleaning code (desk.core.article, safetext) or Unicode data changes."""
    digest = hashlib.sha256(f"{sys.version_info[:2]} {unicodedata.unidata_version}".encode())
    core = Path(desk.core.article.__file__).parent
    for source in [*sorted(core.glob("*.py")), core.parent / "safetext.py"]:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.digest()


def _read_cache(place: Path, count: int) -> list[str] | None:
    """The cached texts, or None when absent, unreadable or not what this file needs."""
    try:
        texts = orjson.loads(place.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(texts, list) or len(texts) != count:
        return None
    if not all(isinstance(text, str) for text in texts):
        return None
    os.utime(place)  # the newest are kept
    return texts


def _write_cache(place: Path, texts: list[str]) -> None:
    """Write atomically and keep the newest few; a data dir that cannot be written is no error."""
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(place, orjson.dumps(texts), durable=False)
        old = sorted(place.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[CACHE_KEEP:]:
            stale.unlink(missing_ok=True)
    except (OSError, StoreError):
        return


def rate_line(
    articles: int, seconds: float, cached: bool, runs: int = 1, relearnt: int | None = None
) -> str:
    """'463 articles in 0.34 s (1,343 articles/s, texts cleaned by an earlier run, words
    learnt by an earlier run, 212 stems again)': what the time includes. `relearnt` is None
    when no words were kept, else how many kept stems a changed vocabulary learnt again.
    Writing the words learnt comes after the report and is not timed."""
    times = f" × {runs} watchlist folders" if runs > 1 else ""
    cleaned = "by an earlier run" if cached else "now"
    learnt = "now" if relearnt is None else "by an earlier run"
    if relearnt:
        learnt += f", {plural(relearnt, 'stem')} again"
    rate = articles / seconds if seconds > 0 else float("inf")
    return (
        f"{plural(articles, 'article')}{times} in {seconds:.2f} s ({rate:,.0f} articles/s,"
        f" texts cleaned {cleaned}, words learnt {learnt})"
    )


# Printing. Everything from the labelled file or a watchlist passes through safe_line.


def print_reports(
    reports: list[Report], path: Path, folder: Path, articles: int, as_json: bool
) -> None:
    """One JSON object per watchlist, or the table and each watchlist's reasons."""
    if as_json:
        for report in reports:
            print(json.dumps(report_json(report)))
        return
    source, where = safe_line(path.name), safe_line(str(folder))
    print(f"{source}: {plural(articles, 'article')}, watchlists from {where}")
    print_table(reports)
    for report in reports:
        print()
        print_reasons(report)


def print_table(reports: Sequence[Report]) -> None:
    """P, R, F1 and the counts, one row per watchlist."""
    print(
        f"{'watchlist':24} {'P':>5} {'R':>5} {'F1':>5} {'TP':>5} {'FP':>5} {'FN':>5} {'TN':>5}"
        f" {'borderline':>10}"
    )
    for r in reports:
        print(
            f"{shorten(r.watchlist, 24):24} {r.precision:5.2f} {r.recall:5.2f} {r.f1:5.2f}"
            f" {r.tp:5} {r.fp:5} {r.fn:5} {r.tn:5} {r.borderline:10}"
        )


def print_reasons(report: Report) -> None:
    """A watchlist's terms, false positives and false negatives."""
    print(
        f"{report.watchlist}: P {report.precision:.2f}  R {report.recall:.2f}"
        f"  F1 {report.f1:.2f}  ({plural(len(report.outcomes), 'article')} scored)"
    )
    print("  articles hit by each term: on topic (2) / off topic (0) / borderline (1)")
    for term in report.terms:
        warning = "  <- only off topic" if term.only_on_negatives else ""
        print(
            f"  {term.positives:5} {term.negatives:5} {term.borderline:5}"
            f"  {shorten(safe_line(term.term))}{warning}"
        )
    _print_outcomes("false positives: the evidence that fired", report.false_positives)
    _print_outcomes("false negatives: what came closest", report.false_negatives)


def _print_outcomes(heading: str, outcomes: list[Outcome]) -> None:
    print(f"  {heading} ({len(outcomes)})" if outcomes else f"  {heading.split(':')[0]}: none")
    for outcome in outcomes:
        print(f"    {article_line(outcome.article)}")
        print(f"      {evidence_line(outcome.verdict)}")


def article_line(article: Labelled) -> str:
    """'agnews:12 (line 4) "Soldier charged with murder"'."""
    title = shorten(safe_line(article.title), 70)
    return f'{shorten(safe_line(article.id), 60)} (line {article.line}) "{title}"'


def evidence_line(verdict: Verdict) -> str:
    """The evidence against fire_at, the hits, and for a miss what was dropped or came closest."""
    said = [safe_line(describe_evidence(verdict.parts, verdict.fire_at)).rstrip(": ")]
    if verdict.hits:
        said.append("hits: " + ", ".join(_hit(h) for h in verdict.hits[:4]))
    if not verdict.fired and verdict.dropped:
        said.append(
            "dropped by context/exclude: " + ", ".join(_hit(h) for h in verdict.dropped[:3])
        )
    if not verdict.fired and verdict.closest:
        parts = safe_line(verdict.closest).split("; ")  # the term's, then the examples' figures
        said.append("closest: " + "; ".join(shorten(part, 90) for part in parts))
    return " · ".join(said)


def _hit(hit: Hit) -> str:
    return f'"{shorten(safe_line(hit.text), 40)}" ({shorten(safe_line(hit.term), 40)})'


def print_comparisons(
    comparisons: list[Comparison], before: str, after: str, as_json: bool
) -> None:
    """Before and after per watchlist, then the articles each edit gained and lost."""
    if as_json:
        for comparison in comparisons:
            print(json.dumps(comparison_json(comparison, before, after)))
        return
    print(f"before: {safe_line(before)}   after: {safe_line(after)}")
    print(f"{'watchlist':24} {'P before/after':>15} {'R before/after':>15} {'F1 before/after':>16}")
    for c in comparisons:
        print(comparison_row(c, before, after))
    for c in comparisons:
        terms = c.terms_changed
        if c.before is not None and c.after is not None and (c.gained or c.lost or terms):
            print()
            print(f"{c.watchlist}: {len(c.gained)} gained, {len(c.lost)} lost")
            for sign, outcomes in (("+", c.gained), ("-", c.lost)):
                for outcome in outcomes:
                    print(f"  {sign} {article_line(outcome.article)}  {_change(outcome)}")
            if terms:
                print("  terms whose hits changed: articles on topic/off topic/borderline")
                for term, old, new in terms:
                    print(f"    {_counts(old):>8} -> {_counts(new):<8} {_term_line(term, new)}")


def _counts(count: TermCount | None) -> str:
    """'2/1/0': the articles a term hit by grade; '-' for a term not in that run."""
    return "-" if count is None else f"{count.positives}/{count.negatives}/{count.borderline}"


def _term_line(term: str, now: TermCount | None) -> str:
    warning = "  <- only off topic" if now is not None and now.only_on_negatives else ""
    return f"{shorten(safe_line(term))}{warning}"


def comparison_row(c: Comparison, before: str, after: str) -> str:
    """One watchlist's scores before and after, or which folder alone has it."""
    name = f"{shorten(c.watchlist, 24):24}"
    if c.before is None or c.after is None:
        folder = after if c.before is None else before
        return f"{name} only in {safe_line(folder)}: not compared"
    cells = [
        f"{old:.2f} -> {new:.2f}"
        for old, new in (
            (c.before.precision, c.after.precision),
            (c.before.recall, c.after.recall),
            (c.before.f1, c.after.f1),
        )
    ]
    return f"{name} {cells[0]:>15} {cells[1]:>15} {cells[2]:>16}"


def _change(outcome: Outcome) -> str:
    topic = "on topic" if outcome.grade == 2 else "off topic"
    did = "now alerts" if outcome.verdict.fired else "now quiet"
    return f"({did}, {topic})"
