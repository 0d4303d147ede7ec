"""The fuzzy matcher: cleaned text -> hits with spans, scores and the term that fired.

Text and terms are folded the same way (case, diacritics, hyphens and
apostrophes), words are reduced to stems (deployed, deploying, deployment ->
deploy), and a term's words may come in any order with a few words between
them. Misspellings match by edit similarity of stems, but only between stems
that start with the same letter and are long enough, so that "entry" never
passes for "reentry". Context terms must appear near a hit; exclusion terms
near a hit drop it.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from desk.core.models import Hit, Term, Watchlist

_WORD = re.compile(r"\w+(?:['’\-]\w+)*")
_FOLD_DROP = re.compile(r"['’\-_]")
MIN_FUZZY_LENGTH = 6
"""Stems shorter than this match only exactly: short words differ by one letter."""
STOP_WORDS = frozenset("a an the of to in on for and or by with from at as is are was were".split())

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The folded stem of one word: 'Re-entries' -> 'reentri'."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return str(_stemmer.stemWord(_FOLD_DROP.sub("", folded)))


def term_words(text: str) -> tuple[tuple[str, ...], ...]:
    """A fuzzy term's slots of alternative stems: 'troops|soldiers sent' -> 2 slots.

    Stop words are left out unless the term has nothing else.
    """
    slots = [
        tuple(dict.fromkeys(stem(w) for w in _WORD.findall(chunk)))
        for chunk in re.sub(r"\s*\|\s*", "|", text).split()
    ]
    slots = [slot for slot in slots if slot]
    content = [s for s in slots if not all(w in STOP_WORDS for w in s)]
    return tuple(content or slots)


Place = tuple[int, int, float]
"""Where a vocabulary word occurs: first token, last token, similarity score."""
Places = dict[str, list[Place]]


@dataclass(frozen=True)
class Tokens:
    """The words of a text: their stems and character spans, in order."""

    stems: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> Tokens:
        """Tokenise `text`."""
        found = list(_WORD.finditer(text))
        return cls(
            tuple(stem(m.group()) for m in found),
            tuple(m.start() for m in found),
            tuple(m.end() for m in found),
        )

    def index_at(self, offset: int) -> int:
        """The index of the token at or after a character offset."""
        return min(bisect_left(self.ends, offset + 1), max(len(self.starts) - 1, 0))


@dataclass(frozen=True)
class _Span:
    first: int
    last: int
    score: float


class Matcher:
    """Runs a set of watchlists over cleaned texts."""

    def __init__(self, watchlists: list[Watchlist]) -> None:
        self.watchlists = list(watchlists)
        vocabulary = {
            word
            for wl in self.watchlists
            for term in (*wl.terms, *wl.context, *wl.exclude)
            for slot in term.words
            for word in slot
        }
        self._vocabulary = sorted(vocabulary)
        self._vocabulary_set = frozenset(vocabulary)
        self._similar: dict[str, tuple[tuple[str, float], ...]] = {}

    def match(self, text: str) -> list[Hit]:
        """Every hit of every watchlist in `text`, in text order."""
        tokens = Tokens.of(text)
        places = self._places(tokens)
        hits: list[Hit] = []
        for watchlist in self.watchlists:
            hits.extend(self._match_watchlist(watchlist, text, tokens, places))
        return sorted(hits, key=lambda h: (h.start, h.watchlist))

    def _places(self, tokens: Tokens) -> Places:
        """Where each vocabulary word occurs: (first token, last token, score)."""
        places: Places = {}
        units = [(s, i, i) for i, s in enumerate(tokens.stems)]
        units += [
            (tokens.stems[i] + tokens.stems[i + 1], i, i + 1)
            for i in range(len(tokens.stems) - 1)
            if len(tokens.stems[i]) <= 3 and tokens.ends[i] + 2 >= tokens.starts[i + 1]
        ]
        for unit, first, last in units:
            for word, score in self._similar_words(unit):
                places.setdefault(word, []).append((first, last, score))
        return places

    def _similar_words(self, unit: str) -> tuple[tuple[str, float], ...]:
        cached = self._similar.get(unit)
        if cached is None:
            cached = self._compute_similar(unit)
            if len(self._similar) < 500_000:
                self._similar[unit] = cached
        return cached

    def _compute_similar(self, unit: str) -> tuple[tuple[str, float], ...]:
        exact = ((unit, 100.0),) if unit in self._vocabulary_set else ()
        if len(unit) < MIN_FUZZY_LENGTH:
            return exact
        found = process.extract(
            unit, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=2, limit=None
        )
        similar = tuple(
            (word, float(fuzz.ratio(unit, word)))
            for word, distance, _ in found
            if word != unit and _close_enough(unit, word, int(distance))
        )
        return exact + similar

    def _match_watchlist(
        self, watchlist: Watchlist, text: str, tokens: Tokens, places: Places
    ) -> list[Hit]:
        hits: dict[tuple[int, int], Hit] = {}
        for term in watchlist.terms:
            for span in self._term_spans(term, text, tokens, places):
                if not self._in_context(watchlist, span, text, tokens, places):
                    continue
                start, end = tokens.starts[span.first], tokens.ends[span.last]
                hit = Hit(watchlist.id, term.text, text[start:end], start, end, span.score)
                best = hits.get((start, end))
                if best is None or hit.score > best.score:
                    hits[(start, end)] = hit
        return list(hits.values())

    def _in_context(
        self, watchlist: Watchlist, span: _Span, text: str, tokens: Tokens, places: Places
    ) -> bool:
        if watchlist.context and not self._any_near(
            watchlist.context, span, watchlist.context_near, text, tokens, places
        ):
            return False
        return not (
            watchlist.exclude
            and self._any_near(
                watchlist.exclude, span, watchlist.exclude_near, text, tokens, places
            )
        )

    def _any_near(
        self,
        terms: tuple[Term, ...],
        span: _Span,
        near: int,
        text: str,
        tokens: Tokens,
        places: Places,
    ) -> bool:
        for term in terms:
            for other in self._term_spans(term, text, tokens, places):
                if other.last >= span.first - near and other.first <= span.last + near:
                    return True
        return False

    def _term_spans(self, term: Term, text: str, tokens: Tokens, places: Places) -> list[_Span]:
        if not tokens.stems:
            return []
        if term.pattern is not None:
            return [self._regex_span(m, tokens) for m in term.pattern.finditer(text) if m.group()]
        return fuzzy_spans(term, places)

    @staticmethod
    def _regex_span(found: re.Match[str], tokens: Tokens) -> _Span:
        first = tokens.index_at(found.start())
        last = max(first, tokens.index_at(found.end() - 1))
        return _Span(first, last, 100.0)


def _close_enough(unit: str, word: str, distance: int) -> bool:
    """A misspelling, not another word: same first letter, one edit (two if long)."""
    if unit[0] != word[0] or min(len(unit), len(word)) < MIN_FUZZY_LENGTH:
        return False
    return distance <= (2 if min(len(unit), len(word)) >= 9 else 1)


def fuzzy_spans(term: Term, places: Places) -> list[_Span]:
    """Windows where all of a term's words occur close together, in any order."""
    occurrences = [sorted(p for word in slot for p in places.get(word, ())) for slot in term.words]
    if not all(occurrences):
        return []
    anchor_index = min(range(len(occurrences)), key=lambda i: len(occurrences[i]))
    reach = len(term.words) + term.within
    spans = []
    for anchor in occurrences[anchor_index]:
        span = _window_around(anchor, occurrences, reach)
        if span is not None and span.score >= term.threshold:
            spans.append(span)
    return spans


def _window_around(
    anchor: tuple[int, int, float], occurrences: list[list[tuple[int, int, float]]], reach: int
) -> _Span | None:
    first, last, score = anchor
    for places in occurrences:
        nearest = _nearest(places, anchor[0], reach)
        if nearest is None:
            return None
        first, last = min(first, nearest[0]), max(last, nearest[1])
        score = min(score, nearest[2])
    if last - first + 1 > reach:
        return None
    return _Span(first, last, score)


def _nearest(
    places: list[tuple[int, int, float]], index: int, reach: int
) -> tuple[int, int, float] | None:
    low = bisect_left(places, (index - reach, -1, -1.0))
    high = bisect_right(places, (index + reach, 1 << 30, 101.0))
    window = places[low:high]
    if not window:
        return None
    return min(window, key=lambda p: (abs(p[0] - index), -p[2]))
