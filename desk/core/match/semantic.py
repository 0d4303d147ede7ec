"""The semantic signal: a text's lead compared with a watchlist's labelled examples.

Rules find words; this finds meaning the words missed ("brigades moved to the
frontier" where no term covers *moved*). A text's lead (its title and first
sentences) becomes a vector, the mean of its word pieces' static vectors; so
does every example sentence in the watchlist's examples file. The lead's
nearest examples vote: when the `neighbours` nearest are at least `agree`
positives for the watchlist and the nearest is at least `floor` alike
(cosine), the signal adds `weight` to the watchlist's evidence, explained like
a term: "close to example 412 (0.71)", the example being line 412 of the file.

The vectors are WordLlama's (`l2_supercat_256`, 32,000 word pieces x 256,
shipped inside the `wordllama` package from PyPI: nothing is downloaded at
run time). desk reads the package's two files itself, the tokenizer's with
`tokenizers` and the vectors a slice at a time, so that the package's own
loader (which reaches for the network when a file is not where it looks)
never runs.

An encoder is anything with `embed(texts) -> unit vectors`; the matcher takes
one, so a test or a benchmark can pass its own.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from desk.core.errors import DeskError
from desk.core.match.fingerprint import code_fingerprint
from desk.core.models import SEMANTIC_TERM, Examples, Semantic, example_number

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "WordLlama l2_supercat_256"
DIMENSIONS = 64
"""Vectors are compared on the examples' main directions: the mean that every news text
shares is taken off (it would make a long lead look close to everything), and 64 of 256
dimensions keep the comparison in the processor's cache."""
WEIGHTS = ("weights", "l2_supercat_256.safetensors")
TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
EXAMPLES_TERM = "the examples (semantic)"
"""What a backtest counts every semantic hit under, whichever example was nearest."""
WORDS_KEPT = 30_000
"""How many words' pieces an encoder keeps (about 7 MB); when full it starts again, so that a
stream of ever new words (names, numbers, garbage) cannot grow it."""
_WORD_OR_MARK = re.compile(r"\w+|[^\w\s]")
INDEX_SUFFIX = ".index.npz"
SHARED_FILES = 4
"""Example indexes kept per encoder in a process (one per examples file in use)."""
NEAR_BANDS = (0.1, 0.25)
"""The nearest examples are sought among those this close to a text's nearest, the narrow band
first (it holds them for three texts in four), then the wide, then all examples."""
MAX_PIECES = 512
"""A lead longer than this many word pieces is cut: the mean settles long before."""
MAX_HEADER = 1 << 20
"""The longest safetensors header read (the shipped one is 100-odd bytes)."""
READ_ROWS = 2048
"""Rows of the model's vectors read from its file at a time (1 MB as stored)."""
READ_AT_ONCE = 4096
"""A text up to this many characters has its words split at once (`StaticEncoder.pieces`)."""
TAKE_PIECES = 8192
"""Word pieces whose vectors are gathered at once (8 MB): a batch of leads in one take, an
examples file of 50,000 texts in many (all at once it was gigabytes)."""


class Encoder(Protocol):
    """Texts -> one unit-length vector each (rows of a float32 matrix)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One vector a text, a row each (a text with no word piece: a row of zeros)."""
        ...


class SemanticUnavailable(DeskError):
    """The embedding model's files cannot be found or read."""


@dataclass(frozen=True)
class Nearest:
    """What a lead's nearest examples said for one watchlist."""

    agreeing: int
    """How many of the nearest examples are positives for the watchlist."""
    example: int
    """The line (from 1) of the nearest positive example, 0 if none was near."""
    similarity: float
    """Its cosine similarity with the lead."""
    nearest: float
    """The nearest example's similarity, positive or not."""

    def passes(self, rule: Semantic) -> bool:
        """Whether the vote fires the signal under `rule`."""
        return self.agreeing >= rule.agree and self.nearest >= rule.floor - 1e-9

    def term(self) -> str:
        """'close to example 412': the hit's term (its similarity is the hit's score)."""
        return f"{SEMANTIC_TERM}{self.example}"

    def describe(self, rule: Semantic) -> str:
        """A near miss, said: 'examples: 3 of the 5 nearest agree (5 needed), the nearest 0.58'."""
        return (
            f"examples: {self.agreeing} of the {rule.neighbours} nearest agree "
            f"({rule.agree} needed), nearest {self.nearest:.2f} (floor {rule.floor:g})"
        )


def said_of(term: str, text: str) -> str:
    """What a hit matched, as a line shows it: a term's words, or for the examples' vote
    (whose hit is the whole lead) the example it was close to, 'close to example 412'."""
    return term if example_number(term) else text


class StaticEncoder:
    """WordLlama's static vectors: a text is the mean of its word pieces' vectors, unit length."""

    model = MODEL_NAME

    def __init__(self, folder: Path | None = None) -> None:
        from tokenizers import Tokenizer

        folder = folder or _package_folder()
        try:
            self._table = read_vectors(folder.joinpath(*WEIGHTS))
            """The vectors as float32 (32 MB; exactly those stored as float16): gathering
            float16 rows and widening them cost a lead 16 us, three times the take itself."""
            self._tokenizer = Tokenizer.from_file(str(folder.joinpath(*TOKENIZER)))
        except Exception as exc:  # a missing, cut or foreign file: say which, go on without
            raise SemanticUnavailable(f"cannot read {MODEL_NAME}: {exc}", folder) from None
        self._word_pieces: dict[str, tuple[int, ...]] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's vector: its word pieces' mean, scaled to length 1 (zero for no pieces);
        a text's vector is the same alone or among others."""
        import numpy as np

        out = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        chunk: list[tuple[int, list[int]]] = []  # (row, its pieces), up to TAKE_PIECES pieces
        size = 0
        for row, text in enumerate(texts):
            found = self.pieces(text)
            if found:
                chunk.append((row, found))
                size += len(found)
            if size >= TAKE_PIECES:
                self._sum_into(out, chunk)
                chunk, size = [], 0
        self._sum_into(out, chunk)
        out /= np.maximum(np.sqrt(np.einsum("ij,ij->i", out, out)), 1e-12)[:, None]
        return out

    def _sum_into(self, out: np.ndarray, chunk: list[tuple[int, list[int]]]) -> None:
        """Each text's pieces' vectors summed into its row: one take for the chunk (a take a
        text costs 3x as much for a batch of leads), then a sum a text (the same sum alone)."""
        import numpy as np

        if not chunk:
            return
        every = np.fromiter(chain.from_iterable(found for _, found in chunk), dtype=np.intp)
        vectors = np.take(self._table, every, axis=0)
        start, add = 0, np.add.reduce  # (`sum` without its wrapper, a tenth of a vector's cost)
        for row, found in chunk:  # the sum points where the mean does; its length goes next
            add(vectors[start : start + len(found)], axis=0, out=out[row])
            start += len(found)

    def pieces(self, text: str) -> list[int]:
        """The text's word pieces, word by word (each word's pieces tokenized once, then kept).

        Word by word, a word's pieces never depend on its neighbours, so they can
        be kept: the tokenizer costs about 95 us for a lead, the kept pieces 10.
        A lead of up to READ_AT_ONCE characters is split in one pass; a longer
        one (a lead may be a whole book) is read word by word until MAX_PIECES.
        """
        if len(text) > READ_AT_ONCE:
            return self._pieces_until_full(text)
        kept, pieces_of = self._word_pieces, self._word_pieces_of
        each = [kept.get(word) or pieces_of(word) for word in _WORD_OR_MARK.findall(text)]
        return list(chain.from_iterable(each))[:MAX_PIECES]

    def _pieces_until_full(self, text: str) -> list[int]:
        found: list[int] = []
        for match in _WORD_OR_MARK.finditer(text):
            found.extend(self._word_pieces_of(match.group()))
            if len(found) >= MAX_PIECES:
                return found[:MAX_PIECES]
        return found

    def _word_pieces_of(self, word: str) -> tuple[int, ...]:
        """A word's pieces: kept, or tokenized now and kept (all forgotten when WORDS_KEPT)."""
        kept = self._word_pieces
        pieces = kept.get(word)
        if pieces is None:
            pieces = tuple(self._tokenizer.encode(word, add_special_tokens=False).ids)
            if len(kept) >= WORDS_KEPT:
                kept.clear()
            kept[word] = pieces
        return pieces


def read_vectors(path: Path) -> np.ndarray:
    """The one float16 matrix of a safetensors file, widened to float32 a slice at a time.

    Read whole and then widened, both copies and the file's bytes were held at once (48 MB
    more at the peak, not 32). The format: 8 bytes of header length, a JSON header naming
    each tensor's dtype, shape and byte range, then the data.
    """
    import numpy as np

    with path.open("rb") as file:
        size = int.from_bytes(file.read(8), "little")
        if size > MAX_HEADER:
            raise ValueError(f"a header of {size:,} bytes")
        header = json.loads(file.read(size))
        (entry,) = [value for key, value in header.items() if key != "__metadata__"]
        rows, columns = entry["shape"]
        begin, end = entry["data_offsets"]
        if not (entry["dtype"] == "F16" and _counts(rows, columns) and begin == 0):
            raise ValueError(f"not one float16 matrix: {entry['dtype']} {entry['shape']}")
        if end != rows * columns * 2:
            raise ValueError(f"{end:,} bytes for {rows:,} x {columns:,} float16 values")
        if (found := path.stat().st_size) != 8 + size + end:
            raise ValueError(f"cut short or padded: {found:,} bytes, {8 + size + end:,} said")
        file.seek(8 + size)
        table = np.empty((rows, columns), dtype=np.float32)
        for row in range(0, rows, READ_ROWS):
            count = min(READ_ROWS, rows - row) * columns
            piece = np.fromfile(file, dtype="<f2", count=count)
            if piece.size != count:
                raise ValueError(f"cut short at row {row:,} of {rows:,}")
            table[row : row + count // columns] = piece.reshape(-1, columns)
    return table


def _counts(*numbers: object) -> bool:
    """Whether each is a whole number above 0 (not a bool, a float or a string)."""
    return all(type(number) is int and number > 0 for number in numbers)


def _package_folder() -> Path:
    """Where the `wordllama` package is installed, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise SemanticUnavailable("the 'wordllama' package is not installed (pip install desk)")
    return Path(next(iter(spec.submodule_search_locations)))


class KeptVectors:
    """An encoder that keeps every vector it has made, by the text's digest.

    `desk test` runs on every save: the examples and the labelled file's leads
    are the same texts each time, so it hands in the vectors an earlier run
    kept (`read`, called when a vector is first asked for; see
    desk/cli/kept_vectors.py) and the model is not even loaded unless a text
    is new. `known` maps a text's digest (`text_key`) to its vector; `added`
    counts the vectors made here.
    """

    def __init__(
        self,
        read: Callable[[], dict[bytes, Any]] | None = None,
        make: Callable[[], Encoder] | None = None,
    ) -> None:
        self.known: dict[bytes, Any] = {}
        self.added = 0
        self.model = MODEL_NAME if make is None else ""
        """The model whose vectors these are (when not told, the shipped one's)."""
        self._read = read
        self._make = make or default_encoder
        self._encoder: Encoder | None = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors: kept ones as they were, the rest made by the model now."""
        import numpy as np

        if self._read is not None:
            self.known, self._read = {**self._read(), **self.known}, None
        keys = [text_key(text) for text in texts]
        missing = [i for i, key in enumerate(keys) if key not in self.known]
        if missing:
            self._encoder = self._encoder or self._make()
            made = self._encoder.embed([texts[i] for i in missing])
            for row, i in enumerate(missing):
                self.known[keys[i]] = made[row]
            self.added += len(missing)
        if not keys:
            return np.zeros((0, 256), dtype=np.float32)
        return np.stack([self.known[key] for key in keys])


def text_key(text: str) -> bytes:
    """A text's digest, the key of its kept vector (16 bytes of SHA-256)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


_LOADING = threading.RLock()
"""Held while the model or an index is loaded or built: a poll prepares its matcher in a
thread while a rematch may build its own in another, and both must get the same ones."""


def default_encoder() -> Encoder:
    """The shipped model, loaded once per process (about 0.1 s and 40 MB)."""
    with _LOADING:
        return _shipped_encoder()


@lru_cache(maxsize=1)
def _shipped_encoder() -> Encoder:
    return StaticEncoder()


_SHARED: weakref.WeakKeyDictionary[Any, dict[str, ExampleIndex]] = weakref.WeakKeyDictionary()
"""Example indexes built in this process, per encoder and examples file: every matcher of a
process (a reload, a test) shares them instead of embedding 6,000 examples again."""


def shared_index(examples: Examples, encoder: Encoder) -> ExampleIndex:
    """The examples' index under `encoder`, built once per process, or read from the index
    file beside the examples when it was made from this very file by this very code."""
    with _LOADING:
        built = _SHARED.setdefault(encoder, {})
        index = built.get(examples.digest)
        if index is None:
            made = read_index(examples) if getattr(encoder, "model", None) == MODEL_NAME else None
            index = made or ExampleIndex.build(examples, encoder)
            if len(built) >= SHARED_FILES:  # the oldest goes: an edited file's versions pass by
                built.pop(next(iter(built)))
            built[examples.digest] = index
        return index


def index_path(examples: Examples) -> Path:
    """Where an examples file's index is kept: `examples.jsonl` -> `examples.index.npz`."""
    path = Path(examples.path)
    return path.with_name(f"{path.stem}{INDEX_SUFFIX}")


def read_index(examples: Examples) -> ExampleIndex | None:
    """The index kept beside the examples, if it was made from them by this code and model;
    None otherwise (then the index is built: about 0.5 s for the shipped 6,320 examples)."""
    import numpy as np

    try:
        with np.load(index_path(examples), allow_pickle=False) as kept:
            made_from = kept["made_from"].tobytes().decode()
            vectors, centre, basis = kept["vectors"], kept["centre"], kept["basis"]
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError):
        return None
    if not model_fingerprint() or made_from != f"{examples.digest} {model_fingerprint()}":
        return None
    shapes = (vectors.shape, centre.shape, basis.shape)
    if shapes != (
        (len(examples.texts), DIMENSIONS),
        (basis.shape[0],),
        (centre.shape[0], DIMENSIONS),
    ):
        return None
    return ExampleIndex(vectors, centre, basis)


def index_bytes(examples: Examples, index: ExampleIndex) -> bytes:
    """The index file's content (scripts/build_examples.py writes it beside the examples)."""
    import io

    import numpy as np

    made_from = np.frombuffer(f"{examples.digest} {model_fingerprint()}".encode(), np.uint8)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        made_from=made_from,
        vectors=np.asarray(index.vectors, np.float32),
        centre=np.asarray(index.centre, np.float32),
        basis=np.asarray(index.basis, np.float32),
    )
    return buffer.getvalue()


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """Changes with the model's package version and this module's code (which embeds); ''
    when the code cannot be read (then no kept vector or index is trusted)."""
    return code_fingerprint(MODEL_NAME, ("wordllama", "tokenizers"), (__file__,))


@dataclass(frozen=True)
class Neighbours:
    """The examples nearest to one text: their indexes and similarities, nearest first."""

    order: tuple[int, ...] = ()
    similarity: tuple[float, ...] = ()


def positives_of(examples: Examples) -> dict[str, tuple[bool, ...]]:
    """Per watchlist id, whether each example is about it (graded 2)."""
    ids = {watchlist for grades in examples.grades for watchlist, _ in grades}
    graded = [dict(grades) for grades in examples.grades]
    return {w: tuple(grades.get(w) == 2 for grades in graded) for w in sorted(ids)}


def vote(
    near: Neighbours, positives: Sequence[bool] | None, rule: Semantic, lines: Sequence[int]
) -> Nearest:
    """What the rule's `neighbours` nearest examples say for a watchlist (`positives`: which
    examples are about it, None when the file grades none for it; `lines`: each example's
    line in its file, which names it)."""
    order = near.order[: rule.neighbours]
    nearest = near.similarity[0] if order else 0.0
    agreeing = [place for place, example in enumerate(order) if positives and positives[example]]
    if not agreeing:
        return Nearest(0, 0, 0.0, nearest)
    first = agreeing[0]
    return Nearest(len(agreeing), lines[order[first]], near.similarity[first], nearest)


@dataclass
class ExampleIndex:
    """One examples file's vectors, centred and on their main directions."""

    vectors: Any
    centre: Any
    """The examples' mean vector, taken off every vector before comparing (see `DIMENSIONS`)."""
    basis: Any
    """The examples' main directions (`DIMENSIONS` of them): vectors are compared in their span."""
    shift: Any = None
    """The centre on those directions: what a text's projected vector is moved by."""
    by_dimension: Any = None
    """The vectors transposed, a row a dimension: what a product with texts reads fastest."""
    copies: Any = None
    """The examples whose vector an earlier example has too (a text written twice)..."""
    originals: Any = None
    """...and that earlier example of each: a product of matrices does not always find the two
    exactly as alike (it sums columns in more than one order), so the copy is given the
    original's similarity, and the tie goes to the earlier line, in a batch and alone."""

    def __post_init__(self) -> None:
        import numpy as np

        self.shift = self.centre @ self.basis
        self.by_dimension = np.ascontiguousarray(self.vectors.T)
        _, first, seen_as = np.unique(self.vectors, axis=0, return_index=True, return_inverse=True)
        original = first[seen_as.reshape(-1)]
        self.copies = np.flatnonzero(original != np.arange(len(original)))
        self.originals = original[self.copies]

    @classmethod
    def build(cls, examples: Examples, encoder: Encoder) -> ExampleIndex:
        """Embed every example once (a text written twice gets its first vector, bit for bit)."""
        raw = encoder.embed(list(examples.texts))
        centre = raw.mean(axis=0)
        moved = raw - centre
        basis = _main_directions(moved, DIMENSIONS)
        vectors = _unit(moved @ basis)
        first: dict[str, int] = {}
        for row, text in enumerate(examples.texts):
            if (earlier := first.setdefault(text, row)) != row:
                vectors[row] = vectors[earlier]
        return cls(vectors, centre, basis)

    def neighbours(self, vectors: Any, count: int, floor: float = -1.0) -> list[Neighbours]:
        """Per text's vector (a row), the `count` examples nearest to it, nearest first (ties by
        line); none when even the nearest is less alike than `floor` (no vote can pass: the
        common case).

        All rows at once: one product of matrices, then the few examples near each row's
        nearest picked out and ordered together (see `NEAR_BANDS`), so that a batch of texts
        costs little more than its product.
        """
        import numpy as np

        queries = vectors @ self.basis - self.shift
        queries /= np.maximum(np.sqrt(np.einsum("ij,ij->i", queries, queries)), 1e-9)[:, None]
        similarities = queries @ self.by_dimension
        similarities[:, self.copies] = similarities[:, self.originals]
        count = min(count, similarities.shape[1])
        found = [Neighbours()] * len(vectors)
        if not count:
            return found
        best = similarities.max(axis=1)
        said = np.einsum("ij,ij->i", vectors, vectors) > 0  # no word piece: no direction, no vote
        rows = np.flatnonzero(said & (best >= floor - 1e-9))
        for band in NEAR_BANDS:
            if len(rows) > 1:  # (for one row, picking costs more than looking at every example)
                rows = self._pick(similarities, best, rows, band, count, found)
        for row in rows.tolist():  # even the widest band held too few: look at every example
            found[row] = self._nearest(similarities[row], count)
        return found

    @staticmethod
    def _pick(
        similarities: Any, best: Any, rows: Any, band: float, count: int, found: list[Neighbours]
    ) -> Any:
        """Into `found`, each row's `count` nearest among the examples within `band` of its
        nearest (all of its nearest are there when the band holds `count`); the rows whose band
        held fewer, left to a wider one."""
        import numpy as np

        width = similarities.shape[1]
        near = np.flatnonzero(similarities[rows] >= (best[rows] - band)[:, None])
        within, example = np.divmod(near, width)  # row by row, examples in their order
        alike = similarities[rows[within], example]
        order = np.lexsort((example, -alike, within))  # per row: most alike first, then by line
        starts = np.searchsorted(within[order], np.arange(len(rows) + 1))
        enough = np.diff(starts) >= count
        picked, values = example[order].tolist(), alike[order].tolist()
        for row, start in zip(rows[enough].tolist(), starts[:-1][enough].tolist(), strict=True):
            top = slice(start, start + count)
            found[row] = Neighbours(tuple(picked[top]), tuple(values[top]))
        return rows[~enough]

    @staticmethod
    def _nearest(similarities: Any, count: int) -> Neighbours:
        """The `count` highest similarities of one row, highest first, ties by line (as
        `_pick`: every example as alike as the `count`th is a candidate, not just some)."""
        import numpy as np

        kth = similarities[np.argpartition(similarities, len(similarities) - count)[-count:]].min()
        near = np.flatnonzero(similarities >= kth)
        top = near[np.lexsort((near, -similarities[near]))][:count]
        return Neighbours(tuple(top.tolist()), tuple(similarities[top].tolist()))


def _main_directions(moved: Any, count: int) -> Any:
    """The `count` directions along which centred vectors vary most (a principal component
    analysis, from their 256 x 256 scatter: 5 ms where a full SVD takes 150)."""
    import numpy as np

    values, directions = np.linalg.eigh(moved.T @ moved)
    order = np.argsort(values)[::-1][:count]
    return np.ascontiguousarray(directions[:, order], dtype=np.float32)


def _unit(vectors: Any) -> Any:
    """Rows scaled to length 1 (a zero row stays zero)."""
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)
