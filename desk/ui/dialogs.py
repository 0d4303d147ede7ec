"""Small modal screens: a yes/no question, a note, the key help."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from desk.ui.keys import KeyRow


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; `y`/enter say yes, `n`/escape say no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button("Yes (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        """Yes has the focus, so enter confirms."""
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A button answers."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """A key answers."""
        self.dismiss(yes)


HELP_TITLE = "Keys (remap them under keys: in settings.yaml; escape closes)"


class HelpScreen(ModalScreen[None]):
    """Every key of the desk, from the bindings themselves (remaps included)."""

    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close", show=False)]

    def __init__(self, rows: list[KeyRow], title: str = HELP_TITLE) -> None:
        super().__init__()
        self.rows = rows
        self.title_line = title

    def compose(self) -> ComposeResult:
        """A table of key, action, what it does."""
        with Vertical(id="help"):
            yield Static(self.title_line, id="help-title", markup=False)
            table: DataTable[Text] = DataTable(
                id="help-keys", cursor_type="row", zebra_stripes=True
            )
            yield table

    def on_resize(self) -> None:
        """Lay the table out to the screen's width: on opening (Textual sizes a screen as it
        mounts) and again on each resize, its last column wrapping to fit."""
        self._fill()

    def _fill(self) -> None:
        """The rows, the last column as wide as the dialog leaves (a narrow screen wraps it)."""
        table: DataTable[Text] = self.query_one("#help-keys", DataTable)
        key_width = max((len(row.keys) for row in self.rows), default=3)
        action_width = max((len(row.description) for row in self.rows), default=6)
        dialog = (
            min(110, self.app.size.width * 9 // 10) - 4
        )  # #help: 90%, at most 110; border, padding
        room = dialog - key_width - action_width - 3 * 2 - 2  # each column's padding, the scrollbar
        longest = max((len(row.tooltip) for row in self.rows), default=12)
        table.clear(columns=True)
        table.add_column("Key", width=key_width)
        table.add_column("Action", width=action_width)
        table.add_column("What it does", width=max(20, min(longest, room)))
        for row in self.rows:
            table.add_row(Text(row.keys), Text(row.description), Text(row.tooltip), height=None)


class NoteScreen(ModalScreen[str | None]):
    """Ask for a one-line note; enter gives it, escape gives None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, question: str, note: str = "") -> None:
        super().__init__()
        self.question = question
        self.note = note

    def compose(self) -> ComposeResult:
        """The question and the line."""
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question", markup=False)
            yield Input(self.note, placeholder="note (enter saves, escape cancels)", id="note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter gives the note."""
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Escape: no note, no change."""
        self.dismiss(None)
