"""Lines a scraper broke mid-sentence or mid-word, joined again.

`join_broken_lines` decides, for each pair of consecutive lines in a block,
whether the second continues the first and how to glue them: with a space,
with nothing (a word cut in two: "the level o" + "f military"), or by
dropping a line-end hyphen ("tech-" + "nology") unless the hyphen belongs to
the word ("re-" + "entry", "Russian-" + "made"). The evidence is the
text's own `Vocabulary` plus short lists of word endings, standalone short
words, hyphen-keeping prefixes and compound tails.
"""

from __future__ import annotations

import re
from collections import Counter

# The end of the paragraph so far, in characters: all a joining decision looks at.
_TAIL = 80
_WORD = re.compile(r"\w+")

# Words of one or two letters that stand on their own.
_SHORT_WORDS = frozenset(
    "a i am an as at be by do go he if in is it me my no of oh on or ok so to up us we".split()
)
# What a word broken at a line end leaves on the next line: never a word alone.
_WORD_ENDINGS = frozenset(
    "d s ed es ing ings ion ions tion tions sion sions ment ments ly ary ity ities "
    "ness ers ist ists ism ive ives ous ful ally ial ical ence ance ency ancy ized ised "
    "ization isation ation ations ology ologies".split()
)
# Prefixes whose hyphen is part of the word (re-entry, co-operate, non-state).
_KEEP_HYPHEN = frozenset(
    "re co non pre post anti ex self cross multi semi sub inter intra "
    "counter long short high low well full half state mid".split()
)
# Second halves that make a hyphenated compound (Russian-made, missile-related).
_COMPOUND_TAILS = frozenset(
    "made based related led owned run term range scale level time old free like style "
    "wide known up off out in on over down born sized class speed backed linked built "
    "designed funded year month week day hour".split()
)


class Vocabulary:
    """How often each word occurs in a text, counted the first time it is asked."""

    def __init__(self, blocks: list[list[str]]) -> None:
        self._blocks = blocks
        self._lowered = ""
        self._counts: Counter[str] = Counter()

    def count(self, word: str) -> int:
        """Occurrences of `word` (case ignored) as a whole word."""
        return self._word_counts()[word.lower()]

    def has_hyphenated(self, first: str, second: str) -> bool:
        """True when the text also writes `first-second` with its hyphen."""
        self._word_counts()
        return f"{first}-{second}".lower() in self._lowered

    def _word_counts(self) -> Counter[str]:
        if not self._lowered:
            self._lowered = "\n".join("\n".join(lines) for lines in self._blocks).lower()
            self._counts = Counter(_WORD.findall(self._lowered))
        return self._counts


def join_broken_lines(lines: list[str], vocabulary: Vocabulary | None = None) -> list[str]:
    """Merge lines a scraper broke mid-sentence; return the resulting paragraphs."""
    words = vocabulary or Vocabulary([lines])
    paragraphs = [[lines[0]]]
    tail = lines[0][-_TAIL:]  # the end of the paragraph so far: all a decision looks at
    for line in lines[1:]:
        glue = _glue(tail, line, words)
        if glue is None:
            paragraphs.append([line])
            tail = line[-_TAIL:]
            continue
        parts = paragraphs[-1]
        if glue == "-":
            parts[-1] = parts[-1][:-1]
            tail, glue = tail[:-1], ""
        parts += [glue, line]
        tail = (tail + glue + line)[-_TAIL:]
    return ["".join(parts) for parts in paragraphs]


def _glue(before: str, after: str, words: Vocabulary) -> str | None:
    """How to join two lines: '' (inside a word), ' ', '-' (drop hyphen) or None (keep apart)."""
    if not after[0].islower() or _ends_sentence(before):
        return None
    first = _first_word(after)
    if before.endswith("-") and before[-2:-1].isalpha():
        return _hyphen_glue(_last_word(before[:-1]), first, words)
    last = _last_word(before)
    if last and first and _is_split_word(last, first, words):
        return ""
    return " "


def _hyphen_glue(prefix: str, rest: str, words: Vocabulary) -> str:
    """'' keeps the hyphen (re-entry), '-' drops it (tech- nology -> technology)."""
    if not prefix or not rest or words.has_hyphenated(prefix, rest):
        return ""
    if words.count(prefix + rest) > 0 or rest.lower() in _WORD_ENDINGS:
        return "-"
    keep = (
        prefix.lower() in _KEEP_HYPHEN
        or rest.lower() in _COMPOUND_TAILS
        or not prefix.islower()
        or prefix.isdigit()
    )
    return "" if keep else "-"


def _is_split_word(last: str, first: str, words: Vocabulary) -> bool:
    """True when `last` + `first` is one word a line break cut in two."""
    if not last.isalpha() or not last.islower():
        return False
    if first in _WORD_ENDINGS or _is_fragment(last) or _is_fragment(first):
        return True
    joined = words.count(last + first)
    return joined > 0 and (words.count(last) <= 1 or words.count(first) <= 1)


def _last_word(text: str) -> str:
    match = re.search(r"(\w+)$", text)
    return match.group(1) if match else ""


def _first_word(text: str) -> str:
    match = _WORD.match(text)
    return match.group() if match else ""


def _ends_sentence(line: str) -> bool:
    return line.rstrip("\"'”’)]").endswith((".", "!", "?", ":", ";"))


def _is_fragment(word: str) -> bool:
    return word.islower() and len(word) <= 2 and word not in _SHORT_WORDS
