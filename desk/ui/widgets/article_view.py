"""The article pane: the full cleaned text with every matched phrase highlighted."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from desk.core.match.matcher import describe_evidence, evidence_for
from desk.core.models import Alert, AlertState, Article, Hit, Watchlist

HIT_STYLE = "bold black on yellow"
TERM_WIDTH = 50


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


def grouped_hits(hits: tuple[Hit, ...]) -> dict[tuple[str, str], list[Hit]]:
    """The hits by (watchlist, term), in the order they were found."""
    groups: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        groups.setdefault((hit.watchlist, hit.term), []).append(hit)
    return groups


def explanation(
    alert: Alert, article: Article, watchlists: Mapping[str, Watchlist] | None = None
) -> Text:
    """Why the alert fired: per watchlist its evidence, and per term the phrases and scores."""
    lines = Text()
    meta = [", ".join(alert.sources), article.byline, alert.url]
    lines.append(" · ".join(part for part in meta if part) + "\n", style="dim")
    if alert.reason and alert.state is AlertState.NEW:
        lines.append(f"{alert.reason}\n", style="bold yellow")
    for watchlist_id in dict.fromkeys(hit.watchlist for hit in alert.hits):
        watchlist = (watchlists or {}).get(watchlist_id)
        if watchlist is not None:
            parts = evidence_for(watchlist, alert.hits, article.text)
            lines.append(watchlist_id, style="bold")
            lines.append(f"  {describe_evidence(parts, watchlist.fire_at)}\n", style="dim")
    for (watchlist, term), hits in grouped_hits(alert.hits).items():
        short = term if len(term) <= TERM_WIDTH else term[: TERM_WIDTH - 1] + "…"
        lines.append(watchlist, style="bold")
        lines.append(f"  term: {short}\n", style="dim")
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
            body.update(highlighted(article, alert))
        if alert.id != self.shown_alert_id:
            self.scroll_home(animate=False)
        self.shown_alert_id = alert.id
