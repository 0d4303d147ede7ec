"""Watchlist YAML files -> compiled Watchlists, with errors that name file:line:col.

The format is documented in the README. Every mistake an analyst can make by
hand (wrong types, unknown keys, empty terms, bad regexes, half-saved files)
is a WatchlistError naming the place; loading a folder keeps every good file
and reports each bad one, so a running desk can keep a bad file's last good
version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from desk.core.errors import WatchlistError
from desk.core.matching import term_words
from desk.core.models import Severity, Term, Watchlist
from desk.core.yamlio import PosDict, key_position_of, position_of, read_yaml

WATCHLIST_KEYS = ("name", "description", "severity", "threshold", "terms", "context", "exclude")
TERM_KEYS = ("term", "label", "regex", "exact", "threshold", "within")
NEAR_KEYS = ("near", "any")
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)(?:[+*]|\{\d+,\d*\})")


@dataclass(frozen=True)
class LoadResult:
    """The watchlists that loaded, and an error for each file that did not."""

    watchlists: tuple[Watchlist, ...]
    errors: tuple[WatchlistError, ...]


def watchlist_files(folder: Path) -> list[Path]:
    """The watchlist files in a folder (*.yaml and *.yml), sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_watchlists(folder: Path) -> LoadResult:
    """Load every watchlist in `folder`, collecting errors instead of stopping."""
    loaded, errors = [], []
    for path in watchlist_files(folder):
        try:
            loaded.append(load_watchlist(path))
        except WatchlistError as exc:
            errors.append(exc)
    return LoadResult(tuple(loaded), tuple(errors))


def load_watchlist(path: Path) -> Watchlist:
    """Read and compile one watchlist file."""
    data = read_yaml(path, WatchlistError)
    if data is None:
        raise WatchlistError("the file is empty (half-saved?)", path, 1, 1)
    return compile_watchlist(data, path)


def compile_watchlist(data: Any, path: Path) -> Watchlist:
    """Turn parsed YAML into a Watchlist, checking every key and type."""
    if not isinstance(data, PosDict):
        raise WatchlistError("a watchlist is a mapping (name:, terms:, ...)", path, 1, 1)
    _check_keys(data, WATCHLIST_KEYS, path, "watchlist")
    threshold = _number(data, "threshold", 85.0, path, 0, 100)
    if "terms" not in data:
        raise WatchlistError("missing 'terms:' (the words that fire it)", path, *data.pos)
    context_near, context = _near_block(data, "context", 40, threshold, path)
    exclude_near, exclude = _near_block(data, "exclude", 12, threshold, path)
    return Watchlist(
        id=path.stem,
        name=_text(data, "name", path.stem, path),
        description=_text(data, "description", "", path),
        severity=_severity(data, path),
        threshold=threshold,
        terms=_terms(data, "terms", threshold, path),
        context=context,
        context_near=context_near,
        exclude=exclude,
        exclude_near=exclude_near,
        path=str(path),
    )


def _check_keys(mapping: dict[str, Any], allowed: tuple[str, ...], path: Path, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            hint = get_close_matches(key, allowed, n=1, cutoff=0.5)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise WatchlistError(
                f"unknown {what} key {key!r}{suggestion} (valid: {', '.join(allowed)})",
                path,
                *key_position_of(mapping, key),
            )


def _text(data: dict[str, Any], key: str, default: str, path: Path) -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise WatchlistError(f"'{key}' must be text", path, *position_of(data, key))
    return str(value)


def _number(data: Any, key: str, default: float, path: Path, low: float, high: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise WatchlistError(
            f"'{key}' must be a number from {low:g} to {high:g}, not {value!r}",
            path,
            *position_of(data, key),
        )
    return float(value)


def _severity(data: dict[str, Any], path: Path) -> Severity:
    value = data.get("severity", "medium")
    try:
        return Severity(str(value).lower())
    except ValueError:
        valid = ", ".join(s.value for s in Severity)
        raise WatchlistError(
            f"severity {value!r} is not one of {valid}", path, *position_of(data, "severity")
        ) from None


def _terms(container: Any, key: str, threshold: float, path: Path) -> tuple[Term, ...]:
    entries = container.get(key)
    if not isinstance(entries, list):
        kind = type(entries).__name__ if entries is not None else "nothing"
        raise WatchlistError(
            f"'{key}' must be a list of terms (one '- term' per line), not {kind}",
            path,
            *position_of(container, key),
        )
    if not entries:
        raise WatchlistError(f"'{key}' is empty", path, *position_of(container, key))
    return tuple(_term(entries, i, threshold, path) for i in range(len(entries)))


def _term(entries: Any, index: int, threshold: float, path: Path) -> Term:
    entry = entries[index]
    where = position_of(entries, index)
    if isinstance(entry, str | int | float) and not isinstance(entry, bool):
        return _fuzzy_term(str(entry), threshold, 4, path, where)
    if not isinstance(entry, PosDict):
        raise WatchlistError("a term is text or a mapping with 'term:' or 'regex:'", path, *where)
    _check_keys(entry, TERM_KEYS, path, "term")
    own_threshold = _number(entry, "threshold", threshold, path, 0, 100)
    within = int(_number(entry, "within", 4, path, 0, 50))
    label = _text(entry, "label", "", path)
    term = _mapped_term(entry, own_threshold, within, path, where)
    return replace(term, text=label) if label else term


def _mapped_term(entry: PosDict, threshold: float, within: int, path: Path, where: Any) -> Term:
    if "regex" in entry:
        return _regex_term(entry, path)
    text = entry.get("term")
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        raise WatchlistError("a term mapping needs 'term:' with text or 'regex:'", path, *where)
    if entry.get("exact", False) is True:
        return _exact_term(str(text), path, where)
    if entry.get("exact", False) is not False:
        raise WatchlistError("'exact' must be true or false", path, *position_of(entry, "exact"))
    return _fuzzy_term(str(text), threshold, within, path, where)


def _fuzzy_term(text: str, threshold: float, within: int, path: Path, where: Any) -> Term:
    words = term_words(text)
    if not words or not text.strip():
        raise WatchlistError("a term must contain at least one word", path, *where)
    return Term(text=text.strip(), words=words, threshold=threshold, within=within)


def _exact_term(text: str, path: Path, where: Any) -> Term:
    if not text.strip():
        raise WatchlistError("a term must contain at least one word", path, *where)
    flags = re.IGNORECASE if text == text.lower() else 0
    pattern = re.compile(r"(?<!\w)" + re.escape(text.strip()) + r"(?:s|es|'s|’s)?(?!\w)", flags)
    return Term(text=text.strip(), exact=True, pattern=pattern, threshold=100.0)


def _regex_term(entry: PosDict, path: Path) -> Term:
    source = entry["regex"]
    where = position_of(entry, "regex")
    if not isinstance(source, str) or not source:
        raise WatchlistError("'regex' must be a non-empty pattern", path, *where)
    if _NESTED_QUANTIFIER.search(source):
        raise WatchlistError(
            f"regex {source!r} nests quantifiers and can take exponential time", path, *where
        )
    try:
        pattern = re.compile(source, re.IGNORECASE)
    except re.error as exc:
        raise WatchlistError(f"invalid regex {source!r}: {exc}", path, *where) from None
    if pattern.search(""):
        raise WatchlistError(f"regex {source!r} matches empty text", path, *where)
    return Term(text=str(entry.get("term") or source), pattern=pattern, threshold=100.0)


def _near_block(
    data: Any, key: str, default_near: int, threshold: float, path: Path
) -> tuple[int, tuple[Term, ...]]:
    if key not in data or data[key] is None:
        return default_near, ()
    block = data[key]
    if isinstance(block, list):
        return default_near, _terms(data, key, threshold, path)
    if not isinstance(block, PosDict):
        raise WatchlistError(
            f"'{key}' must be a list of terms or a mapping with near: and any:",
            path,
            *position_of(data, key),
        )
    _check_keys(block, NEAR_KEYS, path, key)
    near = int(_number(block, "near", default_near, path, 1, 10_000))
    if "any" not in block:
        raise WatchlistError(f"'{key}' needs 'any:' with a list of terms", path, *block.pos)
    return near, _terms(block, "any", threshold, path)
