"""The main screen: the alert list beside the article pane, and its keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from desk.core import decide
from desk.core.article.extract import readable
from desk.core.errors import DeskError
from desk.core.models import Alert, AlertState, Watchlist
from desk.core.safetext import safe_line
from desk.core.store.contract import Store
from desk.ui.widgets.alert_list import AlertList
from desk.ui.widgets.article_view import ArticleView

MAX_LISTED = 500
"""The newest alerts the list holds: Textual measures every cell of a table, and
10,000 rows took 3.6 s to show. Filters to reach older ones come with the full TUI."""


class MainScreen(Screen[None]):
    """Alerts on the left, the highlighted alert's article on the right."""

    BINDINGS = [
        Binding(
            "a", "acknowledge", "Ack", id="ack", tooltip="Acknowledge the alert (saved at once)"
        ),
        Binding("u", "unacknowledge", "Unack", id="unack", tooltip="Mark it new again"),
        Binding(
            "A",
            "acknowledge_all",
            "Ack all",
            id="ack_all",
            tooltip="Acknowledge every listed alert",
        ),
        Binding("s", "snooze", "Snooze", id="snooze", tooltip="Put aside; it comes back as new"),
        Binding("x", "archive", "Archive", id="archive", tooltip="File away: off the list, kept"),
        Binding("j", "cursor_down", "Down", id="down", show=False),
        Binding("k", "cursor_up", "Up", id="up", show=False),
        Binding(
            "tab", "app.focus_next", "Pane", id="pane", tooltip="Switch between list and article"
        ),
    ]

    def __init__(self, store: Store, status: str = "Starting…") -> None:
        super().__init__()
        self.store = store
        self._first_status = status

    def compose(self) -> ComposeResult:
        """Header, the two panes, the status line and the key footer."""
        yield Header()
        with Horizontal(id="panes"):
            yield AlertList(id="alerts")
            yield ArticleView(id="article")
        yield Static(self._first_status, id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Show what the store already holds."""
        self.refresh_alerts()
        self.query_one(AlertList).focus()

    def refresh_alerts(self) -> None:
        """Reload the list from the store (archived alerts are not listed)."""
        alerts = [a for a in self.store.alerts() if a.state is not AlertState.ARCHIVED]
        self.query_one(AlertList).show(alerts[:MAX_LISTED])
        if alerts and self.query_one(AlertList).current_alert:
            self._show_article(self.query_one(AlertList).current_alert)
        self._update_title(alerts)

    def _update_title(self, alerts: list[Alert]) -> None:
        fresh = sum(1 for a in alerts if a.state is AlertState.NEW)
        self.sub_title = f"{fresh} new · {len(alerts)} alerts"
        if len(alerts) >= MAX_LISTED:
            self.sub_title += f" (the newest {MAX_LISTED:,} listed)"

    def set_status(self, text: str) -> None:
        """Show a one-line status under the panes, as safe text (it quotes feeds, servers, errors)."""
        self.query_one("#status", Static).update(safe_line(text))

    @on(AlertList.AlertHighlighted)
    def _alert_highlighted(self, event: AlertList.AlertHighlighted) -> None:
        self._show_article(event.alert)

    def _show_article(self, alert: Alert | None) -> None:
        if alert is not None:
            article = self.store.get_article(alert.article_key)
            shown = readable(article) if article else None
            self.query_one(ArticleView).show(alert, shown, self.app_watchlists())

    def action_acknowledge(self) -> None:
        """Acknowledge the highlighted alert; the row changes only once it is on disk."""
        self._change(lambda alert: decide.acknowledge(alert, self.app_now()))

    def action_unacknowledge(self) -> None:
        """Put the highlighted alert back to new."""
        self._change(decide.unacknowledge)

    def action_snooze(self) -> None:
        """Snooze the highlighted alert for the configured time."""
        until = self.app_now() + timedelta(seconds=self._snooze_seconds())
        self._change(lambda alert: decide.snooze(alert, until))

    def _snooze_seconds(self) -> float:
        settings = getattr(self.app, "settings", None)
        return float(getattr(settings, "snooze_for", 3600.0))

    def action_archive(self) -> None:
        """Archive the highlighted alert: saved, then taken off the list."""
        if self._change(decide.archive):
            self.refresh_alerts()

    def action_acknowledge_all(self) -> None:
        """Acknowledge every alert the list shows, in one write."""
        table = self.query_one(AlertList)
        changed = decide.acknowledge_all(table.alerts, self.app_now())
        if not changed:
            return
        try:
            self.store.update_alerts(changed)
        except (DeskError, OSError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self.refresh_alerts()
        self.notify(f"{len(changed)} alerts acknowledged", title="Acknowledged")

    def _change(self, change: Callable[[Alert], Alert]) -> bool:
        """Apply `change` to the highlighted alert, on disk first; True if it was saved."""
        table = self.query_one(AlertList)
        alert = table.current_alert
        if alert is None:
            return False
        updated = change(alert)
        try:
            self.store.update_alert(updated)
        except (DeskError, OSError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return False
        table.replace_alert(updated)
        self._update_title(table.alerts)
        if updated.state in (AlertState.ACKNOWLEDGED, AlertState.SNOOZED):
            table.action_cursor_down()
        return True

    def app_now(self) -> datetime:
        """The app's clock."""
        now: Callable[[], datetime] = self.app.now  # type: ignore[attr-defined]
        return now()

    def app_watchlists(self) -> Mapping[str, Watchlist]:
        """The watchlists the app's poller runs now, by id (to explain an alert's evidence)."""
        poller = getattr(self.app, "poller", None)
        return getattr(poller, "watchlists", {})

    def action_cursor_down(self) -> None:
        """Next alert."""
        self.query_one(AlertList).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Previous alert."""
        self.query_one(AlertList).action_cursor_up()
