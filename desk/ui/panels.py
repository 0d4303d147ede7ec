"""Full screens over the main one: feed health (`F`) and the watchlists (`W`).

What each row says comes from desk.core.view; these screens only lay it out.
Every cell is a rich Text: feed names, errors and terms come from outside.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from desk.core.view import FeedHealth, WatchlistSummary

TERMS_SHOWN = 6
"""Terms listed per watchlist; the rest are counted."""

FEED_COLUMN = (14, 32)
"""The feed name column's width, narrowest and widest: a long name is cut, the status stays in view."""

FEED_FIXED_COLUMNS = 12 + 4 + 12 + 5 + 12 + 2 * 8
"""Status, HTTP, last success, fails and next poll, with each column's padding: what the error
and blind-spot columns cannot have."""
BLIND_SPOT_COLUMN = 40
"""The blind-spot column's widest: the error column gets what is left, so both stay in view."""


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
    """Each configured feed: name, status, HTTP, last success, failures, next poll, last error
    and blind spot.

    `load` gives the rows as they stand; the desk calls `show_rows` again when a
    poll finishes, so an open screen follows the feeds.
    """

    HEADING = "Feed health (failing first; r polls now; escape goes back)"

    def __init__(self, load: Callable[[], list[FeedHealth]]) -> None:
        super().__init__()
        self.load = load

    def on_mount(self) -> None:
        """Fill the table."""
        self.show_rows()
        self.query_one(DataTable).focus()

    def show_rows(self) -> None:
        """The feeds as they stand now, in columns fitted to the screen; the cursor keeps its row."""
        table: DataTable[Text] = self.query_one(DataTable)
        cursor = table.cursor_row
        rows = self.load()
        table.clear(columns=True)
        name_width, error_width, blind_width = self._widths(rows)
        table.add_column("Feed", width=name_width)
        table.add_columns("Status", "HTTP", "Last success", "Fails", "Next poll")
        table.add_column("Error", width=error_width)
        table.add_column("Blind spot", width=blind_width)
        for row in rows:
            table.add_row(
                Text(row.name, no_wrap=True, overflow="ellipsis"),
                status_text(row),
                Text(str(row.http_status) if row.http_status else "-"),
                Text(when(row.last_success)),
                Text(str(row.failures)),
                Text(when(row.next_due) if row.next_due else "-"),
                Text(row.error, style="red", no_wrap=True, overflow="ellipsis"),
                Text(
                    row.blind_spot.why if row.blind_spot else "",
                    style="bold yellow",
                    no_wrap=True,
                    overflow="ellipsis",
                ),
            )
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    def _widths(self, rows: list[FeedHealth]) -> tuple[int, int, int]:
        """The feed name's, the error's and the blind spot's columns: as wide as they need,
        never past the screen.

        A long name is cut first, so status, HTTP, last success, fails and next poll are
        always in view; the blind spot keeps its room (up to BLIND_SPOT_COLUMN), the error
        takes the rest.
        """
        narrowest, widest = FEED_COLUMN
        screen = self.app.size.width
        longest_name = max((len(row.name) for row in rows), default=narrowest)
        name = max(narrowest, min(longest_name, widest, screen // 4))
        spots = [len(row.blind_spot.why) for row in rows if row.blind_spot]
        blind = max(10, min(max(spots, default=0), BLIND_SPOT_COLUMN))
        longest_error = max((len(row.error) for row in rows), default=5)
        room = max(20, screen - name - blind - FEED_FIXED_COLUMNS - 4)
        return name, max(5, min(longest_error, room)), blind


class WatchlistsScreen(PanelScreen):
    """Each watchlist: severity, stored alerts and hits, its terms or the error of its file.

    `load` gives the rows as they stand; the desk calls `show_rows` again when a
    watchlist file is reloaded, so an open screen follows the edits.
    """

    HEADING = (
        "Watchlists (alerts and hits in the store; every term is in its file; escape goes back)"
    )

    def __init__(self, load: Callable[[], list[WatchlistSummary]]) -> None:
        super().__init__()
        self.load = load

    def on_mount(self) -> None:
        """Fill the table."""
        self.show_rows()
        self.query_one(DataTable).focus()

    def show_rows(self) -> None:
        """The watchlists as they stand now; the cursor keeps its row."""
        table: DataTable[Text] = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns("Watchlist", "Severity", "Alerts", "Hits", "Terms")
        for row in self.load():
            table.add_row(
                Text(row.id, style="bold red" if row.error else "bold"),
                Text(row.severity),
                Text(f"{row.alerts:,}", justify="right"),
                Text(f"{row.hits:,}", justify="right"),
                terms_text(row),
            )
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
