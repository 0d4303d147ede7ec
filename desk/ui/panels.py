"""Full screens over the main one: feed health (`F`) and the watchlists (`W`).

What each row says comes from desk.core.view; these screens only lay it out.
Every cell is a rich Text: feed names, errors and terms come from outside.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from desk.core.view import FeedHealth, WatchlistSummary

TERMS_SHOWN = 6
"""Terms listed per watchlist; the rest are counted."""


def when(moment: datetime | None) -> str:
    """A local time to the minute, or "never"."""
    return moment.astimezone().strftime("%d %b %H:%M") if moment else "never"


def status_text(row: FeedHealth) -> Text:
    """The feed's status, coloured: green ok, red failing, dim never polled."""
    style = {"ok": "green", "never polled": "dim"}.get(row.status, "bold red")
    return Text(row.status, style=style)


def terms_text(row: WatchlistSummary) -> Text:
    """A broken file's error in place, else the first terms and how many more."""
    if row.error:
        kept = " (last good version in force)" if row.terms else ""
        return Text(f"✗ {row.error}{kept}", style="bold red")
    shown = ", ".join(row.terms[:TERMS_SHOWN])
    more = len(row.terms) - TERMS_SHOWN
    return Text(shown + (f" … +{more} more" if more > 0 else ""))


class PanelScreen(Screen[None]):
    """A header, a title line, one table and the footer; escape goes back."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]
    HEADING = ""

    def compose(self) -> ComposeResult:
        """The heading and the table."""
        yield Header()
        yield Static(self.HEADING, classes="panel-heading", markup=False)
        yield DataTable(cursor_type="row", zebra_stripes=True, classes="panel-table")
        yield Footer()


class FeedHealthScreen(PanelScreen):
    """Each configured feed: name, status, last success, failures, last error."""

    HEADING = "Feed health (failing first; escape goes back)"

    def __init__(self, rows: list[FeedHealth]) -> None:
        super().__init__()
        self.rows = rows

    def on_mount(self) -> None:
        """Fill the table."""
        table: DataTable[Text] = self.query_one(DataTable)
        table.add_columns("Feed", "Status", "Last success", "Fails", "Error", "Blind spot")
        for row in self.rows:
            table.add_row(
                Text(row.name, no_wrap=True, overflow="ellipsis"),
                status_text(row),
                Text(when(row.last_success)),
                Text(str(row.failures)),
                Text(row.error, style="red"),
                Text(row.blind_spot.why if row.blind_spot else "", style="bold yellow"),
            )
        table.focus()


class WatchlistsScreen(PanelScreen):
    """Each watchlist: severity, stored alerts and hits, its terms or the error of its file."""

    HEADING = "Watchlists (alerts and hits in the store; escape goes back)"

    def __init__(self, rows: list[WatchlistSummary]) -> None:
        super().__init__()
        self.rows = rows

    def on_mount(self) -> None:
        """Fill the table."""
        table: DataTable[Text] = self.query_one(DataTable)
        table.add_columns("Watchlist", "Severity", "Alerts", "Hits", "Terms")
        for row in self.rows:
            table.add_row(
                Text(row.id, style="bold red" if row.error else "bold"),
                Text(row.severity),
                Text(f"{row.alerts:,}", justify="right"),
                Text(f"{row.hits:,}", justify="right"),
                terms_text(row),
            )
        table.focus()
