"""One round of deliveries after a poll cycle: the notify command, then the webhook.

Before a delivery the channel's record says, in the store, what is about
to be sent (the flight: for the command each run, for the webhook the
round's POSTs at once, in order); only once an outcome is known is it
recorded as sent (or failed) and it leaves the flight. A desk killed in
between finds the flight on its next round and settles it before anything
else: a command's wrapper left its exit status in a file (or is still
running, and is waited for up to its deadline); the webhook POST that may
have been sent is sent again with the same delivery id. A failure stops
the channel for this round; what is still owed is tried on the next round.

What holds a cycle: each channel's round has a time budget (round_budget:
twice the channel's timeout, at most ROUND_BUDGET_CAP seconds, never less
than one timeout), and starts a command run, a POST or a retry of one only
while its whole timeout (and the back-off before it) fits in what is left;
a run past its timeout is killed and a POST unanswered by then is given up
(sent again next round under its delivery id). So one channel holds a cycle
at most its budget, both at most twice ROUND_BUDGET_CAP; what did not fit
waits for the next cycle, and the channel's line says so.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx

from desk.core.attention import Surge
from desk.core.errors import plural
from desk.core.models import Alert, AlertRow, short_hash
from desk.core.notify.command import RunFiles, finish_orphan, finish_run, start_run
from desk.core.notify.outbox import Flight, Record, failed, owed, raised_at, runs_for, sent, trimmed
from desk.core.notify.payload import body_of, command_values
from desk.core.notify.webhook import headers_for, post_with_retries
from desk.core.settings.config import NotifySettings, Settings, WebhookSettings
from desk.core.store.contract import Store

NOTIFY, WEBHOOK = "notify", "webhook"
"""The channels' names: in the store (outbox-NAME.json), in messages and in `desk feeds`."""
POSTS_PER_ROUND = 200
"""Webhook POSTs in one round at most; the rest wait for the next round."""
ROUND_BUDGET_CAP = 60.0
"""Seconds one channel's round may take at most, whatever its timeout."""


def round_budget(timeout: float) -> float:
    """Seconds one channel's round may take: twice its timeout, capped, but room for one try."""
    return max(timeout, min(2 * timeout, ROUND_BUDGET_CAP))


@dataclass(frozen=True)
class ChannelReport:
    """What one round did for one channel."""

    channel: str
    sent: int
    waiting: int
    """Alerts still owed after this round."""
    failure: str = ""
    """Why the round stopped ("" when nothing failed)."""
    out_of_time: float = 0.0
    """The round's budget in seconds, when it ran out with alerts still owed (else 0)."""

    @property
    def worth_saying(self) -> bool:
        """Whether the round did anything: sent an alert or failed."""
        return bool(self.sent or self.failure or (self.out_of_time and self.waiting))

    def _waiting(self) -> str:
        """'1 alert waits', '3 alerts wait'."""
        return f"{plural(self.waiting, 'alert')} {'waits' if self.waiting == 1 else 'wait'}"

    def line(self) -> str:
        """The round in one line, in feed health's style: `[ok] notify: 2 alerts sent`."""
        if self.failure:
            wait = f"; {self._waiting()} for the next cycle" if self.waiting else ""
            return f"[x] {self.channel}: {self.failure}{wait}"
        if self.out_of_time and self.waiting:
            return (
                f"[ok] {self.channel}: {plural(self.sent, 'alert')} sent; "
                f"{self._waiting()} for the next cycle (this round's {self.out_of_time:g} s are up)"
            )
        return f"[ok] {self.channel}: {plural(self.sent, 'alert')} sent"


def open_channels(store: Store, settings: Settings, now: datetime) -> None:
    """Give each configured channel that has no record one that owes what is raised from `now` on.

    Called before a cycle, so that the alerts of a channel's first cycle are
    owed even if desk is killed before its first delivery round. A channel
    taken out of settings.yaml has its record cleared: put back later, it
    owes what is raised from then on, not everything raised meanwhile.
    """
    configured = configured_channels(settings)
    for channel in (NOTIFY, WEBHOOK):
        record = store.outbox(channel)
        if channel in configured and not record:
            opened = Record(since=now.timestamp(), key=secrets.token_hex(8))
            store.save_outbox(channel, opened.to_dict())
        elif channel not in configured and record:  # taken out: set up again, it starts afresh
            store.save_outbox(channel, {})


def deliver_alerts(
    store: Store,
    settings: Settings,
    folder: Path,
    now: datetime,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    surging: Iterable[Surge] = (),
) -> list[ChannelReport]:
    """One round for each configured channel; `folder` holds the notify command's run files.

    A channel with no record yet (see open_channels) owes what is raised from `now` on.
    `surging`: the surges of the moment (attention.surges), which deliveries
    carry; a poll cycle judges them once for its status line, stderr and this round.
    """
    words = {surge.watchlist: surge.line() for surge in surging}
    reports = []
    if settings.notify is not None:
        reports.append(NotifyRound(store, settings.notify, folder, now.timestamp(), words).run())
    if settings.webhook is not None:
        post = WebhookRound(store, settings.webhook, now.timestamp(), settings.user_agent, words)
        reports.append(post.run(transport, sleep))
    return reports


def channel_failures(store: Store, settings: Settings) -> list[tuple[str, str]]:
    """(channel, failure) for each configured channel whose last delivery failed, as the store keeps them."""
    failing = []
    for channel in configured_channels(settings):
        failure = str(store.outbox(channel).get("failure") or "")
        if failure:
            failing.append((channel, failure))
    return failing


def configured_channels(settings: Settings) -> list[str]:
    """The channels settings.yaml sets up, in delivery order."""
    return [c for c, config in ((NOTIFY, settings.notify), (WEBHOOK, settings.webhook)) if config]


class _Round:
    """What both channels share: their record, what they owe, and keeping outcomes."""

    channel = ""

    def __init__(
        self,
        store: Store,
        config: NotifySettings | WebhookSettings,
        now: float,
        surging: dict[str, str] | None,
    ) -> None:
        self.store = store
        self.now = now
        self.surging = surging or {}
        """Watchlist -> its surge in words, for the watchlists in a surge now."""
        self.timeout = config.timeout
        self.min_severity = config.min_severity
        self.budget = round_budget(self.timeout)
        self.ends = time.monotonic() + self.budget
        self.ran_out = False
        self.record = Record.from_dict(store.outbox(self.channel), now)
        self.sent = 0
        self.failure = ""
        self._rows: list[AlertRow] | None = None
        self._raised: dict[str, float] | None = None
        self._owed: tuple[Record, list[AlertRow]] | None = None

    def fits(self, seconds: float) -> bool:
        """Whether `seconds` more fit in the round's budget; once not, the round ran out."""
        if time.monotonic() + seconds <= self.ends:
            return True
        self.ran_out = True
        return False

    def rows(self) -> list[AlertRow]:
        """The store's alert rows, read once per round."""
        if self._rows is None:
            self._rows = self.store.alert_rows()
        return self._rows

    def owed(self) -> list[AlertRow]:
        """What the channel owes as its record stands (worked out again only once it changes)."""
        if self._owed is None or self._owed[0] is not self.record:
            self._owed = (self.record, owed(self.rows(), self.record, self.min_severity))
        return self._owed[1]

    def keep(self, record: Record) -> None:
        """Save the record; on disk when this returns."""
        self.record = record
        self.store.save_outbox(self.channel, record.to_dict())

    def begin(self, ids: tuple[str, ...], token: str) -> None:
        """Say, on disk, that these alerts are about to be delivered."""
        self.keep(replace(self.record, flight=Flight(ids, token, time.time())))

    def settle(self, ids: tuple[str, ...], problem: str) -> None:
        """Keep a delivery's outcome: sent, or failed (and owed again)."""
        if problem:
            self.failure = problem
            self.keep(failed(self.record, problem, self.now))
            return
        if self._raised is None:  # once a round: a round may send 200 alerts
            self._raised = {row.id: raised_at(row) for row in self.rows()}
        raised = {i: self._raised[i] for i in ids if i in self._raised}
        self.sent += len(ids)
        self.keep(sent(self.record, ids, raised, self.now))

    def alerts(self, ids: tuple[str, ...]) -> list[Alert]:
        """The stored alerts among `ids` (one removed since is skipped)."""
        return [alert for i in ids if (alert := self.store.get_alert(i)) is not None]

    def finish(self) -> ChannelReport:
        """Trim the record and say what the round did."""
        still = self.owed()
        kept = trimmed(self.record, still, self.now)
        if kept is not self.record:  # a round with nothing to do writes nothing
            self.keep(kept)
        out_of_time = self.budget if self.ran_out and not self.failure else 0.0
        return ChannelReport(self.channel, self.sent, len(still), self.failure, out_of_time)


class NotifyRound(_Round):
    """One round of the notify command."""

    channel = NOTIFY

    def __init__(
        self,
        store: Store,
        config: NotifySettings,
        folder: Path,
        now: float,
        surging: dict[str, str] | None = None,
    ) -> None:
        super().__init__(store, config, now, surging)
        self.config = config
        self.folder = folder

    def run(self) -> ChannelReport:
        """Settle a run an earlier desk left, then run the command for what is owed."""
        flight = self.record.flight
        if flight is not None:
            files = RunFiles(self.folder, flight.token)
            outcome = finish_orphan(flight.pid, files, flight.started + self.config.timeout)
            if outcome is None:  # nothing says it ran: owed again, and run below
                self.keep(replace(self.record, flight=None))
            else:
                self.settle(flight.ids, f"the command {outcome}" if outcome else "")
            files.remove()
        if not self.failure:
            due = [row.id for row in self.owed()]
            for ids in runs_for(due, self.config.digest_over):
                if not self.fits(self.timeout):
                    break
                if not self._run_once(ids, digest=len(due) > self.config.digest_over):
                    break
        return self.finish()

    def _run_once(self, ids: tuple[str, ...], digest: bool) -> bool:
        """Run the command for `ids` (one alert, or a digest); True when it succeeded."""
        alerts = self.alerts(ids)
        if not alerts:
            return True
        token = secrets.token_hex(8)
        files = RunFiles(self.folder, token)
        self.begin(ids, token)
        try:
            run = start_run(
                self.config.command,
                body_of(alerts, digest, self.surging),
                command_values(alerts, digest, self.surging),
                files,
            )
        except (OSError, ValueError) as exc:  # ValueError: a NUL where no program takes one
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self.settle(ids, f"could not start the command ({reason})")
            files.remove()
            return False
        assert self.record.flight is not None
        self.keep(replace(self.record, flight=replace(self.record.flight, pid=run.pid)))
        problem = finish_run(run, files, self.config.timeout)
        self.settle(ids, f"the command {problem}" if problem else "")
        files.remove()
        return not problem


class WebhookRound(_Round):
    """One round of webhook POSTs."""

    channel = WEBHOOK

    def __init__(
        self,
        store: Store,
        config: WebhookSettings,
        now: float,
        user_agent: str,
        surging: dict[str, str] | None = None,
    ) -> None:
        super().__init__(store, config, now, surging)
        self.config = config
        self.user_agent = user_agent

    def run(
        self, transport: httpx.BaseTransport | None, sleep: Callable[[float], None]
    ) -> ChannelReport:
        """Send again a POST an earlier desk did not see answered, then each alert owed.

        The round's flight is written once, before its first POST, with all
        of them in order; each leaves it as it is settled, so after a kill
        only its first may have been sent. That one is sent again under its
        delivery id; the rest were never started and are owed as any alert.
        A POST's delivery id is made of the channel's key and the alert, so it
        is the same whichever round sends it: a receiver keeping the ids it
        took gets each alert once, with one write per round before the POSTs
        instead of one before each.
        """
        if self.record.flight is None and not self.owed():
            return self.finish()  # no client made: its TLS setup alone is ~20 ms a cycle
        with httpx.Client(
            transport=transport, timeout=self.config.timeout, follow_redirects=False
        ) as client:
            flight = self.record.flight
            if flight is not None:
                first = flight.ids[0]
                if len(flight.ids) > 1:  # the rest were never started: owed again
                    self.keep(replace(self.record, flight=replace(flight, ids=(first,))))
                token = flight.token or self.delivery_id(first)
                if not self._post(client, first, token, sleep):
                    return self.finish()
            due = tuple(row.id for row in self.owed()[:POSTS_PER_ROUND])
            if due:
                self.begin(due, "")
            for alert_id in due:
                if not self.fits(self.timeout):
                    break
                if not self._post(client, alert_id, self.delivery_id(alert_id), sleep):
                    break
        return self.finish()

    def finish(self) -> ChannelReport:
        """What the round had no time for leaves its flight (owed again), then _Round.finish."""
        if self.record.flight is not None:
            self.keep(replace(self.record, flight=None))
        return super().finish()

    def delivery_id(self, alert_id: str) -> str:
        """The X-Desk-Delivery id of an alert: the same on every try, cycle and restart.

        Made of the channel's key, which (unlike `since`, moved on as sent
        ids are forgotten) stays as long as the channel is set up.
        """
        return short_hash(WEBHOOK, self.record.key, alert_id)

    def _post(
        self, client: httpx.Client, alert_id: str, token: str, sleep: Callable[[float], None]
    ) -> bool:
        """POST one alert (in the round's flight) under delivery id `token`; True when it was taken."""
        ids = (alert_id,)
        alerts = self.alerts(ids)
        if not alerts:
            self.settle(ids, "")
            return True
        body = body_of(alerts, digest=False, surging=self.surging)
        headers = headers_for(body, self.config.secret, token, alerts[0].id, self.user_agent)
        problem = post_with_retries(
            client, self.config.url, body, headers, self.timeout, self.fits, sleep
        )
        if problem and self.ran_out:
            problem += "; this round's time is up"
        self.settle(
            ids, f"the webhook answered {problem}" if problem.startswith("HTTP") else problem
        )
        return not problem
