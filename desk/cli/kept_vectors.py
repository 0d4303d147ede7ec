"""What `desk test`'s semantic signal found, kept in DATA/backtest/ for the next run.

The examples and a labelled file's leads are the same texts on every save
of a watchlist; embedding them again costs more than the rest of a run
(loading the model, then some 7,000 texts). Three things are kept:
- vectors/: one file, named after the model and the embedding code: each
  text's digest and its vector (used when the examples file changed);
- neighbours/: per labelled file, each lead's nearest examples, by the
  lead's digest and the examples file's: with them a run after an edit to
  the terms needs neither the model nor numpy's arithmetic;
- examples/: each examples file as read (its texts made safe, grades and
  lines), used while the file and the code that reads it are unchanged:
  reading 6,320 examples again took a tenth of a run.
A file that is unreadable, of another shape or too large is no error: what
it held is found again and it is written anew.
"""

from __future__ import annotations

import hashlib
import io
import math
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from desk.core.errors import StoreError
from desk.core.match.fingerprint import code_fingerprint as fingerprint_of
from desk.core.match.semantic import KeptVectors, Neighbours, model_fingerprint
from desk.core.match.watchlists import examples_fingerprint, remember_examples
from desk.core.models import Examples
from desk.core.store.tinystore import atomic_write

VECTORS_FOLDER = "vectors"
NEIGHBOURS_FOLDER = "neighbours"
EXAMPLES_FOLDER = "examples"
KEEP_EXAMPLES = 4
"""The readings of this many examples files are kept (each file's latest version)."""
KEEP_NEIGHBOURS = 8
"""The nearest examples of this many labelled files (or versions of one) are kept."""
MAX_KEPT = 200_000
"""More vectors than this are not kept (about 200 MB): the next run makes them again."""
MAX_BYTES = 256 << 20
"""A vectors file larger than this is not read."""
KEY_BYTES = 16
ROW_BYTES = KEY_BYTES + 4 * 256
"""A row: the text's digest, then its 256 float32s."""


def read_vectors(cache_dir: Path) -> dict[bytes, Any]:
    """The vectors an earlier run kept in `cache_dir`, by text digest; {} if none can be trusted.

    The file is one array of rows: a text's 16-byte digest, then its vector's
    bytes (float32). Not numpy's byte strings: they drop a digest's trailing zero bytes.
    """
    import numpy as np

    place = _place(cache_dir)
    if place is None:
        return {}
    try:
        if place.stat().st_size > MAX_BYTES:
            return {}
        rows = np.load(place, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return {}
    if rows.dtype != np.uint8 or rows.ndim != 2 or rows.shape[1] != ROW_BYTES:
        return {}
    keys = rows[:, :KEY_BYTES].tobytes()
    vectors = np.ascontiguousarray(rows[:, KEY_BYTES:]).view(np.float32)
    if not np.isfinite(vectors).all():
        return {}
    starts = range(0, len(keys), KEY_BYTES)
    return dict(zip((keys[i : i + KEY_BYTES] for i in starts), vectors, strict=True))


def keep_vectors(cache_dir: Path, kept: KeptVectors) -> None:
    """Write the vectors `kept` knows when it made any. A folder that cannot be written, or
    too many vectors, is no error: the next run makes them again."""
    place = _place(cache_dir)
    if not kept.added or place is None:
        return
    import numpy as np

    with suppress(OSError, StoreError, ValueError):
        if len(kept.known) > MAX_KEPT:
            place.unlink(missing_ok=True)
            return
        keys = np.frombuffer(b"".join(kept.known), dtype=np.uint8).reshape(-1, KEY_BYTES)
        vectors = np.stack(list(kept.known.values())).astype(np.float32)
        rows = np.hstack([keys, vectors.view(np.uint8)])
        buffer = io.BytesIO()
        np.save(buffer, rows, allow_pickle=False)
        place.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(place, buffer.getvalue(), durable=False)
        for stale in place.parent.glob("*.np[yz]"):  # another model's or code's: never read again
            if stale != place:
                stale.unlink(missing_ok=True)


Kept = dict[tuple[bytes, str, int], Neighbours]


def read_neighbours(cache_dir: Path, key: str) -> Kept:
    """The nearest examples an earlier run over the labelled file `key` kept; {} if none can
    be trusted (any entry of the wrong shape, and the whole file is set aside)."""
    place = cache_dir / NEIGHBOURS_FOLDER / f"{key}.json"
    try:
        if place.stat().st_size > MAX_BYTES:
            return {}
        document = orjson.loads(place.read_bytes())
        if document.get("code") != code_fingerprint():
            return {}
        return dict(_entry(entry) for entry in document["entries"])
    except (OSError, orjson.JSONDecodeError, TypeError, ValueError, KeyError, AttributeError):
        return {}


def _entry(entry: Any) -> tuple[tuple[bytes, str, int], Neighbours]:
    """One kept entry, checked; TypeError or ValueError where it is not as written."""
    lead, examples, count, order, similarity = entry
    if not (isinstance(examples, str) and type(count) is int and len(order) == len(similarity)):
        raise ValueError("an entry of the wrong shape")
    if not all(type(i) is int and i >= 0 for i in order):
        raise ValueError("an example index that is none")
    if not all(type(x) is float and math.isfinite(x) for x in similarity):
        raise ValueError("a similarity that is no number")
    return (bytes.fromhex(lead), examples, count), Neighbours(tuple(order), tuple(similarity))


def keep_neighbours(cache_dir: Path, key: str, kept: Kept, read: int, current: set[str]) -> None:
    """Write the nearest examples `kept` holds for the labelled file `key` when the run found
    any (`read`: how many it was given), those of the examples files in `current` only (an
    edited file's old versions go). A folder that cannot be written is no error."""
    fingerprint = code_fingerprint()
    if len(kept) == read or not fingerprint:
        return
    place = cache_dir / NEIGHBOURS_FOLDER / f"{key}.json"
    entries = [
        [lead.hex(), examples, count, list(near.order), list(near.similarity)]
        for (lead, examples, count), near in kept.items()
        if examples in current
    ]
    with suppress(OSError, StoreError):
        place.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(place, orjson.dumps({"code": fingerprint, "entries": entries}), durable=False)
        old = sorted(place.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP_NEIGHBOURS:]:
            stale.unlink(missing_ok=True)


def remember_kept_examples(cache_dir: Path) -> set[Examples]:
    """Hand the watchlist loader the examples files an earlier run read (each is used only
    while its file is unchanged: `remember_examples`); those handed. A kept file that cannot
    be read or is of another shape is no error: the examples are read from their file."""
    fingerprint = examples_fingerprint()
    folder = cache_dir / EXAMPLES_FOLDER
    handed: set[Examples] = set()
    if not fingerprint or not folder.is_dir():
        return handed
    for place in folder.glob("*.json"):
        with suppress(OSError, orjson.JSONDecodeError, TypeError, ValueError, IndexError):
            examples = _kept_examples(orjson.loads(place.read_bytes()), fingerprint)
            if examples is not None:
                remember_examples(examples)
                handed.add(examples)
    return handed


def _kept_examples(kept: Any, fingerprint: str) -> Examples | None:
    """A kept reading as Examples; None when it is not one of this code's."""
    if not isinstance(kept, dict) or kept.get("code") != fingerprint:
        return None
    path, digest, texts = kept.get("path"), kept.get("digest"), kept.get("texts")
    kinds, graded, lines = kept.get("kinds"), kept.get("graded"), kept.get("lines")
    if not (isinstance(path, str) and isinstance(digest, str)):
        return None
    if not all(isinstance(part, list) for part in (texts, kinds, graded, lines)):
        return None
    if not len(texts) == len(graded) == len(lines) or not all(isinstance(t, str) for t in texts):
        return None
    grades = tuple(tuple((str(w), int(g)) for w, g in kind) for kind in kinds)
    return Examples(
        path,
        digest,
        tuple(texts),
        tuple(grades[int(i)] for i in graded),  # IndexError, ValueError: not kept by this code
        tuple(int(n) for n in lines),
    )


def keep_examples(cache_dir: Path, files: set[Examples], handed: set[Examples]) -> None:
    """Keep each examples file as read, unless it was `handed` from a kept file; the oldest
    go past KEEP_EXAMPLES. A folder that cannot be written is no error."""
    fingerprint = examples_fingerprint()
    if not fingerprint:
        return
    folder = cache_dir / EXAMPLES_FOLDER
    with suppress(OSError, StoreError):
        for examples in files:
            if examples in handed:
                continue
            # one reading a file, its latest version: a run reads no reading it cannot use
            name = hashlib.sha256(f"{examples.path}\0{fingerprint}".encode())
            place = folder / f"{name.hexdigest()[:32]}.json"
            kinds = list(dict.fromkeys(examples.grades))  # a few dozen ways to be graded
            where = {kind: number for number, kind in enumerate(kinds)}
            reading = {
                "code": fingerprint,
                "path": examples.path,
                "digest": examples.digest,
                "texts": examples.texts,
                "kinds": kinds,
                "graded": [where[grades] for grades in examples.grades],
                "lines": examples.lines,
            }
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(place, orjson.dumps(reading), durable=False)
        old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP_EXAMPLES:]:
            stale.unlink(missing_ok=True)


def _place(cache_dir: Path) -> Path | None:
    fingerprint = code_fingerprint()
    return cache_dir / VECTORS_FOLDER / f"{fingerprint[:24]}.npy" if fingerprint else None


@cache
def code_fingerprint() -> str:
    """The model's fingerprint (its package and the embedding code) and this module's code,
    which writes the files; empty (nothing is kept) when either cannot be read."""
    model = model_fingerprint()
    return fingerprint_of(model, files=(__file__,)) if model else ""
