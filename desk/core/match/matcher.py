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
A watchlist with examples (`semantic:`) that has not fired on its terms also
asks whether the text's lead is close to its positive examples
(match/semantic.py): when it is, that adds the block's weight as evidence.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache, reduce
from itertools import accumulate, compress, count, product, repeat
from math import prod
from operator import add, or_
from typing import TypeVar

import re2
import Stemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from desk.core.match.semantic import (
    Encoder,
    ExampleIndex,
    Neighbours,
    SemanticUnavailable,
    default_encoder,
    positives_of,
    shared_index,
    text_key,
    vote,
)
from desk.core.models import (
    Evidence,
    Examples,
    Hit,
    Term,
    Verdict,
    Watchlist,
    example_number,
)

_WORD = re.compile(r"\w+(?:[-'’]\w+|(?<=\d)[.,]\d+)*")  # re-entry, it's, 12,000: one word each
_WORD_OR_GAP = re.compile(rf"({_WORD.pattern})")  # split keeps the words between the gaps
_EXACT_OR_WORD = re.compile(r"=?\w+(?:[-'’]\w+|(?<=\d)[.,]\d+)*")
_SENTENCE_GAP = re.compile(r"[.!?\n](?:(?<=[.!?])[\"'”’)\]]*\s+|(?<=\n)\s*\n)")
"""After . ! ? (and closing quotes or brackets) a space, or a blank line; one character class
first, so that a search skips to those characters."""
_NOT_SENTENCE_ENDS = frozenset(
    "mr mrs ms dr gen lt col sgt st no inc ltd co corp jr sr vs adm capt maj rep sen gov".split()
)
_FOLD_DROP = re.compile(r"['’\-_]")
SPLIT_PREFIXES = ("re", "co", "non", "pre", "anti", "sub", "post", "multi", "inter", "counter")
"""Prefixes a writer may set apart ('re entry'); matched as one word with what follows."""
MIN_FUZZY_LENGTH = 6
"""Stems shorter than this match only exactly: short words differ by one letter."""
LEARNT_LIMIT = 500_000
"""A matcher remembers the stems of this many words, and this many stems' close vocabulary
words; past it a long-running matcher starts its word memory afresh."""
MAX_WINDOW_CHOICES = 256
"""Past this many combinations of places around one anchor, only the nearest are tried."""
STOP_WORDS = frozenset("a an the of to in on for and or by with from at as is are was were".split())

_RE2_TYPE = type(re2.compile("x"))
_stemmers = threading.local()  # PyStemmer objects are not thread-safe


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The folded stem of one word: 'Re-entries' -> 'reentri'."""
    return str(_stemmer().stemWord(fold(word)))


def stems_of(words: list[str]) -> list[str]:
    """The folded stems of many words in one call to the stemmer (as `stem` gives them)."""
    return list(_stemmer().stemWords(folds_of(words)))


def folds_of(words: list[str]) -> list[str]:
    """`fold` of each word; the ASCII words in one pass over them all, joined by newlines."""
    plain = list(map(str.isascii, words))
    ascii_words = list(compress(words, plain))
    joined = "\n".join(ascii_words)
    folded = _FOLD_DROP.sub("", joined.lower()).split("\n")
    if len(folded) != len(ascii_words):  # a word with a newline of its own: one by one
        return [fold(word) for word in words]
    if len(ascii_words) == len(words):
        return folded
    ascii_folds = iter(folded)
    return [
        next(ascii_folds) if ascii else fold(word) for word, ascii in zip(words, plain, strict=True)
    ]


def _stemmer() -> Stemmer.Stemmer:
    """This thread's English stemmer (PyStemmer objects are not thread-safe)."""
    if not hasattr(_stemmers, "english"):
        # no cache of its own (maxCacheSize 0): `stem` and each matcher keep theirs, and its cache
        # made a first pass over a day's words two to three times slower
        _stemmers.english = Stemmer.Stemmer("english", 0)
    return _stemmers.english


def _term_word(word: str) -> str:
    """A term word's key: its stem, or `=form` for a word that must match as written."""
    return "=" + fold(word[1:]) if word.startswith("=") else stem(word)


_UNDOING_PREFIXES = frozenset({"non", "post", "pre", "ex", "former"})
"""First words of a hyphenated compound that undo or date the rest ('non-nuclear')."""
_UNREAD_HEADS = frozenset(
    "made built designed developed supplied produced manufactured based backed led owned run "
    "funded sponsored controlled held occupied allied born linked style free proof".split()
)
"""Last words of a compound that say where its first comes from ('Russian-made'), not who,
or that its first is absent ('nuclear-free', 'missile-proof')."""
_NUMBER = re.compile(r"\d[\d.,]*")


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case, no diacritics, no hyphens or apostrophes: 'Re-Éntry' -> 'reentry'."""
    if word.isascii():  # most words: nothing to decompose
        return _FOLD_DROP.sub("", word.lower())
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return _FOLD_DROP.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def term_words(text: str) -> tuple[tuple[str, ...], ...]:
    """A fuzzy term's slots of alternative stems: 'troops|soldiers sent' -> 2 slots.

    Stop words are left out unless the term has nothing else.
    """
    slots = [
        tuple(dict.fromkeys(_term_word(w) for w in _EXACT_OR_WORD.findall(chunk)))
        for chunk in "|".join(part.strip() for part in text.split("|")).split()
    ]
    slots = [slot for slot in slots if slot]
    content = [s for s in slots if not all(w in STOP_WORDS for w in s)]
    return tuple(content or slots)


_JOINER = re.compile(r"[-'’.,](?:(?<=\w[-'’])(?=\w)|(?<=\d[.,])\d+)")
"""What holds a word together inside a `_WORD`: a hyphen or apostrophe between word
characters, a decimal point or comma after a digit (with the digits after it). One character
class first, so that a search skips straight to those characters."""
_MARKS = {"-": "\x01", "'": "\x02", "’": "\x03", ".": "\x04", ",": "\x05"}
"""Joiners stand in as these control characters while every other gap becomes a space."""


def _space_bytes() -> bytes:
    """A bytes.translate table for UTF-8: each ASCII gap character -> a space, each mark -> its
    joiner (the mark of ’, not ASCII, stays), word characters and other bytes -> themselves."""
    joiners = {ord(mark): ord(joiner) for joiner, mark in _MARKS.items() if joiner.isascii()}
    table = bytearray(range(256))
    for byte in range(0x80):
        if byte in joiners:
            table[byte] = joiners[byte]
        elif chr(byte) != _MARKS["’"] and not _WORD.fullmatch(chr(byte)):
            table[byte] = ord(" ")
    return bytes(table)


_SPACE_BYTES = _space_bytes()
_ASCII_BYTES = bytes(range(0x80))


class _WordsTouch(Exception):
    """Decimals run into letters ('1.5bn' is '1.5' and 'bn'): two words with no gap between."""


def _unmark(found: re.Match[str]) -> str:
    """A joiner's mark (and a number's digits after it); _WordsTouch where the regex would cut."""
    joiner = found.group()
    if len(joiner) > 1:  # a decimal point or comma and the digits after it
        end, text = found.end(), found.string
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            raise _WordsTouch  # a word character that is no digit: the regex ends the word here
        return _MARKS[joiner[0]] + joiner[1:]
    return _MARKS[joiner]


def _gapped_pieces(text: str) -> list[str] | None:
    """The text's words with every gap turned into spaces, split on single spaces: what
    `_WORD.findall` finds (the empty strings are the gaps' other characters), in a few C-level
    passes instead of one regex match a word; None where it cannot say (the regex then splits).
    """
    if any(mark in text for mark in _MARKS.values()):
        return None
    try:
        marked = _JOINER.sub(_unmark, text)
    except _WordsTouch:
        return None
    raw = marked.encode("utf-8", "surrogatepass")
    if not marked.isascii():  # the other characters' gaps become spaces, word characters stay
        for char in set(raw.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")):
            if not (char.isalnum() or char == "_"):
                raw = raw.replace(char.encode("utf-8", "surrogatepass"), b" ")
    gapped = raw.translate(_SPACE_BYTES).decode("utf-8", "surrogatepass")
    return gapped.replace("\x03", "’").split(" ")


VOTE_CHUNK = 64
"""Leads the examples' vote compares at once at most (a step of `Matcher.assessing`): a product
of 64 leads costs a lead a fifth of one alone."""
VOTE_STEP = 400_000
"""Leads x examples a step of the vote compares at most: a few milliseconds, so that a step
stays short with a large examples file (50,000 examples: 8 leads a step)."""

Done = TypeVar("Done")
Steps = Generator[None, None, Done]
"""Work done a step at a time: each `yield` is a point to let other work run; the
generator's return value is the result (`run_steps` runs it through)."""


def run_steps(steps: Steps[Done]) -> Done:
    """The result of work done a step at a time, with no pause between steps."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: Done = done.value
            return result


Place = tuple[int, int, float]
"""Where a vocabulary word occurs: first token, last token, similarity score."""
Places = dict[str, list[Place]]


class Tokens:
    """The words of a text; their stems, spans and sentences when first asked for."""

    def __init__(self, text: str) -> None:
        self.text = text
        gapped = _gapped_pieces(text)
        if gapped is None:  # the regex's own split: gap, word, gap, word, ..., gap
            self._pieces, self._one_space_gaps = _WORD_OR_GAP.split(text), False
            self.words: list[str] = self._pieces[1::2]
        else:  # words and empty strings, one space apart
            self._pieces, self._one_space_gaps = gapped, True
            self.words = list(filter(None, gapped))

    @cached_property
    def stems(self) -> list[str]:
        """Each token's stem (the matcher looks up only the stems it may need, in its lexicon)."""
        return stems_of(self.words)

    @cached_property
    def starts(self) -> list[int]:
        """Where each token starts in the text, added up from the lengths of the pieces."""
        if self._one_space_gaps:
            steps = map(add, map(len, self._pieces), repeat(1))  # a piece and the space after it
            return list(compress(accumulate(steps, initial=0), self._pieces))
        return list(accumulate(map(len, self._pieces)))[0:-1:2]

    @cached_property
    def ends(self) -> list[int]:
        """Where each token ends in the text (most texts need only a few: `end_of`)."""
        return list(map(add, self.starts, map(len, self.words)))

    def end_of(self, index: int) -> int:
        """Where token `index` ends in the text."""
        return self.starts[index] + len(self.words[index])

    @cached_property
    def _sentence_ends(self) -> list[int]:
        return [
            gap.end() for gap in _SENTENCE_GAP.finditer(self.text) if _ends_sentence(self.text, gap)
        ]

    def sentence_of(self, index: int) -> int:
        """The sentence token `index` is in, counted from 0."""
        return bisect_right(self._sentence_ends, self.starts[index])

    def gap_after(self, index: int) -> str:
        """The text between token `index` and the next one."""
        return self.text[self.end_of(index) : self.starts[index + 1]]

    def sentence_at(self, offset: int) -> int:
        """The sentence a character offset is in, counted from 0."""
        return bisect_right(self._sentence_ends, offset)

    def index_at(self, offset: int) -> int:
        """The index of the token at or after a character offset."""
        return min(bisect_left(self.ends, offset + 1), max(len(self.starts) - 1, 0))


def lead_end(text: str, sentences: int) -> int:
    """Where a text's first `sentences` sentences end, their closing mark kept and the
    space after it not; the whole text when it has fewer. Reads no further than that."""
    if sentences <= 0:
        return 0
    found = 0
    for gap in _SENTENCE_GAP.finditer(text):
        if _ends_sentence(text, gap):
            found += 1
            if found == sentences:
                return len(text[: gap.end()].rstrip())
    return len(text.rstrip())


def _ends_sentence(text: str, gap: re.Match[str]) -> bool:
    """A new sentence after . ! ? or a blank line, but not after Mr. or U.S."""
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

    def __init__(
        self,
        watchlists: list[Watchlist],
        encoder: Encoder | None = None,
        kept_neighbours: dict[tuple[bytes, str, int], Neighbours] | None = None,
    ) -> None:
        self.watchlists = list(watchlists)
        self._encoder = encoder
        self.kept_neighbours = kept_neighbours
        """Leads' nearest examples by (lead digest, examples digest, count), kept across runs
        by `desk test` (None: found afresh, cheaply, each time)."""
        self.semantic_trouble = ""
        """Why the examples' vote is off ('' while it works): its model could not be read."""
        self._example_positives: dict[str, dict[str, tuple[bool, ...]]] = {}
        rules = [wl.semantic for wl in self.watchlists if wl.semantic is not None]
        self._semantic_reach = (
            max((rule.neighbours for rule in rules), default=0),
            min((rule.floor for rule in rules), default=1.0),
        )
        """How many nearest examples any watchlist asks for, and the lowest floor."""
        own = [
            frozenset(
                word
                for term in (*wl.terms, *wl.context, *wl.exclude)
                for slot in term.words
                for word in slot
            )
            for wl in self.watchlists
        ]
        vocabulary = frozenset[str]().union(*own)
        self._vocabulary = vocabulary
        self._owners = {word: tuple(v for v in own if word in v) for word in vocabulary}
        """Each vocabulary word -> the vocabularies of the watchlists that use it."""
        self._exact_stems = frozenset(stem(w[1:]) for w in vocabulary if w.startswith("="))
        prefixes = sorted({p for p in SPLIT_PREFIXES for w in vocabulary if w.startswith(p)})
        self._split_stems = frozenset(stem(p) for p in prefixes)
        self._split_pattern = (
            re.compile(rf"(?<!\w)({'|'.join(prefixes)})[ \t]+(\w+)", re.IGNORECASE)
            if prefixes
            else None
        )
        self._regexes = RegexGate(
            term
            for wl in self.watchlists
            for term in (*wl.terms, *wl.context, *wl.exclude)
            if term.pattern is not None
        )
        self._term_slots = [
            (id(term), [frozenset(slot) for slot in term.words])
            for wl in self.watchlists
            for term in (*wl.terms, *wl.context, *wl.exclude)
            if term.pattern is None
        ]
        self._term_positions = [
            (
                {id(term): p for p, term in enumerate(wl.terms)},
                frozenset(id(term) for term in wl.terms if term.pattern is not None),
            )
            for wl in self.watchlists
        ]
        """Per watchlist: its terms' places in its list by id, and the ids of its regex terms."""
        # terms looked up by the words of their first slot: a text rules most out at once
        self._terms_by_first_slot: defaultdict[str, list[int]] = defaultdict(list)
        for position, (_, slots) in enumerate(self._term_slots):
            for word in slots[0] if slots else ():
                self._terms_by_first_slot[word].append(position)
        self._word_masks, self._term_masks = _slot_masks(self._term_slots)
        self._by_initial: defaultdict[tuple[str, int], list[str]] = defaultdict(list)
        for word in sorted(vocabulary):
            if len(word) >= MIN_FUZZY_LENGTH and not word.startswith("="):
                self._by_initial[word[0], len(word)].append(word)
        self._similar: dict[str, tuple[tuple[str, float], ...]] = {}
        self._close_to_vocabulary: set[str] = set()
        """The stems in `_similar` that have vocabulary words close to them."""
        self._candidates: dict[tuple[str, int], list[str]] = {}
        self._lexicon = _Lexicon()
        """Every word met: its stem, and whether that stem can matter (a new one past 500,000)."""
        self._fragments = frozenset(
            word[:cut]
            for word in vocabulary
            if len(word) >= 5 and not word.startswith("=")
            for cut in range(2, len(word))
            if word[:cut] not in STOP_WORDS
        )
        self._stems_that_matter = (
            self._exact_stems | self._split_stems | (self._fragments - self._vocabulary)
        )
        """Besides stems close to vocabulary words: those whose tokens the matcher looks at."""

    def match(self, text: str) -> list[Hit]:
        """Every hit of every watchlist that fired on `text`, in text order."""
        return self.match_many([text])[0]

    def match_many(self, texts: Sequence[str]) -> list[list[Hit]]:
        """`match` of each text: the examples' vote is asked for many leads at once."""
        return run_steps(self.matching(texts))

    def matching(self, texts: Sequence[str]) -> Steps[list[list[Hit]]]:
        """`match_many` a step at a time, for a caller that must let other work run between
        steps (the poll, on the event loop); see `assessing`."""
        verdicts = yield from self.assessing(texts)
        return [
            sorted(
                (hit for verdict in each if verdict.fired for hit in verdict.hits),
                key=lambda h: (h.start, h.watchlist),
            )
            for each in verdicts
        ]

    def assess(self, text: str, explain: bool = False) -> list[Verdict]:
        """Each watchlist's verdict on `text`: its hits, their evidence, fired or not.

        With `explain`, a verdict also names the hits its context or exclusions
        dropped and, when nothing matched, the term that came closest: what a
        backtest shows for a missed article.
        """
        return self.assess_many([text], explain)[0]

    def assess_many(self, texts: Sequence[str], explain: bool = False) -> list[list[Verdict]]:
        """`assess` of each text. The terms judge one text at a time; the texts they leave
        to the examples are compared with them together, a chunk at a time, one product
        of matrices each (the backtest assesses hundreds at a time)."""
        return run_steps(self.assessing(texts, explain))

    def assessing(self, texts: Sequence[str], explain: bool = False) -> Steps[list[list[Verdict]]]:
        """`assess_many` a step at a time: it yields after each text's terms and after each
        chunk of leads' vote (VOTE_CHUNK leads, fewer for a large examples file: VOTE_STEP),
        and returns the verdicts. Only the texts and their verdicts are held between steps,
        not their tokens (a poll matches 200 pages at a time)."""
        judged: list[list[Verdict]] = []
        for text in texts:
            judged.append(self._by_terms(text, explain))
            yield
        asked = [i for i, verdicts in enumerate(judged) if self._asks_examples(verdicts)]
        size = self._vote_chunk()
        for start in range(0, len(asked), size):
            if self.semantic_trouble:
                break
            chunk = asked[start : start + size]
            try:  # per text: (lead, examples file) -> its nearest examples
                nearby = self._nearby([texts[i] for i in chunk], explain)
            except SemanticUnavailable as exc:  # no model: the terms alone, and it is said
                self._vote_off(exc)
                break
            for i, near in zip(chunk, nearby, strict=True):
                judged[i] = self._semantic_review(texts[i], judged[i], explain, near)
            yield
        return judged

    def _vote_chunk(self) -> int:
        """Leads a step of the vote compares: VOTE_CHUNK, fewer for a large examples file."""
        sizes = [len(w.semantic.examples.texts) for w in self.watchlists if w.semantic]
        return max(1, min(VOTE_CHUNK, VOTE_STEP // max(sizes, default=1)))

    def prepare(self) -> None:
        """Load what the examples' vote needs now (the model, each examples file's index), not
        at the first lead it compares: a caller can do it off its event loop. Quick when
        loaded (the process keeps both); a model that cannot be read is said as in
        `assess_many`."""
        if self.semantic_trouble or self.kept_neighbours is not None:
            return
        files = {
            w.semantic.examples.digest: w.semantic.examples for w in self.watchlists if w.semantic
        }
        try:
            for examples in files.values():
                self._example_index(examples)
        except SemanticUnavailable as exc:
            self._vote_off(exc)

    def _vote_off(self, why: SemanticUnavailable) -> None:
        self.semantic_trouble = f"the examples' vote is off, terms alone match: {why}"

    def _by_terms(self, text: str, explain: bool) -> list[Verdict]:
        """Each watchlist's verdict on the text's terms alone."""
        if len(self._lexicon.stems) > LEARNT_LIMIT:  # a text another thread reads keeps its own
            self._lexicon = _Lexicon()
        tokens = Tokens(text)
        scan = _Scan(text, tokens, *self._places(tokens, self._lexicon))
        scan.regex_absent = self._regexes.absent(text)
        return [
            self._judge(watchlist, self._terms_to_try(index, scan), scan, explain)
            for index, watchlist in enumerate(self.watchlists)
        ]

    def _asks_examples(self, verdicts: list[Verdict]) -> bool:
        """Whether a watchlist with examples has not fired on its terms."""
        pairs = zip(self.watchlists, verdicts, strict=True)
        return any(watchlist.semantic and not verdict.fired for watchlist, verdict in pairs)

    def _nearby(self, texts: list[str], explain: bool) -> list[dict[tuple[int, str], Neighbours]]:
        """Per text, the examples nearest to its lead, per lead length and examples file."""
        nearby: list[dict[tuple[int, str], Neighbours]] = [{} for _ in texts]
        wanted = {
            (wl.lead, wl.semantic.examples.digest): wl.semantic.examples
            for wl in self.watchlists
            if wl.semantic is not None
        }
        for (lead, digest), examples in wanted.items():
            leads = [text[: lead_end(text, lead)] for text in texts]
            for found, near in zip(nearby, self._neighbours(leads, examples, explain), strict=True):
                found[lead, digest] = near
        return nearby

    def _semantic_review(
        self,
        text: str,
        verdicts: list[Verdict],
        explain: bool,
        nearby: dict[tuple[int, str], Neighbours],
    ) -> list[Verdict]:
        """Each unfired verdict of a watchlist with examples, with the examples' vote added."""
        tokens: Tokens | None = None  # read again only for a vote that passes (few do)
        reviewed = []
        for watchlist, verdict in zip(self.watchlists, verdicts, strict=True):
            rule = watchlist.semantic
            if rule is None or verdict.fired:
                reviewed.append(verdict)
                continue
            positives = self._positives(rule.examples).get(watchlist.id)
            near = nearby[watchlist.lead, rule.examples.digest]
            said = vote(near, positives, rule, rule.examples.lines)
            if said.passes(rule):
                end = lead_end(text, watchlist.lead)
                hit = Hit(watchlist.id, said.term(), text[:end], 0, end, said.similarity * 100)
                tokens = tokens or Tokens(text)
                verdict = self._with_semantic_hit(watchlist, verdict, hit, tokens)
            elif explain and said.agreeing:
                verdict = replace(verdict, closest=_join(verdict.closest, said.describe(rule)))
            reviewed.append(verdict)
        return reviewed

    def _neighbours(self, leads: list[str], examples: Examples, explain: bool) -> list[Neighbours]:
        """The examples nearest to each lead: kept from an earlier run when the matcher was
        given `kept_neighbours`, else none below every floor (unless explaining)."""
        count, lowest = self._semantic_reach
        if self.kept_neighbours is None:
            floor = -1.0 if explain else lowest
            index = self._example_index(examples)
            return index.neighbours(self._encoder_in_use().embed(leads), count, floor)
        keys = [(text_key(lead), examples.digest, count) for lead in leads]
        for key in keys:  # kept by another run: an index past the examples is no neighbour
            kept = self.kept_neighbours.get(key)
            if kept is not None and any(i >= len(examples.texts) for i in kept.order):
                del self.kept_neighbours[key]
        missing = sorted(
            {key: i for i, key in enumerate(keys) if key not in self.kept_neighbours}.values()
        )
        if missing:  # all `count` of them, whatever the floors: a later run may lower one
            index = self._example_index(examples)  # not read when every lead's were kept
            vectors = self._encoder_in_use().embed([leads[i] for i in missing])
            for i, near in zip(missing, index.neighbours(vectors, count), strict=True):
                self.kept_neighbours[keys[i]] = near
        return [self.kept_neighbours[key] for key in keys]

    def _with_semantic_hit(
        self, watchlist: Watchlist, verdict: Verdict, hit: Hit, tokens: Tokens
    ) -> Verdict:
        hits = (*verdict.hits, hit)
        parts = weigh(watchlist, hits, tokens)
        total = sum(part.amount for part in parts)
        fired = total >= watchlist.fire_at - 1e-9
        return replace(verdict, fired=fired, total=total, hits=hits, parts=parts)

    def _encoder_in_use(self) -> Encoder:
        if self._encoder is None:
            self._encoder = default_encoder()
        return self._encoder

    def _example_index(self, examples: Examples) -> ExampleIndex:
        """The vectors of an examples file (embedded once per process, see `shared_index`)."""
        return shared_index(examples, self._encoder_in_use())

    def _positives(self, examples: Examples) -> dict[str, tuple[bool, ...]]:
        """Per watchlist, which of a file's examples are about it (read once per file)."""
        if examples.digest not in self._example_positives:
            self._example_positives[examples.digest] = positives_of(examples)
        return self._example_positives[examples.digest]

    def _terms_to_try(self, index: int, scan: _Scan) -> list[Term]:
        """The watchlist's terms that may match the text, in their order: the rest cannot."""
        position, patterned = self._term_positions[index]
        ids = (position.keys() & scan.viable) | (patterned - scan.regex_absent)
        terms = self.watchlists[index].terms
        return [terms[p] for p in sorted(map(position.__getitem__, ids))]

    def _places(
        self, tokens: Tokens, lexicon: _Lexicon
    ) -> tuple[Places, set[int], set[str], Places | None]:
        """Where the words of the terms that can match occur, and which terms those are; then
        the places without those read out of compounds, for exclusions (None when the same).

        A place is (first token, last token, score); terms are named by id().

        Only the text's distinct words are looked up, and only the few whose
        stems can matter (close to a vocabulary word, an exact form's stem, the
        start of a broken word, a split prefix) are placed, in one pass over the
        tokens; positions are gathered only for terms whose every slot has a
        candidate in the text, which for most articles is none.
        """
        hot = self._hot_words(tokens, lexicon)
        stems = lexicon.stems
        units = {stems[word] for word in hot}
        similar = {}
        for unit in units:
            found = self._similar.get(unit)
            if found is None:  # past the cache's size
                found = self._compute_similar(unit)
            if found:
                similar[unit] = found
        at = _Positions(tokens, hot, stems)
        exact_forms = self._exact_forms(tokens, units, at)
        present = {word for found in similar.values() for word, _ in found} | set(exact_forms)
        split = self._split_words(tokens) if not self._split_stems.isdisjoint(units) else []
        split.extend(self._broken_words(tokens, units, at, stems))
        compounds = self._compound_parts(tokens, hot, lexicon.compounds)
        present.update(word for _, _, word in split + compounds)
        needed, viable = self._viable_words(present)
        if not needed:
            return {}, viable, present, None
        places: Places = {}
        wanted = {unit for unit, found in similar.items() if any(w in needed for w, _ in found)}
        words = tokens.words
        for index in at.of(wanted):
            for word, score in similar[stems[words[index]]]:
                places.setdefault(word, []).append((index, index, score))
        for first, last, joined in split:
            places.setdefault(joined, []).append((first, last, 100.0))
        for key, indexes in exact_forms.items():
            places.setdefault(key, []).extend((i, i, 100.0) for i in indexes)
        if not compounds:
            return places, viable, present, None
        read: Places = {}
        for first, last, part in compounds:
            read.setdefault(part, []).append((first, last, 100.0))
        with_compounds = {**places, **{w: [*places.get(w, ()), *p] for w, p in read.items()}}
        return with_compounds, viable, present, places

    def _viable_words(self, present: set[str]) -> tuple[set[str], set[int]]:
        """The terms with a candidate for each of their slots, and those candidates."""
        needed: set[str] = set()
        viable: set[int] = set()
        by_first = self._terms_by_first_slot
        candidates = {p for word in present if word in by_first for p in by_first[word]}
        if not candidates:
            return needed, viable
        # the slots with a word in the text, one bit each: a term is viable when it has all its bits
        found = reduce(or_, map(self._word_masks.get, present, repeat(0)), 0)
        for position in candidates:
            term_id, mask, words = self._term_masks[position]
            if mask & found == mask:
                viable.add(term_id)
                needed |= words
        return needed & present, viable

    def _hot_words(self, tokens: Tokens, lexicon: _Lexicon) -> set[str]:
        """The text's distinct words whose stems can matter; its new words learnt first."""
        distinct = set(tokens.words)
        new = distinct.difference(lexicon.stems)  # few once warm; a first pass meets thousands
        if new:
            self._learn_words(list(new), lexicon)
        return lexicon.hot.intersection(distinct)

    def learnt(self) -> LearntWords:
        """What this matcher has learnt of the words it met, for another to start from.

        Not while another thread assesses with this matcher: its lexicon changes.
        """
        return LearntWords(self._vocabulary, dict(self._lexicon.stems), dict(self._similar))

    def recall(self, learnt: LearntWords) -> int:
        """Start from the words another matcher learnt (`learnt`), as if it had met them;
        how many of their stems it had to learn again.

        Stems are kept as they are. A stem's close vocabulary words are kept unless
        the vocabularies differ where they are looked for (a changed word with the
        same first letter and a length within two, the stem itself included): those
        stems are learnt again, so a matcher that recalls gives the verdicts of one
        that did not. Call it before the matcher assesses anything.
        """
        kept = learnt.similar
        if changed := learnt.vocabulary ^ self._vocabulary:
            stale = {(w[:1], len(w) + d) for w in changed for d in range(-2, 3)}
            kept = {u: close for u, close in kept.items() if (u[:1], len(u)) not in stale}
        if len(self._similar) + len(kept) < LEARNT_LIMIT:
            self._similar.update(kept)
            self._close_to_vocabulary.update(unit for unit, close in kept.items() if close)
        if learnt.stems:
            self._learn_words(list(learnt.stems), self._lexicon, list(learnt.stems.values()))
        return len(learnt.similar) - len(kept)

    def _learn_words(
        self, words: list[str], lexicon: _Lexicon, units: list[str] | None = None
    ) -> None:
        """Stem new words in one call (unless their stems `units` are known), learn their new
        stems' close vocabulary words, and note the words whose stems can matter."""
        units = stems_of(words) if units is None else units
        distinct = set(units)
        fresh = distinct.difference(self._similar)
        close = self._learn_similar(fresh) if fresh else {}
        matter = (distinct & self._stems_that_matter).union(
            distinct & self._close_to_vocabulary, close
        )  # the stems that can matter: set apart, or with close vocabulary words (new or known)
        for word, unit in zip(words, units, strict=True):
            if "-" in word and (parts := self._compound_words(word, unit)):
                lexicon.compounds[word] = parts
                lexicon.hot.add(word)  # looked at in every text it is in: _compound_parts
        lexicon.hot.update(compress(words, map(matter.__contains__, units)))
        lexicon.stems.update(zip(words, units, strict=True))  # last: a known word is complete

    def _exact_forms(self, tokens: Tokens, units: set[str], at: _Positions) -> dict[str, list[int]]:
        """Where `=form` words occur, by key; only tokens with a matching stem are folded."""
        stems = self._exact_stems.intersection(units)
        if not stems:
            return {}
        found: dict[str, list[int]] = {}
        for index in at.of(stems):
            key = "=" + fold(tokens.words[index])
            if key in self._vocabulary:
                found.setdefault(key, []).append(index)
        return found

    def _split_words(self, tokens: Tokens) -> list[tuple[int, int, str]]:
        """Vocabulary words written as two ('re entry'): the pair's span and the word."""
        if self._split_pattern is None:
            return []
        found = []
        for match in self._split_pattern.finditer(tokens.text):
            joined = stem(match.group(1)) + stem(match.group(2))
            if joined in self._vocabulary:
                first = tokens.index_at(match.start(1))
                found.append((first, first + 1, joined))
        return found

    def _broken_words(
        self, tokens: Tokens, units: set[str], at: _Positions, stems: dict[str, str]
    ) -> list[tuple[int, int, str]]:
        """Vocabulary words broken in two by a space or a line break ('tro ops'), as scraped.

        Two neighbours join when the first is the start of a vocabulary word and no
        word of any list, and together they stem to one, unless the second is a word
        of the watchlists that use the joined one ("war heads" stays two words for a
        list that knows "heads"). Only those lists' words count for the second half:
        another list's vocabulary must not change what this one reads ("keeping" in
        one list left "Peace Keeping" unjoined for every list). The first half is
        held to every list's words: a first half that is a word of some list is
        common enough that trying every such pair cost a fifth of a first pass.
        """
        starts = self._fragments.intersection(units) - self._vocabulary
        if not starts:
            return []
        found = []
        words, vocabulary = tokens.words, self._vocabulary
        for index in at.of(starts):
            if index == len(words) - 1:
                continue
            joined = stem(words[index] + words[index + 1])
            if joined not in vocabulary or not tokens.gap_after(index).isspace():
                continue
            second = stems[words[index + 1]]
            if any(second not in own for own in self._owners[joined]):
                found.append((index, index + 1, joined))
        return found

    def _compound_parts(
        self, tokens: Tokens, hot: set[str], compounds: dict[str, tuple[str, ...]]
    ) -> list[tuple[int, int, str]]:
        """Vocabulary words that modify a hyphenated compound: 'nuclear-propulsion know-how'
        holds 'nuclear', 'drone-engine blueprints' 'drone', each at the compound's place;
        a number's unit too ('7-nanometre processes').

        A compound is folded into one word ('re-entry' -> 'reentry'), which is what a
        list writing it means; one that is no vocabulary word is read for the words
        before its last, by stem only (not fuzzily). Its last word is its head and
        often idiom ('cost-sharing' is no sharing of technology); one that says where
        a thing comes from ('Russian-made') or that it is absent ('nuclear-free') names
        nothing, and a first word that undoes or dates the rest ('non-nuclear',
        'post-deployment') leaves it unread. A compound is evidence, never a reason to
        drop it: exclusions are found without these places (_Scan.exclusion_spans: a
        'code-named operation' or a 'police-training mission' drops no deployment).
        """
        parts = {word: compounds[word] for word in hot if word in compounds}
        if not parts:
            return []
        words = tokens.words
        return [
            (index, index, part)
            for index in compress(count(), map(parts.__contains__, words))
            for part in parts[words[index]]
        ]

    def _compound_words(self, word: str, unit: str) -> tuple[str, ...]:
        """The vocabulary words a compound (its stem `unit`) is read as besides itself (see
        _compound_parts)."""
        if unit in self._vocabulary:
            return ()
        *modifiers, head = word.split("-")
        if fold(modifiers[0]) in _UNDOING_PREFIXES or fold(head) in _UNREAD_HEADS:
            return ()
        if all(_NUMBER.fullmatch(m) for m in modifiers):  # a number and its unit: '7-nanometre'
            modifiers = [head]
        vocabulary = self._vocabulary
        return tuple(p for p in dict.fromkeys(map(stem, modifiers)) if p in vocabulary)

    def _similar_words(self, unit: str) -> tuple[tuple[str, float], ...]:
        cached = self._similar.get(unit)
        if cached is None:
            cached = self._learn_similar([unit]).get(unit, ())
        return cached

    def _learn_similar(self, units: Iterable[str]) -> dict[str, tuple[tuple[str, float], ...]]:
        """The vocabulary words close to each of `units`, remembered; the units with any.

        In one loop: a first pass over a day's articles meets tens of thousands of new stems.
        """
        found: dict[str, tuple[tuple[str, float], ...]] = {}
        vocabulary, similar = self._vocabulary, self._similar
        close: tuple[tuple[str, float], ...]
        for unit in units:
            if len(unit) < MIN_FUZZY_LENGTH:  # too short for a slip: only itself, if it is one
                close = ((unit, 100.0),) if unit in vocabulary else ()
            else:
                close = self._compute_similar(unit)
            if len(similar) < LEARNT_LIMIT:
                similar[unit] = close
                if close:
                    self._close_to_vocabulary.add(unit)
            if close:
                found[unit] = close
        return found

    def _compute_similar(self, unit: str) -> tuple[tuple[str, float], ...]:
        exact = ((unit, 100.0),) if unit in self._vocabulary else ()
        if len(unit) < MIN_FUZZY_LENGTH:
            return exact
        key = (unit[0], len(unit))
        candidates = self._candidates.get(key)
        if candidates is None:
            candidates = self._candidates[key] = [
                word
                for length in range(len(unit) - 2, len(unit) + 3)
                for word in self._by_initial.get((unit[0], length), ())
            ]
        if not candidates:
            return exact
        close = process.extract(unit, candidates, scorer=OSA.distance, score_cutoff=2, limit=None)
        similar = tuple(
            (word, _similarity(unit, word))
            for word, distance, _ in close
            if word != unit and _close_enough(unit, word, int(distance))
        )
        return exact + similar

    def _judge(
        self, watchlist: Watchlist, terms: list[Term], scan: _Scan, explain: bool
    ) -> Verdict:
        hits, dropped = _watchlist_hits(watchlist, terms, scan, explain)
        parts = weigh(watchlist, hits, scan.tokens)
        total = sum(part.amount for part in parts)
        closest = self._closest(watchlist, scan) if explain and not hits else ""
        return Verdict(
            watchlist.id,
            bool(hits) and total >= watchlist.fire_at - 1e-9,
            total,
            watchlist.fire_at,
            tuple(hits),
            parts,
            tuple(dropped),
            closest,
        )

    def _closest(self, watchlist: Watchlist, scan: _Scan) -> str:
        """The term with the largest share of its word slots present anywhere in the text."""
        best, best_share = "", 0.0
        for term in watchlist.terms:
            if not term.words:
                continue
            present = sum(1 for slot in term.words if not scan.present.isdisjoint(slot))
            share = present / len(term.words)
            if share > best_share:
                best, best_share = term.text, share
        return f"{best} ({best_share:.0%} of its words)" if best else ""


def _watchlist_hits(
    watchlist: Watchlist, terms: list[Term], scan: _Scan, explain: bool
) -> tuple[list[Hit], list[Hit]]:
    """The hits of the watchlist's `terms`, one per place (the best term there), and those
    its context dropped."""
    hits: dict[tuple[int, int], Hit] = {}
    dropped: list[Hit] = []
    for term in terms:
        for span in scan.spans(term):
            start, end = scan.tokens.starts[span.first], scan.tokens.end_of(span.last)
            hit = Hit(watchlist.id, term.text, scan.text[start:end], start, end, span.score)
            if not _in_context(watchlist, span, scan):
                if explain:
                    dropped.append(hit)
                continue
            best = hits.get((start, end))
            if best is None or hit.score > best.score:
                hits[(start, end)] = hit
    return sorted(hits.values(), key=lambda h: h.start), dropped


def weigh(watchlist: Watchlist, hits: Iterable[Hit], tokens: Tokens) -> tuple[Evidence, ...]:
    """The evidence that hits add up to, part by part.

    Each distinct term adds its weight once; a term also found in the lead
    (the title and the first sentences) adds `lead_boost` times its weight;
    when every hit sits in one sentence past the lead, a passing mention in
    an article about something else, that sentence counts as one piece of
    evidence: its strongest term's weight times `passing`, however many
    terms overlap in it. The examples' vote (a semantic hit) adds the
    `semantic:` block's weight.
    """
    hits = list(hits)
    semantic = [hit for hit in hits if _is_semantic(watchlist, hit)]
    parts = _term_parts(watchlist, [hit for hit in hits if hit not in semantic], tokens)
    weight = watchlist.semantic.weight if watchlist.semantic else 1.0
    parts += tuple(
        Evidence("semantic", f"{hit.term} ({hit.score / 100:.2f})", weight) for hit in semantic[:1]
    )
    return parts


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def _is_semantic(watchlist: Watchlist, hit: Hit) -> bool:
    """Whether a hit is the examples' vote (its term names an example), not a term's."""
    return watchlist.semantic is not None and example_number(hit.term) > 0


def _term_parts(watchlist: Watchlist, hits: list[Hit], tokens: Tokens) -> tuple[Evidence, ...]:
    in_lead: dict[str, bool] = {}
    sentences = set()
    for hit in hits:
        sentence = tokens.sentence_at(hit.start)
        sentences.add(sentence)
        in_lead[hit.term] = in_lead.get(hit.term, False) or sentence < watchlist.lead
    if not in_lead:  # no hit, no evidence
        return ()
    weights = {term.text: term.weight for term in watchlist.terms}
    parts = []
    for term, lead in in_lead.items():
        weight = weights.get(term, 1.0)
        parts.append(Evidence("term", term, weight))
        if lead and watchlist.lead_boost != 1.0:
            parts.append(Evidence("lead", term, weight * (watchlist.lead_boost - 1.0)))
    if len(sentences) == 1 and min(sentences) >= watchlist.lead and watchlist.passing != 1.0:
        subtotal = sum(part.amount for part in parts)
        strongest = max(part.amount for part in parts)  # one sentence is one piece of evidence
        parts.append(
            Evidence(
                "passing", "one sentence past the lead", strongest * watchlist.passing - subtotal
            )
        )
    return tuple(parts)


def _slot_masks(
    term_slots: list[tuple[int, list[frozenset[str]]]],
) -> tuple[dict[str, int], list[tuple[int, int, frozenset[str]]]]:
    """One bit for each distinct slot: the bits of the slots each word is in, and for each term
    its id, the bits of its slots and all its words."""
    bits: dict[frozenset[str], int] = {}
    terms = []
    for term_id, slots in term_slots:
        mask = 0
        for slot in slots:
            mask |= bits.setdefault(slot, 1 << len(bits))
        terms.append((term_id, mask, frozenset().union(*slots)))
    words: defaultdict[str, int] = defaultdict(int)
    for slot, bit in bits.items():
        for word in slot:
            words[word] |= bit
    return dict(words), terms


REGEX_SET_MEMORY = 32 << 20
"""Bytes RE2 may use for each regex set's automaton. Past its budget the automaton is thrown
away and rebuilt again and again: with the 35 regexes of 8 Dec's lists and RE2's default 8 MB,
one pass of the set over a dev.jsonl article took 140-166 us instead of 15 (a quarter of all
matching); at 32 MB it takes 15 us, for 2 MB more of resident memory."""
REGEX_SET_SIZE = 20
"""Regexes a set takes before the next set starts. A set's automaton is built as texts meet
it, and one over many gap-laden regexes has many states: with the 50 regexes of this
session's lists in one set, a first pass over dev.jsonl spent 82-91 ms in RE2; in three
sets (20, 20, 10) 46-49 ms, which is what a `desk test` run saves. Warm, the three passes
cost 9-10 ms a pass over dev.jsonl against 5-7 for one set: about 8 us an article, 2% of
matching, paid by the long-running desk."""


class RegexGate:
    """The RE2 regex terms in a few RE2 sets: one pass of each over a text says which cannot
    match.

    Each regex term's own finditer then runs only where a set found it;
    a pattern a set cannot take (none known) is simply always run. An
    exact term ("MIRV") is absent when its word is not in the text at all.
    """

    def __init__(self, terms: Iterable[Term]) -> None:
        self._sets: list[tuple[re2.Set, list[int]]] = []
        self._words: list[tuple[int, str, bool]] = []
        sources: list[tuple[int, str]] = []  # (term id, loosened pattern)
        for term in terms:
            if term.exact:
                folded = term.text == term.text.lower()  # how an exact term is compiled
                self._words.append((id(term), term.text.lower() if folded else term.text, folded))
                continue
            source = getattr(term.pattern, "pattern", None)
            if isinstance(term.pattern, _RE2_TYPE) and isinstance(source, str):
                sources.append((id(term), _loosened(source)))
        for term_id, source in sources:
            if not self._sets or len(self._sets[-1][1]) == REGEX_SET_SIZE:
                self._sets.append((re2.Set.SearchSet(_set_options()), []))
            regex_set, ids = self._sets[-1]
            try:
                regex_set.Add(source)
            except re2.error:
                continue
            ids.append(term_id)
        for regex_set, _ in self._sets:
            regex_set.Compile()

    def absent(self, text: str) -> frozenset[int]:
        """The ids of the gated regex and exact terms that do not match `text`."""
        absent: set[int] = set()
        data = text.encode() if self._sets else b""
        for regex_set, ids in self._sets:
            absent.update(ids)
            found = regex_set.Match(data)  # None when nothing matched
            if found:
                absent.difference_update(map(ids.__getitem__, found))
        lowered = text.lower() if any(folded for _, _, folded in self._words) else text
        for term, word, folded in self._words:
            if word not in (lowered if folded else text):
                absent.add(term)
        return frozenset(absent)


def _set_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = REGEX_SET_MEMORY
    return options


_BOUNDED_GAP = re.compile(r"\{0,\d+\}")


def _loosened(source: str) -> str:
    """A regex that matches wherever `source` does, with gaps unbounded: `[^.;]{0,60}?` -> `*?`.

    Bounded repetitions multiply the states of the set's automaton; the set
    only has to rule texts out, and each term's own regex then runs exact.
    """
    return _BOUNDED_GAP.sub("*", source)


@dataclass(frozen=True)
class LearntWords:
    """What a matcher learnt of the words it met (Matcher.learnt), for another to recall:
    each word's stem, and each stem's close vocabulary words under `vocabulary`."""

    vocabulary: frozenset[str]
    stems: dict[str, str]
    """Word as met -> its folded stem."""
    similar: dict[str, tuple[tuple[str, float], ...]]
    """Stem -> the vocabulary words close to it, with their scores (none for most)."""


class _Lexicon:
    """The words a matcher has met: each one's stem, and those whose stems can matter."""

    def __init__(self) -> None:
        self.stems: dict[str, str] = {}
        self.hot: set[str] = set()
        self.compounds: dict[str, tuple[str, ...]] = {}
        """Hyphenated words met that are read as vocabulary words besides themselves -> those."""


class _Positions:
    """Where a text's words that matter are, by stem: gathered in one pass when first asked."""

    def __init__(self, tokens: Tokens, hot: set[str], stems: dict[str, str]) -> None:
        self._tokens, self._hot, self._stems = tokens, hot, stems

    @cached_property
    def _by_stem(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        words, stems = self._tokens.words, self._stems
        for index in compress(count(), map(self._hot.__contains__, words)):
            found.setdefault(stems[words[index]], []).append(index)
        return found

    def of(self, units: Iterable[str]) -> list[int]:
        """The indexes of the tokens with one of these stems, in text order."""
        by_stem = self._by_stem
        return sorted(index for unit in units if unit in by_stem for index in by_stem[unit])


class _Scan:
    """One text being matched: its tokens, word places, and each term's spans once."""

    def __init__(
        self,
        text: str,
        tokens: Tokens,
        places: Places,
        viable: set[int],
        present: set[str],
        plain: Places | None = None,
    ) -> None:
        self.text, self.tokens, self.places, self.viable = text, tokens, places, viable
        self.present = present
        """The vocabulary words found in the text (or close to a word of it)."""
        self.plain = plain
        """The places without the words read out of compounds (None: the same as `places`)."""
        self.regex_absent: frozenset[int] = frozenset()
        """The regex terms (by id) known not to match the text."""
        self._spans: dict[int, list[_Span]] = {}
        self._sorted_places: dict[tuple[str, ...], list[Place]] = {}
        self._plain_sorted: dict[tuple[str, ...], list[Place]] = {}
        self._plain_spans: dict[int, list[_Span]] = {}
        self._found: dict[tuple[int, bool], list[list[_Span]]] = {}

    def spans(self, term: Term) -> list[_Span]:
        """Where `term` matches, computed on first use."""
        found = self._spans.get(id(term))
        if found is None:
            found = self._spans[id(term)] = self._find(term)
        return found

    def exclusion_spans(self, term: Term) -> list[_Span]:
        """Where an exclusion matches: a compound's words never make one ('code-named')."""
        if self.plain is None or term.pattern is not None or id(term) not in self.viable:
            return self.spans(term)
        found = self._plain_spans.get(id(term))
        if found is None:
            found = fuzzy_spans(term, self.plain, self.tokens, self._plain_sorted)
            self._plain_spans[id(term)] = found
        return found

    def _find(self, term: Term) -> list[_Span]:
        if not self.tokens.words:
            return []
        if term.pattern is None and id(term) not in self.viable:
            return []  # a slot has no candidate word in the text
        if term.pattern is not None:
            if id(term) in self.regex_absent:
                return []
            return [_regex_span(*place, self.tokens) for place in _line_matches(term, self.text)]
        return fuzzy_spans(term, self.places, self.tokens, self._sorted_places)

    def excluded(self, terms: tuple[Term, ...], span: _Span, near: int) -> bool:
        """An exclusion near `span`, unless it is the hit's own partner after 'and'."""
        nearby = self._near(terms, span, near, exclusions=True)
        partners = _and_partners(self.tokens, span, nearby)
        return any(other not in partners for other in nearby)

    def any_near(self, terms: tuple[Term, ...], span: _Span, near: int) -> bool:
        """True if one of `terms` matches within `near` words of `span`."""
        return bool(self._near(terms, span, near))

    def _near(
        self, terms: tuple[Term, ...], span: _Span, near: int, exclusions: bool = False
    ) -> list[_Span]:
        """The places of `terms` (as exclusions: `exclusion_spans`) within `near` words of
        `span`, term by term."""
        low, high = span.first - near, span.last + near
        return [
            other
            for places in self._places_of(terms, exclusions)
            for other in places
            if other.last >= low and other.first <= high
        ]

    def _places_of(self, terms: tuple[Term, ...], exclusions: bool) -> list[list[_Span]]:
        """The places of each of `terms` found in the text, those with none left out: looked
        up once a text (a list has dozens of exclusions, an article with many hits asks
        for them at every hit)."""
        key = (id(terms), exclusions)  # a watchlist's own tuple: it outlives the scan
        found = self._found.get(key)
        if found is None:
            spans_of = self.exclusion_spans if exclusions else self.spans
            found = self._found[key] = [places for places in map(spans_of, terms) if places]
        return found


def _and_partners(tokens: Tokens, span: _Span, others: list[_Span]) -> set[_Span]:
    """The excluded words that follow the hit's last word after 'and', one after another:
    'sent 1,000 soldiers and police officers' (police, officers) is a force sent with police."""
    after = span.last + 1
    if after >= len(tokens.words) or tokens.words[after].lower() != "and":
        return set()
    starting_at = {other.first: other for other in others}
    partners = set()
    following = after + 1
    while following in starting_at:
        partner = starting_at[following]
        partners.add(partner)
        following = partner.last + 1
    return partners


def _in_context(watchlist: Watchlist, span: _Span, scan: _Scan) -> bool:
    """The watchlist's context is near the span (if it has one) and no exclusion is."""
    if watchlist.context and not scan.any_near(watchlist.context, span, watchlist.context_near):
        return False
    return not (
        watchlist.exclude and scan.excluded(watchlist.exclude, span, watchlist.exclude_near)
    )


def _line_matches(term: Term, text: str) -> list[tuple[int, int]]:
    """Where a term's pattern matches, line by line (start, end): a match never runs from a
    title into its story or from one paragraph into the next, as a window never runs from
    one sentence into the next. Each line is searched in place, the rest of the text its
    context, so `^`, `$` and `\\b` mean what they mean in the whole text.

    One search of the whole text first: when no match in it spans a line break (nearly
    always), those are the lines' matches; a search a line costs the text's encoding each.
    """
    assert term.pattern is not None
    found = [(m.start(), m.end()) for m in term.pattern.finditer(text) if m.group()]
    if not any("\n" in text[start:end] for start, end in found):
        return found
    found, start = [], 0
    for line in text.split("\n"):
        end = start + len(line)
        found += [
            (m.start(), m.end()) for m in term.pattern.finditer(text, start, end) if m.group()
        ]
        start = end + 1
    return found


def _regex_span(start: int, end: int, tokens: Tokens) -> _Span:
    first = tokens.index_at(start)
    last = max(first, tokens.index_at(end - 1))
    return _Span(first, last, 100.0)


def evidence_for(watchlist: Watchlist, hits: Iterable[Hit], text: str) -> tuple[Evidence, ...]:
    """The evidence an alert's stored hits add up to in its text (for showing, not deciding)."""
    own = [hit for hit in hits if hit.watchlist == watchlist.id and not hit.article_key]
    return weigh(watchlist, own, Tokens(text))


def describe_evidence(parts: Iterable[Evidence], fire_at: float) -> str:
    """One line: 'evidence 1.5 (fires at 1): $force $send 1 +0.5 in the lead'."""
    parts = list(parts)
    boosts = {part.label: part.amount for part in parts if part.kind == "lead"}
    words = []
    for part in parts:
        if part.kind == "term":
            boost = boosts.get(part.label)
            in_lead = f" +{_amount(boost)} in the lead" if boost else ""
            words.append(f"{part.label} {_amount(part.amount)}{in_lead}")
        elif part.kind == "passing":
            sign = "+" if part.amount >= 0 else "-"
            words.append(f"{part.label} {sign}{_amount(abs(part.amount))}")
        elif part.kind == "semantic":
            words.append(f"{part.label} {_amount(part.amount)}")
    total = sum(part.amount for part in parts)
    return f"evidence {_amount(total)} (fires at {_amount(fire_at)}): " + ", ".join(words)


def _amount(number: float) -> str:
    """An amount of evidence to two decimals at most: 3.75, 12.5, 0.67, 1 (never '3.8' for
    3.75, nor '12' for 12.5, as two significant digits would write them)."""
    return f"{number + 0.0:.2f}".rstrip("0").rstrip(".")


def _similarity(unit: str, word: str) -> float:
    """How alike two stems are (0-100): fuzz.ratio, except that two neighbouring letters
    swapped ('sodlier') count as one slip, like one letter missing, not as two."""
    swapped = len(unit) == len(word) and OSA.distance(unit, word) == 1
    if swapped and Levenshtein.distance(unit, word) == 2:
        return 100.0 * (1 - 1 / (len(unit) + len(word)))
    return float(fuzz.ratio(unit, word))


def _close_enough(unit: str, word: str, distance: int) -> bool:
    """A misspelling, not another word: same first letter, one edit (two if long)."""
    if unit[0] != word[0] or min(len(unit), len(word)) < MIN_FUZZY_LENGTH:
        return False
    return distance <= (2 if min(len(unit), len(word)) >= 9 else 1)


def fuzzy_spans(
    term: Term, places: Places, tokens: Tokens, sorted_places: dict[tuple[str, ...], list[Place]]
) -> list[_Span]:
    """Windows where all of a term's words occur close together, in any order.

    Each word needs a token of its own, and all of them must be in one sentence.
    `sorted_places` keeps each slot's places, sorted, for the other terms with that slot.
    """
    occurrences = []
    for slot in term.words:
        found = sorted_places.get(slot)
        if found is None:
            found = sorted_places[slot] = sorted(
                p for word in slot if word in places for p in places[word]
            )
        if not found:
            return []
        occurrences.append(found)
    anchor_slot = min(range(len(occurrences)), key=lambda i: len(occurrences[i]))
    others = occurrences[:anchor_slot] + occurrences[anchor_slot + 1 :]
    reach = len(term.words) + term.within
    spans = []
    for anchor in occurrences[anchor_slot]:
        span = _window_around(anchor, others, reach, tokens)
        if span is not None and span.score >= term.threshold:
            spans.append(span)
    return spans


def _window_around(
    anchor: Place, others: list[list[Place]], reach: int, tokens: Tokens
) -> _Span | None:
    index = anchor[0]
    for places in others:  # cheap check first: token offsets and sentences cost more
        if bisect_left(places, (index - reach, -1, -1.0)) == bisect_right(
            places, (index + reach, 1 << 30, 101.0)
        ):
            return None
    span = _nearest_window(anchor, others, reach, tokens)
    return span if span is not None else _tightest_window(anchor, others, reach, tokens)


def _nearest_window(
    anchor: Place, others: list[list[Place]], reach: int, tokens: Tokens
) -> _Span | None:
    """The window of each slot's place nearest to `anchor`: right nearly always, and cheap.

    A word written in two ('de ployed', 're entry') is one word of the window.
    """
    first, last, score = anchor
    used = {anchor[0], anchor[1]}
    joined = anchor[1] - anchor[0]
    sentence = tokens.sentence_of(anchor[0])
    for places in others:
        nearest = _nearest(places, anchor[0], reach, used, sentence, tokens)
        if nearest is None:
            return None
        used.update((nearest[0], nearest[1]))
        first, last = min(first, nearest[0]), max(last, nearest[1])
        score = min(score, nearest[2])
        joined += nearest[1] - nearest[0]
    if last - first + 1 - joined > reach:
        return None
    return _Span(first, last, score)


def _tightest_window(
    anchor: Place, others: list[list[Place]], reach: int, tokens: Tokens
) -> _Span | None:
    """The narrowest choice of one place per slot around `anchor`, tried when the nearest fail.

    "reservists and moved two brigades to the border": the force word nearest
    to "moved" is "reservists", too far from "border"; "brigades" fits.
    """
    sentence = tokens.sentence_of(anchor[0])
    choices = []
    for places in others:
        low = bisect_left(places, (anchor[0] - reach, -1, -1.0))
        high = bisect_right(places, (anchor[0] + reach, 1 << 30, 101.0))
        window = [
            p
            for p in places[low:high]
            if tokens.sentence_of(p[0]) == sentence == tokens.sentence_of(p[1])
        ]
        if not window:
            return None
        choices.append(window)
    if prod(len(window) for window in choices) > MAX_WINDOW_CHOICES:
        return None
    best: _Span | None = None
    for picked in product([anchor], *choices):
        ends = [end for place in picked for end in {place[0], place[1]}]
        first, last = min(ends), max(ends)
        joined = len(ends) - len(picked)  # the second tokens of words broken in two
        if len(set(ends)) < len(ends) or last - first + 1 - joined > reach:
            continue
        score = min(place[2] for place in picked)
        if best is None or (last - first, -score) < (best.last - best.first, -best.score):
            best = _Span(first, last, score)
    return best


def _nearest(
    places: list[Place],
    index: int,
    reach: int,
    used: set[int],
    sentence: int,
    tokens: Tokens,
) -> Place | None:
    """The closest place within reach, on unused tokens of the same sentence."""
    low = bisect_left(places, (index - reach, -1, -1.0))
    high = bisect_right(places, (index + reach, 1 << 30, 101.0))
    window = [
        p
        for p in places[low:high]
        if p[0] not in used
        and p[1] not in used
        and tokens.sentence_of(p[0]) == sentence == tokens.sentence_of(p[1])
    ]
    if not window:
        return None
    return min(window, key=lambda p: (abs(p[0] - index), -p[2]))
