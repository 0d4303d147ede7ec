"""Where desk keeps its state: the Store protocol and its two implementations.

`TinyStore` keeps each kind of record in its own TinyDB file in the data dir
(alerts, seen items, feed health), so that acknowledging an alert rewrites the
alerts file only. Article bodies go to one segment file per poll cycle
(`articles/*.jsonl`, one fsync for the whole batch); each seen item records
where its body is, and a body is read only when shown. Every write is atomic: a temp file in the same folder, fsync,
os.replace, fsync of the folder; a kill at any moment leaves the last good
state. One desk process owns a data dir at a time (a lock file). A file that
cannot be read at start is moved aside and its backup restored, and the user
is told. `MemoryStore` is the same contract in memory, for tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from desk.core.errors import StoreError, StoreLocked
from desk.core.models import Alert, Article, FeedState, SeenItem, short_hash
from desk.core.serial import (
    alert_from_dict,
    alert_to_dict,
    article_from_dict,
    article_to_dict,
    feed_state_from_dict,
    feed_state_to_dict,
    seen_from_dict,
    seen_to_dict,
)

LOCK_FILE = "desk.lock"


class Store(Protocol):
    """What the pipeline and the UI need from storage."""

    def seen(self, keys: Iterable[str]) -> dict[str, SeenItem]:
        """The seen-item records among `keys`."""
        ...

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's health, by URL."""
        ...

    def alerts(self) -> list[Alert]:
        """Every alert, newest first."""
        ...

    def get_alert(self, alert_id: str) -> Alert | None:
        """One alert by id."""
        ...

    def get_article(self, key: str) -> Article | None:
        """An article body, loaded on demand."""
        ...

    def commit_cycle(
        self,
        seen: Iterable[SeenItem],
        articles: dict[str, Article],
        alerts: Iterable[Alert],
        feeds: Iterable[FeedState],
    ) -> None:
        """Write everything one poll cycle produced, as few writes as possible."""
        ...

    def update_alert(self, alert: Alert) -> None:
        """Replace one alert; durable when this returns."""
        ...

    def close(self) -> None:
        """Release files and the lock."""
        ...

    def site_lines(self) -> dict[str, Any]:
        """What desk has learned of each site's recurring lines (see desk.core.sitejunk)."""
        ...

    def save_site_lines(self, data: dict[str, Any]) -> None:
        """Keep the learned site lines; durable when this returns."""
        ...


def _newest_first(alerts: Iterable[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: (a.created, a.published or a.created), reverse=True)


class MemoryStore:
    """The Store contract in memory, for tests and one-shot runs."""

    def __init__(self) -> None:
        self._seen: dict[str, SeenItem] = {}
        self._feeds: dict[str, FeedState] = {}
        self._alerts: dict[str, Alert] = {}
        self._articles: dict[str, Article] = {}

    def seen(self, keys: Iterable[str]) -> dict[str, SeenItem]:
        """The seen-item records among `keys`."""
        return {k: self._seen[k] for k in keys if k in self._seen}

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's health, by URL."""
        return dict(self._feeds)

    def alerts(self) -> list[Alert]:
        """Every alert, newest first."""
        return _newest_first(self._alerts.values())

    def get_alert(self, alert_id: str) -> Alert | None:
        """One alert by id."""
        return self._alerts.get(alert_id)

    def get_article(self, key: str) -> Article | None:
        """An article body."""
        return self._articles.get(key)

    def commit_cycle(
        self,
        seen: Iterable[SeenItem],
        articles: dict[str, Article],
        alerts: Iterable[Alert],
        feeds: Iterable[FeedState],
    ) -> None:
        """Keep everything one poll cycle produced."""
        self._seen.update((s.key, s) for s in seen)
        self._articles.update(articles)
        self._alerts.update((a.id, a) for a in alerts)
        self._feeds.update((f.url, f) for f in feeds)

    def update_alert(self, alert: Alert) -> None:
        """Replace one alert."""
        self._alerts[alert.id] = alert

    def close(self) -> None:
        """Nothing to release."""

    def site_lines(self) -> dict[str, Any]:
        """What desk has learned of each site's recurring lines."""
        saved: dict[str, Any] = json.loads(getattr(self, "_site_lines", "{}"))
        return saved

    def save_site_lines(self, data: dict[str, Any]) -> None:
        """Keep the learned site lines."""
        self._site_lines = json.dumps(data)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old or the new file."""
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class AtomicJSONStorage(Storage):
    """TinyDB storage that writes atomically and serves reads from memory.

    The data dir lock makes this process the only writer, so the file's
    content is always what was last written here.
    """

    def __init__(self, path: str, recovered: list[str], read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._data = _read_only_json(self.path) if read_only else _open_json(self.path, recovered)

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The whole database, from memory."""
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Write the whole database atomically."""
        if self.read_only:
            raise StoreError("the store is open read-only (another desk holds it)", self.path)
        atomic_write(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        self._data = data

    def close(self) -> None:
        """Nothing is held open between writes."""


def _open_json(path: Path, recovered: list[str]) -> dict[str, Any] | None:
    """Read a store file; move a corrupt one aside and fall back to its backup."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        os.replace(path, aside)
        backup = _backup_path(path)
        message = f"{path} was unreadable ({exc}); moved to {aside.name}"
        if backup.exists():
            shutil.copyfile(backup, path)
            recovered.append(f"{message} and restored the backup from {_mtime(backup)}")
            return _open_json(path, recovered)
        recovered.append(f"{message}; no backup existed, so it starts empty")
        return None
    shutil.copyfile(path, _backup_path(path))
    return data


def _read_only_json(path: Path) -> dict[str, Any] | None:
    """Read a store file without repairing anything; unreadable reads as empty."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")


def _acquire_lock(data_dir: Path) -> int:
    """Take the data dir's lock or raise StoreLocked naming the holder."""
    path = data_dir / LOCK_FILE
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(handle, 64).decode(errors="replace").strip() or "another process"
        os.close(handle)
        raise StoreLocked(
            f"the data dir is in use by desk process {holder}; "
            "close that desk or use --data to pick another dir",
            data_dir,
        ) from None
    os.ftruncate(handle, 0)
    os.write(handle, str(os.getpid()).encode())
    return handle


class TinyStore:
    """The crash-safe on-disk store: TinyDB files plus one file per article body."""

    def __init__(self, data_dir: Path, read_only: bool = False) -> None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            (data_dir / "articles").mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data dir: {exc.strerror}", data_dir) from None
        self.data_dir = data_dir
        self.read_only = read_only
        self._lock = None if read_only else _acquire_lock(data_dir)
        self.recovered: list[str] = []
        self._alerts = self._db("alerts.json")
        self._items = self._db("items.json")
        self._feeds = self._db("feeds.json")
        self._alert_ids = {doc["id"]: doc.doc_id for doc in self._alerts.all()}

    def _db(self, name: str) -> TinyDB:
        return TinyDB(
            str(self.data_dir / name),
            storage=AtomicJSONStorage,
            recovered=self.recovered,
            read_only=self.read_only,
        )

    def seen(self, keys: Iterable[str]) -> dict[str, SeenItem]:
        """The seen-item records among `keys`."""
        table = self._items.table("_default")
        found = {}
        for key in keys:
            doc = table.get(doc_id=_doc_id(key))
            if isinstance(doc, Document):
                found[key] = seen_from_dict(dict(doc))
        return found

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's health, by URL."""
        return {doc["url"]: feed_state_from_dict(dict(doc)) for doc in self._feeds.all()}

    def alerts(self) -> list[Alert]:
        """Every alert, newest first."""
        return _newest_first(alert_from_dict(dict(doc)) for doc in self._alerts.all())

    def get_alert(self, alert_id: str) -> Alert | None:
        """One alert by id."""
        doc_id = self._alert_ids.get(alert_id)
        doc = self._alerts.get(doc_id=doc_id) if doc_id is not None else None
        return alert_from_dict(dict(doc)) if isinstance(doc, Document) else None

    def get_article(self, key: str) -> Article | None:
        """An article body, read from its cycle's segment file."""
        doc = self._items.table("_default").get(doc_id=_doc_id(key))
        pointer = doc.get("body") if isinstance(doc, Document) else None
        if not pointer:
            return None
        segment, offset, length = pointer
        try:
            with open(self.data_dir / "articles" / segment, "rb") as handle:
                handle.seek(offset)
                return article_from_dict(json.loads(handle.read(length)))
        except (OSError, ValueError):
            return None

    def commit_cycle(
        self,
        seen: Iterable[SeenItem],
        articles: dict[str, Article],
        alerts: Iterable[Alert],
        feeds: Iterable[FeedState],
    ) -> None:
        """Bodies first (one segment file), then one write per file: items, alerts, feeds."""
        self._check_writable()
        pointers = self._write_segment(articles)
        item_docs = {_doc_id(s.key): seen_to_dict(s) for s in seen}
        for key, pointer in pointers.items():
            item_docs.setdefault(_doc_id(key), {"key": key})["body"] = pointer
        self._upsert(self._items, item_docs)
        alert_docs = {}
        for alert in alerts:
            doc_id = self._alert_ids.setdefault(alert.id, _doc_id(alert.id))
            alert_docs[doc_id] = alert_to_dict(alert)
        self._upsert(self._alerts, alert_docs)
        self._upsert(self._feeds, {_doc_id(f.url): feed_state_to_dict(f) for f in feeds})

    def _write_segment(self, articles: dict[str, Article]) -> dict[str, list[Any]]:
        """All of a cycle's bodies in one new file, one fsync; returns where each one is."""
        if not articles:
            return {}
        name = f"{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.jsonl"
        chunks, pointers, offset = [], {}, 0
        for key, article in articles.items():
            line = json.dumps(article_to_dict(article), ensure_ascii=False).encode("utf-8")
            pointers[key] = [name, offset, len(line)]
            chunks.append(line + b"\n")
            offset += len(line) + 1
        atomic_write(self.data_dir / "articles" / name, b"".join(chunks))
        return pointers

    def update_alert(self, alert: Alert) -> None:
        """Replace one alert; on disk when this returns."""
        self._check_writable()
        doc_id = self._alert_ids.setdefault(alert.id, _doc_id(alert.id))
        self._upsert(self._alerts, {doc_id: alert_to_dict(alert)})

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError("the store is open read-only (another desk holds it)", self.data_dir)

    @staticmethod
    def _upsert(db: TinyDB, docs: dict[int, dict[str, Any]]) -> None:
        if docs:
            _write_docs(db, docs)

    def close(self) -> None:
        """Close the files and release the lock."""
        for db in (self._alerts, self._items, self._feeds):
            db.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def site_lines(self) -> dict[str, Any]:
        """What desk has learned of each site's recurring lines; empty if unreadable."""
        data = _read_only_json(self.data_dir / "site-lines.json")
        return data if data is not None else {}

    def save_site_lines(self, data: dict[str, Any]) -> None:
        """Write the learned site lines to their own small file, atomically."""
        self._check_writable()
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        atomic_write(self.data_dir / "site-lines.json", payload)


def _write_docs(db: TinyDB, docs: dict[int, dict[str, Any]]) -> None:
    """Insert or replace documents by id in one storage write.

    TinyDB's public upsert scans the table and writes once per document; a
    poll cycle's batch must be a single write, hence its table-update hook.
    """
    table = db.table("_default")

    def replace(table_data: dict[Any, Any]) -> None:
        for doc_id, doc in docs.items():
            table_data[doc_id] = doc

    table._update_table(replace)


def _doc_id(key: str) -> int:
    """A stable TinyDB document id for any key."""
    return int(short_hash(key)[:15], 16)


def open_store(data_dir: Path, wait: float = 0.0) -> TinyStore:
    """Open the store, waiting up to `wait` seconds for another desk to let go."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return TinyStore(data_dir)
        except StoreLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)
