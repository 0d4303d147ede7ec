"""The words `desk test`'s matcher learnt, kept in DATA/backtest/words/ for the next run.

A matcher's first pass over a file spends a fifth of its time learning words
(their stems, and the vocabulary words close to each stem); a run on every
save of a watchlist meets the same words again. One file is kept per
labelled file (the key of its cleaned texts), the newest few of them: each
word the file's texts hold, its stem, and the stems' close vocabulary words,
with the watchlists' vocabulary they were found under. `Matcher.recall`
learns again only the stems a changed vocabulary could make close to
another word. The file names the matching code it was written by (other
code ignores it) and carries a digest of its content: a file that is
unreadable, malformed, changed by hand or from other code is no error, its
words are learnt again and it is written anew. Nothing in it reaches the
matcher until all of it has been checked.
"""

from __future__ import annotations

import hashlib
import sys
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

import orjson

import desk.core.match.matcher
from desk.core.errors import StoreError
from desk.core.match.fingerprint import code_fingerprint as fingerprint_of
from desk.core.match.matcher import LearntWords, Matcher
from desk.core.store.tinystore import atomic_write

WORDS_FOLDER = "words"
KEEP_FILES = 8
"""The words of this many labelled files (or versions of one) are kept."""
MAX_WORDS = 300_000
"""A file's texts with more distinct words than this are not kept: the next run learns them."""
MAX_BYTES = 64 << 20
"""A words file larger than this is not read."""


def read_words(cache: Path, key: str) -> LearntWords | None:
    """The words an earlier run over the labelled file `key` kept in `cache`, for
    `Matcher.recall`; None when there are none that can be trusted."""
    place = cache / WORDS_FOLDER / f"{key}.json"
    try:
        if place.stat().st_size > MAX_BYTES:
            return None
        document = orjson.loads(place.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    try:
        learnt = _learnt_of(document)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    if learnt is not None:
        with suppress(OSError):  # the newest are kept; a read-only folder is no error
            place.touch()
    return learnt


def keep_words(matcher: Matcher, cache: Path, key: str, recalled: LearntWords | None) -> None:
    """Write what `matcher` knows of the labelled file `key`'s words when it met a word, or
    has a vocabulary, that the words it recalled (`recalled`) had not.

    Call it after the report: the analyst does not wait for it. A folder that
    cannot be written is no error: the next run learns again.
    """
    learnt = matcher.learnt()
    if recalled is not None and (
        len(learnt.stems) == len(recalled.stems) and learnt.vocabulary == recalled.vocabulary
    ):
        return
    place = cache / WORDS_FOLDER / f"{key}.json"
    try:
        if not _keepable(learnt):  # what a later run would read would not be what it learns
            place.unlink(missing_ok=True)
            return
        place.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(place, orjson.dumps(_document_of(learnt)), durable=False)
        old = sorted(place.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP_FILES:]:
            stale.unlink(missing_ok=True)
    except (OSError, StoreError):
        return


def _keepable(learnt: LearntWords) -> bool:
    """Under the size limit, with every stem's close words known (past the matcher's own
    limit a stem's close words are computed each time and not remembered)."""
    fingerprint = code_fingerprint()
    if not fingerprint or len(learnt.stems) > MAX_WORDS:
        return False
    return learnt.similar.keys() >= set(learnt.stems.values())


def _document_of(learnt: LearntWords) -> dict[str, Any]:
    words = "\n".join(learnt.stems)  # a word has no line break: Tokens' words are \w+
    stems = "\n".join(learnt.stems.values())
    similar = {unit: close for unit, close in learnt.similar.items() if close}
    return {
        "code": code_fingerprint(),
        "digest": _digest(words, stems, similar),
        "vocabulary": sorted(learnt.vocabulary),
        "words": words,
        "stems": stems,
        "similar": similar,
    }


@cache
def code_fingerprint() -> str:
    """Changes with the matcher's code, this module's, the Python version, or the stemmer's
    and fuzzy scorer's versions; empty (nothing is kept) when the code cannot be read."""
    files = (desk.core.match.matcher.__file__, __file__)
    return fingerprint_of(f"{sys.version_info[:2]}", ("PyStemmer", "rapidfuzz"), files)


def _digest(words: str, stems: str, similar: dict[str, Any]) -> str:
    content = hashlib.sha256(f"{words}\0{stems}\0".encode())
    content.update(orjson.dumps(similar))
    return content.hexdigest()


def _learnt_of(document: Any) -> LearntWords | None:
    """The document checked in every part; None, TypeError or ValueError (or KeyError and
    AttributeError from a wrong shape) where it is not as `keep_words` writes it.

    Stems met without close vocabulary words are not written: every stem a word has is
    one the matcher looked up (`_keepable`).
    """
    fingerprint = code_fingerprint()
    if not isinstance(document, dict) or not fingerprint or document.get("code") != fingerprint:
        return None
    vocabulary, similar = document["vocabulary"], document["similar"]
    words, units = document["words"].split("\n"), document["stems"].split("\n")
    if len(words) != len(units) or len(words) > MAX_WORDS or not isinstance(similar, dict):
        return None
    if document["digest"] != _digest(document["words"], document["stems"], similar):
        return None
    if not isinstance(vocabulary, list) or not all(isinstance(w, str) for w in vocabulary):
        return None
    known = frozenset(vocabulary)
    close: dict[str, tuple[tuple[str, float], ...]] = dict.fromkeys(units, ())
    close.update((unit, _close(pairs, known)) for unit, pairs in similar.items())
    return LearntWords(known, dict(zip(words, units, strict=True)), close)


def _close(pairs: Any, vocabulary: frozenset[str]) -> tuple[tuple[str, float], ...]:
    """[[word, score], ...] -> ((word, score), ...); ValueError for any other shape, a word
    not in the vocabulary or a score out of range."""
    if not isinstance(pairs, list) or not all(_is_pair(pair, vocabulary) for pair in pairs):
        raise ValueError("not a list of [vocabulary word, score] pairs")
    return tuple((word, float(score)) for word, score in pairs)


def _is_pair(pair: Any, vocabulary: frozenset[str]) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and pair[0] in vocabulary
        and isinstance(pair[1], int | float)
        and not isinstance(pair[1], bool)
        and 0 < pair[1] <= 100
    )
