"""The article pane: the full cleaned text with every matched phrase highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from desk.core.models import Alert, Article

HIT_STYLE = "bold black on yellow"


def highlighted(article: Article, alert: Alert) -> Text:
    """The article text with each hit's span styled, plus a why-it-fired footer."""
    text = Text(article.text)
    for hit in alert.hits:
        if 0 <= hit.start < hit.end <= len(article.text):
            text.stylize(HIT_STYLE, hit.start, hit.end)
    if article.text:
        text.stylize("bold", 0, len(article.text.split("\n\n", 1)[0]))
    return text


def explanation(alert: Alert, article: Article) -> Text:
    """Why the alert fired: each hit's watchlist, matched text, term and score."""
    lines = Text()
    meta = [", ".join(alert.sources), article.byline, alert.url]
    lines.append(" · ".join(part for part in meta if part) + "\n", style="dim")
    for hit in alert.hits:
        lines.append(f"{hit.watchlist}", style="bold")
        lines.append(f"  “{hit.text}”", style=HIT_STYLE)
        term = hit.term if len(hit.term) <= 50 else hit.term[:49] + "…"
        lines.append(f"  {hit.score:.0f}  term: {term}\n", style="dim")
    return lines


class ArticleView(VerticalScroll):
    """Shows one alert's article; empty until an alert is chosen."""

    def compose(self):  # type: ignore[no-untyped-def]
        """A header explaining the alert, then the article."""
        yield Static(id="article-why")
        yield Static("Choose an alert to read its article.", id="article-text")

    def show(self, alert: Alert, article: Article | None) -> None:
        """Display `article` with `alert`'s hits highlighted."""
        why = self.query_one("#article-why", Static)
        body = self.query_one("#article-text", Static)
        if article is None:
            why.update("")
            body.update(Text(f"The article of “{alert.title}” is no longer stored."))
            return
        why.update(explanation(alert, article))
        body.update(highlighted(article, alert))
        self.scroll_home(animate=False)
