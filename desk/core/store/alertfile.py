"""alerts.json laid out so that one alert is read without parsing the rest, and its index.

alerts.json stays TinyDB's JSON (`{"_default": {DOC_ID: {...}, ...}, "format": {...}}`),
but desk writes it from each document's own bytes and remembers where each one
lies. `alerts-index.json` beside it holds, for every alert, that place and the
few fields the alert list selects, orders and draws by (title, times, watchlists,
severity, why it came back, how many sources, hits per watchlist), plus the size
and modification time of the alerts.json it describes: an index that does not describe the alerts.json on disk (a kill
between the two writes, a file restored from its backup, an older desk) is
ignored and built again from alerts.json.

Opening a store of 100,000 alerts then reads the index (a few MB) instead of
parsing 60 MB of alerts and building 100,000 Alert objects.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate, repeat
from pathlib import Path
from typing import Any

import orjson

from desk.core.errors import StoreError
from desk.core.models import (
    AlertRow,
    AlertState,
    Severity,
    hit_counts,
    listing_order,
    short_hash,
)
from desk.core.store.serial import from_iso

INDEX_FILE = "alerts-index.json"
INDEX_VERSION = 7
PLACE_COLUMNS = ("doc_ids", "offsets", "lengths")
ROW_COLUMNS = (
    "ids",
    "titles",
    "shown",
    "raised",
    "watchlists",
    "severities",
    "reasons",
    "article_keys",
    "sources",
    "dated",
    "hit_counts",
)
"""What the index keeps of each alert's content (see fields_of), a list per field: a few
long lists parse much faster than 100,000 short ones."""
CODED_COLUMNS = ("watchlists", "severities", "hit_counts")
"""Columns of few distinct values: kept as one code per alert into a table of those values,
and read as the table's values, shared. Read as they were written (a short list per alert,
100,000 of them, each parsed, made a tuple and tracked by the collector) they took a fifth
of opening the store."""
DEFAULT_TABLE = "_default"
PIECE = 5_000
"""Alerts per step where a save builds something of every alert. Each step is one call into
C that holds the GIL; the desk's screen runs in another thread meanwhile, and waits for
at most a step (all 100,000 in one call held it 50-180 ms at a time)."""


Place = tuple[str, int, int]
"""Where one alert's document lies in alerts.json: its TinyDB id, byte offset and length."""
Fields = tuple[Any, ...]
"""One alert's ROW_COLUMNS as stored: id, title, shown and raised times, watchlists, severity,
reason, article key, how many sources, whether it has a published time, hits per watchlist."""


def encode_alerts(docs: dict[str, bytes], tables: dict[str, Any]) -> tuple[bytes, list[int]]:
    """TinyDB's JSON for alerts.json from each document's bytes; and each document's offset.

    The result is what orjson.dumps gives for the same data: the documents
    under `_default` in the order given, then the other `tables`.
    """
    start = b'{"' + DEFAULT_TABLE.encode() + b'":{'
    heads = [_json_key(doc_id) for doc_id in docs]
    entries = [head + raw for head, raw in zip(heads, docs.values(), strict=True)]
    starts = accumulate((len(entry) + 1 for entry in entries), initial=len(start))
    offsets = [place + len(head) for place, head in zip(starts, heads, strict=False)]
    rest = b"".join(b"," + _json_key(name) + orjson.dumps(table) for name, table in tables.items())
    # joins, not +: a large join copies with the GIL released
    return b"".join((start, b",".join(entries), b"}", rest, b"}")), offsets


def _json_key(key: str) -> bytes:
    """`"key":` as JSON."""
    return (b'"' + key.encode() + b'":') if key.isdigit() else orjson.dumps(key) + b":"


def split_alerts(data: dict[str, Any]) -> tuple[dict[str, bytes], dict[str, Any]]:
    """A parsed alerts.json as each document's bytes, and its other tables."""
    docs = data.get(DEFAULT_TABLE) or {}
    raw = {str(doc_id): orjson.dumps(doc) for doc_id, doc in docs.items()}
    return raw, {name: table for name, table in data.items() if name != DEFAULT_TABLE}


def doc_id_of(key: str) -> int:
    """A stable TinyDB document id for any key."""
    return int(short_hash(key)[:15], 16)


def file_stamp(path: Path) -> list[int]:
    """[size, mtime in ns, inode] of a file: what tells the alerts.json an index describes.

    Every write replaces the file with a new one (a new inode), so a stamp
    that matches is the file the index was written for.
    """
    status = os.stat(path)
    return [status.st_size, status.st_mtime_ns, status.st_ino]


def fields_of(doc: dict[str, Any]) -> Fields:
    """ROW_COLUMNS of an alert's stored document (its order as two POSIX times)."""
    created = from_iso(doc.get("created")) or EPOCH
    shown, raised = listing_order(from_iso(doc.get("published")), created)
    return (
        doc.get("id"),
        doc.get("title"),
        shown,
        raised,
        doc.get("watchlists"),
        doc.get("severity"),
        doc.get("reason"),
        doc.get("article_key"),
        len(doc.get("sources") or ()),
        doc.get("published") is not None,
        hit_counts(
            doc.get("watchlists") or (), (hit.get("watchlist") for hit in doc.get("hits") or ())
        ),
    )


def encode_index(
    stamp: list[int], tables: dict[str, Any], places: dict[str, Place], fields: dict[str, Fields]
) -> bytes:
    """The index file's bytes: a list per column, alerts in the same order in each.

    Built PIECE alerts at a time and dumped a column at a time (see PIECE).
    """
    columns: dict[str, list[Any]] = {name: [] for name in (*PLACE_COLUMNS, *ROW_COLUMNS)}
    ids = list(places)
    for first in range(0, len(ids), PIECE):
        rows = [(*places[alert_id], *fields[alert_id]) for alert_id in ids[first : first + PIECE]]
        for column, values in zip(columns.values(), zip(*rows, strict=True), strict=True):
            column.extend(values)
    shared = {}
    for name in CODED_COLUMNS:
        shared[name], columns[name] = _coded(columns[name])
    head = orjson.dumps(
        {"version": INDEX_VERSION, "stamp": stamp, "tables": tables, "shared": shared}
    )
    parts = [
        b"," + orjson.dumps(name) + b":" + orjson.dumps(column) for name, column in columns.items()
    ]
    return b"".join((head[:-1], *parts, b"}"))


def _coded(values: list[Any]) -> tuple[list[Any], list[int]]:
    """The distinct values (lists as lists) and, for each value, its place among them."""
    table: dict[Any, int] = {}
    codes = [
        table.setdefault(tuple(value) if isinstance(value, list | tuple) else value, len(table))
        for value in values
    ]
    return [list(value) if isinstance(value, tuple) else value for value in table], codes


def _decoded(table: list[Any], codes: list[int]) -> list[Any]:
    """The values of `codes` (lists read back as tuples, one shared per distinct value)."""
    values = [tuple(value) if isinstance(value, list) else value for value in table]
    if codes and not 0 <= min(codes) <= max(codes) < len(values):  # not ints: a TypeError
        raise ValueError("a code the table lacks")
    return list(map(values.__getitem__, codes))


@dataclass
class AlertIndex:
    """A read index: each alert's place and list fields (by alert id), and alerts.json's other tables."""

    places: dict[str, Place]
    columns: dict[str, list[Any]]
    """ROW_COLUMNS, each a list in the order of `places`."""
    tables: dict[str, Any]


def read_index(folder: Path) -> AlertIndex | None:
    """The index, if it describes the alerts.json now in `folder`; else None (build it again)."""
    try:
        data = orjson.loads((folder / INDEX_FILE).read_bytes())
        if data.get("version") != INDEX_VERSION or data.get("stamp") != file_stamp(
            folder / "alerts.json"
        ):
            return None
        ids = data["ids"]
        if any(len(data[name]) != len(ids) for name in (*PLACE_COLUMNS, *ROW_COLUMNS)):
            return None
        places = dict(zip(ids, zip(*(data[n] for n in PLACE_COLUMNS), strict=True), strict=True))
        columns = {name: data[name] for name in ROW_COLUMNS}
        for name in CODED_COLUMNS:
            columns[name] = _decoded(data["shared"][name], columns[name])
        return AlertIndex(places, columns, data.get("tables") or {})
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


class _Lookup(dict[str, Any]):
    """A dict that gives its default for a key it lacks (for map(lookup.__getitem__, ...))."""

    def __init__(self, entries: dict[str, Any], default: Any) -> None:
        super().__init__(entries)
        self.default = default

    def __missing__(self, key: str) -> Any:
        return self.default


SEVERITIES = _Lookup({severity.value: severity for severity in Severity}, Severity.MEDIUM)
STATES = _Lookup({state.value: state for state in AlertState}, AlertState.NEW)


NO_STATE: dict[str, Any] = {}
"""The state document of an alert that has none (new)."""


def rows_of(
    columns: dict[str, list[Any]], states: dict[str, dict[str, Any]]
) -> dict[str, AlertRow]:
    """Every alert's list row, by id, from the index's columns and the alerts' state documents.

    Column by column (map and zip, no Python frame per alert): 100,000 rows in a few tens of
    milliseconds.
    """
    ids = columns["ids"]
    docs = list(map(states.get, ids, repeat(NO_STATE)))
    wakes = map(dict.get, docs, repeat("snoozed_until"))
    made = map(
        tuple.__new__,  # AlertRow._make without its Python frame per row
        repeat(AlertRow),
        zip(
            ids,
            [title or "" for title in columns["titles"]],
            zip(columns["shown"], columns["raised"], strict=True),
            [tuple(names or ()) for names in columns["watchlists"]],
            map(SEVERITIES.__getitem__, columns["severities"]),
            map(STATES.__getitem__, map(dict.get, docs, repeat("state"), repeat(""))),
            [reason or "" for reason in columns["reasons"]],
            [key or "" for key in columns["article_keys"]],
            columns["sources"],
            columns["dated"],
            [from_iso(wake) if wake else None for wake in wakes],
            map(tuple, columns["hit_counts"]),
            strict=True,
        ),
    )
    return dict(zip(ids, made, strict=True))


EPOCH = from_iso("1970-01-01T00:00:00+00:00") or datetime.fromtimestamp(0).astimezone()

Loader = Callable[[Path], dict[str, Any] | None]
"""Reads a store file, repairing it from its backup if it is damaged (the store's _open_json)."""
Writer = Callable[[Path, bytes], None]
"""Replaces a file atomically (the store's atomic_write)."""


class AlertFile:
    """alerts.json and its index: every alert's stored content by id, each parsed only when asked for."""

    def __init__(
        self, path: Path, load: Loader, write: Writer | None, write_index: Writer | None = None
    ) -> None:
        self.path = path
        self._load = load
        self._write = write
        """None when the store is open read-only."""
        self._write_index_file = write_index or write
        """The index can be written without fsync: it is checked against alerts.json when read."""
        self.places: dict[str, Place] = {}
        self._fields: dict[str, Fields] | None = {}
        self._columns: dict[str, list[Any]] | None = None
        """The index's ROW_COLUMNS as read, until a write needs `fields`."""
        self.tables: dict[str, Any] = {}
        self._bytes: bytes | mmap.mmap = b""
        self._raw: dict[str, bytes] | None = None
        """Each document's bytes by TinyDB id, once a write or a repair needed them all."""
        self._owners: dict[str, str] = {}
        """TinyDB id -> alert id, in the order of _raw."""
        self._lock = threading.RLock()
        """A read slices the file at its place: held while a read slices, and while a save or a
        repair puts the new file's places in, never while it encodes and writes (a second)."""
        self._save_lock = threading.RLock()
        """One save or repair at a time; only they change the places."""
        index = read_index(path.parent)
        if index is None:
            self.load_everything()
        else:
            self.places, self.tables = index.places, index.tables
            self._columns, self._fields = index.columns, None
            self._bytes = _mapped(path)

    @property
    def fields(self) -> dict[str, Fields]:
        """Alert id -> ROW_COLUMNS as stored, for every alert."""
        if self._fields is None:
            columns = self._columns or {name: [] for name in ROW_COLUMNS}
            ids, made = columns["ids"], dict[str, Fields]()
            for first in range(0, len(ids), PIECE):  # see PIECE
                every = (columns[name][first : first + PIECE] for name in ROW_COLUMNS)
                made.update(zip(ids[first : first + PIECE], zip(*every, strict=True), strict=True))
            self._fields = made
        return self._fields

    def columns(self) -> dict[str, list[Any]]:
        """ROW_COLUMNS for every alert, each a list (in one order)."""
        if self._fields is None and self._columns is not None:
            return self._columns
        rows = list(self.fields.values())
        if not rows:
            return {name: [] for name in ROW_COLUMNS}
        every = zip(*rows, strict=True)
        return {name: list(column) for name, column in zip(ROW_COLUMNS, every, strict=True)}

    @property
    def indexed(self) -> bool:
        """Whether the file was opened from its index (else it was parsed whole)."""
        return self._raw is None

    def load_everything(self) -> None:
        """Parse alerts.json whole (repairing it from its backup if needed) and index it again."""
        with self._save_lock:
            data = self._load(self.path)
            raw, tables = split_alerts(data or {})
            docs = (data or {}).get(DEFAULT_TABLE) or {}
            owners = {str(doc_id): doc["id"] for doc_id, doc in docs.items()}
            fields = {doc["id"]: fields_of(doc) for doc in docs.values()}
            encoded, offsets = encode_alerts(raw, tables)
            self._put(raw, owners, fields, encoded, tables, _places(owners, raw, offsets))
            if data is not None and self._write is not None:
                if encoded != self.path.read_bytes():
                    self._write(self.path, encoded)
                self._write_index()

    def _put(
        self,
        raw: dict[str, bytes],
        owners: dict[str, str],
        fields: dict[str, Fields],
        encoded: bytes,
        tables: dict[str, Any],
        places: dict[str, Place],
    ) -> None:
        """Take the file just written (or read) as the one reads slice."""
        with self._lock:
            self._raw, self._owners, self._fields, self._bytes = raw, owners, fields, encoded
            self.tables, self.places = tables, places

    def document(self, alert_id: str) -> dict[str, Any] | None:
        """One alert's stored content; a damaged file is read again whole (and repaired)."""
        try:
            return self._document(alert_id)
        except ValueError:
            self.load_everything()  # not under the read lock: a save takes the two the other way
            return self._document(alert_id)

    def _document(self, alert_id: str) -> dict[str, Any] | None:
        with self._lock:
            place = self.places.get(alert_id)
            return None if place is None else _parse(self._raw_of(place))

    def _raw_of(self, place: Place) -> bytes:
        doc_id, offset, length = place
        if self._raw is not None:
            return self._raw[doc_id]
        return bytes(self._bytes[offset : offset + length])

    def save(self, docs: dict[str, dict[str, Any]], tables: dict[str, Any] | None = None) -> None:
        """Write these alerts' content (new or replaced) with the rest; nothing changes on failure.

        Safe from a worker thread: reads go on meanwhile (from the file as it was) and see
        the new one once it is on disk; a second save waits for this one.
        """
        with self._save_lock:
            self._save(docs, tables)

    def _save(self, docs: dict[str, dict[str, Any]], tables: dict[str, Any] | None) -> None:
        if self._write is None:
            raise StoreError("the store is open read-only (another desk holds it)", self.path)
        if self._raw is None:
            raw = {place[0]: self._raw_of(place) for place in self.places.values()}
            owners = {place[0]: alert_id for alert_id, place in self.places.items()}
        else:
            raw, owners = dict(self._raw), dict(self._owners)
        fields = dict(self.fields)
        for alert_id, doc in docs.items():
            place = self.places.get(alert_id)
            doc_id = place[0] if place else str(doc_id_of(alert_id))
            raw[doc_id], owners[doc_id] = orjson.dumps(doc), alert_id
            fields[alert_id] = fields_of(doc)
        tables = self.tables if tables is None else tables
        encoded, offsets = encode_alerts(raw, tables)
        self._write(self.path, encoded)
        self._put(raw, owners, fields, encoded, tables, _places(owners, raw, offsets))
        self._write_index()

    def _write_index(self) -> None:
        """The index of the alerts.json just written; if it cannot be written, the next open rebuilds it."""
        if self._write_index_file is None:
            return
        with contextlib.suppress(StoreError, OSError):
            data = encode_index(file_stamp(self.path), self.tables, self.places, self.fields)
            self._write_index_file(self.path.with_name(INDEX_FILE), data)


def _places(owners: dict[str, str], raw: dict[str, bytes], offsets: list[int]) -> dict[str, Place]:
    """Alert id -> place, from the documents (in file order) and their offsets."""
    ids, doc_ids, lengths = list(owners.values()), list(raw), list(map(len, raw.values()))
    places: dict[str, Place] = {}
    for first in range(0, len(ids), PIECE):  # see PIECE
        step = slice(first, first + PIECE)
        made = zip(doc_ids[step], offsets[step], lengths[step], strict=True)
        places.update(zip(ids[step], made, strict=True))
    return places


def _parse(raw: bytes) -> dict[str, Any]:
    doc = orjson.loads(raw)
    if not isinstance(doc, dict):
        raise ValueError("not an alert")
    return doc


def _mapped(path: Path) -> bytes | mmap.mmap:
    """The file's bytes, mapped rather than read: only the alerts shown are ever touched."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
