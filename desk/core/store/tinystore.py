"""The crash-safe on-disk store: TinyDB files laid out so that every write stays small.

Layout of the data dir:

    desk.lock            one desk owns the dir (holds its process id)
    alerts.json          alerts as raised: title, sources, watchlists, hits (rewritten per cycle);
                         its `format` table says the text in it is safe (see _made_safe)
    states.json          each alert's workflow state (rewritten per acknowledgement: small)
    feeds.json           feed health and HTTP validators
    items/DATE.json      seen items by the day they were first seen (only today's is rewritten)
    items/kept.json      seen items that raised an alert, kept when their day expires
    articles/*.jsonl     article bodies, one segment per poll cycle (one fsync), read on demand
    site-lines.json      what desk learned of each site's recurring junk lines
    reports.json         the outbox: alerts not yet reported to `desk poll` (and where a
                         report was last being written, to finish it exactly once); an
                         alert acknowledged or archived leaves it unreported
    outbox-NAME.json     a delivery channel's record (notify, webhook): what it sent, what
                         was in flight when desk last stopped (see desk.core.notify)

Every write is atomic: a temp file in the same folder, fsync, os.replace, fsync
of the folder; a kill at any moment leaves the last good state. A poll commits from
a worker thread while the desk's screen reads and acknowledges: writes take the
store's locks (see TinyStore.__init__), and alerts.json's rewrite holds none
that an acknowledgement or a read waits for. A file that
cannot be read at start is moved aside as NAME.corrupt-TIMESTAMP and its
backup (taken at the last clean start) restored, and the user is told.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from desk.core.decide import newest_first
from desk.core.errors import StoreError, StoreLocked, plural
from desk.core.models import (
    HANDLED_STATES,
    Alert,
    AlertRow,
    Article,
    FeedState,
    SeenItem,
    alert_row,
)
from desk.core.store.alertfile import AlertFile, doc_id_of, rows_of
from desk.core.store.contract import holds
from desk.core.store.serial import (
    STATE_FIELDS,
    alert_from_dict,
    alert_to_dict,
    article_from_dict,
    article_to_dict,
    content_key,
    feed_state_from_dict,
    feed_state_to_dict,
    safe_alert,
    seen_from_dict,
    seen_to_dict,
    state_to_dict,
)

LOCK_FILE = "desk.lock"
KEPT_SHARD = "kept"
REPORTS_FILE = "reports.json"
"""The outbox: alerts raised or grown not yet reported to a headless consumer."""
FORMAT_TABLE = "format"
"""A table of alerts.json that says what its documents have been through."""
TEXT_SAFE = {"text": "safetext-1"}
"""The alerts were written (or rewritten) through desk.core.safetext."""
SAFE_FORMAT = {"1": TEXT_SAFE}
"""The format table as TinyDB keeps it (document 1)."""
NO_STATE_FIELDS = {"acknowledged_at": None, "note": "", "snoozed_until": None}
"""What a state document leaves out (see _state_doc)."""


TEMP_PREFIX = "."
"""Temp files are hidden: `.alerts.json.tmp-PID`."""
WRITE_CHUNK = 1 << 20
"""Bytes per write() call: one 24 MB write took 60 ms here, 1 MB pieces 11 ms in all."""


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` so that a crash leaves the old or the new file.

    A write that fails (a full disk, a read-only folder) removes its temp
    file, leaves the old file as it was, and raises a StoreError saying
    what to do. `durable=False` skips the fsyncs, for a file that can be
    rebuilt and is checked when read (the alert index): after a power cut it
    may be old or unreadable, never taken for right.
    """
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.tmp-{os.getpid()}")
    try:
        with open(temp, "wb") as handle:
            view = memoryview(data)
            for start in range(0, len(view), WRITE_CHUNK):
                handle.write(view[start : start + WRITE_CHUNK])
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temp, path)
        if durable:
            _sync_folder(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise StoreError(disk_trouble(exc, path.parent), path) from None


def _sync_folder(folder: Path) -> None:
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def disk_trouble(exc: OSError, folder: Path) -> str:
    """A failed write in words an analyst can act on; the last good store is always kept."""
    kept = "nothing was lost: the store is as it was before this write"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"the disk is full ({exc.strerror}); {kept}; free space for {folder} and run again"
    if exc.errno == errno.EROFS:
        return f"{folder} is on a read-only file system; {kept}; use --data to pick another folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"desk may not write in {folder}; {kept}; check its permissions or use --data"
    return f"cannot write ({exc.strerror or exc}); {kept}"


def remove_unfinished_writes(data_dir: Path) -> int:
    """Delete temp files that killed runs left behind (the lock says none is in use now)."""
    removed = 0
    for folder in (data_dir, data_dir / "articles", data_dir / "items"):
        for temp in folder.glob(f"{TEMP_PREFIX}*.tmp-*"):
            with contextlib.suppress(OSError):
                temp.unlink()
                removed += 1
    return removed


class AtomicJSONStorage(Storage):
    """TinyDB storage that writes atomically and serves reads from memory.

    The data dir lock makes this process the only writer, so the file's
    content is always what was last written here.
    """

    def __init__(self, path: str, recovered: list[str], read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        reader = _look_at_json if read_only else _open_json
        self._data = reader(self.path, recovered)

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The whole database, from memory: a new top-level dict each time.

        TinyDB puts an updated table into the dict it read and then writes it;
        on a copy, a write that fails (a full disk) leaves memory as it was.
        """
        return None if self._data is None else dict(self._data)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Write the whole database atomically."""
        if self.read_only:
            raise StoreError("the store is open read-only (another desk holds it)", self.path)
        atomic_write(self.path, orjson.dumps(data))
        self._data = data

    def close(self) -> None:
        """Nothing is held open between writes."""


def _read_json(path: Path) -> dict[str, Any] | None:
    """A store file's content without repairing anything; None if missing or unreadable."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _look_at_json(path: Path, recovered: list[str]) -> dict[str, Any] | None:
    """A read-only look at a store file: an unreadable one is said, and its backup read instead."""
    data = _read_json(path)
    if data is not None or not path.exists():
        return data
    backup = _backup_path(path)
    restored = _read_json(backup) if backup.exists() else None
    if restored is not None:
        recovered.append(f"{path} is unreadable; showing its backup from {_mtime(backup)}")
    else:
        recovered.append(f"{path} is unreadable and has no readable backup; it reads as empty")
    return restored


def _open_json(path: Path, recovered: list[str]) -> dict[str, Any] | None:
    """Read a store file; move a corrupt one aside and fall back to its backup."""
    if not path.exists():
        return None
    try:
        data = orjson.loads(path.read_bytes())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        return _recover(path, exc, recovered)
    try:
        _take_backup(path)
    except StoreError as exc:  # the file read cleanly; only its spare copy is old
        recovered.append(f"could not refresh {path.name}.bak, the last one stays: {exc.message}")
    return data


def _take_backup(path: Path) -> None:
    """Keep the file as it read cleanly now as NAME.bak (a copy, atomically written).

    A hard link would be free, but anything that writes the file in place
    (an editor, a disk fault) would then damage the backup too. A backup
    taken since the file was last written is that same content: it stays
    (a 60 MB alerts.json is not copied again at each start).
    """
    backup = _backup_path(path)
    with contextlib.suppress(OSError):
        kept, now = backup.stat(), path.stat()
        if kept.st_size == now.st_size and kept.st_mtime_ns > now.st_mtime_ns:
            return
    atomic_write(backup, path.read_bytes())


def _recover(path: Path, error: Exception, recovered: list[str]) -> dict[str, Any] | None:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, aside)
    backup = _backup_path(path)
    message = f"{path} was unreadable ({error}); moved to {aside.name}"
    restored = _read_json(backup) if backup.exists() else None
    if restored is not None:
        shutil.copyfile(backup, path)
        recovered.append(f"{message} and restored the backup from {_mtime(backup)}")
        return restored
    reason = "its backup is unreadable too" if backup.exists() else "no backup existed"
    recovered.append(f"{message}; {reason}, so it starts empty")
    return None


def _backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")


def acquire_lock(data_dir: Path) -> int:
    """Take the data dir's lock or raise StoreLocked naming the holder."""
    try:
        handle = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(disk_trouble(exc, data_dir), data_dir / LOCK_FILE) from None
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


_doc_id = doc_id_of


def _write_docs(db: TinyDB, docs: dict[int, dict[str, Any]], table: str = "_default") -> None:
    """Insert or replace documents by id in one storage write.

    TinyDB's public upsert scans the table and writes once per document; a
    poll cycle's batch must be a single write, hence its table-update hook.
    """
    if not docs:
        return

    def replace(table_data: dict[Any, Any]) -> None:
        table_data.update(docs)

    db.table(table)._update_table(replace)


@contextlib.contextmanager
def built_to_last() -> Iterator[None]:
    """No garbage collection inside, and what was made inside kept out of later collections.

    Building many small objects that all live on (an open store's rows) would otherwise
    set off sweep after sweep over them; and, all still young when the collector came
    back, the first collection after would sweep them all, the next again (at 100k alerts
    a few tens of milliseconds each). So they are frozen (gc.freeze) before it comes back;
    closing the store thaws them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class TinyStore:
    """The on-disk Store: see the module docstring for the layout."""

    def __init__(
        self,
        data_dir: Path,
        read_only: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        try:
            for folder in (data_dir, data_dir / "articles", data_dir / "items"):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(disk_trouble(exc, data_dir), data_dir) from None
        self.data_dir = data_dir
        self.read_only = read_only
        self.now = now
        self._lock = None if read_only else acquire_lock(data_dir)
        self.recovered: list[str] = []
        if not read_only and (removed := remove_unfinished_writes(data_dir)):
            self.recovered.append(
                f"removed {plural(removed, 'unfinished write')} a killed desk left"
            )
        self._loaded_shards: dict[str, TinyDB] = {}
        self._unread_shards: list[str] | None = None
        """Item shards not read yet, in ascending order: the last ranks highest (see _read_shard)."""
        self._shard_lock = threading.RLock()  # the article pane and a worker may both read shards
        self._content_lock = threading.RLock()
        """One write of alerts' content at a time (a poll's cycle, a rematch): alerts.json,
        with its outbox entries and states. Held for a second at 100k alerts."""
        self._write_lock = threading.RLock()
        """One write at a time of the small files: states, outbox, items, feeds. Never held
        while alerts.json is written, so an acknowledgement waits for no cycle's rewrite."""
        self._damaged_segments: set[str] = set()
        self._index: dict[str, tuple[str, dict[str, Any]]] = {}
        self._outbox: dict[str, Any] | None = None
        self._cache: dict[str, Alert] = {}
        """Full alerts built so far (a page's, the pane's; all of them once someone asked)."""
        self._everything_built = False
        # 100k rows and states: the collector would sweep them again and again
        with built_to_last():
            self._load_tables()
        if self._alert_file.tables.get(FORMAT_TABLE) != SAFE_FORMAT:
            self._made_safe()

    def _load_tables(self) -> None:
        """The states, feeds and alert files read, and every alert's list row built."""
        self._states_db = self._db(self.data_dir / "states.json")
        self._feeds_db = self._db(self.data_dir / "feeds.json")
        self._states = {doc["id"]: doc for doc in _docs(self._states_db)}
        self._alert_file = self._open_alert_file(self.data_dir / "alerts.json")
        self._rows = rows_of(self._alert_file.columns(), self._states)

    def _db(self, path: Path) -> TinyDB:
        return TinyDB(
            str(path), storage=AtomicJSONStorage, recovered=self.recovered, read_only=self.read_only
        )

    @property
    def _shards(self) -> dict[str, TinyDB]:
        """Every item shard by name, all read (the alert list does not need them)."""
        while self._read_next_shard():
            pass
        return self._loaded_shards

    @property
    def _items(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every seen item's record and shard, by key (a later shard's record wins)."""
        _ = self._shards
        return self._index

    def _item(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """One item's record and shard, reading shards only until it is found.

        Shards are read highest ranking first (the kept items, then the newest
        day): an article shown from the newest alerts reads one shard, not 30 MB.
        """
        while (record := self._index.get(key)) is None and self._read_next_shard():
            pass
        return record

    def _unread(self) -> list[str]:
        if self._unread_shards is None:
            self._unread_shards = sorted(p.stem for p in (self.data_dir / "items").glob("*.json"))
        return self._unread_shards

    def _read_next_shard(self) -> bool:
        """Read the unread shard that ranks highest; False when every shard is read."""
        with self._shard_lock:
            unread = self._unread()
            if not unread:
                return False
            self._read_shard(unread[-1])
            return True

    def _read_shard(self, name: str) -> TinyDB:
        """Read one shard into the index: a record from a later shard (by name, `kept` last)
        wins, as when every shard was read in sorted order."""
        with self._shard_lock:
            self._unread().remove(name)
            shard = self._loaded_shards[name] = self._db(self.data_dir / "items" / f"{name}.json")
            for doc in _docs(shard):
                known = self._index.get(doc["key"])
                if known is None or name > known[0]:
                    self._index[doc["key"]] = (name, doc)
            return shard

    def _open_alert_file(self, path: Path) -> AlertFile:
        """alerts.json by its index; its backup refreshed if the file changed since the last one."""
        load = partial(_look_at_json if self.read_only else _open_json, recovered=self.recovered)
        write = None if self.read_only else atomic_write
        alert_file = AlertFile(path, load, write, partial(atomic_write, durable=False))
        if alert_file.indexed and not self.read_only:
            try:
                _take_backup(path)
            except StoreError as exc:
                self.recovered.append(
                    f"could not refresh {path.name}.bak, the last one stays: {exc.message}"
                )
        return alert_file

    def _made_safe(self) -> None:
        """Alerts from a store written before the text boundary, made safe once and for all.

        The safe versions are written back, then alerts.json is marked (a kill
        in between only means doing this again); a read-only open does it in
        memory each time until a desk that owns the store has done it.
        """
        alerts = {alert.id: alert for alert in self.alerts()}
        safe = {key: safe_alert(alert) for key, alert in alerts.items()}
        changed = [alert for key, alert in safe.items() if alert != alerts[key]]
        if self.read_only:
            self._keep(changed)
            return
        try:
            self._write_alerts(changed, report=False)  # made safe, not news
            self._alert_file.save({}, {**self._alert_file.tables, FORMAT_TABLE: SAFE_FORMAT})
        except (OSError, StoreError) as exc:
            self._keep(changed)
            self.recovered.append(
                f"could not mark the alerts as checked ({exc}); next start tries again"
            )

    def _keep(self, alerts: Iterable[Alert], states_only: bool = False) -> None:
        """Hold these versions of alerts in memory (as stored, or as shown when read-only).

        `states_only`: a known alert's row takes the new state and keeps the rest
        (a row made afresh counts hits: 1.4 s for `A` on 100k alerts).
        """
        for alert in alerts:
            self._cache[alert.id] = alert
            known = self._rows.get(alert.id) if states_only else None
            if known is None:
                self._rows[alert.id] = alert_row(alert)
            else:
                self._rows[alert.id] = known._replace(
                    state=alert.state, snoozed_until=alert.snoozed_until, reason=alert.reason
                )

    # -- reading ---------------------------------------------------------------------------

    def seen(self, keys: Iterable[str]) -> dict[str, SeenItem]:
        """The seen-item records among `keys`."""
        found = {}
        for key in keys:
            record = self._items.get(key)
            if record is not None:
                found[key] = seen_from_dict(record[1])
        return found

    def seen_since(self, when: datetime) -> list[SeenItem]:
        """Every seen item first seen at or after `when`, oldest first."""
        since = when.isoformat()
        with self._shard_lock:  # a poll may add items while the desk's warm-up reads them
            every = [doc for _, doc in self._items.values()]
        records = [doc for doc in every if doc.get("first_seen", "") >= since]
        return [seen_from_dict(doc) for doc in sorted(records, key=lambda d: d["first_seen"])]

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's health, by URL."""
        return {doc["url"]: feed_state_from_dict(doc) for doc in _docs(self._feeds_db)}

    def alerts(self) -> list[Alert]:
        """Every alert, newest first: each is built from its document once, then kept."""
        if not self._everything_built:
            for alert_id in list(self._rows):  # a copy: a worker thread may build them all
                self.get_alert(alert_id)
            self._everything_built = True
        return newest_first(list(self._cache.values()))

    def alert_rows(self) -> list[AlertRow]:
        """Every alert's list row, in no particular order: no alert is built for this."""
        return list(self._rows.values())

    def get_alert(self, alert_id: str) -> Alert | None:
        """One alert by id, built from its stored document on first use."""
        alert = self._cache.get(alert_id)
        if alert is None:
            doc = self._alert_file.document(alert_id)
            if doc is None:
                return None
            state = self._states.get(alert_id)
            built = alert_from_dict({**doc, **NO_STATE_FIELDS, **state} if state else doc)
            # setdefault: a version stored meanwhile (the UI's, while a worker warms the cache) wins
            alert = self._cache.setdefault(alert_id, built)
        return alert

    def get_article(self, key: str) -> Article | None:
        """An article body, read from its cycle's segment file."""
        record = self._item(key)
        pointer = record[1].get("body") if record else None
        if not pointer:
            return None
        segment, offset, length = pointer
        try:
            with open(self.data_dir / "articles" / segment, "rb") as handle:
                handle.seek(offset)
                return article_from_dict(orjson.loads(handle.read(length)))
        except (OSError, ValueError) as exc:
            self._say_body_lost(segment, exc)
            return None

    def articles_containing(self, text: str, keys: Iterable[str]) -> Iterator[str]:
        """The keys among `keys` whose article holds `text` (any case), segment file by file.

        Each segment is read once, whole, and only its wanted bodies parsed; a
        segment that cannot be read is skipped (get_article says it is lost).
        """
        needle = text.casefold()
        for segment, places in self._bodies_by_segment(keys).items():
            try:
                data = (self.data_dir / "articles" / segment).read_bytes()
            except OSError:
                continue
            for key, offset, length in places:
                try:
                    body = orjson.loads(data[offset : offset + length])
                except ValueError:
                    continue
                if holds(str(body.get("title", "")), str(body.get("text", "")), needle):
                    yield key

    def _bodies_by_segment(self, keys: Iterable[str]) -> dict[str, list[tuple[str, int, int]]]:
        """Where each wanted body lies, grouped by segment file, in file order."""
        places: dict[str, list[tuple[str, int, int]]] = {}
        items = self._items
        for key in keys:
            record = items.get(key)
            pointer = record[1].get("body") if record else None
            if pointer:
                places.setdefault(pointer[0], []).append((key, pointer[1], pointer[2]))
        return {segment: sorted(found, key=lambda p: p[1]) for segment, found in places.items()}

    def _say_body_lost(self, segment: str, error: Exception) -> None:
        """Once per segment: its bodies are lost (the alerts keep their hits and titles)."""
        if segment not in self._damaged_segments:
            self._damaged_segments.add(segment)
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            self.recovered.append(
                f"articles/{segment} is damaged ({reason}); the bodies in it are lost, "
                "their alerts keep their titles and matched phrases"
            )

    def site_lines(self) -> dict[str, Any]:
        """What desk has learned of each site's recurring lines; empty if unreadable."""
        return _read_json(self.data_dir / "site-lines.json") or {}

    # -- writing ---------------------------------------------------------------------------

    def commit_cycle(
        self,
        seen: Iterable[SeenItem],
        articles: dict[str, Article],
        alerts: Iterable[Alert],
        feeds: Iterable[FeedState],
    ) -> None:
        """Bodies first (one segment), then alerts and their states, today's item shard, feeds.

        Alerts go before the items that raised them: if the process dies (or
        the disk fills) in between, the items are still new to the next
        cycle, which raises their alerts again, merged into the stored ones
        by URL. The other order would leave items seen whose alerts were lost.
        """
        self._check_writable()
        with self._content_lock:
            pointers = self._write_segment(articles)
            alerts = list(alerts)
            if alerts:
                self._write_alerts(alerts)
            self._write_items(list(seen), pointers)
            with self._write_lock:
                _write_docs(self._feeds_db, {_doc_id(f.url): feed_state_to_dict(f) for f in feeds})

    def _write_segment(self, articles: dict[str, Article]) -> dict[str, list[Any]]:
        """All of a cycle's bodies in one new file, one fsync; returns where each one is."""
        if not articles:
            return {}
        name = f"{self.now().strftime('%Y%m%d-%H%M%S-%f')}-{os.getpid()}.jsonl"
        chunks, pointers, offset = [], {}, 0
        for key, article in articles.items():
            line = orjson.dumps(article_to_dict(article))
            pointers[key] = [name, offset, len(line)]
            chunks.append(line + b"\n")
            offset += len(line) + 1
        atomic_write(self.data_dir / "articles" / name, b"".join(chunks))
        return pointers

    def _write_items(self, seen: list[SeenItem], pointers: dict[str, list[Any]]) -> None:
        """New and changed items go to today's shard, with their body's place."""
        if not seen and not pointers:
            return
        today = self.now().strftime("%Y-%m-%d")
        docs = {}
        for item in seen:
            doc = seen_to_dict(item)
            doc["body"] = pointers.get(item.key) or (self._item(item.key) or ("", {}))[1].get(
                "body"
            )
            docs[_doc_id(item.key)] = doc
        with self._write_lock:
            _write_docs(self._shard(today), docs)
            with self._shard_lock:
                self._items.update((doc["key"], (today, doc)) for doc in docs.values())

    def _shard(self, name: str) -> TinyDB:
        with self._shard_lock:
            if name in self._loaded_shards:
                return self._loaded_shards[name]
            if name in self._unread():
                return self._read_shard(name)
            shard = self._loaded_shards[name] = self._db(self.data_dir / "items" / f"{name}.json")
            return shard

    def _write_alerts(self, alerts: list[Alert], report: bool = True) -> None:
        """The alerts' content to alerts.json and their states to states.json.

        An alert whose content is new or changed is first put in the outbox
        (reports.json), so that a kill between the two writes never leaves a
        stored alert that no headless run will report. One the analyst has
        handled (acknowledged, archived) is not: they know of it.
        """
        with self._content_lock:
            grown = [
                a
                for a in alerts
                if report
                and a.state not in HANDLED_STATES
                and not _same_content(self.get_alert(a.id), a)
            ]
            if grown:
                with self._write_lock:
                    due = {**self._reports["due"], **{a.id: self._due_keys(a) for a in grown}}
                    self._write_reports({**self._reports, "due": due})
            contents = {}
            for alert in alerts:
                data = alert_to_dict(alert)
                contents[alert.id] = {k: v for k, v in data.items() if k not in STATE_FIELDS}
            if contents:
                self._alert_file.save(contents)  # the long write: no _write_lock held
            with self._write_lock:
                self._write_states(alerts)
                self._drop_handled_reports(alerts)

    def _write_states(self, alerts: list[Alert], states_only: bool = False) -> None:
        """The alerts' workflow states to states.json, then kept in memory as stored.

        `states_only`: nothing else of them changed (their rows need only the new state).
        """
        docs = {_doc_id(a.id): _state_doc(a) for a in alerts}
        _write_docs(self._states_db, docs)
        self._states.update((doc["id"], doc) for doc in docs.values())
        self._keep(alerts, states_only)

    # -- reports: exactly-once delivery to headless consumers --------------------------------

    def reports_due(self) -> list[Alert]:
        """Alerts raised or grown that no headless run has reported yet, oldest story first.

        An entry holds the version about to be stored and, while it is
        unreported, the version stored before. A stored version the entry
        does not hold was reported (a kill came between the outbox write and
        the alert's): it waits, and the cycle that raises it again writes a
        new entry.
        """
        due = [
            alert
            for alert_id in self._reports["due"]
            if (alert := self.get_alert(alert_id)) is not None and self._is_due(alert)
        ]
        return sorted(due, key=lambda a: a.published or a.created)

    def _is_due(self, alert: Alert) -> bool:
        """Whether the outbox holds this alert as it is stored now."""
        keys = self._reports["due"].get(alert.id) or []
        return content_key(alert) in ([keys] if isinstance(keys, str) else keys)

    def _due_keys(self, grown: Alert) -> list[str]:
        """The outbox entry for an alert about to be stored as `grown`.

        Its stored version stays in the entry while unreported: should a kill
        come before `grown` is stored, and the item never come again, the
        stored version is still reported.
        """
        stored = self.get_alert(grown.id)
        if stored is not None and self._is_due(stored):
            return [content_key(stored), content_key(grown)]
        return [content_key(grown)]

    def report_note(self) -> dict[str, Any] | None:
        """Where the last report was being written, if it may not have finished."""
        note: dict[str, Any] | None = self._reports.get("writing")
        return note

    def begin_report(self, note: dict[str, Any]) -> None:
        """Say, on disk, where a report is about to be written (before writing it)."""
        self._check_writable()
        with self._write_lock:
            self._write_reports({**self._reports, "writing": note})

    def reports_done(self, alert_ids: Iterable[str]) -> None:
        """These alerts are reported: out of the outbox, and the note cleared."""
        self._check_writable()
        done = set(alert_ids)
        with self._write_lock:
            due = {
                alert_id: keys
                for alert_id, keys in self._reports["due"].items()
                if alert_id not in done and self._still_due(alert_id)
            }
            self._write_reports({"due": due, "writing": None})

    def _still_due(self, alert_id: str) -> bool:
        """False for an entry no stored alert answers to (a kill before its alert was stored):
        if that alert is raised again, its entry is written again."""
        alert = self.get_alert(alert_id)
        return alert is not None and self._is_due(alert)

    @property
    def _reports(self) -> dict[str, Any]:
        """The outbox, read on first use: the alert list does not need it (4 MB at 100k alerts)."""
        if self._outbox is None:
            self._outbox = _read_reports(self.data_dir / REPORTS_FILE, self.recovered)
        return self._outbox

    def _write_reports(self, reports: dict[str, Any]) -> None:
        atomic_write(self.data_dir / REPORTS_FILE, orjson.dumps(reports))
        self._outbox = reports

    def _drop_handled_reports(self, alerts: Iterable[Alert]) -> None:
        """Alerts the analyst handled before any headless run reported them leave the outbox.

        Called after their state is on disk. Should this write fail (a full
        disk), nothing is lost: a report skips handled alerts and drops them then.
        """
        handled = {a.id for a in alerts if a.state in HANDLED_STATES} & self._reports["due"].keys()
        if handled:
            due = {k: v for k, v in self._reports["due"].items() if k not in handled}
            with contextlib.suppress(StoreError):
                self._write_reports({**self._reports, "due": due})

    # -- named outboxes: exactly-once delivery to notification channels ----------------------

    def outbox(self, channel: str) -> dict[str, Any]:
        """A channel's delivery record ({} before its first); an unreadable one is set aside and said."""
        path = self._outbox_path(channel)
        if not path.exists():
            return {}
        try:
            data = orjson.loads(path.read_bytes())
            if not isinstance(data, dict):
                raise ValueError("not a delivery record")
        except (OSError, ValueError) as exc:
            if self.read_only:  # another desk holds the store: leave the file to it
                return {}
            self.recovered.append(f"{path} was unreadable ({exc}); it was set aside")
            with contextlib.suppress(OSError):
                path.replace(path.with_name(f"{path.name}.corrupt-{int(time.time())}"))
            return {}
        return data

    def save_outbox(self, channel: str, data: dict[str, Any]) -> None:
        """Write a channel's delivery record atomically; on disk when this returns."""
        self._check_writable()
        atomic_write(self._outbox_path(channel), orjson.dumps(data))

    def _outbox_path(self, channel: str) -> Path:
        if not channel.isalnum():
            raise ValueError(f"a channel name is letters and digits, not {channel!r}")
        return self.data_dir / f"outbox-{channel}.json"

    def update_alert(self, alert: Alert) -> None:
        """Replace one alert; on disk when this returns. A state change writes only states.json."""
        self._check_writable()
        known = self.get_alert(alert.id)
        if known is not None and _same_content(known, alert):
            self.update_alerts([alert])
        else:
            self._write_alerts([alert])

    def update_alerts(self, alerts: Iterable[Alert]) -> None:
        """Replace many alerts' states in one write (acknowledge all that a filter shows)."""
        self._check_writable()
        batch = list(alerts)
        with self._write_lock:
            self._write_states(batch, states_only=True)
            self._drop_handled_reports(batch)

    def save_site_lines(self, data: dict[str, Any]) -> None:
        """Write the learned site lines to their own small file, atomically."""
        self._check_writable()
        with self._write_lock:
            atomic_write(self.data_dir / "site-lines.json", orjson.dumps(data))

    # -- retention -------------------------------------------------------------------------

    def prune(self, now: datetime, keep_days: int) -> int:
        """Drop item shards older than `keep_days`, keeping items that raised an alert.

        Their bodies move to a kept segment first; segments nothing points to
        any more are deleted. Returns how many items were dropped.
        """
        self._check_writable()
        with self._write_lock, self._shard_lock:  # the article pane reads shards meanwhile
            return self._prune(now, keep_days)

    def _prune(self, now: datetime, keep_days: int) -> int:
        cutoff = (now - timedelta(days=keep_days)).strftime("%Y-%m-%d")
        old = sorted(n for n in self._shards if n != KEPT_SHARD and n < cutoff)
        if not old:
            return 0
        keep = [doc for n in old for doc in _docs(self._shards[n]) if doc.get("alert_id")]
        self._keep_items(keep)
        dropped = 0
        for name in old:
            dropped += sum(1 for doc in _docs(self._shards[name]) if not doc.get("alert_id"))
            self._drop_shard(name)
        self._delete_unused_segments()
        return dropped

    def _keep_items(self, docs: list[dict[str, Any]]) -> None:
        articles = {doc["key"]: a for doc in docs if (a := self.get_article(doc["key"]))}
        pointers = self._write_segment(articles)
        kept = {}
        for doc in docs:
            fresh = {**doc, "body": pointers.get(doc["key"], doc.get("body"))}
            kept[_doc_id(doc["key"])] = fresh
        _write_docs(self._shard(KEPT_SHARD), kept)
        self._items.update((doc["key"], (KEPT_SHARD, doc)) for doc in kept.values())

    def _drop_shard(self, name: str) -> None:
        shard = self._shards.pop(name)
        shard.close()
        for key in [k for k, (n, _) in self._items.items() if n == name]:
            del self._items[key]
        path = self.data_dir / "items" / f"{name}.json"
        for leftover in (path, _backup_path(path)):
            leftover.unlink(missing_ok=True)

    def _delete_unused_segments(self) -> None:
        used = {doc["body"][0] for _, doc in self._items.values() if doc.get("body")}
        for segment in (self.data_dir / "articles").glob("*.jsonl"):
            if segment.name not in used:
                segment.unlink(missing_ok=True)

    # -- housekeeping ----------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError("the store is open read-only (another desk holds it)", self.data_dir)

    def close(self) -> None:
        """Close the files and release the lock."""
        shards = self._loaded_shards.values()
        for db in (self._states_db, self._feeds_db, *shards):
            db.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        gc.unfreeze()  # what the open froze (see built_to_last) is the collector's again


def _docs(db: TinyDB, table: str = "_default") -> list[dict[str, Any]]:
    """A TinyDB table's documents as plain dicts, without TinyDB's per-document wrapping."""
    data = db.storage.read() or {}
    return list(data.get(table, {}).values())


def _state_doc(alert: Alert) -> dict[str, Any]:
    """An alert's workflow state, as states.json keeps it: its state, and of the other
    STATE_FIELDS those that say something (half the file, and its parse, at 100k new alerts)."""
    fields = state_to_dict(alert)
    return {"id": alert.id, "state": fields.pop("state"), **{k: v for k, v in fields.items() if v}}


def _same_content(known: Alert | None, new: Alert) -> bool:
    """True when two versions of an alert differ at most in their workflow state."""
    return known is not None and content_key(known) == content_key(new)


def _read_reports(path: Path, recovered: list[str]) -> dict[str, Any]:
    """The outbox; an unreadable one is set aside and said: what it held is not reported again."""
    empty: dict[str, Any] = {"due": {}, "writing": None}
    if not path.exists():
        return empty
    try:
        data = orjson.loads(path.read_bytes())
        if not isinstance(data, dict) or not isinstance(data.get("due"), dict):
            raise ValueError("not an outbox")
    except (OSError, ValueError) as exc:
        recovered.append(f"{path} was unreadable ({exc}); it was set aside")
        path.replace(path.with_name(f"{path.name}.corrupt-{int(time.time())}"))
        return empty
    return {"due": data["due"], "writing": data.get("writing")}


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
