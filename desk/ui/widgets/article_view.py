"""The article pane: the full cleaned text with every matched phrase highlighted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.console import Console
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from desk.core.decide import grew_since_handled
from desk.core.match.matcher import describe_evidence, evidence_for
from desk.core.models import Alert, AlertState, Article, Hit, Watchlist, example_number
from desk.core.view import shorten

HIT_STYLE = "bold black on yellow"
CURRENT_HIT_STYLE = "bold black on bright_cyan"
"""The hit `n`/`N` went to, painted over HIT_STYLE."""
TERM_WIDTH = 50
EXAMPLE_WIDTH = 160


def wake_time(until: datetime) -> str:
    """When a snoozed alert comes back, in local time: `14 Mar 10:30`."""
    return until.astimezone().strftime("%d %b %H:%M")


def hit_span(text: str, hit: Hit) -> tuple[int, int] | None:
    """Where `hit` sits in `text`; None for another copy's hit or offsets that no longer fit."""
    if hit.article_key or not 0 <= hit.start < hit.end <= len(text):
        return None
    if text[hit.start : hit.end] != hit.text:  # an older version of the article: do not mislead
        return None
    return hit.start, hit.end


def highlighted(article: Article, alert: Alert) -> Text:
    """The article text, its headline paragraph bold and each hit styled."""
    text = Text(article.text)
    if article.text:
        text.stylize("bold", 0, len(article.text.split("\n\n", 1)[0]))
    for hit in alert.hits:
        span = hit_span(article.text, hit)
        if span is not None:
            text.stylize(HIT_STYLE, *span)
    return text


def hit_spans(article: Article, alert: Alert) -> list[tuple[int, int]]:
    """Where each of the alert's hits sits in the article text, in reading order, once each."""
    spans = {hit_span(article.text, hit) for hit in alert.hits}
    return sorted(span for span in spans if span is not None)


def line_of(text: str, offset: int, width: int, console: Console) -> int:
    """The wrapped line (from 0) on which character `offset` of `text` is shown at `width` cells."""
    if offset <= 0 or width <= 0:
        return 0
    return len(Text(text[:offset]).wrap(console, width)) - 1


def grouped_hits(hits: tuple[Hit, ...]) -> dict[tuple[str, str], list[Hit]]:
    """The hits by (watchlist, term), in the order they were found."""
    groups: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        groups.setdefault((hit.watchlist, hit.term), []).append(hit)
    return groups


def example_text(watchlist: Watchlist | None, term: str) -> str:
    """For a semantic hit's term, the example it names, on one line and shortened; else ''."""
    number = example_number(term)
    if watchlist is None or watchlist.semantic is None or number < 1:
        return ""
    line = " ".join(watchlist.semantic.examples.text_at(number).split())  # '' if none there
    return shorten(line, EXAMPLE_WIDTH)


def explanation(
    alert: Alert, article: Article, watchlists: Mapping[str, Watchlist] | None = None
) -> Text:
    """Why the alert fired: per watchlist its evidence, and per term the phrases and scores."""
    lines = Text()
    when = alert.published.astimezone().strftime("%d %b %Y %H:%M") if alert.published else ""
    meta = [", ".join(alert.sources), when, article.byline, alert.url]
    lines.append(" · ".join(part for part in meta if part) + "\n", style="dim")
    if alert.note:
        lines.append(f"Note: {alert.note}\n", style="italic")
    if alert.state is AlertState.SNOOZED and alert.snoozed_until:
        lines.append(f"Snoozed until {wake_time(alert.snoozed_until)}\n", style="bold")
    if alert.reason and alert.state is AlertState.NEW:
        lines.append(f"{alert.reason}\n", style="bold yellow")
    for watchlist_id in dict.fromkeys(hit.watchlist for hit in alert.hits):
        watchlist = (watchlists or {}).get(watchlist_id)
        if watchlist is not None:
            parts = evidence_for(watchlist, alert.hits, article.text)
            lines.append(watchlist_id, style="bold")
            lines.append(f"  {describe_evidence(parts, watchlist.fire_at)}\n", style="dim")
    for (watchlist, term), hits in grouped_hits(alert.hits).items():
        short = shorten(term, TERM_WIDTH)
        lines.append(watchlist, style="bold")
        lines.append(f"  term: {short}\n", style="dim")
        example = example_text((watchlists or {}).get(watchlist), term)
        if example:  # the lead is the whole opening: show what it was found close to
            lines.append(f"  the lead is close to “{example}” {hits[0].score / 100:.2f}\n")
            continue
        for hit in hits:
            lines.append("  ")
            lines.append(f"“{hit.text}”", style="italic" if hit.article_key else HIT_STYLE)
            lines.append(f" {hit.score:.0f}", style="dim")
            if hit.article_key:
                lines.append(" (in another source's copy)", style="dim")
        lines.append("\n")
    lines.rstrip()
    return lines


class ArticleView(VerticalScroll):
    """Shows one alert's article; empty until an alert is chosen."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", id="down", show=False),
        Binding("k", "scroll_up", "Up", id="up", show=False),
    ]
    """j/k scroll the article while it has focus; the ids are the list's, so one remap moves both."""

    shown_alert_id: str | None = None
    """The alert on show; the same alert shown again keeps the scroll position."""
    spans: list[tuple[int, int]] = []
    """Where the shown alert's hits are in the text, in reading order."""
    current_hit: int | None = None
    """The hit `n`/`N` went to last (an index into `spans`)."""
    _text = Text()

    def compose(self) -> ComposeResult:
        """A header explaining the alert, then the article."""
        yield Static(id="article-why", markup=False)
        yield Static("Choose an alert to read its article.", id="article-text", markup=False)

    def show(
        self,
        alert: Alert,
        article: Article | None,
        watchlists: Mapping[str, Watchlist] | None = None,
    ) -> None:
        """Display `article` with `alert`'s hits highlighted and its evidence explained."""
        why = self.query_one("#article-why", Static)
        body = self.query_one("#article-text", Static)
        if article is None:
            why.update("")
            body.update(Text(f"The article of “{alert.title}” is no longer stored."))
        else:
            why.update(explanation(alert, article, watchlists))
            self._text = highlighted(article, alert)
            body.update(self._text)
        grown = grew_since_handled(alert)
        self.border_title = f"▲ {grown}" if grown else ""
        if alert.id != self.shown_alert_id:
            self.scroll_home(animate=False)
            self.spans = hit_spans(article, alert) if article else []
            self.current_hit = None
            self.border_subtitle = ""  # 'hit 2/11' was the last alert's
        self.shown_alert_id = alert.id

    def clear(self, message: str) -> None:
        """No alert on show: the pane says `message` instead of keeping the last article."""
        self.query_one("#article-why", Static).update("")
        self.query_one("#article-text", Static).update(message)
        self.border_title = self.border_subtitle = ""
        self.shown_alert_id = None
        self.spans, self.current_hit, self._text = [], None, Text()

    def go_to_hit(self, step: int) -> int | None:
        """Scroll to the next (1) or previous (-1) hit, wrapping round; its index, or None."""
        if not self.spans:
            return None
        if self.current_hit is None:
            self.current_hit = 0 if step > 0 else len(self.spans) - 1
        else:
            self.current_hit = (self.current_hit + step) % len(self.spans)
        start, end = self.spans[self.current_hit]
        body = self.query_one("#article-text", Static)
        marked = self._text.copy()
        marked.stylize(CURRENT_HIT_STYLE, start, end)
        body.update(marked)
        line = line_of(self._text.plain, start, body.content_region.width, self.app.console)
        self.scroll_to(y=max(body.virtual_region.y + line - 2, 0), animate=False)
        return self.current_hit
