"""The words `desk test`'s matcher learnt, kept in DATA/backtest/words/ for the next run.

A matcher's first pass over a file spends a fifth of its time learning words
(their stems, and the vocabulary words close to each stem); a run on every
save of a watchlist meets the same words again. The file is one JSON object
keyed by the matching code and its libraries' versions: other code ignores
it. The watchlists' vocabulary is inside it, and `Matcher.recall` learns
again only the stems a changed vocabulary could make close to another word.
An unreadable or malformed file is no error (the words are learnt again);
nothing in it reaches the matcher until all of it has been checked.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

import desk.core.match.matcher
from desk.core.errors import StoreError
from desk.core.match.matcher import LearntWords, Matcher
from desk.core.store.tinystore import atomic_write

WORDS_FILE = Path("words") / "learnt.json"
MAX_WORDS = 300_000
"""A file with more words is not read, nor written: the next run learns afresh."""


def read_words(cache: Path) -> LearntWords | None:
    """The words an earlier run kept in `cache`, for `Matcher.recall`; None when none fit."""
    return _read(cache / WORDS_FILE)


def keep_words(matcher: Matcher, cache: Path, recalled: LearntWords | None) -> None:
    """Write what `matcher` knows when it met a new word or has another vocabulary than the
    words it recalled (`recalled`), so that the next run relearns nothing.

    A folder that cannot be written is no error: the next run learns again.
    """
    learnt = matcher.learnt()
    if len(learnt.stems) > MAX_WORDS:
        return
    if recalled is not None and (
        len(learnt.stems) == len(recalled.stems) and learnt.vocabulary == recalled.vocabulary
    ):
        return
    place = cache / WORDS_FILE
    document = {
        "code": code_fingerprint(),
        "vocabulary": sorted(learnt.vocabulary),
        "words": "\n".join(learnt.stems),  # a word has no line break: Tokens' words are \w+
        "stems": "\n".join(learnt.stems.values()),
        "similar": {unit: close for unit, close in learnt.similar.items() if close},
    }
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(place, orjson.dumps(document), durable=False)
    except (OSError, StoreError):
        return


def code_fingerprint() -> str:
    """Changes with the matcher's code, the Python version, or its stemmer's and fuzzy scorer's."""
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for package in ("PyStemmer", "rapidfuzz"):
        try:
            digest.update(f"{package} {metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(package.encode())
    digest.update(Path(desk.core.match.matcher.__file__).read_bytes())
    return digest.hexdigest()


def _read(place: Path) -> LearntWords | None:
    """The learnt words in `place`, or None when absent, unreadable, from other code, or
    malformed in any part."""
    try:
        document = orjson.loads(place.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    try:
        return _learnt_of(document)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _learnt_of(document: Any) -> LearntWords | None:
    """The document checked in every part; None, TypeError or ValueError where it is not as
    `keep_words` writes it.

    Stems met without close vocabulary words are not written: every stem a word has is
    one the matcher looked up.
    """
    if not isinstance(document, dict) or document.get("code") != code_fingerprint():
        return None
    vocabulary, similar = document["vocabulary"], document["similar"]
    words, units = document["words"].split("\n"), document["stems"].split("\n")
    if len(words) != len(units) or len(words) > MAX_WORDS or not isinstance(similar, dict):
        return None
    _check_strings(vocabulary)
    close: dict[str, tuple[tuple[str, float], ...]] = dict.fromkeys(units, ())
    close.update((unit, _close(pairs)) for unit, pairs in similar.items())
    return LearntWords(frozenset(vocabulary), dict(zip(words, units, strict=True)), close)


def _check_strings(values: Any) -> None:
    if not all(isinstance(value, str) for value in values):
        raise TypeError("not a string")


def _close(pairs: Any) -> tuple[tuple[str, float], ...]:
    """[[word, score], ...] -> ((word, score), ...); ValueError for any other shape."""
    if not pairs:
        return ()
    if not all(_is_pair(pair) for pair in pairs):
        raise ValueError("not a [word, score] pair")
    return tuple((word, float(score)) for word, score in pairs)


def _is_pair(pair: Any) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and isinstance(pair[1], int | float)
        and not isinstance(pair[1], bool)
    )
