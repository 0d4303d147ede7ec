"""The stores: one contract, crash-safe files, the lock, and recovery from a bad file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.core import decide
from desk.core.errors import StoreError, StoreLocked
from desk.core.models import (
    Alert,
    AlertState,
    Article,
    FeedState,
    Hit,
    SeenItem,
    Severity,
    alert_row,
)
from desk.core.store.contract import MemoryStore
from desk.core.store.tinystore import TinyStore

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def alert(n: int) -> Alert:
    hit = Hit("troop-deployment", "troops sent", "sent troops", 10, 21, 100.0)
    return Alert(
        id=f"alert{n}",
        title=f"Story {n}",
        url=f"https://news.example/{n}",
        sources=("Wire",),
        published=NOW,
        watchlists=("troop-deployment",),
        severity=Severity.HIGH,
        score=100.0,
        hits=(hit,),
        created=NOW.replace(minute=n),
        article_key=f"item{n}",
    )


def fill(store: MemoryStore | TinyStore) -> None:
    store.commit_cycle(
        [SeenItem("item1", "https://feed.example/", "https://news.example/1", "fp", NOW, "alert1")],
        {"item1": Article(url="https://news.example/1", title="Story 1", text="Story 1\n\nBody.")},
        [alert(1), alert(2)],
        [FeedState(url="https://feed.example/", etag='"e"', status=200)],
    )


@pytest.fixture(params=["memory", "tinydb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MemoryStore | TinyStore:
    made = MemoryStore() if request.param == "memory" else TinyStore(tmp_path / "data")
    yield made
    made.close()


def test_the_contract(store: MemoryStore | TinyStore) -> None:
    fill(store)
    assert [a.id for a in store.alerts()] == ["alert2", "alert1"]
    assert store.get_alert("alert1") == alert(1)
    assert store.get_alert("missing") is None
    assert store.seen(["item1", "item9"]).keys() == {"item1"}
    assert store.get_article("item1").text == "Story 1\n\nBody."
    assert store.get_article("item9") is None
    assert store.feed_states()["https://feed.example/"].etag == '"e"'
    store.update_alert(decide.acknowledge(alert(1), NOW, note="seen"))
    acked = store.get_alert("alert1")
    assert acked.state is AlertState.ACKNOWLEDGED and acked.note == "seen"


def test_an_alert_handled_before_it_was_reported_leaves_the_outbox(
    store: MemoryStore | TinyStore,
) -> None:
    fill(store)
    assert [a.id for a in store.reports_due()] == ["alert1", "alert2"]
    store.update_alert(decide.acknowledge(alert(1), NOW))
    store.update_alerts([decide.archive(alert(2))])
    assert store.reports_due() == []
    more_sources = replace(store.get_alert("alert2"), sources=("Wire", "Post"))
    store.commit_cycle([], {}, [more_sources], [])  # grown, but nothing to act on: still archived
    assert store.reports_due() == []
    reopened = replace(
        store.get_alert("alert1"),
        watchlists=("troop-deployment", "icbm-reentry"),
        state=AlertState.NEW,
        reason="grew since acknowledged: +icbm-reentry from Post",
    )
    store.commit_cycle([], {}, [reopened], [])
    assert store.reports_due() == [reopened]


def test_everything_survives_a_reopen(tmp_path: Path) -> None:
    first = TinyStore(tmp_path)
    fill(first)
    first.update_alert(decide.acknowledge(alert(2), NOW))
    first.close()
    again = TinyStore(tmp_path)
    assert again.get_alert("alert2").state is AlertState.ACKNOWLEDGED
    assert again.get_alert("alert1") == alert(1)
    assert again.get_article("item1").title == "Story 1"
    assert again.seen(["item1"])["item1"].alert_id == "alert1"
    again.close()


def test_bodies_live_apart_from_the_alerts(tmp_path: Path) -> None:
    store = TinyStore(tmp_path)
    fill(store)
    store.close()
    assert "Body." not in (tmp_path / "alerts.json").read_text()
    assert all("Body." not in p.read_text() for p in (tmp_path / "items").glob("*.json"))
    (segment,) = (tmp_path / "articles").glob("*.jsonl")
    assert "Body." in segment.read_text()


def test_an_acknowledgement_rewrites_only_the_small_states_file(tmp_path: Path) -> None:
    store = TinyStore(tmp_path)
    fill(store)
    store.reports_done(["alert1", "alert2"])  # reported: the outbox has nothing to drop
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.json")}
    store.update_alert(decide.acknowledge(alert(1), NOW))
    after = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.json")}
    assert [n for n in after if after[n] != before[n]] == ["states.json"]
    assert "troops" not in (tmp_path / "states.json").read_text()
    store.update_alerts([decide.acknowledge(alert(2), NOW)])
    store.close()
    again = TinyStore(tmp_path)
    assert {a.state for a in again.alerts()} == {AlertState.ACKNOWLEDGED}
    again.close()


def test_a_state_undone_reads_back_as_it_was_before(tmp_path: Path) -> None:
    """states.json keeps only the fields that say something: an acknowledgement with a note,
    undone, leaves no note or time behind, on disk or after a reopen."""
    store = TinyStore(tmp_path)
    fill(store)
    store.update_alert(decide.acknowledge(alert(1), NOW, note="checked with the desk"))
    store.update_alert(alert(1))  # what `u` saves: the alert as it was before
    store.close()
    docs = json.loads((tmp_path / "states.json").read_text())["_default"].values()
    assert sorted(sorted(doc) for doc in docs) == [["id", "state"], ["id", "state"]]
    again = TinyStore(tmp_path)
    assert again.get_alert("alert1") == alert(1)
    assert {row.id: row for row in again.alert_rows()}["alert1"] == alert_row(alert(1))
    again.close()


def test_items_go_to_day_shards_and_old_ones_are_pruned(tmp_path: Path) -> None:
    from datetime import timedelta

    clock = [NOW - timedelta(days=40)]
    store = TinyStore(tmp_path, now=lambda: clock[0])
    old_plain = SeenItem("old", "f", "u", "fp", clock[0])
    old_alerted = SeenItem("old-alert", "f", "u2", "fp", clock[0], alert_id="alert1")
    store.commit_cycle(
        [old_plain, old_alerted],
        {k: Article(url=k, title=k, text=f"{k} body") for k in ("old", "old-alert")},
        [alert(1)],
        [],
    )
    clock[0] = NOW
    store.commit_cycle(
        [SeenItem("new", "f", "u3", "fp", NOW)],
        {"new": Article(url="n", title="n", text="new body")},
        [],
        [],
    )
    assert {p.stem for p in (tmp_path / "items").glob("*.json")} == {"2026-10-18", "2026-11-27"}
    assert store.prune(NOW, keep_days=30) == 1
    assert store.seen(["old", "old-alert", "new"]).keys() == {"old-alert", "new"}
    assert store.get_article("old-alert").text == "old-alert body"  # moved to a kept segment
    assert store.get_article("old") is None
    assert [s.key for s in store.seen_since(NOW)] == ["new"]
    store.close()
    reopened = TinyStore(tmp_path)
    assert reopened.seen(["old", "old-alert"]).keys() == {"old-alert"}
    assert reopened.get_article("old-alert").text == "old-alert body"
    reopened.close()


def test_a_second_desk_is_told_who_holds_the_data(tmp_path: Path) -> None:
    store = TinyStore(tmp_path)
    code = (
        "import sys; from pathlib import Path; from desk.core.store.tinystore import TinyStore\n"
        f"TinyStore(Path({str(tmp_path)!r}))\n"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert other.returncode != 0 and "StoreLocked" in other.stderr
    import os

    assert f"desk process {os.getpid()}" in other.stderr
    with pytest.raises(StoreLocked):
        TinyStore(tmp_path)
    reader = TinyStore(tmp_path, read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        reader.update_alert(alert(1))
    store.close()
    TinyStore(tmp_path).close()


def test_a_corrupt_file_is_moved_aside_and_the_backup_restored(tmp_path: Path) -> None:
    store = TinyStore(tmp_path)
    fill(store)
    store.close()
    TinyStore(tmp_path).close()  # a clean open refreshes the backup
    (tmp_path / "alerts.json").write_text('{"_default": {"1": {"id": "half')
    reopened = TinyStore(tmp_path)
    assert [a.id for a in reopened.alerts()] == ["alert2", "alert1"]
    assert any(
        "unreadable" in note and "restored the backup" in note for note in reopened.recovered
    )
    assert list(tmp_path.glob("alerts.json.corrupt-*"))
    reopened.close()


def test_writes_are_atomic_files(tmp_path: Path) -> None:
    store = TinyStore(tmp_path)
    fill(store)
    store.close()
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert leftovers == []
    assert json.loads((tmp_path / "alerts.json").read_text())["_default"]


def test_a_corrupt_file_with_a_corrupt_backup_starts_empty_and_says_so(tmp_path: Path) -> None:
    store = TinyStore(tmp_path)
    fill(store)
    store.close()
    TinyStore(tmp_path).close()
    (tmp_path / "alerts.json").write_text("{broken")
    (tmp_path / "alerts.json.bak").write_text("{also broken")
    reopened = TinyStore(tmp_path)
    assert reopened.alerts() == []
    assert any("backup is unreadable too" in note for note in reopened.recovered)
    reopened.close()


def test_a_write_that_fails_leaves_memory_as_the_disk_is(tmp_path: Path) -> None:
    """A full or broken disk: the cycle fails, and nothing it failed to write counts as done."""
    data = tmp_path / "data"
    store = TinyStore(data, now=lambda: NOW)
    blocker = data / f".alerts.json.tmp-{os.getpid()}"
    blocker.mkdir()  # the temp file alerts.json is written through cannot be made, even by root
    with pytest.raises(StoreError, match="nothing was lost"):
        fill(store)
    assert store.alerts() == []
    assert store.seen(["item1"]) == {}  # alerts go first: their items stay new, not lost
    blocker.rmdir()

    (data / "items").rename(tmp_path / "items-aside")
    (data / "items").write_text("not a folder")  # and now every write into items/ fails
    with pytest.raises(StoreError, match="nothing was lost"):
        fill(store)
    assert [a.id for a in store.alerts()] == ["alert2", "alert1"]  # written before the items
    assert store.seen(["item1"]) == {}  # not taken as seen: the next cycle stores it again
    (data / "items").unlink()
    (tmp_path / "items-aside").rename(data / "items")

    fill(store)
    assert set(store.seen(["item1"])) == {"item1"}
    store.close()
    reopened = TinyStore(data, read_only=True)
    assert set(reopened.seen(["item1"])) == {"item1"}
    assert [a.id for a in reopened.alerts()] == ["alert2", "alert1"]


# -- the alert index: open without parsing every alert ---------------------------------------


def test_a_reopened_store_reads_its_alerts_through_the_index(tmp_path: Path) -> None:
    first = TinyStore(tmp_path)
    fill(first)
    first.update_alert(decide.acknowledge(alert(2), NOW))
    first.close()
    again = TinyStore(tmp_path)
    assert again._alert_file.indexed  # nothing parsed whole
    assert sorted(again.alert_rows()) == sorted(alert_row(a) for a in again.alerts())
    assert again.get_alert("alert1") == alert(1)
    assert again.get_alert("alert2").state is AlertState.ACKNOWLEDGED
    again.close()


def test_the_rows_of_both_stores_are_the_rows_of_their_alerts(
    store: MemoryStore | TinyStore,
) -> None:
    fill(store)
    store.update_alert(decide.acknowledge(alert(1), NOW))
    assert sorted(store.alert_rows()) == sorted(alert_row(a) for a in store.alerts())


def test_the_state_written_alone_is_the_state_of_the_whole_alert() -> None:
    from desk.core.store.serial import STATE_FIELDS, alert_to_dict, state_to_dict

    snoozed = decide.snooze(decide.acknowledge(alert(1), NOW, "seen"), NOW + timedelta(hours=1))
    for each in (alert(2), snoozed):
        whole = alert_to_dict(each)
        assert state_to_dict(each) == {field: whole[field] for field in STATE_FIELDS}


def test_a_reopened_stores_rows_draw_a_list_line_without_the_alert(tmp_path: Path) -> None:
    """Sources counted, an undated alert told apart, a snoozed one's wake time: from the index."""
    first = TinyStore(tmp_path)
    undated = replace(alert(3), published=None, sources=("Wire", "World Desk", "Courier"))
    first.commit_cycle([], {}, [alert(1), undated], [])
    first.update_alert(decide.snooze(alert(1), NOW + timedelta(hours=2)))
    first.close()
    again = TinyStore(tmp_path)
    assert again._alert_file.indexed
    rows = {row.id: row for row in again.alert_rows()}
    assert (rows["alert3"].sources, rows["alert3"].dated) == (3, False)
    assert (rows["alert1"].sources, rows["alert1"].dated) == (1, True)
    assert rows["alert1"].hit_counts == (1,)  # what the watchlists screen sums
    assert rows["alert1"].snoozed_until == NOW + timedelta(hours=2)
    assert sorted(rows.values()) == sorted(alert_row(a) for a in again.alerts())
    again.close()


def test_an_index_older_than_alerts_json_is_not_trusted(tmp_path: Path) -> None:
    """A kill between writing alerts.json and its index: the index is built again."""
    store = TinyStore(tmp_path)
    fill(store)
    stale = (tmp_path / "alerts-index.json").read_bytes()
    grown = replace(alert(1), title="Story 1, grown", watchlists=("icbm-reentry",))
    store.commit_cycle([], {}, [grown, alert(3)], [])
    store.close()
    (tmp_path / "alerts-index.json").write_bytes(stale)
    again = TinyStore(tmp_path)
    assert not again._alert_file.indexed
    assert again.get_alert("alert1") == grown
    assert {r.id: r.title for r in again.alert_rows()}["alert1"] == "Story 1, grown"
    assert len(again.alert_rows()) == 3
    again.close()
    assert TinyStore(tmp_path, read_only=True)._alert_file.indexed  # written again


def test_an_index_naming_a_value_its_table_lacks_is_not_trusted(tmp_path: Path) -> None:
    """Watchlists, severities and hit counts are codes into tables of their values: a code
    out of its table (a damaged index) means reading alerts.json whole, not a wrong row."""
    store = TinyStore(tmp_path)
    fill(store)
    store.close()
    path = tmp_path / "alerts-index.json"
    index = json.loads(path.read_bytes())
    index["severities"][0] = -1
    path.write_text(json.dumps(index))
    again = TinyStore(tmp_path)
    assert not again._alert_file.indexed
    assert sorted(again.alert_rows()) == sorted(alert_row(a) for a in again.alerts())
    again.close()


def test_an_alert_damaged_in_place_is_repaired_from_the_backup(tmp_path: Path) -> None:
    """Bytes changed under an index that still looks right: the file is read whole and repaired."""
    store = TinyStore(tmp_path)
    fill(store)
    store.close()
    TinyStore(tmp_path).close()  # a clean open keeps a backup
    path = tmp_path / "alerts.json"
    before = path.stat()
    data = bytearray(path.read_bytes())
    place = data.index(b'"Story 1"')
    data[place : place + 9] = b'"Sto\x00\x01{['
    with open(path, "r+b") as handle:  # in place: the same file, the same size
        handle.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = TinyStore(tmp_path)
    assert again.get_alert("alert1") == alert(1)
    assert any("restored the backup" in note for note in again.recovered)
    again.close()


def test_both_stores_find_the_articles_holding_a_text(store: MemoryStore | TinyStore) -> None:
    fill(store)
    assert list(store.articles_containing("BODY", ["item1", "item2"])) == ["item1"]
    assert list(store.articles_containing("story 1", ["item1"])) == ["item1"]  # titles too
    assert list(store.articles_containing("elsewhere", ["item1"])) == []


def test_an_article_is_found_reading_only_the_shards_up_to_its_own(tmp_path: Path) -> None:
    """The newest day's shard first: the pane's article does not read every item shard."""
    day = [NOW]
    store = TinyStore(tmp_path, now=lambda: day[0])
    for back in (2, 1, 0):
        day[0] = NOW - timedelta(days=back)
        key = f"item-{back}"
        store.commit_cycle(
            [SeenItem(key, "f", f"u{back}", "fp", day[0], f"alert{back}")],
            {key: Article(url=f"u{back}", title=f"Day {back}", text=f"Body {back}.")},
            [],
            [],
        )
    store.close()
    again = TinyStore(tmp_path, now=lambda: NOW)
    assert again.get_article("item-0").text == "Body 0."
    assert list(again._loaded_shards) == [NOW.strftime("%Y-%m-%d")]
    assert again.get_article("item-2").text == "Body 2."
    assert len(again._loaded_shards) == 3
    assert again.seen(["item-1"])["item-1"].alert_id == "alert1"
    again.close()


# -- a poll's thread writes while the screen reads -------------------------------------------


def test_alerts_are_read_while_alerts_json_is_being_rewritten(tmp_path: Path) -> None:
    """A cycle's rewrite of alerts.json (a second at 100k alerts) holds up no read:
    reads see the file as it was until the new one is on disk."""
    import threading

    from desk.core.store.alertfile import AlertFile
    from desk.core.store.tinystore import _open_json, atomic_write

    first = TinyStore(tmp_path)
    fill(first)
    first.close()
    read_done, order = threading.Event(), []

    def slow_write(path: Path, data: bytes) -> None:
        read_done.wait(5)  # the read below must not need this write to finish
        order.append("written")
        atomic_write(path, data)

    load = lambda p: _open_json(p, [])  # noqa: E731
    alert_file = AlertFile(tmp_path / "alerts.json", load, slow_write, atomic_write)
    grown = {**alert_file.document("alert1"), "title": "Story 1, grown"}  # type: ignore[dict-item]
    saving = threading.Thread(target=alert_file.save, args=({"alert1": grown},))
    saving.start()
    while not saving.is_alive():
        pass

    def read() -> None:
        order.append(alert_file.document("alert1")["title"])  # type: ignore[index]
        read_done.set()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(10)
    saving.join(10)
    assert order == ["Story 1", "written"]
    assert alert_file.document("alert1")["title"] == "Story 1, grown"  # type: ignore[index]
