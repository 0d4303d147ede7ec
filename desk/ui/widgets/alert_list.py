"""The alert list: one row per story, newest first, state and severity at a glance."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

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


class AlertList(DataTable[Text | str]):
    """The alerts as a table; the highlighted row is the one the analyst is reading."""

    @dataclass
    class AlertHighlighted(Message):
        """The cursor moved onto an alert."""

        alert: Alert

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.alerts: list[Alert] = []

    def on_mount(self) -> None:
        """Lay out the columns."""
        self.add_column("", key="state", width=1)
        self.add_column("Severity", key="severity", width=8)
        self.add_column("Published", key="published", width=12)
        self.add_column("Title", key="title")
        self.add_column("Watchlists", key="watchlists")

    def show(self, alerts: list[Alert]) -> None:
        """Replace the rows, keeping the cursor on the same alert where it can."""
        current = self.current_alert
        self.alerts = list(alerts)
        self.clear()
        for alert in self.alerts:
            self.add_row(*self._cells(alert), key=alert.id)
        if current is not None:
            ids = [a.id for a in self.alerts]
            if current.id in ids:
                self.move_cursor(row=ids.index(current.id))

    def replace_alert(self, alert: Alert) -> None:
        """Redraw one alert's row in place."""
        for index, known in enumerate(self.alerts):
            if known.id == alert.id:
                self.alerts[index] = alert
                for column, value in zip(("state", "severity"), self._cells(alert)[:2], strict=True):
                    self.update_cell(alert.id, column, value)

    @property
    def current_alert(self) -> Alert | None:
        """The alert under the cursor."""
        if not self.alerts or not 0 <= self.cursor_row < len(self.alerts):
            return None
        return self.alerts[self.cursor_row]

    @staticmethod
    def _cells(alert: Alert) -> tuple[Text | str, ...]:
        severity = Text(alert.severity.value, style=SEVERITY_STYLE[alert.severity])
        when = alert.published.astimezone().strftime("%d %b %H:%M") if alert.published else ""
        title = Text(alert.title, style="bold" if alert.state is AlertState.NEW else "")
        sources = f" ×{len(alert.sources)}" if len(alert.sources) > 1 else ""
        return (STATE_MARK[alert.state], severity, when, title, ", ".join(alert.watchlists) + sources)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Tell the screen which alert is now under the cursor."""
        event.stop()
        alert = self.current_alert
        if alert is not None:
            self.post_message(self.AlertHighlighted(alert))
