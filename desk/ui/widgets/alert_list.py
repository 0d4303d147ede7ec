"""The alert list: one row per story, newest first, state and severity at a glance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from desk.core.models import Alert, AlertState, Severity

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
STATE_MARK = {
    AlertState.NEW: Text("●", style="bold yellow"),
    AlertState.ACKNOWLEDGED: Text("✓", style="green"),
    AlertState.SNOOZED: Text("z", style="dim"),
    AlertState.ARCHIVED: Text("·", style="dim"),
}
COLUMNS = {
    "state": "",
    "severity": "Severity",
    "published": "Published",
    "title": "Title",
    "watchlists": "Watchlists",
}
FIXED_WIDTHS = {"state": 1, "severity": 8, "published": 12}
MIN_TITLE_WIDTH = 24


def fitted_widths(total: int, watchlists: int, padding: int = 1) -> dict[str, int]:
    """Column widths that fill `total` cells: the title takes what the others leave.

    The watchlists column gets its longest cell but at most a third of the room,
    so long titles are cut with an ellipsis instead of pushing it off screen.
    """
    room = total - 2 * padding * len(COLUMNS) - sum(FIXED_WIDTHS.values())
    room = max(room, MIN_TITLE_WIDTH + len(COLUMNS["watchlists"]))
    watch = max(min(watchlists, room // 3), len(COLUMNS["watchlists"]))
    return {**FIXED_WIDTHS, "title": room - watch, "watchlists": watch}


def cells_of(alert: Alert) -> dict[str, Text]:
    """The row of one alert, by column key."""
    when = alert.published.astimezone().strftime("%d %b %H:%M") if alert.published else ""
    sources = f" · {len(alert.sources)} sources" if len(alert.sources) > 1 else ""
    return {
        "state": STATE_MARK[alert.state],
        "severity": Text(alert.severity.value, style=SEVERITY_STYLE[alert.severity]),
        "published": Text(when),
        "title": title_cell(alert),
        "watchlists": _cut(", ".join(alert.watchlists) + sources),
    }


def title_cell(alert: Alert) -> Text:
    """The title, bold while new; a snoozed alert starts with when it comes back."""
    cell = _cut(alert.title, "bold" if alert.state is AlertState.NEW else "")
    if alert.state is AlertState.SNOOZED and alert.snoozed_until is not None:
        wake = alert.snoozed_until.astimezone().strftime("%d %b %H:%M")
        cell = Text.assemble((f"[until {wake}] ", "dim italic"), cell)
        cell.no_wrap, cell.overflow, cell.end = True, "ellipsis", ""
    return cell


def _cut(text: str, style: str = "") -> Text:
    """One line that ends in an ellipsis when its column is too narrow."""
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")


class AlertList(DataTable[Text]):
    """The alerts as a table; the highlighted row is the one the analyst is reading."""

    @dataclass
    class AlertHighlighted(Message):
        """The cursor moved onto an alert."""

        alert: Alert

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.alerts: list[Alert] = []
        self._laid_out_for = 0

    def on_resize(self, event: events.Resize) -> None:
        """Fit the columns again when the pane's width changes."""
        if event.size.width != self._laid_out_for:
            self.show(self.alerts)

    def show(self, alerts: list[Alert]) -> None:
        """Replace the rows, keeping the cursor on the same alert where it can.

        When that alert has left the list (archived), the cursor keeps its row,
        which now holds the next alert, or the last row if it was at the end.
        """
        current, place = self.current_alert, self.cursor_row
        self.alerts = list(alerts)
        rows = [cells_of(alert) for alert in self.alerts]
        self._lay_out(max((cell_len(r["watchlists"].plain) for r in rows), default=0))
        for alert, row in zip(self.alerts, rows, strict=True):
            self.add_row(*row.values(), key=alert.id)
        ids = [a.id for a in self.alerts]
        if current is not None and current.id in ids:
            self.move_cursor(row=ids.index(current.id))
        elif current is not None and ids:
            self.move_cursor(row=min(place, len(ids) - 1))

    def _lay_out(self, watchlists: int) -> None:
        """Empty the table; new columns sized to the pane only if their widths change.

        Columns that stay keep the screen's layout as it is: a page turn then
        repaints the table alone, not the whole screen.
        """
        self._laid_out_for = self.size.width
        total = self.size.width - self.styles.scrollbar_size_vertical
        widths = fitted_widths(total, watchlists, self.cell_padding)
        if [c.width for c in self.columns.values()] == list(widths.values()):
            self.clear()
            return
        self.clear(columns=True)
        for key, label in COLUMNS.items():
            self.add_column(label, key=key, width=widths[key])

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """The table's virtual size, without measuring any cell.

        DataTable measures every new cell to size auto-width columns; every
        column here has a fixed width (fitted_widths) and every row one line,
        so that measuring (a third of turning a page of 500) is skipped.
        """
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(width, self._total_row_height + header)

    def replace_alert(self, alert: Alert) -> None:
        """Redraw one alert's row in place."""
        for index, known in enumerate(self.alerts):
            if known.id == alert.id:
                self.alerts[index] = alert
                for column, value in cells_of(alert).items():
                    self.update_cell(alert.id, column, value)

    @property
    def current_alert(self) -> Alert | None:
        """The alert under the cursor."""
        if not self.alerts or not 0 <= self.cursor_row < len(self.alerts):
            return None
        return self.alerts[self.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Tell the screen which alert is now under the cursor."""
        event.stop()
        alert = self.current_alert
        if alert is not None:
            self.post_message(self.AlertHighlighted(alert))
