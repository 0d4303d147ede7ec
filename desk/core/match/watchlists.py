"""Watchlist YAML files -> compiled Watchlists, with errors that name file:line:col.

The format is documented in the README. Every mistake an analyst can make by
hand (wrong types, unknown keys, empty terms, bad regexes, half-saved files)
is a WatchlistError naming the place; loading a folder keeps every good file
and reports each bad one, so a running desk can keep a bad file's last good
version.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import re2

from desk.core.errors import WatchlistError, did_you_mean
from desk.core.match.fingerprint import code_fingerprint
from desk.core.match.matcher import STOP_WORDS, term_words
from desk.core.models import Examples, Semantic, Severity, Term, Watchlist
from desk.core.safetext import is_safe, safe_line, safe_text
from desk.core.settings.yamlio import PosDict, PosList, key_position_of, position_of, read_yaml

WATCHLIST_KEYS = (
    "name",
    "description",
    "severity",
    "threshold",
    "fire_at",
    "words",
    "terms",
    "context",
    "exclude",
    "evidence",
    "semantic",
)
EVIDENCE_KEYS = ("lead", "lead_boost", "passing")
SEMANTIC_KEYS = ("examples", "neighbours", "agree", "floor", "weight")
MAX_EXAMPLES = 50_000
"""More examples than this are refused (the shipped file has 6,320; 50,000 take ~0.4 GB to
embed and ~3 s)."""
MAX_EXAMPLES_BYTES = 16 << 20
"""An examples file larger than this is refused (the shipped one is about 2 MB)."""
TERM_KEYS = ("term", "label", "regex", "exact", "threshold", "within", "weight")
NEAR_KEYS = ("near", "any")


@dataclass(frozen=True)
class LoadResult:
    """The watchlists that loaded, and an error for each file that did not."""

    watchlists: tuple[Watchlist, ...]
    errors: tuple[WatchlistError, ...]
    """Each file's problem: those that did not load (`failed`), then those left out (a FIFO,
    a dangling link, a .yml beside a .yaml of the same name)."""
    failed: tuple[WatchlistError, ...] = ()
    """The errors of the watchlist files that were read and did not load."""


def watchlist_files(folder: Path) -> list[Path]:
    """The watchlist files in a folder (*.yaml and *.yml), sorted by name.

    A watchlist's id is its file name without the extension, so a `w.yml`
    beside a `w.yaml` would be a second watchlist with the same id: it is
    left out (see shadowed_files), and `desk check` says so.
    """
    return [path for path in _yaml_files(folder) if not _shadowed(path)]


def shadowed_files(folder: Path) -> list[Path]:
    """The *.yml files left out because a *.yaml file of the same name defines that id."""
    return [path for path in _yaml_files(folder) if _shadowed(path)]


def irregular_files(folder: Path) -> list[WatchlistError]:
    """A watchlist-named entry that is no regular file (a FIFO, a dangling or looping link), said.

    Opening a FIFO would block desk for ever; the others cannot be read.
    """
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and not path.is_file() and not path.is_dir():
            kind = (
                "a symbolic link that leads nowhere" if path.is_symlink() else "not a regular file"
            )
            found.append(WatchlistError(f"{kind}; skipped", path))
    return found


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _shadowed(path: Path) -> bool:
    return path.suffix == ".yml" and path.with_suffix(".yaml").is_file()


def load_watchlists(folder: Path) -> LoadResult:
    """Load every watchlist in `folder`, collecting errors instead of stopping."""
    loaded, failed = [], []
    for path in watchlist_files(folder):
        try:
            loaded.append(load_watchlist(path))
        except WatchlistError as exc:
            failed.append(exc)
    errors = [*failed, *irregular_files(folder)]
    for path in shadowed_files(folder):
        twin = path.with_suffix(".yaml").name
        message = (
            f"not used: {twin} already defines the watchlist '{path.stem}' (an id is its file name)"
        )
        errors.append(WatchlistError(message, path, 1, 1))
    return LoadResult(tuple(loaded), tuple(errors), tuple(failed))


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
    _expand_word_groups(data, path)
    threshold = _number(data, "threshold", 85.0, path, 0, 100)
    if "terms" not in data:
        raise WatchlistError("missing 'terms:' (the words that fire it)", path, *data.pos)
    context_near, context = _near_block(data, "context", 40, threshold, path)
    exclude_near, exclude = _near_block(data, "exclude", 12, threshold, path)
    return Watchlist(
        **_evidence_block(data, path),
        id=safe_line(path.stem),
        name=safe_line(_text(data, "name", path.stem, path)),
        description=safe_line(_text(data, "description", "", path)),
        severity=_severity(data, path),
        threshold=threshold,
        terms=_terms(data, "terms", threshold, path),
        context=context,
        context_near=context_near,
        exclude=exclude,
        exclude_near=exclude_near,
        fire_at=_number(data, "fire_at", 1.0, path, 0.01, 100),
        path=str(path),
        semantic=_semantic_block(data, path),
    )


_GROUP_REF = re.compile(r"\$([A-Za-z][\w-]*)")


def _expand_word_groups(data: PosDict, path: Path) -> None:
    """Replace `$name` in terms with the alternatives of `words: {name: a|b|c}`, in place.

    A term that used a group keeps what the analyst wrote as its label.
    """
    groups = _word_groups(data, path)
    lists = [data.get("terms")]
    for key in ("context", "exclude"):
        block = data.get(key)
        lists.append(block.get("any") if isinstance(block, dict) else block)
    for entries in lists:
        if isinstance(entries, PosList):
            for index in range(len(entries)):
                entries[index] = _expanded_entry(entries, index, groups, path)


def _word_groups(data: PosDict, path: Path) -> dict[str, str]:
    groups = data.get("words") or {}
    if not isinstance(groups, dict):
        raise WatchlistError(
            "'words' maps names to alternatives: {force: troops|soldiers}",
            path,
            *position_of(data, "words"),
        )
    found = {}
    for name, value in groups.items():
        words = value if isinstance(value, list) else str(value).split("|")
        words = [str(w).strip() for w in words if str(w).strip()]
        if not words or any(" " in w for w in words):
            raise WatchlistError(
                f"word group {name!r} must list single words: a|b|c or [a, b, c]",
                path,
                *position_of(groups, name),
            )
        found[name] = "|".join(words)
    return found


def _expanded_entry(entries: PosList, index: int, groups: dict[str, str], path: Path) -> Any:
    entry = entries[index]
    text = entry.get("term") if isinstance(entry, PosDict) else entry
    if not isinstance(text, str) or "$" not in text:
        return entry
    where = position_of(entries, index)

    def substitute(found: re.Match[str]) -> str:
        if found.group(1) not in groups:
            known = ", ".join(f"${g}" for g in groups) or "none defined under words:"
            raise WatchlistError(
                f"unknown word group ${found.group(1)} (known: {known})", path, *where
            )
        return groups[found.group(1)]

    expanded = _GROUP_REF.sub(substitute, text)
    if isinstance(entry, PosDict):
        entry["label"] = entry.get("label") or text
        entry["term"] = expanded
        return entry
    mapping = PosDict(term=expanded, label=text)
    mapping.pos, mapping.key_pos, mapping.value_pos = where, {}, {}
    return mapping


def _check_keys(mapping: dict[str, Any], allowed: tuple[str, ...], path: Path, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise WatchlistError(
                f"unknown {what} key {key!r}{did_you_mean(key, allowed)} (valid: {', '.join(allowed)})",
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
    terms = (_term(entries, i, threshold, path) for i in range(len(entries)))
    return tuple(replace(term, text=safe_line(term.text)) for term in terms)  # shown as labels


def _term(entries: Any, index: int, threshold: float, path: Path) -> Term:
    entry = entries[index]
    where = position_of(entries, index)
    if isinstance(entry, str | int | float) and not isinstance(entry, bool):
        return _fuzzy_term(_plain(str(entry), path, where), threshold, 4, path, where)
    if not isinstance(entry, PosDict):
        raise WatchlistError("a term is text or a mapping with 'term:' or 'regex:'", path, *where)
    _check_keys(entry, TERM_KEYS, path, "term")
    own_threshold = _number(entry, "threshold", threshold, path, 0, 100)
    within = int(_number(entry, "within", 4, path, 0, 50))
    for key in ("term", "regex"):  # a label is only shown: it is made safe like a name
        if isinstance(entry.get(key), str):
            _plain(entry[key], path, position_of(entry, key))
    label = _text(entry, "label", "", path)
    weight = _number(entry, "weight", 1.0, path, 0.01, 100)
    term = _mapped_term(entry, own_threshold, within, path, where)
    return replace(term, text=label or term.text, weight=weight)


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


def _plain(text: str, path: Path, where: Any) -> str:
    """`text` if it holds nothing a terminal acts on or that cannot be seen; else the error:
    such a term would be shown without the character and never match as shown."""
    if is_safe(text) or safe_text(text) == text:  # a joiner between two letters of a script
        return text
    unsafe = [c for c in text if not is_safe(c)]
    char = next((c for c in unsafe if c not in "\u200c\u200d"), unsafe[0])
    raise WatchlistError(
        f"a term holds a control or invisible character (U+{ord(char):04X}): write plain text",
        path,
        *where,
    )


def _fuzzy_term(text: str, threshold: float, within: int, path: Path, where: Any) -> Term:
    words = term_words(text)
    if not words or not text.strip():
        raise WatchlistError("a term must contain at least one word", path, *where)
    if all(word in STOP_WORDS for slot in words for word in slot):
        raise WatchlistError(
            f"term {text.strip()!r} has only words that are ignored (the, of, to, ...)",
            path,
            *where,
        )
    return Term(text=text.strip(), words=words, threshold=threshold, within=within)


def _exact_term(text: str, path: Path, where: Any) -> Term:
    if not text.strip():
        raise WatchlistError("a term must contain at least one word", path, *where)
    flags = re.IGNORECASE if text == text.lower() else 0
    pattern = re.compile(r"(?<!\w)" + re.escape(text.strip()) + r"(?:s|es|'s|’s)?(?!\w)", flags)
    return Term(text=text.strip(), exact=True, pattern=pattern, threshold=100.0)


def _regex_term(entry: PosDict, path: Path) -> Term:
    """A regex term, compiled with RE2: linear time, so no pattern can hang the desk."""
    source = entry["regex"]
    where = position_of(entry, "regex")
    if not isinstance(source, str) or not source:
        raise WatchlistError("'regex' must be a non-empty pattern", path, *where)
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    try:
        pattern = re2.compile(source, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise WatchlistError(f"invalid regex {source!r}: {reason}", path, *where) from None
    if pattern.search(""):
        raise WatchlistError(f"regex {source!r} matches empty text", path, *where)
    return Term(text=str(entry.get("term") or source), pattern=pattern, threshold=100.0)


def _evidence_block(data: PosDict, path: Path) -> dict[str, Any]:
    """The optional `evidence:` mapping: lead (sentences), lead_boost and passing (factors)."""
    block = data.get("evidence")
    if block is None:
        return {}
    if not isinstance(block, PosDict):
        raise WatchlistError(
            "'evidence' must be a mapping (lead:, lead_boost:, passing:)",
            path,
            *position_of(data, "evidence"),
        )
    _check_keys(block, EVIDENCE_KEYS, path, "evidence")
    limits = {"lead": (0, 1000), "lead_boost": (1, 10), "passing": (0, 1)}
    found: dict[str, Any] = {key: _number(block, key, 0, path, *limits[key]) for key in block}
    if "lead" in found:
        found["lead"] = int(found["lead"])
    return found


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


def _semantic_block(data: PosDict, path: Path) -> Semantic | None:
    """The optional `semantic:` mapping: the examples file and how their vote is read."""
    block = data.get("semantic")
    if block is None:
        return None
    if not isinstance(block, PosDict):
        message = "'semantic' must be a mapping (examples:, neighbours:, agree:, floor:, weight:)"
        raise WatchlistError(message, path, *position_of(data, "semantic"))
    _check_keys(block, SEMANTIC_KEYS, path, "semantic")
    name = block.get("examples")
    if not isinstance(name, str) or not name.strip():
        where = position_of(block, "examples") if "examples" in block else block.pos
        raise WatchlistError("'semantic' needs 'examples:', a file of labelled texts", path, *where)
    neighbours = _whole(block, "neighbours", 5, path, 50)
    agree = _whole(block, "agree", neighbours, path, neighbours)
    try:
        examples = load_examples(path.parent / name)
    except WatchlistError as exc:
        message = f"{exc.message} (the examples of {path.name})"
        raise WatchlistError(message, exc.path, exc.line, exc.col) from None
    if not any((path.stem, 2) in grades for grades in examples.grades):
        message = f"{name} grades no example 2 for '{path.stem}': its vote could never fire"
        raise WatchlistError(message, path, *position_of(block, "examples"))
    return Semantic(
        examples=examples,
        neighbours=neighbours,
        agree=agree,
        floor=_number(block, "floor", 0.6, path, 0, 1),
        weight=_number(block, "weight", 1.0, path, 0.01, 100),
    )


def _whole(block: PosDict, key: str, default: int, path: Path, high: int) -> int:
    """A count from 1 to `high`: a number with a fraction is an error, not rounded."""
    value = _number(block, key, default, path, 1, high)
    if not value.is_integer():
        message = f"'{key}' must be a whole number from 1 to {high}, not {value:g}"
        raise WatchlistError(message, path, *position_of(block, key))
    return int(value)


_EXAMPLES_READ: dict[tuple[str, str], Examples] = {}
"""Examples files read, by path and digest: three watchlists share one file."""
EXAMPLES_KEPT = 4
"""Examples files kept read at once (the same as the example indexes a process keeps)."""


def load_examples(path: Path) -> Examples:
    """Read an examples file: JSON lines with `text` and `labels` (a 0/1/2 grade per watchlist).

    It is the corpus's format, so a file `desk test` reads can serve; `title`,
    when present, is put before the text. Each mistake is an error naming the line.
    """
    try:
        size = path.stat().st_size
        if size > MAX_EXAMPLES_BYTES:
            raise WatchlistError(
                f"file is {size:,} bytes; the limit is {MAX_EXAMPLES_BYTES:,}", path
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise WatchlistError(f"cannot read the examples: {exc.strerror or exc}", path) from None
    digest = hashlib.sha256(raw).hexdigest()
    known = _EXAMPLES_READ.get((str(path), digest))
    if known is not None:
        return known
    texts, grades, lines, ids = [], [], [], dict[str, str]()
    file_lines = raw.removeprefix(b"\xef\xbb\xbf").split(b"\n")  # a BOM says UTF-8, no more
    numbered = [(n, line) for n, line in enumerate(file_lines, start=1) if line.strip()]
    if len(numbered) > MAX_EXAMPLES:  # each is embedded and compared: memory and time grow
        message = f"{len(numbered):,} examples; the limit is {MAX_EXAMPLES:,}"
        raise WatchlistError(message, path, numbered[MAX_EXAMPLES][0], 1)
    for (number, _), item in zip(numbered, _parsed_lines(numbered, path), strict=True):
        text, graded = _example(item, path, number, ids)
        texts.append(text)
        grades.append(graded)
        lines.append(number)
    if not texts:
        raise WatchlistError("the examples file has no examples", path, 1, 1)
    examples = Examples(str(path), digest, tuple(texts), tuple(grades), tuple(lines))
    remember_examples(examples)
    return examples


def remember_examples(examples: Examples) -> None:
    """Take `examples` as read: `load_examples` of its file, while the file is unchanged,
    gives them without parsing it. For a caller that kept an earlier run's reading of the
    file (`desk test`: see `examples_fingerprint`)."""
    if len(_EXAMPLES_READ) >= EXAMPLES_KEPT:  # the oldest goes: an edited file's versions pass
        _EXAMPLES_READ.pop(next(iter(_EXAMPLES_READ)))
    _EXAMPLES_READ[(examples.path, examples.digest)] = examples


@lru_cache(maxsize=1)
def examples_fingerprint() -> str:
    """Changes with the code that reads an examples file (this module, what makes text safe,
    the Examples model): a reading kept by an earlier run is good only under the same code;
    '' when that code cannot be read (then nothing kept is trusted)."""
    from desk.core import models, safetext

    return code_fingerprint("examples", files=(__file__, safetext.__file__, models.__file__))


def _parsed_lines(numbered: list[tuple[int, bytes]], path: Path) -> list[Any]:
    """Every line's JSON, parsed at once (one array: a fifth of the time of line by line);
    when that fails, line by line, to name the first line that is not JSON."""
    with suppress(orjson.JSONDecodeError):
        parsed = orjson.loads(b"[" + b",".join(line for _, line in numbered) + b"]")
        if len(parsed) == len(numbered):  # a line holding two values joined by a comma is not
            return list(parsed)
    for number, line in numbered:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WatchlistError("not UTF-8 text", path, number, exc.start + 1) from None
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            raise WatchlistError("not a JSON object", path, number, 1) from None
    raise WatchlistError("a line holds more than one JSON value", path, 1, 1)


def _example(
    item: Any, path: Path, number: int, ids: dict[str, str]
) -> tuple[str, tuple[tuple[str, int], ...]]:
    """One example line's JSON -> its text (safe, title first) and its grades (`ids`: the
    watchlist ids met so far, made safe once)."""
    text, labels = (
        (item.get("text"), item.get("labels")) if isinstance(item, dict) else (None, None)
    )
    if not isinstance(text, str) or not text.strip():
        raise WatchlistError("an example needs 'text' (the example itself)", path, number, 1)
    if not isinstance(labels, dict) or not all(
        type(grade) is int and grade in (0, 1, 2) for grade in labels.values()
    ):
        message = "an example needs 'labels': a grade 0, 1 or 2 per watchlist id"
        raise WatchlistError(message, path, number, 1)
    title = item.get("title")
    if isinstance(title, str) and title.strip():
        text = f"{title.strip()}\n{text}"
    grades = tuple(
        (ids.get(key) or ids.setdefault(key, safe_line(key)), g) for key, g in labels.items()
    )
    return safe_text(text), grades
