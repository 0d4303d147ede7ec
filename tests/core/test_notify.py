"""The notify command and the webhook: real shells, a real store on disk, a loopback receiver.

Each alert is delivered once: across rounds, across a desk that died while
a command ran or a POST was unanswered; a digest when many are due; a
failing and a hanging command said and tried again; feed text never run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from desk.core.errors import plural
from desk.core.models import Alert, AlertState, Hit, Severity, alert_row, short_hash
from desk.core.notify.command import RunFiles, start_run
from desk.core.notify.deliver import channel_failures, deliver_alerts, open_channels
from desk.core.notify.outbox import Flight, Record, owed, retry_delay, runs_for, trimmed
from desk.core.notify.payload import body_of, command_values
from desk.core.settings.config import NotifySettings, Settings, WebhookSettings
from desk.core.store.tinystore import TinyStore
from tests.served import serving

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
SETTINGS_BOTH = Settings(
    notify=NotifySettings("true"), webhook=WebhookSettings("http://127.0.0.1:9/")
)
"""Both channels set up: which failures `channel_failures` reports."""


def alert(n: int, severity: Severity = Severity.HIGH, title: str = "") -> Alert:
    return Alert(
        id=f"alert{n}",
        title=title or f"Army deploys {n} troops",
        url=f"https://news.example/{n}",
        sources=("Wire",),
        published=NOW,
        watchlists=("troop-deployment",),
        severity=severity,
        score=90.0,
        hits=(Hit("troop-deployment", "troops deployed", "deploys troops", 0, 14, 90.0),),
        created=NOW + timedelta(minutes=n),
        article_key=f"item{n}",
    )


def stored(store: TinyStore, *alerts: Alert) -> None:
    store.commit_cycle([], {}, list(alerts), [])


@pytest.fixture
def store(tmp_path: Path) -> TinyStore:
    made = TinyStore(tmp_path / "data")
    yield made
    made.close()


def notify(store: TinyStore, tmp_path: Path, command: str, **config: object) -> list[str]:
    """One delivery round of a notify command; its report lines."""
    settings = Settings(notify=NotifySettings(command=command, **config))  # type: ignore[arg-type]
    open_channels(store, settings, NOW)
    reports = deliver_alerts(store, settings, tmp_path / "runs", NOW + timedelta(hours=1))
    return [report.line() for report in reports if report.worth_saying]


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- pure decisions -----------------------------------------------------------------------------


def test_what_a_channel_owes() -> None:
    rows = [alert_row(alert(n)) for n in range(1, 6)]
    rows[1] = rows[1]._replace(severity=Severity.LOW)
    rows[2] = rows[2]._replace(state=AlertState.ACKNOWLEDGED)
    record = Record(
        since=(NOW + timedelta(seconds=90)).timestamp(),  # alert1 was raised before the channel
        sent={"alert4": 0.0},
        flight=None,
    )
    assert [r.id for r in owed(rows, record, Severity.HIGH)] == ["alert5"]
    assert [r.id for r in owed(rows, record, Severity.LOW)] == ["alert2", "alert5"]
    in_flight = replace(record, flight=Flight(("alert5",), "t", 0.0))
    assert owed(rows, in_flight, Severity.HIGH) == []


def test_a_digest_when_more_are_due_than_the_setting_allows() -> None:
    assert runs_for(["a", "b"], 2) == [("a",), ("b",)]
    assert runs_for(["a", "b", "c"], 2) == [("a", "b", "c")]
    assert runs_for(["a"], 0) == [("a",)] and runs_for([], 0) == []


def test_sent_ids_are_forgotten_only_past_every_owed_alert() -> None:
    now = NOW.timestamp()
    old, recent = now - 3 * 86400, now - 3600
    record = Record(since=old - 1, sent={"old": old, "recent": recent})
    assert trimmed(record, [], now).sent == {"recent": recent}
    still_owed = [alert_row(alert(1))._replace(order=(old - 1, old - 1))]
    assert trimmed(record, still_owed, now) == record


def test_the_in_cycle_back_off_grows_then_gives_up() -> None:
    delays = [retry_delay(n) for n in range(1, 6)]
    assert delays[:3] == sorted(delays[:3]) and delays[0] > 0
    assert delays[3:] == [None, None]


def test_a_digest_names_its_most_severe_alert_and_counts_them() -> None:
    alerts = [alert(1, Severity.MEDIUM), alert(2, Severity.CRITICAL), alert(3)]
    values = command_values(alerts, digest=True)
    assert values["DESK_COUNT"] == "3"
    assert values["DESK_SEVERITY"] == "critical"
    assert values["DESK_TITLE"].startswith("3 alerts: Army deploys 2 troops")
    assert values["DESK_ALERT_ID"] == "alert1 alert2 alert3"
    assert [a["id"] for a in json.loads(body_of(alerts, digest=True))] == [
        "alert1",
        "alert2",
        "alert3",
    ]
    assert "DESK_COUNT" not in command_values(alerts[:1], digest=False)


def gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaped counts as ended)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


# -- the notify command, run for real ------------------------------------------------------------


def test_each_alert_is_notified_once_with_its_json_and_values(
    store: TinyStore, tmp_path: Path
) -> None:
    out = tmp_path / "notified.jsonl"
    command = (
        f'body=$(cat); printf \'{{"stdin": %s, "title": "%s", "id": "%s", "sev": "%s"}}\\n\' '
        f'"$body" "$DESK_TITLE" "$DESK_ALERT_ID" "$DESK_SEVERITY" >> {out}'
    )
    stored(store, alert(1), alert(2, Severity.LOW))
    assert notify(store, tmp_path, command) == ["[ok] notify: 1 alert sent"]
    assert notify(store, tmp_path, command) == []  # nothing new: nothing to say
    stored(store, alert(3, Severity.CRITICAL))
    assert notify(store, tmp_path, command) == ["[ok] notify: 1 alert sent"]
    got = lines_of(out)
    assert [g["id"] for g in got] == ["alert1", "alert3"]
    assert got[0]["stdin"]["title"] == "Army deploys 1 troops"  # type: ignore[index]
    assert got[1]["sev"] == "critical"
    assert not list((tmp_path / "runs").iterdir())  # each run's files removed


def test_many_alerts_at_once_make_one_digest(store: TinyStore, tmp_path: Path) -> None:
    out = tmp_path / "digests.txt"
    command = f'printf "%s %s\\n" "$DESK_COUNT" "$(cat)" >> {out}'
    stored(store, *(alert(n) for n in range(1, 5)))
    assert notify(store, tmp_path, command, digest_over=2) == ["[ok] notify: 4 alerts sent"]
    count, body = out.read_text().strip().split(" ", 1)
    assert count == "4"
    assert sorted(a["id"] for a in json.loads(body)) == [f"alert{n}" for n in range(1, 5)]
    assert notify(store, tmp_path, command, digest_over=2) == []
    assert len(out.read_text().splitlines()) == 1


def test_a_failing_command_is_said_and_tried_again(store: TinyStore, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    stored(store, alert(1), alert(2))
    lines = notify(store, tmp_path, "echo 'no display' >&2; exit 3")
    assert lines == [
        "[x] notify: the command exited with status 3: no display; 2 alerts wait for the next cycle"
    ]
    assert channel_failures(store, SETTINGS_BOTH) == [
        ("notify", "the command exited with status 3: no display")
    ]
    assert notify(store, tmp_path, f'echo "$DESK_ALERT_ID" >> {out}') == [
        "[ok] notify: 2 alerts sent"
    ]
    assert out.read_text().split() == ["alert1", "alert2"]
    assert channel_failures(store, SETTINGS_BOTH) == []


def test_a_command_no_program_can_take_is_said_not_raised(store: TinyStore, tmp_path: Path) -> None:
    """A NUL in the command (settings.yaml refuses one; a settings object made in code may
    not) fails its own round in one line; it stopped the whole round, the webhook with it."""
    stored(store, alert(1))
    lines = notify(store, tmp_path, "printf \x00")
    assert lines == [
        "[x] notify: could not start the command (embedded null byte); "
        "1 alert waits for the next cycle"
    ]


def test_a_hanging_command_is_killed_with_its_group_and_tried_next_round(
    store: TinyStore, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    stored(store, alert(1))
    began = time.monotonic()
    lines = notify(
        store, tmp_path, f"echo $$ >> {pids}; sleep 60 & echo $! >> {pids}; wait", timeout=0.5
    )
    took = time.monotonic() - began
    assert lines == [
        "[x] notify: the command took longer than 0.5 s and was stopped; "
        "1 alert waits for the next cycle"
    ]
    assert took < 5, f"a hung command held the round {took:.1f} s"
    shell, sleeper = (int(pid) for pid in pids.read_text().split())
    assert gone(shell) and gone(sleeper)  # the whole process group
    assert notify(store, tmp_path, f"echo again >> {pids}") == ["[ok] notify: 1 alert sent"]


def test_a_run_a_killed_desk_left_is_waited_for_not_run_again(
    store: TinyStore, tmp_path: Path
) -> None:
    """As a desk killed while its command ran leaves it: the flight noted, the command running."""
    out = tmp_path / "out.txt"
    command = f'sleep 0.5; echo "$DESK_ALERT_ID" >> {out}'
    stored(store, alert(1))
    notify(store, tmp_path, "true")  # the channel opens; alert1 sent
    stored(store, alert(2))
    files = RunFiles(tmp_path / "runs", "deadbeef")
    run = start_run(command, body_of([alert(2)], False), {"DESK_ALERT_ID": "alert2"}, files)
    record = Record.from_dict(store.outbox("notify"), 0)
    flight = Flight(("alert2",), "deadbeef", time.time(), run.pid)
    store.save_outbox("notify", replace(record, flight=flight).to_dict())
    lines = notify(store, tmp_path, command)
    run.wait()
    assert lines == ["[ok] notify: 1 alert sent"]
    assert out.read_text().split() == ["alert2"]


def test_a_run_whose_end_was_never_seen_is_run_again(store: TinyStore, tmp_path: Path) -> None:
    """The wrapper itself died (a reboot): nothing says the command ran, so it runs again."""
    out = tmp_path / "out.txt"
    stored(store, alert(1))
    record = Record(since=NOW.timestamp(), flight=Flight(("alert1",), "cafe", time.time() - 60))
    store.save_outbox("notify", record.to_dict())
    assert notify(store, tmp_path, f'echo "$DESK_ALERT_ID" >> {out}') == [
        "[ok] notify: 1 alert sent"
    ]
    assert out.read_text().split() == ["alert1"]


def test_feed_text_never_runs_as_code(
    store: TinyStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    title = "Troops $(touch pwned1) `touch pwned2`; touch pwned3 && touch pwned4 | touch pwned5"
    out = tmp_path / "titles.txt"
    command = (
        f'echo $DESK_TITLE >> {out}; printf "%s\\n" "$DESK_TITLE" >> {out}; '
        f"cat > /dev/null; echo $DESK_URL $DESK_WATCHLISTS >> {out}"
    )
    hostile = replace(alert(1, title=title), url="https://x.example/$(touch pwned6);touch pwned7")
    stored(store, hostile)
    assert notify(store, tmp_path, command) == ["[ok] notify: 1 alert sent"]
    assert sorted(p.name for p in tmp_path.rglob("pwned*")) == []
    said = out.read_text().splitlines()
    assert said[0] == title and said[1] == title
    assert "$(touch pwned6)" in said[2]


# -- the webhook, over a loopback server ----------------------------------------------------------


class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks signatures and fails the first `fail` POSTs."""

    def __init__(self, secret: str, fail: int = 0, hang: float = 0.0) -> None:
        self.secret = secret
        self.fail = fail
        self.hang = hang
        """Seconds every fourth POST (the first, the fifth...) takes to answer."""
        self.posts: list[tuple[str, str, bool]] = []
        """(delivery id, alert id, signature good) for every POST, failed ones too."""
        self.taken: dict[str, str] = {}
        """Delivery id -> alert id, for the POSTs answered 200 (a repeat is dropped)."""
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                good = self.headers.get("X-Desk-Signature") == f"sha256={expected}"
                good = good and self.headers.get("Content-Type") == "application/json"
                delivery = self.headers["X-Desk-Delivery"]
                with receiver.lock:
                    receiver.posts.append((delivery, json.loads(body)["id"], good))
                    fails = len(receiver.posts) <= receiver.fail
                    hang = receiver.hang if len(receiver.posts) % 4 == 1 else 0
                time.sleep(hang)
                status = 500 if fails or not good else 200
                if status == 200:
                    receiver.taken.setdefault(delivery, json.loads(body)["id"])
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        return Handler


def post_round(
    store: TinyStore, url: str, secret: str, **config: object
) -> tuple[list[str], list[float]]:
    waits: list[float] = []
    hook = WebhookSettings(url=url, secret=secret, **config)  # type: ignore[arg-type]
    open_channels(store, Settings(webhook=hook), NOW)
    later = NOW + timedelta(hours=1)
    reports = deliver_alerts(
        store, Settings(webhook=hook), Path("unused"), later, sleep=waits.append
    )
    return [r.line() for r in reports if r.worth_saying], waits


def test_the_webhook_signs_retries_and_delivers_each_alert_once(store: TinyStore) -> None:
    receiver = Receiver("s3cret", fail=2)
    stored(store, alert(1), alert(2, Severity.CRITICAL), alert(3, Severity.LOW))
    with serving(receiver.handler()) as base:
        lines, waits = post_round(store, f"{base}/hook", "s3cret")
        assert lines == ["[ok] webhook: 2 alerts sent"]
        assert waits == [retry_delay(1), retry_delay(2)]  # two failures, then taken
        assert post_round(store, f"{base}/hook", "s3cret")[0] == []
    assert all(good for _, _, good in receiver.posts)
    assert sorted(receiver.taken.values()) == ["alert1", "alert2"]
    first_three = {delivery for delivery, _, _ in receiver.posts[:3]}
    assert len(first_three) == 1  # the retries of one POST carry one delivery id


def test_a_failing_endpoint_is_said_and_its_alerts_wait(store: TinyStore) -> None:
    receiver = Receiver("right", fail=0)
    stored(store, alert(1), alert(2))
    with serving(receiver.handler()) as base:
        lines, waits = post_round(store, f"{base}/hook", "wrong")  # the receiver refuses
        assert lines == [
            "[x] webhook: the webhook answered HTTP 500 (tried 4 times); "
            "2 alerts wait for the next cycle"
        ]
        assert len(waits) == 3 and channel_failures(store, SETTINGS_BOTH)[0][0] == "webhook"
        assert post_round(store, f"{base}/hook", "right")[0] == ["[ok] webhook: 2 alerts sent"]
    assert sorted(receiver.taken.values()) == ["alert1", "alert2"]
    assert channel_failures(store, SETTINGS_BOTH) == []
    ids_of_alert1 = {delivery for delivery, alert_id, _ in receiver.posts if alert_id == "alert1"}
    assert len(ids_of_alert1) == 1  # the same delivery id on every try, in every round


def test_a_post_a_killed_desk_never_saw_answered_goes_again_under_its_delivery_id(
    store: TinyStore,
) -> None:
    receiver = Receiver("k")
    stored(store, alert(1))
    record = Record(since=NOW.timestamp(), flight=Flight(("alert1",), "d1e2", time.time()))
    store.save_outbox("webhook", record.to_dict())
    with serving(receiver.handler()) as base:
        assert post_round(store, f"{base}/hook", "k")[0] == ["[ok] webhook: 1 alert sent"]
    assert receiver.taken == {"d1e2": "alert1"}


class CountingStore(TinyStore):
    """A real store that counts the writes of the webhook's record."""

    webhook_writes = 0

    def save_outbox(self, channel: str, data: dict[str, object]) -> None:
        self.webhook_writes += channel == "webhook"
        super().save_outbox(channel, data)


def test_a_webhook_round_writes_its_flight_once_not_before_every_post(tmp_path: Path) -> None:
    counting = CountingStore(tmp_path / "data")
    receiver = Receiver("k")
    stored(counting, *(alert(n) for n in range(1, 6)))
    with serving(receiver.handler()) as base:
        hook = WebhookSettings(url=f"{base}/hook", secret="k")
        open_channels(counting, Settings(webhook=hook), NOW)
        counting.webhook_writes = 0
        reports = deliver_alerts(counting, Settings(webhook=hook), Path("unused"), NOW)
    counting.close()
    assert [r.line() for r in reports] == ["[ok] webhook: 5 alerts sent"]
    assert (
        counting.webhook_writes == 1 + 5
    )  # the round's flight, then each POST settled (was 2 x 5)


def test_a_round_a_killed_desk_left_sends_again_only_its_first_post(store: TinyStore) -> None:
    """Only the first POST of a round's flight may have gone; the rest are owed as any alert."""
    receiver = Receiver("k")
    stored(store, alert(1), alert(2), alert(3))
    acknowledged = replace(store.get_alert("alert3"), state=AlertState.ACKNOWLEDGED)
    store.update_alert(acknowledged)  # after the kill: no longer owed, never started
    key = "k3y"
    flight = Flight(("alert1", "alert2", "alert3"), "", time.time())
    record = Record(since=NOW.timestamp(), key=key, flight=flight)
    store.save_outbox("webhook", record.to_dict())
    with serving(receiver.handler()) as base:
        assert post_round(store, f"{base}/hook", "k")[0] == ["[ok] webhook: 2 alerts sent"]
    assert receiver.taken == {
        short_hash("webhook", key, "alert1"): "alert1",
        short_hash("webhook", key, "alert2"): "alert2",
    }
    assert Record.from_dict(store.outbox("webhook"), 0.0).flight is None


def test_an_unreachable_webhook_is_one_line(store: TinyStore) -> None:
    stored(store, alert(1))
    lines, _ = post_round(store, "http://127.0.0.9:9/hook", "", timeout=1.0)
    assert len(lines) == 1 and lines[0].startswith("[x] webhook: ConnectError")
    assert lines[0].endswith("1 alert waits for the next cycle")


def test_a_round_with_nothing_to_do_writes_nothing(store: TinyStore, tmp_path: Path) -> None:
    stored(store, alert(1))
    notify(store, tmp_path, "true")
    record = tmp_path / "data" / "outbox-notify.json"
    before = record.stat().st_mtime_ns
    assert notify(store, tmp_path, "true") == []
    assert record.stat().st_mtime_ns == before


def test_a_channel_taken_out_and_put_back_starts_afresh(store: TinyStore, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    stored(store, alert(1))
    notify(store, tmp_path, "exit 1")  # fails: alert1 owed, the failure kept
    open_channels(store, Settings(), NOW + timedelta(hours=2))  # notify: taken out
    assert channel_failures(store, SETTINGS_BOTH) == []
    stored(store, alert(200))  # raised while it was out
    settings = Settings(notify=NotifySettings(f'echo "$DESK_ALERT_ID" >> {out}'))
    open_channels(store, settings, NOW + timedelta(hours=5))  # back
    stored(store, alert(400))
    reports = deliver_alerts(store, settings, tmp_path / "runs", NOW + timedelta(hours=8))
    assert [r.line() for r in reports] == ["[ok] notify: 1 alert sent"]
    assert out.read_text().split() == ["alert400"]


def test_failures_of_channels_no_longer_set_up_are_not_shown(
    store: TinyStore, tmp_path: Path
) -> None:
    stored(store, alert(1))
    notify(store, tmp_path, "exit 1")
    assert channel_failures(store, SETTINGS_BOTH) == [
        ("notify", "the command exited with status 1")
    ]
    assert channel_failures(store, Settings(webhook=SETTINGS_BOTH.webhook)) == []


def test_an_unreadable_record_is_set_aside_and_said(tmp_path: Path) -> None:
    first = TinyStore(tmp_path / "data")
    stored(first, alert(1))
    first.close()
    (tmp_path / "data" / "outbox-notify.json").write_bytes(b'{"since": 12, "sent": {')
    store = TinyStore(tmp_path / "data")
    try:
        assert store.outbox("notify") == {}
        assert any("outbox-notify.json was unreadable" in note for note in store.recovered)
        assert list((tmp_path / "data").glob("outbox-notify.json.corrupt-*"))
        open_channels(store, Settings(notify=NotifySettings("true")), NOW)
        assert Record.from_dict(store.outbox("notify"), 0).since == NOW.timestamp()
    finally:
        store.close()


def test_a_delivery_id_stays_the_same_while_old_sent_ids_are_forgotten(store: TinyStore) -> None:
    """A channel past KEEP_SENT_SECONDS moves `since` on every round; the delivery id must not move."""
    receiver = Receiver("k", fail=10**6)
    hook = WebhookSettings(url="", secret="k")
    stored(store, alert(1))
    with serving(receiver.handler()) as base:
        settings = Settings(webhook=replace(hook, url=f"{base}/hook"))
        open_channels(store, settings, NOW - timedelta(days=3))
        for minutes in (60, 65, 70):
            later = NOW + timedelta(minutes=minutes)
            deliver_alerts(store, settings, Path("unused"), later, sleep=lambda _: None)
    assert len(receiver.posts) == 12  # three rounds of four tries
    assert {delivery for delivery, _, _ in receiver.posts} == {receiver.posts[0][0]}


def test_a_record_kept_before_channels_had_a_key_keeps_its_delivery_ids(store: TinyStore) -> None:
    old = {"since": 1765000000.5, "sent": {}, "flight": None, "failure": "", "failing_since": None}
    assert Record.from_dict(old, 0).key == "1765000000.5"  # the ids it made before
    assert Record.from_dict(Record.from_dict(old, 0).to_dict(), 0).key == "1765000000.5"


def test_a_digest_of_9000_alerts_runs_with_every_alert_on_stdin(
    store: TinyStore, tmp_path: Path
) -> None:
    """~7,700 ids had passed Linux's 128 KiB for one variable: the command never started."""
    out, body = tmp_path / "said.txt", tmp_path / "body.json"
    made = [
        replace(
            alert(n, title=f"Army deploys {n} troops near the border"), id=short_hash("a", str(n))
        )
        for n in range(9000)
    ]
    stored(store, *made)
    command = f'printf "%s %s\\n" "$DESK_COUNT" "$DESK_ALERT_ID" > {out}; cat > {body}'
    assert notify(store, tmp_path, command) == ["[ok] notify: 9,000 alerts sent"]
    count, *ids = out.read_text().split()
    assert count == "9000" and ids == [a.id for a in made[: len(ids)]] and ids
    assert [a["id"] for a in json.loads(body.read_text())] == [a.id for a in made]


def test_a_huge_title_still_reaches_the_command(store: TinyStore, tmp_path: Path) -> None:
    out = tmp_path / "title.txt"
    stored(store, alert(1, title="Troops " * 30_000))  # 210 KB
    assert notify(store, tmp_path, f'printf "%s" "$DESK_TITLE" > {out}') == [
        "[ok] notify: 1 alert sent"
    ]
    assert out.read_text().startswith("Troops Troops") and len(out.read_text()) < 210_000


# -- what a delivery round holds a cycle ---------------------------------------------------------


class Endpoint(BaseHTTPRequestHandler):
    """Answers 200 after `delay` seconds; with `trickle`, its status line a byte per `delay`."""

    delay = 0.0
    trickle = False
    taken: list[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        if self.trickle:
            try:
                for byte in answer:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(self.delay)
            except OSError:
                return
        else:
            time.sleep(self.delay)
            self.wfile.write(answer)
        self.taken.append(json.loads(body)["id"])

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def timed_round(store: TinyStore, handler: type[BaseHTTPRequestHandler]) -> tuple[list[str], float]:
    """One real webhook round (real back-off sleeps) with a 1 s timeout: its lines and seconds."""
    with serving(handler) as base:
        settings = Settings(webhook=WebhookSettings(f"{base}/hook", timeout=1.0))
        open_channels(store, settings, NOW)
        began = time.monotonic()
        reports = deliver_alerts(store, settings, Path("unused"), NOW + timedelta(hours=1))
        return [r.line() for r in reports if r.worth_saying], time.monotonic() - began


def test_a_hanging_webhook_holds_a_round_at_most_its_budget(store: TinyStore) -> None:
    """Four tries of 1 s and 3.5 s of back-off had held it 7.5 s; the budget is 2 s."""
    hanging = type("Hanging", (Endpoint,), {"delay": 3.0, "taken": []})
    stored(store, alert(1), alert(2))
    lines, took = timed_round(store, hanging)
    assert took < 2.5, f"a hanging endpoint held the round {took:.1f} s"
    [line] = lines  # httpx's read timeout and the POST's deadline end it at the same 1 s
    assert line.startswith(("[x] webhook: ReadTimeout", "[x] webhook: no answer within 1 s"))
    assert line.endswith(
        "(tried 1 time); this round's time is up; 2 alerts wait for the next cycle"
    )


def test_an_endpoint_trickling_its_answer_is_given_up_at_the_timeout(store: TinyStore) -> None:
    """Each byte within httpx's read timeout: only a whole-POST deadline ends it."""
    trickling = type("Trickling", (Endpoint,), {"delay": 0.3, "trickle": True, "taken": []})
    stored(store, alert(1))
    lines, took = timed_round(store, trickling)
    assert took < 2.5, f"a trickling endpoint held the round {took:.1f} s"
    assert lines == [
        "[x] webhook: no answer within 1 s (tried 1 time); "
        "this round's time is up; 1 alert waits for the next cycle"
    ]


def test_a_slow_but_accepting_endpoint_gets_what_fits_and_the_rest_waits(
    store: TinyStore,
) -> None:
    slow = type("Slow", (Endpoint,), {"delay": 0.3, "taken": []})
    stored(store, *(alert(n) for n in range(20)))
    lines, took = timed_round(store, slow)
    assert took < 2.5, f"a slow endpoint held the round {took:.1f} s"
    sent = len(slow.taken)
    assert 1 <= sent < 20
    assert lines == [
        f"[ok] webhook: {sent} alerts sent; {20 - sent} alerts wait for the next cycle "
        "(this round's 2 s are up)"
    ]


def test_slow_commands_run_while_their_timeout_fits_in_the_round(
    store: TinyStore, tmp_path: Path
) -> None:
    """Five runs of 0.6 s had held the round 3 s; with a 1 s timeout its budget is 2 s."""
    out = tmp_path / "out.txt"
    stored(store, *(alert(n) for n in range(1, 6)))
    began = time.monotonic()
    lines = notify(store, tmp_path, f'sleep 0.6; echo "$DESK_ALERT_ID" >> {out}', timeout=1.0)
    took = time.monotonic() - began
    ran = len(out.read_text().split())
    assert took < 2.5 and 1 <= ran < 5, f"{ran} runs held the round {took:.1f} s"
    assert lines == [
        f"[ok] notify: {plural(ran, 'alert')} sent; {plural(5 - ran, 'alert')} wait for the "
        "next cycle (this round's 2 s are up)"
    ]


def test_a_reused_process_id_is_neither_waited_for_nor_killed(
    store: TinyStore, tmp_path: Path
) -> None:
    """After a reboot the flight's pid may name another program: desk must leave it alone."""
    out = tmp_path / "out.txt"
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        stored(store, alert(1))
        flight = Flight(("alert1",), "f00d", time.time(), stranger.pid)
        store.save_outbox("notify", Record(since=NOW.timestamp(), flight=flight).to_dict())
        began = time.monotonic()
        lines = notify(store, tmp_path, f'echo "$DESK_ALERT_ID" >> {out}', timeout=2.0)
        took = time.monotonic() - began
        assert stranger.poll() is None, "desk killed a process that was not its run"
        assert took < 1.5, f"desk waited {took:.1f} s for a process that was not its run"
        assert lines == ["[ok] notify: 1 alert sent"] and out.read_text().split() == ["alert1"]
    finally:
        stranger.kill()
        stranger.wait()
