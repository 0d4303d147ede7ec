"""The main screen: the alert list (one page of the chosen view) beside the article pane, and its keys.

The screen asks desk.core.view which alerts to list and in what order, and
desk.core.decide how each key changes an alert; it only saves and shows.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static
from textual.widgets._footer import FooterKey
from textual.worker import get_current_worker

from desk.core import decide
from desk.core import view as views
from desk.core.article.extract import readable
from desk.core.errors import DeskError, plural
from desk.core.models import Alert, AlertRow, AlertState, Severity, Watchlist, alert_row
from desk.core.safetext import safe_line
from desk.core.store.contract import Store
from desk.core.undo import UndoStack
from desk.core.view import AlertQuery, page_holding, page_of, select, shorten
from desk.ui.dialogs import ConfirmScreen, NoteScreen
from desk.ui.messages import LinkOpened, WatchlistEditRequested
from desk.ui.widgets.alert_list import AlertList
from desk.ui.widgets.article_view import ArticleView

NARROW = 120
"""Below this many columns the article pane goes under the list."""
FOOTER_ROOM = {"spaced": 112, "palette": 100, "tab": 90}
"""The columns the footer needs for its spacing, the palette's key and `tab` (each still
works below, and `?` lists them): it shows only what fits; at 80 it was cut after `/`."""
SPARED_WHEN_CRAMPED = {"tab"}
WAKE_CHECK_SECONDS = 5.0
"""How often the desk looks for snoozed alerts whose time has come."""
BODY_SEARCH_MIN = 3
"""Characters a search needs before the article bodies are read for it."""
NOTE_TITLE_ROOM = 160
"""Characters of an alert's title the note dialog quotes: a 3,000-character title filled the
screen and pushed the dialog's top out of it."""
BODY_SEARCH_PAUSE = 0.3
"""Seconds of no typing before the bodies are searched (each keystroke would start a scan)."""
BODY_SEARCH_STREAM = 0.25
"""Seconds between batches of body matches shown while the search runs."""


class DeskFooter(Footer):
    """The key footer; below FOOTER_ROOM["tab"] columns it leaves out SPARED_WHEN_CRAMPED."""

    spare_keys = False
    _composed_for: tuple[object, ...] | None = None
    """What the keys shown were last composed from (see recompose)."""

    async def recompose(self) -> None:
        """Compose the keys again, unless nothing they show has changed since the last time.

        Textual recomposes the footer each time the screen's bindings may have changed
        (every focus change): five times over as the desk starts, each time mounting and
        styling every key anew, for the same keys.
        """
        if not self.is_attached:  # nothing to compose (Widget.recompose does nothing too)
            return
        shown = self._shown_keys()
        if shown != self._composed_for:
            self._composed_for = shown
            await super().recompose()

    def _shown_keys(self) -> tuple[object, ...]:
        """Everything Footer.compose draws from: the screen's bindings as they stand, and how."""
        bindings = tuple(
            (
                binding.key,
                self.app.get_key_display(binding),
                binding.action,
                binding.description,
                binding.show,
                binding.group,
                enabled,
                tooltip,
            )
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
        fitted = (self.compact, self.show_command_palette, self.spare_keys, self._bindings_ready)
        return (bindings, fitted)

    def compose(self) -> ComposeResult:
        """Textual's footer keys, less the spared ones when that narrow."""
        for widget in super().compose():
            spared = isinstance(widget, FooterKey) and widget.key in SPARED_WHEN_CRAMPED
            if not (self.spare_keys and spared):
                yield widget

    def fit(self, width: int) -> None:
        """Show what fits in `width` columns (see FOOTER_ROOM); recompose if that changed."""
        fitted = (
            width < FOOTER_ROOM["spaced"],
            width >= FOOTER_ROOM["palette"],
            width < FOOTER_ROOM["tab"],
        )
        if fitted != (self.compact, self.show_command_palette, self.spare_keys):
            self.compact, self.show_command_palette, self.spare_keys = fitted
            self.refresh(recompose=True)


def new_by_severity(alerts: Sequence[Alert | AlertRow]) -> str:
    """`5 new (1 critical, 3 high, 1 low)`: the new alerts among `alerts`, most severe first."""
    counts = Counter(alert.severity for alert in alerts if alert.state is AlertState.NEW)
    total = sum(counts.values())
    if not total:
        return "0 new"
    parts = [f"{counts[s]:,} {s.value}" for s in reversed(Severity) if s in counts]
    return f"{total:,} new ({', '.join(parts)})"


class MainScreen(Screen[None]):
    """Alerts on the left (or above, when narrow), the highlighted alert's article beside them."""

    BINDINGS = [
        Binding(
            "a", "acknowledge", "Ack", id="ack", tooltip="Acknowledge the alert (saved at once)"
        ),
        Binding(
            "u",
            "undo",
            "Undo",
            id="undo",
            tooltip="Undo the last change of state (on an archived alert: restore it)",
        ),
        Binding(
            "ctrl+a",
            "acknowledge_with_note",
            "Ack + note",
            id="note",
            show=False,
            tooltip="Acknowledge the alert with a note",
        ),
        Binding(
            "e",
            "edit_watchlist",
            "Edit watchlist",
            id="edit_watchlist",
            show=False,
            tooltip="Open the alert's watchlist in $EDITOR; it reloads when saved",
        ),
        Binding(
            "A",
            "acknowledge_all",
            "Ack all",
            id="ack_all",
            tooltip="Acknowledge every new or snoozed alert of the view, on every page (asks first)",
        ),
        Binding("s", "snooze", "Snooze", id="snooze", tooltip="Put aside; it comes back as new"),
        Binding("x", "archive", "Archive", id="archive", tooltip="File away: off the list, kept"),
        Binding(
            "f",
            "cycle_view",
            "View",
            id="view",
            tooltip="Show active, new, acked, snoozed, archived, all",
        ),
        Binding(
            "w",
            "cycle_watchlist",
            "Watchlist",
            id="watchlist_filter",
            show=False,
            tooltip="Show one watchlist's alerts, the next one each press, then all",
        ),
        Binding(
            "v",
            "cycle_severity",
            "Severity",
            id="severity_filter",
            show=False,
            tooltip="Show alerts of at least low, medium, high, critical, then all",
        ),
        Binding(
            "slash",
            "search",
            "Search",
            id="search",
            tooltip="Filter the list by title and article text",
            priority=True,  # run as the key arrives: the keys typed after it go to the search
        ),
        Binding(
            "j",
            "cursor_down",
            "Down",
            id="down",
            show=False,
            tooltip="Next alert (or scroll the article)",
        ),
        Binding(
            "k",
            "cursor_up",
            "Up",
            id="up",
            show=False,
            tooltip="Previous alert (or scroll the article)",
        ),
        Binding("g", "first", "First", id="first", show=False, tooltip="The first alert"),
        Binding("G", "last", "Last", id="last", show=False, tooltip="The last alert, last page"),
        Binding(
            "right_square_bracket",
            "page(1)",
            "Next page",
            id="next_page",
            show=False,
            tooltip="The next 500 alerts of the view",
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            "Prev page",
            id="prev_page",
            show=False,
            tooltip="The previous 500 alerts",
        ),
        Binding(
            "space",
            "next_new",
            "Next new",
            id="next_new",
            show=False,
            tooltip="The next new alert, on any page",
        ),
        Binding("enter", "read", "Read", id="read", show=False, tooltip="Go to the article"),
        Binding(
            "n", "hit(1)", "Next hit", id="next_hit", show=False, tooltip="Next hit in the article"
        ),
        Binding(
            "N",
            "hit(-1)",
            "Prev hit",
            id="prev_hit",
            show=False,
            tooltip="Previous hit in the article",
        ),
        Binding(
            "o",
            "open_link",
            "Open",
            id="open_link",
            show=False,
            tooltip="Open the link in $BROWSER",
        ),
        Binding("y", "copy_link", "Copy link", id="copy_link", show=False, tooltip="Copy the link"),
        Binding("ctrl+l", "redraw", "Redraw", id="redraw", show=False, tooltip="Redraw the screen"),
        Binding(
            "tab", "app.focus_next", "Pane", id="pane", tooltip="Switch between list and article"
        ),
    ]

    def __init__(self, store: Store, status: str = "Starting…") -> None:
        super().__init__()
        self.store = store
        self._first_status = status
        self.alert_query = AlertQuery()
        self.selected: list[AlertRow] = []
        """The view's rows, in the list's order; the list draws them, the pane reads one in full."""
        self._new_summary = "0 new"
        self._new_outside = 0
        """New alerts the view leaves out (0 in the active view, which holds them all)."""
        self.page = page_of([], 0)
        self.undo = UndoStack()
        self._poll_status = status
        self._watchlist_problems: dict[str, str] = {}
        self._searching_text = False
        """A search of the article bodies is under way for the search line's text."""
        self._body_search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """Header, the two panes, the status line and the key footer."""
        yield Header()
        with Horizontal(id="panes"):
            with Vertical(id="list-pane"):
                yield Input(
                    placeholder="Search titles and text (enter: keep, escape: clear)", id="search"
                )
                yield AlertList(id="alerts")
            yield ArticleView(id="article")
        yield Static(self._first_status, id="status", markup=False)
        yield DeskFooter()

    def on_resize(self, event: events.Resize) -> None:
        """Below NARROW columns the article goes under the list; the footer shows what fits."""
        self.query_one("#panes").set_class(event.size.width < NARROW, "narrow")
        self.query_one(DeskFooter).fit(event.size.width)

    def on_mount(self) -> None:
        """Show what the store already holds; wake snoozed alerts when their time comes."""
        self._show_status()
        self.refresh_alerts()
        self.query_one(AlertList).focus()
        self.set_interval(WAKE_CHECK_SECONDS, self.wake_snoozed)

    def wake_snoozed(self) -> None:
        """Snoozed alerts whose time has come are new again now, not at the next poll (which
        may be a feed's interval away); the list shows it."""
        now = self.app_now()
        over = decide.snoozes_over(self.store.alert_rows(), now)
        woken = decide.woken(filter(None, map(self.store.get_alert, over)), now)
        if woken and self._save(woken):
            self.refresh_alerts()

    def refresh_alerts(self) -> None:
        """Select the view's alerts from the store again and show the page the cursor is on."""
        self._select_from(self.store.alert_rows())
        self._show_page(self.page.number)

    def _show_page(self, number: int, row: int | None = None) -> None:
        """Fill the list with page `number`; `row` puts the cursor there (else it keeps its alert)."""
        table = self.query_one(AlertList)
        moved = number != self.page.number
        self.page = page_of(self.selected, number)
        table.show(self.selected[self.page.first : self.page.first + len(self.page.alerts)])
        if row is not None or moved:
            table.move_cursor(row=row or 0)
        self._show_article(self.current_alert())
        self._update_title()

    def _full(self, rows: Sequence[Alert | AlertRow]) -> list[Alert]:
        """The stored alerts of these rows (one that has gone meanwhile is left out)."""
        return [alert for row in rows if (alert := self.store.get_alert(row.id)) is not None]

    def _select_from(self, every: list[AlertRow]) -> None:
        """Select the view's alerts from `every` row of the store, and count the new alerts
        the view leaves out ('0 new' in the acknowledged view hid 13 new ones): a change of
        one alert's state in the view changes neither (see _change)."""
        self._select(select(every, self.alert_query))
        new = sum(1 for row in every if row.state is AlertState.NEW)
        self._new_outside = new - sum(1 for row in self.selected if row.state is AlertState.NEW)

    def _select(self, rows: list[AlertRow]) -> None:
        """Take `rows` as the view's selection; its count of new alerts is made now, once."""
        self.selected = rows
        self._new_summary = new_by_severity(rows)

    def _update_title(self) -> None:
        """The counts in the header, with the new alerts the view leaves out; the view, page
        and filter on the list's border."""
        outside = self._new_outside
        more = f" · {outside:,} new outside this view" if outside > 0 else ""
        self.sub_title = f"{self._new_summary} · {plural(self.page.total, 'alert')}{more}"
        table = self.query_one(AlertList)
        searching = " · searching article text…" if self._searching_text else ""
        if 0 < len(self.alert_query.text) < BODY_SEARCH_MIN:
            searching = f" · titles only (article text from {BODY_SEARCH_MIN} characters)"
        described = f"{self.alert_query.describe()} · {self.page.describe()}{searching}"
        table.border_title = safe_line(described)

    def set_status(self, text: str) -> None:
        """Show a one-line status under the panes, as safe text (it quotes feeds, servers, errors)."""
        self._poll_status = text
        self._show_status()

    def set_watchlist_problems(self, problems: dict[str, str], kept: Collection[str] = ()) -> None:
        """Broken watchlist files (id -> error): said in the status line until they are fixed.

        `kept` are those whose last good version is still in force.
        """
        self._watchlist_problems = {
            name: "last good version in force" if name in kept else "not in use"
            for name in problems
        }
        self._show_status()

    def _show_status(self) -> None:
        if not self.is_mounted:
            return  # on_mount shows it
        parts = [self._poll_status]
        if self._watchlist_problems:  # first: at 80 columns the end of the line is cut
            names = ", ".join(f"{n} ({how})" for n, how in sorted(self._watchlist_problems.items()))
            parts.insert(0, f"watchlist broken: {names}; W shows why")
        # One line of fixed height and the screen's width: a new text needs no layout of the
        # screen (a layout per progress tick was a third of the loop's time during a poll).
        self.query_one("#status", Static).update(safe_line(" · ".join(parts)), layout=False)

    def say_poll_progress(self, stage: str, done: int, total: int) -> None:
        """While a poll runs: how many feeds have answered, then article pages are fetched."""
        what = {"feeds": "feeds answered", "articles": "article pages fetched"}.get(stage, stage)
        self.set_status(f"Polling: {done}/{total} {what}…")

    def current_alert(self) -> Alert | None:
        """The alert under the cursor, in full (read from the store: the list holds rows)."""
        row = self.query_one(AlertList).current_alert
        return None if row is None else self.store.get_alert(row.id)

    @on(AlertList.AlertHighlighted)
    def _alert_highlighted(self, event: AlertList.AlertHighlighted) -> None:
        """Show the alert under the cursor now: the message may be stale (keys pressed fast
        change the list again before it arrives), and the pane must show the row that a
        key will act on."""
        row = self.query_one(AlertList).current_alert
        if row is not None and row.id != event.alert.id:
            return  # a later move has shown (or will show) the alert now under the cursor
        self._show_article(self.current_alert())

    def _show_article(self, alert: Alert | None) -> None:
        pane = self.query_one(ArticleView)
        if alert is None:
            if not self.selected:  # an empty view: not the article of the last one
                narrowed = self.alert_query != AlertQuery()
                pane.clear(
                    "No alert in this view: f changes the filter, / the search."
                    if narrowed
                    else "No alerts yet: they appear here as polls raise them."
                )
            return
        article = self.store.get_article(alert.article_key)
        shown = readable(article) if article else None
        pane.show(alert, shown, self.app_watchlists())

    # --- moving through the whole selection ---------------------------------------------

    def go_to(self, index: int) -> None:
        """Put the cursor on the selection's alert number `index`, turning the page if needed."""
        if not self.selected:
            return
        index = min(max(index, 0), len(self.selected) - 1)
        page = page_holding(index)
        if page != self.page.number:
            self._show_page(page, row=index - page * views.PAGE_SIZE)
        else:
            self.query_one(AlertList).move_cursor(row=index - self.page.first)

    @property
    def cursor_index(self) -> int:
        """The selection's index of the alert under the cursor."""
        return self.page.first + self.query_one(AlertList).cursor_row

    def action_first(self) -> None:
        """The first alert of the view."""
        self.go_to(0)

    def action_last(self) -> None:
        """The last alert of the view, on its last page."""
        self.go_to(len(self.selected) - 1)

    def action_page(self, step: int) -> None:
        """The next (1) or previous (-1) page of the view; past either end, says so."""
        number = self.page.number + step
        if 0 <= number < self.page.pages:
            self._show_page(number, row=0)
        elif not self.selected:
            self.notify("No alert in this view", title="Page")
        elif self.page.pages == 1:
            self.notify(f"{self.page.describe()} in this view, all on one page", title="Page")
        else:
            end = "last" if step > 0 else "first"
            self.notify(f"This is the {end} page ({self.page.describe()})", title="Page")

    def action_next_new(self) -> None:
        """The next new alert of the view, wrapping round."""
        index = views.next_new(self.selected, self.cursor_index)
        if index is None:
            self.notify("No new alert in this view", title="Next new")
        else:
            self.go_to(index)

    def action_read(self) -> None:
        """Move the focus to the article pane."""
        self.query_one(ArticleView).focus()

    def action_hit(self, step: int) -> None:
        """Scroll the article to its next (1) or previous (-1) hit."""
        article = self.query_one(ArticleView)
        place = article.go_to_hit(step)
        article.border_subtitle = (
            f"hit {place + 1}/{len(article.spans)}" if place is not None else ""
        )

    def action_open_link(self) -> None:
        """Open the alert's link with the system's browser ($BROWSER)."""
        alert = self.current_alert()
        if alert is not None and alert.url:
            self.app.post_message(LinkOpened(alert.url))

    def action_copy_link(self) -> None:
        """Copy the alert's link to the clipboard (the terminal's, by OSC 52)."""
        alert = self.current_alert()
        if alert is not None and alert.url:
            self.app.copy_to_clipboard(alert.url)
            self.notify(alert.url, title="Link copied")

    def action_redraw(self) -> None:
        """Lay out and paint the whole screen again."""
        self.app.refresh(repaint=True, layout=True)

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

    # --- choosing what is listed ----------------------------------------------------------

    def set_query(self, query: AlertQuery) -> None:
        """List what `query` selects, from its first page."""
        self.alert_query = query
        self._select_from(self.store.alert_rows())
        self._show_page(0, row=0)

    def action_cycle_view(self) -> None:
        """Show the next state view: active, new, acknowledged, snoozed, archived, all."""
        query = self.alert_query
        self.set_query(
            AlertQuery(query.view.following(), query.watchlist, query.severity, query.text)
        )

    def action_cycle_watchlist(self) -> None:
        """Narrow the list to the next watchlist (then back to every watchlist)."""
        chosen = views.following_watchlist(self.alert_query.watchlist, self.store.alert_rows())
        self.set_query(replace(self.alert_query, watchlist=chosen))

    def action_cycle_severity(self) -> None:
        """Raise the severity floor one step (after critical, back to any)."""
        floor = views.following_severity(self.alert_query.severity)
        self.set_query(replace(self.alert_query, severity=floor))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`/` is a key of the desk, except in the search line, where it is typed."""
        if action == "search" and self.is_mounted:
            return self.focused is not self.query_one("#search", Input)
        return True

    def action_search(self) -> None:
        """Open the search line above the list."""
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.display = True
        self.set_focus(search)  # at once: keys typed right after `/` are the search's, not keys

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        """Titles at once; the article bodies once typing pauses (see search_bodies)."""
        self.set_query(self.alert_query.with_text(event.value))
        self._searching_text = False
        if self._body_search_timer is not None:
            self._body_search_timer.stop()
        if len(self.alert_query.text) >= BODY_SEARCH_MIN:
            self._searching_text = True
            query = self.alert_query
            self._body_search_timer = self.set_timer(
                BODY_SEARCH_PAUSE, lambda: self.search_bodies(query)
            )
        self._update_title()

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search_bodies(self, query: AlertQuery) -> None:
        """Read the article bodies of the view for the search text; matches stream into the list.

        A thread: at 100k alerts this reads every segment file once (seconds).
        A newer search cancels this one, which then stops at its next match.
        """
        worker = get_current_worker()
        wanted = query.text_search(self.store.alert_rows())
        found: set[str] = set()
        said = time.monotonic()
        for key in self.store.articles_containing(query.text, wanted):
            if worker.is_cancelled:
                return
            found.update(wanted[key])
            if time.monotonic() - said >= BODY_SEARCH_STREAM:
                self.app.call_from_thread(self._found_in_text, query.text, frozenset(found), False)
                said = time.monotonic()
        if not worker.is_cancelled:
            self.app.call_from_thread(self._found_in_text, query.text, frozenset(found), True)

    def _found_in_text(self, text: str, found: frozenset[str], done: bool) -> None:
        """Alerts whose article text holds the search join the list (if it still is the search)."""
        if text != self.alert_query.text:
            return
        self.alert_query = replace(self.alert_query, found=found)
        self._searching_text = not done
        self.refresh_alerts()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.remove_class("shown")
            event.input.display = False
        self.query_one(AlertList).focus()

    def key_escape(self) -> None:
        """Escape leaves the article pane for the list; else it clears a search and hides its
        line."""
        if self.focused is self.query_one(ArticleView):
            self.query_one(AlertList).focus()
            return
        search = self.query_one("#search", Input)
        if search.value or search.has_class("shown"):
            search.value = ""
            search.remove_class("shown")
            search.display = False
            self.set_query(self.alert_query.with_text(""))
            self.query_one(AlertList).focus()

    # --- changing alerts --------------------------------------------------------------------

    def action_acknowledge(self) -> None:
        """Acknowledge the highlighted alert; the row changes only once it is on disk."""
        self._change("acknowledge", lambda alert: decide.acknowledge(alert, self.app_now()))

    def action_acknowledge_with_note(self) -> None:
        """Ask for a note, then acknowledge the highlighted alert with it."""
        alert = self.current_alert()
        if alert is None:
            return
        question = f"Note on “{shorten(alert.title, NOTE_TITLE_ROOM)}”"
        self.app.push_screen(NoteScreen(question, alert.note), self._acknowledge_with)

    def _acknowledge_with(self, note: str | None) -> None:
        if note is not None:
            self._change(
                "acknowledge", lambda alert: decide.acknowledge(alert, self.app_now(), note)
            )

    def action_edit_watchlist(self) -> None:
        """Ask the app to open the highlighted alert's (first) watchlist in $EDITOR."""
        alert = self.query_one(AlertList).current_alert
        if alert is not None and alert.watchlists:
            self.app.post_message(WatchlistEditRequested(alert.watchlists[0]))

    def action_undo(self) -> None:
        """Undo the last change of state; on an archived alert, restore it to new."""
        alert = self.query_one(AlertList).current_alert
        if alert is not None and alert.state is AlertState.ARCHIVED:
            self._change("restore", decide.unacknowledge)
            return
        change = self.undo.pop()
        if change is None:
            self.notify("Nothing to undo", title="Undo")
            return
        if self._save(change.before):
            self.refresh_alerts()
            self._go_to_alert(change.before[0].id)
            self.notify(
                f"{change.label}: {plural(len(change.before), 'alert')} back", title="Undone"
            )

    def action_snooze(self) -> None:
        """Snooze the highlighted alert for the configured time."""
        until = self.app_now() + timedelta(seconds=self._snooze_seconds())
        self._change("snooze", lambda alert: decide.snooze(alert, until))

    def _snooze_seconds(self) -> float:
        settings = getattr(self.app, "settings", None)
        return float(getattr(settings, "snooze_for", 3600.0))

    def action_archive(self) -> None:
        """Archive the highlighted alert: saved, then taken off the list (unless the view shows it)."""
        self._change("archive", decide.archive)

    def action_acknowledge_all(self) -> None:
        """Acknowledge every new or snoozed alert of the view, after asking.

        The question counts the view's rows; only a yes reads those alerts in full.
        """
        unhandled = self._unhandled()
        if not unhandled:
            self.notify("Nothing new in this view", title="Ack all")
            return
        snoozed = sum(1 for row in unhandled if row.state is AlertState.SNOOZED)
        which = f": {len(unhandled) - snoozed} new, {snoozed} snoozed" if snoozed else ""
        question = (
            f"Acknowledge {plural(len(unhandled), 'alert')}{which} ({self.alert_query.describe()})?"
        )
        self.app.push_screen(ConfirmScreen(question), lambda yes: self._acknowledge_all(yes))

    def _acknowledge_all(self, confirmed: bool | None) -> None:
        if not confirmed:
            return
        before = self._full(self._unhandled())
        changed = decide.acknowledge_all(before, self.app_now())
        if self._save(changed):
            self.undo.push("acknowledge all", before)
            self.refresh_alerts()
            self.notify(f"{len(changed)} alerts acknowledged (u undoes)", title="Acknowledged")

    def _unhandled(self) -> list[AlertRow]:
        """The view's new and snoozed rows (what acknowledge_all changes)."""
        waiting = (AlertState.NEW, AlertState.SNOOZED)
        return [row for row in self.selected if row.state in waiting]

    def _save(self, alerts: Sequence[Alert]) -> bool:
        """Write `alerts` to the store; a failure is said, not raised."""
        try:
            if len(alerts) == 1:
                self.store.update_alert(alerts[0])
            else:
                self.store.update_alerts(alerts)
        except (DeskError, OSError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return False
        return True

    def _change(self, label: str, change: Callable[[Alert], Alert]) -> bool:
        """Apply `change` to the highlighted alert, on disk first; True if it was saved."""
        table = self.query_one(AlertList)
        alert = self.current_alert()
        if alert is None:
            return False
        updated = change(alert)
        if not self._save([updated]):
            return False
        self.undo.push(label, [alert])
        index = self.cursor_index
        if self.alert_query.matches(updated):
            self.selected[index] = alert_row(updated)
            self._select(self.selected)
            table.replace_alert(self.selected[index])
            if updated.state in (AlertState.ACKNOWLEDGED, AlertState.SNOOZED):
                table.action_cursor_down()
        else:  # it left the view: the cursor keeps its row, now the next alert
            del self.selected[index]
            self._select(self.selected)
            if updated.state is AlertState.NEW:  # restored from the archive: new elsewhere
                self._new_outside += 1
            self._show_page(self.page.number)
        self._update_title()
        return True

    def _go_to_alert(self, alert_id: str) -> None:
        ids = [a.id for a in self.selected]
        if alert_id in ids:
            self.go_to(ids.index(alert_id))

    def app_now(self) -> datetime:
        """The app's clock."""
        now: Callable[[], datetime] = self.app.now  # type: ignore[attr-defined]
        return now()
