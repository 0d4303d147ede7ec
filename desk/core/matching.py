"""The fuzzy matcher: cleaned text -> hits with spans, scores and the term that fired.

Text and terms are folded the same way (case, diacritics, hyphens and
apostrophes), words are reduced to stems (deployed, deploying, deployment ->
deploy), and a term's words may come in any order with a few words between
them. Misspellings match by edit similarity of stems, but only between stems
that start with the same letter and are long enough, so that "entry" never
passes for "reentry". Context terms must appear near a hit; exclusion terms
near a hit drop it. A watchlist fires when its matched terms add up to its
`fire_at` evidence: each term that matched adds its weight once, however
often it matched, so a weak term (weight 0.5) needs another term beside it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import Stemmer
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from desk.core.models import Hit, Term, TextMatch, Watchlist

_WORD = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:['’\-]\w+)*")  # 12,000 is one word
_EXACT_OR_WORD = re.compile(r"=?(?:\d+(?:[.,]\d+)+|\w+(?:['’\-]\w+)*)")
_SENTENCE_GAP = re.compile(r"[.!?][\"'”’)\]]*\s+|\n\s*\n")
_NOT_SENTENCE_ENDS = frozenset(
    "mr mrs ms dr gen lt col sgt st no inc ltd co corp jr sr vs adm capt maj rep sen gov".split()
)
_FOLD_DROP = re.compile(r"['’\-_]")
MIN_FUZZY_LENGTH = 6
"""Stems shorter than this match only exactly: short words differ by one letter."""
STOP_WORDS = frozenset("a an the of to in on for and or by with from at as is are was were".split())

_stemmers = threading.local()  # PyStemmer objects are not thread-safe


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The folded stem of one word: 'Re-entries' -> 'reentri'."""
    if not hasattr(_stemmers, "english"):
        _stemmers.english = Stemmer.Stemmer("english")
    return str(_stemmers.english.stemWord(fold(word)))


def _term_word(word: str) -> str:
    """A term word's key: its stem, or `=form` for a word that must match as written."""
    return "=" + fold(word[1:]) if word.startswith("=") else stem(word)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case, no diacritics, no hyphens or apostrophes: 'Re-Éntry' -> 'reentry'."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return _FOLD_DROP.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def term_words(text: str) -> tuple[tuple[str, ...], ...]:
    """A fuzzy term's slots of alternative stems: 'troops|soldiers sent' -> 2 slots.

    Stop words are left out unless the term has nothing else.
    """
    slots = [
        tuple(dict.fromkeys(_term_word(w) for w in _EXACT_OR_WORD.findall(chunk)))
        for chunk in re.sub(r"\s*\|\s*", "|", text).split()
    ]
    slots = [slot for slot in slots if slot]
    content = [s for s in slots if not all(w in STOP_WORDS for w in s)]
    return tuple(content or slots)


Place = tuple[int, int, float]
"""Where a vocabulary word occurs: first token, last token, similarity score."""
Places = dict[str, list[Place]]


class Tokens:
    """The words of a text: their stems at once; spans and sentences when first asked for."""

    def __init__(self, text: str, stems: dict[str, str] | None = None) -> None:
        self.text = text
        cache = stems if stems is not None else _StemCache()
        self.words: list[str] = _WORD.findall(text)
        self.stems: list[str] = [cache[word] for word in self.words]

    @classmethod
    def of(cls, text: str) -> Tokens:
        """Tokenise `text`."""
        return cls(text)

    @cached_property
    def _found(self) -> list[re.Match[str]]:
        return list(_WORD.finditer(self.text))

    @cached_property
    def starts(self) -> list[int]:
        """Where each token starts in the text."""
        return [m.start() for m in self._found]

    @cached_property
    def ends(self) -> list[int]:
        """Where each token ends in the text."""
        return [m.end() for m in self._found]

    @cached_property
    def sentences(self) -> tuple[int, ...]:
        """The sentence each token is in, counted from 0."""
        return _sentence_numbers(self.text, self._found)

    def index_at(self, offset: int) -> int:
        """The index of the token at or after a character offset."""
        return min(bisect_left(self.ends, offset + 1), max(len(self.starts) - 1, 0))


class _StemCache(dict[str, str]):
    """word -> stem, filled on first sight (a plain dict lookup after that)."""

    def __missing__(self, word: str) -> str:
        found = self[word] = stem(word)
        return found


def _sentence_numbers(text: str, found: list[re.Match[str]]) -> tuple[int, ...]:
    """Number the sentences: a new one after . ! ? or a blank line, not after Mr. or U.S."""
    boundaries = [gap.end() for gap in _SENTENCE_GAP.finditer(text) if _ends_sentence(text, gap)]
    return tuple(bisect_right(boundaries, match.start()) for match in found)


def _ends_sentence(text: str, gap: re.Match[str]) -> bool:
    if "\n" in gap.group():
        return True
    before = text[text.rfind(" ", 0, gap.start()) + 1 : gap.start()]
    abbreviation = (len(before) == 1 and before.isupper()) or "." in before
    return not abbreviation and before.lower() not in _NOT_SENTENCE_ENDS


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
        self._vocabulary = frozenset(vocabulary)
        self._has_exact_forms = any(word.startswith("=") for word in vocabulary)
        self._by_initial: defaultdict[str, list[str]] = defaultdict(list)
        for word in sorted(vocabulary):
            if len(word) >= MIN_FUZZY_LENGTH and not word.startswith("="):
                self._by_initial[word[0]].append(word)
        self._similar: dict[str, tuple[tuple[str, float], ...]] = {}
        self._stems = _StemCache()

    def match(self, text: str) -> list[Hit]:
        """Every hit of every watchlist in `text`, in text order."""
        if len(self._stems) > 500_000:
            self._stems.clear()
        tokens = Tokens(text, self._stems)
        places = self._places(tokens)
        hits: list[Hit] = []
        for watchlist in self.watchlists:
            hits.extend(self._match_watchlist(watchlist, text, tokens, places))
        return sorted(hits, key=lambda h: (h.start, h.watchlist))

    def _places(self, tokens: Tokens) -> Places:
        """Where each vocabulary word occurs: (first token, last token, score)."""
        places: Places = {}
        relevant = {}
        for unit in set(tokens.stems):
            similar = self._similar_words(unit)
            if similar:
                relevant[unit] = similar
        for index, unit in enumerate(tokens.stems):
            for word, score in relevant.get(unit, ()):
                places.setdefault(word, []).append((index, index, score))
        for first, last, joined in self._split_words(tokens):
            places.setdefault(joined, []).append((first, last, 100.0))
        if self._has_exact_forms:
            for index, word in enumerate(tokens.words):
                key = "=" + fold(word)
                if key in self._vocabulary:
                    places.setdefault(key, []).append((index, index, 100.0))
        return places

    def _split_words(self, tokens: Tokens) -> list[tuple[int, int, str]]:
        """Vocabulary words written as two ('re entry'): the pair's span and the word."""
        stems, found = tokens.stems, []
        for i in range(len(stems) - 1):
            joined = stems[i] + stems[i + 1] if len(stems[i]) <= 3 else ""
            if joined in self._vocabulary and tokens.ends[i] + 2 >= tokens.starts[i + 1]:
                found.append((i, i + 1, joined))
        return found

    def _similar_words(self, unit: str) -> tuple[tuple[str, float], ...]:
        cached = self._similar.get(unit)
        if cached is None:
            cached = self._compute_similar(unit)
            if len(self._similar) < 500_000:
                self._similar[unit] = cached
        return cached

    def _compute_similar(self, unit: str) -> tuple[tuple[str, float], ...]:
        exact = ((unit, 100.0),) if unit in self._vocabulary else ()
        if len(unit) < MIN_FUZZY_LENGTH:
            return exact
        similar = tuple(
            (word, float(fuzz.ratio(unit, word)))
            for word in self._by_initial.get(unit[0], ())
            if word != unit
            and abs(len(word) - len(unit)) <= 2
            and _close_enough(unit, word, Levenshtein.distance(unit, word, score_cutoff=2))
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
        return (
            list(hits.values()) if _evidence(watchlist, hits.values()) >= watchlist.fire_at else []
        )

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
        return fuzzy_spans(term, places, tokens.sentences)

    @staticmethod
    def _regex_span(found: TextMatch, tokens: Tokens) -> _Span:
        first = tokens.index_at(found.start())
        last = max(first, tokens.index_at(found.end() - 1))
        return _Span(first, last, 100.0)


def _evidence(watchlist: Watchlist, hits: Iterable[Hit]) -> float:
    """Each distinct term that matched adds its weight once."""
    weights = {term.text: term.weight for term in watchlist.terms}
    return sum(weights.get(term, 1.0) for term in {hit.term for hit in hits})


def _close_enough(unit: str, word: str, distance: int) -> bool:
    """A misspelling, not another word: same first letter, one edit (two if long)."""
    if unit[0] != word[0] or min(len(unit), len(word)) < MIN_FUZZY_LENGTH:
        return False
    return distance <= (2 if min(len(unit), len(word)) >= 9 else 1)


def fuzzy_spans(term: Term, places: Places, sentences: tuple[int, ...]) -> list[_Span]:
    """Windows where all of a term's words occur close together, in any order.

    Each word needs a token of its own, and all of them must be in one sentence.
    """
    occurrences = [sorted(p for word in slot for p in places.get(word, ())) for slot in term.words]
    if not all(occurrences):
        return []
    anchor_slot = min(range(len(occurrences)), key=lambda i: len(occurrences[i]))
    others = occurrences[:anchor_slot] + occurrences[anchor_slot + 1 :]
    reach = len(term.words) + term.within
    spans = []
    for anchor in occurrences[anchor_slot]:
        span = _window_around(anchor, others, reach, sentences)
        if span is not None and span.score >= term.threshold:
            spans.append(span)
    return spans


def _window_around(
    anchor: Place, others: list[list[Place]], reach: int, sentences: tuple[int, ...]
) -> _Span | None:
    first, last, score = anchor
    used = {anchor[0], anchor[1]}
    sentence = sentences[anchor[0]]
    for places in others:
        nearest = _nearest(places, anchor[0], reach, used, sentence, sentences)
        if nearest is None:
            return None
        used.update((nearest[0], nearest[1]))
        first, last = min(first, nearest[0]), max(last, nearest[1])
        score = min(score, nearest[2])
    if last - first + 1 > reach:
        return None
    return _Span(first, last, score)


def _nearest(
    places: list[Place],
    index: int,
    reach: int,
    used: set[int],
    sentence: int,
    sentences: tuple[int, ...],
) -> Place | None:
    """The closest place within reach, on unused tokens of the same sentence."""
    low = bisect_left(places, (index - reach, -1, -1.0))
    high = bisect_right(places, (index + reach, 1 << 30, 101.0))
    window = [
        p
        for p in places[low:high]
        if p[0] not in used and p[1] not in used and sentences[p[0]] == sentence == sentences[p[1]]
    ]
    if not window:
        return None
    return min(window, key=lambda p: (abs(p[0] - index), -p[2]))
