"""The backtest: watchlists over labelled articles, scored and explained per watchlist.

Input is the corpus's `watch/` format, one JSON object a line: `id`, `title`,
`text` and `labels`, a grade per watchlist id (2 must alert, 1 borderline,
0 must not). Grade-1 articles are not scored. Precision is 1 when nothing
fired and recall 1 when there was nothing to find, so an empty side never
reads as a failure.

Every figure comes with its reasons: each term's hits on positives and on
negatives, the evidence behind each false positive, and the near misses
behind each false negative (evidence below `fire_at`, hits the context or
exclusions dropped, the term that came closest). `compare` sets two runs
side by side: what an edit to the watchlists gains and loses.

Pure: the caller reads the file and prepares the texts as the poller does (the
title, then the cleaned body), as `benchmarks/bench_matching.py` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from desk.core.errors import DeskError
from desk.core.match.matcher import Matcher
from desk.core.match.semantic import EXAMPLES_TERM
from desk.core.models import Verdict, Watchlist, example_number
from desk.core.safetext import safe_line

GRADES = (0, 1, 2)
CHUNK = 512
"""Texts assessed together: their leads meet the examples in one product of matrices,
whose memory grows with the texts (20,000 at once took 770 MB)."""
POSITIVE, BORDERLINE, NEGATIVE = 2, 1, 0


@dataclass(frozen=True)
class Labelled:
    """One labelled article: where it is in its file, its text and its grade per watchlist."""

    line: int
    id: str
    title: str
    text: str
    labels: dict[str, int]


def read_labelled(data: bytes, path: str) -> list[Labelled]:
    """The articles of a JSON-lines file; DeskError naming `path:line` at the first bad line.

    Lines are split on newline only: U+2028 inside a JSON string is text.
    Blank lines are skipped.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        raise DeskError("starts with a byte-order mark; save it as UTF-8 without one", path, 1)
    articles = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.strip():
            articles.append(_parse_line(raw, path, number))
    if not articles:
        raise DeskError("no articles: expected one JSON object a line", path)
    return articles


def _parse_line(raw: bytes, path: str, number: int) -> Labelled:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeskError(f"not UTF-8 (byte {exc.start + 1})", path, number) from None
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # 'Invalid control character at' (line:col after)
        raise DeskError(f"not JSON: {reason}", path, number, exc.colno) from None
    except RecursionError:
        raise DeskError("not JSON: nested too deeply", path, number) from None
    if not isinstance(value, dict):
        raise DeskError("expected a JSON object with title, text and labels", path, number)
    return _article_of(value, path, number)


def _article_of(value: dict[str, Any], path: str, number: int) -> Labelled:
    labels = value.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise DeskError("no labels: expected {watchlist id: 0, 1 or 2}", path, number)
    for watchlist, grade in labels.items():
        if type(grade) is not int or grade not in GRADES:
            raise DeskError(
                f"label {watchlist!r} is {json.dumps(grade)[:20]}; grades are 0, 1 or 2",
                path,
                number,
            )
    fields = {}
    for key in ("title", "text"):
        found = value.get(key, "")
        if not isinstance(found, str):
            raise DeskError(f"{key!r} is not a string", path, number)
        fields[key] = found
    if not (fields["title"] or fields["text"]):
        raise DeskError("no title and no text", path, number)
    raw_id = value.get("id")
    article_id = str(raw_id) if isinstance(raw_id, str | int) else f"line {number}"
    return Labelled(number, article_id, fields["title"], fields["text"], dict(labels))


@dataclass(frozen=True)
class Outcome:
    """One article as one watchlist judged it."""

    article: Labelled
    grade: int
    verdict: Verdict

    @property
    def correct(self) -> bool:
        """Fired on a positive or stayed quiet on a negative."""
        return self.verdict.fired == (self.grade == POSITIVE)


@dataclass(frozen=True)
class TermCount:
    """In how many articles of each grade one term had a hit (counted or not)."""

    term: str
    positives: int = 0
    negatives: int = 0
    borderline: int = 0

    @property
    def only_on_negatives(self) -> bool:
        """The term hits articles that must not alert and none that must."""
        return self.negatives > 0 and self.positives == 0


@dataclass(frozen=True)
class Report:
    """One watchlist's backtest: the counts, the scores and the reasons behind them."""

    watchlist: str
    outcomes: tuple[Outcome, ...]
    """Every scored article (graded 0 or 2), in file order."""
    borderline: int
    unlabelled: int
    terms: tuple[TermCount, ...] = field(default=())

    def _count(self, fired: bool, grade: int) -> int:
        return sum(1 for o in self.outcomes if o.verdict.fired == fired and o.grade == grade)

    @property
    def tp(self) -> int:
        """Positives that fired."""
        return self._count(True, POSITIVE)

    @property
    def fp(self) -> int:
        """Negatives that fired."""
        return self._count(True, NEGATIVE)

    @property
    def fn(self) -> int:
        """Positives that stayed quiet."""
        return self._count(False, POSITIVE)

    @property
    def tn(self) -> int:
        """Negatives that stayed quiet."""
        return self._count(False, NEGATIVE)

    @property
    def precision(self) -> float:
        """Share of alerts that were right; 1 when nothing fired."""
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """Share of positives that alerted; 1 when there was nothing to find."""
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        return f1_of(self.precision, self.recall)

    @property
    def false_positives(self) -> list[Outcome]:
        """Negatives that fired, in file order."""
        return [o for o in self.outcomes if o.verdict.fired and o.grade == NEGATIVE]

    @property
    def false_negatives(self) -> list[Outcome]:
        """Positives that stayed quiet, in file order."""
        return [o for o in self.outcomes if not o.verdict.fired and o.grade == POSITIVE]


def ratio(part: int, whole: int) -> float:
    """part / whole, and 1 when there is no whole (nothing fired, nothing to find)."""
    return part / whole if whole else 1.0


def f1_of(precision: float, recall: float) -> float:
    """2PR / (P + R), 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def backtest(articles: Sequence[Labelled], texts: Sequence[str], matcher: Matcher) -> list[Report]:
    """Each of the matcher's watchlists' report over the articles; `texts` are their prepared
    texts (title, cleaned body)."""
    watchlists = matcher.watchlists
    verdicts = [
        verdict
        for start in range(0, len(texts), CHUNK)
        for verdict in matcher.assess_many(texts[start : start + CHUNK])
    ]
    for index, article in enumerate(articles):  # explained only where the watchlists are wrong
        if any(_wrong(article, verdict) for verdict in verdicts[index]):
            verdicts[index] = matcher.assess(texts[index], explain=True)
    return [
        _report(watchlist, articles, [v[index] for v in verdicts])
        for index, watchlist in enumerate(watchlists)
    ]


def _wrong(article: Labelled, verdict: Verdict) -> bool:
    """A false alarm or a miss: the articles whose verdicts a backtest explains."""
    grade = article.labels.get(verdict.watchlist)
    return (grade == POSITIVE and not verdict.fired) or (grade == NEGATIVE and verdict.fired)


def _report(watchlist: Watchlist, articles: Sequence[Labelled], verdicts: list[Verdict]) -> Report:
    outcomes, borderline, unlabelled = [], 0, 0
    counts = {term.text: [0, 0, 0] for term in watchlist.terms}
    if watchlist.semantic is not None:
        counts[EXAMPLES_TERM] = [0, 0, 0]
    for article, verdict in zip(articles, verdicts, strict=True):
        grade = article.labels.get(watchlist.id)
        if grade is None:
            unlabelled += 1
            continue
        for term in {_counted_as(watchlist, hit.term) for hit in verdict.hits}:
            counts.setdefault(term, [0, 0, 0])[grade] += 1
        if grade == BORDERLINE:
            borderline += 1
        else:
            outcomes.append(Outcome(article, grade, verdict))
    terms = tuple(TermCount(term, pos, neg, mid) for term, (neg, mid, pos) in counts.items())
    return Report(watchlist.id, tuple(outcomes), borderline, unlabelled, terms)


def _counted_as(watchlist: Watchlist, term: str) -> str:
    """A hit's term as the backtest counts it: every example's vote as one, the examples."""
    return EXAMPLES_TERM if watchlist.semantic and example_number(term) else term


def labelled_ids(articles: Iterable[Labelled]) -> set[str]:
    """Every watchlist id that some article carries a label for."""
    return {watchlist for article in articles for watchlist in article.labels}


@dataclass(frozen=True)
class Comparison:
    """One watchlist before and after an edit; either side is None when only one folder has it."""

    watchlist: str
    before: Report | None
    after: Report | None

    def _changed(self, now_correct: bool) -> list[Outcome]:
        if self.before is None or self.after is None:
            return []
        was = {o.article.line: o.correct for o in self.before.outcomes}
        return [
            o
            for o in self.after.outcomes
            if o.correct == now_correct and was.get(o.article.line) is not now_correct
        ]

    @property
    def gained(self) -> list[Outcome]:
        """Articles the edit now gets right (a positive found, a false alarm gone)."""
        return self._changed(True)

    @property
    def lost(self) -> list[Outcome]:
        """Articles the edit now gets wrong (a positive missed, a new false alarm)."""
        return self._changed(False)

    @property
    def terms_changed(self) -> list[tuple[str, TermCount | None, TermCount | None]]:
        """The terms whose article counts the edit changed, added or removed, with their counts
        before and after (None: not in that run): a new term that hits only off-topic articles
        may change no verdict, and is worth seeing before it does."""
        if self.before is None or self.after is None:
            return []
        old = {count.term: count for count in self.before.terms}
        new = {count.term: count for count in self.after.terms}
        return [
            (term, old.get(term), new.get(term))
            for term in dict.fromkeys([*old, *new])
            if old.get(term) != new.get(term)
        ]


def compare(before: Sequence[Report], after: Sequence[Report]) -> list[Comparison]:
    """The reports of two runs paired by watchlist id: the first run's order, then the new ones."""
    old = {r.watchlist: r for r in before}
    new = {r.watchlist: r for r in after}
    ids = list(dict.fromkeys([*old, *new]))
    return [Comparison(w, old.get(w), new.get(w)) for w in ids]


# JSON: DESIGN.md's shape per watchlist, with extras. Text from the file is made safe.


def report_json(report: Report) -> dict[str, object]:
    """The report as DESIGN.md's `desk test --json` object, plus tn, counts and every reason."""
    return {
        "watchlist": report.watchlist,
        **scores_json(report),
        "tn": report.tn,
        "scored": len(report.outcomes),
        "borderline": report.borderline,
        "unlabelled": report.unlabelled,
        "terms": [term_json(t) for t in report.terms],
        "false_positives": [outcome_json(o) for o in report.false_positives],
        "false_negatives": [outcome_json(o) for o in report.false_negatives],
    }


def scores_json(report: Report) -> dict[str, object]:
    """tp, fp, fn and precision, recall, f1 (rounded to 4 places)."""
    return {
        "tp": report.tp,
        "fp": report.fp,
        "fn": report.fn,
        "precision": round(report.precision, 4),
        "recall": round(report.recall, 4),
        "f1": round(report.f1, 4),
    }


def term_json(term: TermCount) -> dict[str, object]:
    """A term's article counts by grade."""
    return {
        "term": safe_line(term.term),
        "positives": term.positives,
        "negatives": term.negatives,
        "borderline": term.borderline,
        "only_on_negatives": term.only_on_negatives,
    }


def outcome_json(outcome: Outcome) -> dict[str, object]:
    """An article with the evidence its watchlist saw: what fired, or what came close."""
    verdict = outcome.verdict
    data: dict[str, object] = {
        "id": safe_line(outcome.article.id),
        "line": outcome.article.line,
        "title": safe_line(outcome.article.title),
        "grade": outcome.grade,
        "fired": verdict.fired,
        "total": round(verdict.total, 2),
        "fire_at": verdict.fire_at,
        "parts": [_safe_json(part.to_json()) for part in verdict.parts],
        "hits": [_safe_json(hit.to_json()) for hit in verdict.hits],
    }
    if not verdict.fired:
        data["dropped"] = [_safe_json(hit.to_json()) for hit in verdict.dropped]
        data["closest"] = safe_line(verdict.closest)
    return data


def comparison_json(comparison: Comparison, before: str, after: str) -> dict[str, object]:
    """The after run's report with the before run's scores and the articles gained and lost.

    A watchlist in one folder only is that folder's report with `only_in` naming it.
    """
    if comparison.before is None or comparison.after is None:
        only, folder = (
            (comparison.after, after) if comparison.before is None else (comparison.before, before)
        )
        assert only is not None
        return {**report_json(only), "only_in": safe_line(folder)}
    return {
        **report_json(comparison.after),
        "before": scores_json(comparison.before),
        "gained": [outcome_json(o) for o in comparison.gained],
        "lost": [outcome_json(o) for o in comparison.lost],
        "terms_changed": [
            {
                "term": safe_line(term),
                "before": None if old is None else term_json(old),
                "after": None if new is None else term_json(new),
            }
            for term, old, new in comparison.terms_changed
        ],
    }


def _safe_json(data: dict[str, object]) -> dict[str, object]:
    return {k: safe_line(v) if isinstance(v, str) else v for k, v in data.items()}
