"""The alert list: one row per story, newest first, state and severity at a glance.

A line-API widget: each repaint draws only the rows on screen, one Text per
row, so turning a page of 500 costs the rows shown, not 2,500 cells laid out
by a DataTable. It draws from the store's compact rows (AlertRow): no full
alert is read to list one; the screen reads the cursor's for the article pane.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from desk.core.decide import grew_since_handled
from desk.core.models import AlertRow, AlertState, Severity

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
GREW_MARK = Text("▲", style="bold magenta")
"""The state mark of a new alert that grew since it was acknowledged or archived."""
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


def watchlists_label(alert: AlertRow) -> str:
    """The watchlists cell's text: `troop-deployment · 2 sources`."""
    sources = f" · {alert.sources} sources" if alert.sources > 1 else ""
    return ", ".join(alert.watchlists) + sources


def cells_of(alert: AlertRow) -> dict[str, Text]:
    """The row of one alert, by column key."""
    published = datetime.fromtimestamp(alert.order[0]).astimezone() if alert.dated else None
    when = published.strftime("%d %b %H:%M") if published else ""
    return {
        "state": GREW_MARK if grew_since_handled(alert) else STATE_MARK[alert.state],
        "severity": Text(alert.severity.value, style=SEVERITY_STYLE[alert.severity]),
        "published": Text(when),
        "title": title_cell(alert),
        "watchlists": _cut(watchlists_label(alert)),
    }


def title_cell(alert: AlertRow) -> Text:
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


class AlertList(ScrollView, can_focus=True):
    """The alerts of one page as a table; the highlighted row is the one the analyst is reading."""

    DEFAULT_CSS = """
    AlertList {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .alert-list--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .alert-list--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .alert-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"alert-list--header", "alert-list--cursor"}
    BINDINGS = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("home", "first_row", "First", show=False),
        Binding("end", "last_row", "Last", show=False),
    ]
    cell_padding = 1
    """Blank cells either side of each column."""

    @dataclass
    class AlertHighlighted(Message):
        """The cursor moved onto an alert."""

        alert: AlertRow

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.alerts: list[AlertRow] = []
        """The page's rows, in the list's order."""
        self.cursor_row = 0
        self.widths: dict[str, int] = {}
        """Each column's width in cells, by column key (see fitted_widths)."""
        self._cells: dict[int, dict[str, Text]] = {}
        """Each row's cells, made when the row is first drawn or asked for."""
        self._drawn: dict[tuple[int, bool, bool, int], Strip] = {}
        """Rows already drawn, by (row, under the cursor, focused, width): cleared with the rows."""
        self._laid_out_for = -1

    @property
    def row_count(self) -> int:
        """How many alerts the list holds."""
        return len(self.alerts)

    def on_resize(self, event: events.Resize) -> None:
        """Fit the columns again when the pane's width changes."""
        if event.size.width != self._laid_out_for:
            self._lay_out()

    def show(self, alerts: list[AlertRow]) -> None:
        """Replace the rows, keeping the cursor on the same alert where it can.

        When that alert has left the list (archived), the cursor keeps its row,
        which now holds the next alert, or the last row if it was at the end.
        """
        current, place = self.current_alert, self.cursor_row
        self.alerts = list(alerts)
        self._cells = {}
        self._lay_out()
        ids = [a.id for a in self.alerts]
        if current is not None and current.id in ids:
            self.move_cursor(row=ids.index(current.id))
        else:
            self.move_cursor(row=min(place, len(ids) - 1) if current is not None else 0)

    def _lay_out(self) -> None:
        """Column widths for the pane and the rows held; the scrollable size to match."""
        self._laid_out_for = self.size.width
        watchlists = max((cell_len(watchlists_label(a)) for a in self.alerts), default=0)
        total = self.size.width - self.styles.scrollbar_size_vertical
        self.widths = fitted_widths(total, watchlists, self.cell_padding)
        width = sum(self.widths.values()) + 2 * self.cell_padding * len(self.widths)
        self.virtual_size = Size(width, len(self.alerts) + 1)
        self._drawn.clear()
        self.refresh()

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of row `index`, in column order."""
        return list(self._cells_at(index).values())

    def _cells_at(self, index: int) -> dict[str, Text]:
        cells = self._cells.get(index)
        if cells is None:
            cells = self._cells[index] = cells_of(self.alerts[index])
        return cells

    def replace_alert(self, alert: AlertRow) -> None:
        """Redraw one alert's row in place."""
        for index, known in enumerate(self.alerts):
            if known.id == alert.id:
                self.alerts[index] = alert
                self._cells[index] = cells_of(alert)
        self._drawn.clear()
        self.refresh()

    @property
    def current_alert(self) -> AlertRow | None:
        """The alert under the cursor."""
        if not self.alerts or not 0 <= self.cursor_row < len(self.alerts):
            return None
        return self.alerts[self.cursor_row]

    # -- the cursor -------------------------------------------------------------------------

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on `row` (clamped), scroll it into view, and say which alert it is on.

        Only the two rows it left and reached are drawn again (all of them if it scrolled).
        """
        row = min(max(row, 0), max(len(self.alerts) - 1, 0))
        moved, left = row != self.cursor_row, self.cursor_row
        self.cursor_row = row
        if not self._scroll_to_cursor():
            self.refresh_line(left + 1)  # virtual lines: the header is line 0
            self.refresh_line(row + 1)
        alert = self.current_alert
        if moved and alert is not None:
            self.post_message(self.AlertHighlighted(alert))

    def _scroll_to_cursor(self) -> bool:
        """Scroll so that the cursor's row shows; True if that took a scroll."""
        rows_shown = max(self.size.height - 1, 1)
        top = round(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + rows_shown:
            self.scroll_to(y=self.cursor_row - rows_shown + 1, animate=False, immediate=True)
        else:
            return False
        self.refresh()
        return True

    def action_cursor_down(self) -> None:
        """The next alert."""
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        """The previous alert."""
        self.move_cursor(row=self.cursor_row - 1)

    def action_page_down(self) -> None:
        """A screenful down."""
        self.move_cursor(row=self.cursor_row + max(self.size.height - 1, 1))

    def action_page_up(self) -> None:
        """A screenful up."""
        self.move_cursor(row=self.cursor_row - max(self.size.height - 1, 1))

    def action_first_row(self) -> None:
        """The first alert of the page."""
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """The last alert of the page."""
        self.move_cursor(row=len(self.alerts) - 1)

    def on_click(self, event: events.Click) -> None:
        """A click on a row puts the cursor there."""
        offset = event.get_content_offset(self)
        if offset is not None and offset.y > 0:
            self.move_cursor(row=round(self.scroll_offset.y) + offset.y - 1)

    # -- drawing ----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """A new theme or stylesheet: rows are drawn afresh."""
        super().notify_style_update()
        self._drawn.clear()

    def render_line(self, y: int) -> Strip:
        """Line `y` of the widget: the header, else the row scrolled there."""
        width = self.size.width
        if y == 0:
            labels = {key: Text(label) for key, label in COLUMNS.items()}
            style = self.get_component_rich_style("alert-list--header")
            return self._strip(labels, width, style)
        index = round(self.scroll_offset.y) + y - 1
        if not 0 <= index < len(self.alerts):
            return Strip.blank(width, self.rich_style)
        look = (index, index == self.cursor_row, self.has_focus, width)
        strip = self._drawn.get(look)
        if strip is None:
            style = self.rich_style
            if index == self.cursor_row:
                style += self.get_component_rich_style("alert-list--cursor")
            strip = self._drawn[look] = self._strip(self._cells_at(index), width, style)
        return strip

    def _strip(self, cells: dict[str, Text], width: int, style: Style) -> Strip:
        """One line of cells, each cut or padded to its column, over `style`."""
        line = Text(no_wrap=True, end="")
        pad = " " * self.cell_padding
        for key, column_width in self.widths.items():
            cell = cells[key].copy()
            cell.truncate(column_width, overflow="ellipsis", pad=True)
            line.append(pad)
            line.append_text(cell)
            line.append(pad)
        drawn = sum(self.widths.values()) + 2 * self.cell_padding * len(self.widths)
        if drawn < width:
            line.append(" " * (width - drawn))
        segments = list(line.render(self.app.console))
        # every cell was cut or padded to its width: the strip's length is known, not measured
        strip = Strip(segments, width) if drawn <= width else Strip(segments).crop(0, width)
        return strip.apply_style(style)
