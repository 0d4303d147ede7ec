"""The widgets' pure helpers: column fitting, hit placement, the why-it-fired header."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.binding import Binding

from desk.core.match.matcher import term_words
from desk.core.models import Alert, Article, Hit, Severity, Term, Watchlist
from desk.core.settings.config import DEFAULT_KEYS
from desk.ui.screens import MainScreen
from desk.ui.widgets.alert_list import COLUMNS, FIXED_WIDTHS, fitted_widths
from desk.ui.widgets.article_view import (
    HIT_STYLE,
    ArticleView,
    explanation,
    highlighted,
    hit_span,
)

TEXT = "Brazil sends troops\n\nBrazil sent 1,500 troops north; more troops may follow."


def make_alert(*hits: Hit) -> Alert:
    """An alert over TEXT with the given hits."""
    when = datetime(2025, 1, 2, tzinfo=UTC)
    return Alert(
        id="a1",
        title="Brazil sends troops",
        url="https://news.example/brazil",
        sources=("Wire",),
        published=when,
        watchlists=tuple(dict.fromkeys(h.watchlist for h in hits)),
        severity=Severity.HIGH,
        score=100.0,
        hits=hits,
        created=when,
        article_key="k1",
    )


def test_fitted_widths_fill_the_pane() -> None:
    """Title and watchlists share what the fixed columns and the padding leave."""
    widths = fitted_widths(120, watchlists=20)
    assert set(widths) == set(COLUMNS)
    assert sum(widths.values()) + 2 * len(COLUMNS) == 120
    assert {k: widths[k] for k in FIXED_WIDTHS} == FIXED_WIDTHS
    assert widths["watchlists"] == 20


def test_fitted_widths_cap_long_watchlists_and_keep_a_title() -> None:
    """A long watchlists cell takes at most a third; a tiny pane still has a title column."""
    widths = fitted_widths(80, watchlists=200)
    assert widths["watchlists"] <= (widths["title"] + widths["watchlists"]) // 3
    assert fitted_widths(0, watchlists=5)["title"] >= 24


def test_hit_span_uses_the_offsets_when_they_fit() -> None:
    """A hit whose offsets hold its text is placed there, even if the words occur earlier."""
    start = TEXT.index("more troops")
    assert hit_span(TEXT, Hit("w", "t", "troops", start + 5, start + 11, 90.0)) == (
        start + 5,
        start + 11,
    )


def test_a_hit_from_another_source_is_explained_not_highlighted() -> None:
    """A merged source's hit has offsets into its own copy: never painted on this text."""
    hit = Hit("w", "t", "sent 1,500 troops", 3, 20, 90.0, article_key="other-item")
    assert hit_span(TEXT, hit) is None
    why = explanation(make_alert(hit), Article("u", "Brazil sends troops", TEXT)).plain
    assert "“sent 1,500 troops” 90 (in another source's copy)" in why


def test_highlighted_styles_every_hit() -> None:
    """Each hit's span carries the hit style; the text itself is unchanged."""
    start = TEXT.index("sent 1,500 troops")
    alert = make_alert(Hit("troops", "send troops", "sent 1,500 troops", start, start + 17, 95.0))
    text = highlighted(Article("u", "Brazil sends troops", TEXT), alert)
    assert text.plain == TEXT
    assert any(
        (s.start, s.end) == (start, start + 17) and str(s.style) == HIT_STYLE for s in text.spans
    )


def test_explanation_groups_hits_by_watchlist_and_term() -> None:
    """One heading per watchlist and term, then its phrases; no trailing blank line."""
    hits = (
        Hit("troops", "send troops", "sends troops", 7, 19, 100.0),
        Hit("troops", "send troops", "sent 1,500 troops", 28, 45, 92.0),
        Hit("other", "follow", "follow", 70, 76, 88.0),
    )
    why = explanation(make_alert(*hits), Article("u", "Brazil sends troops", TEXT, byline="Ana"))
    lines = why.plain.split("\n")
    when = datetime(2025, 1, 2, tzinfo=UTC).astimezone().strftime("%d %b %Y %H:%M")
    assert lines[0] == f"Wire · {when} · Ana · https://news.example/brazil"
    assert lines[1] == "troops  term: send troops"
    assert lines[2] == "  “sends troops” 100  “sent 1,500 troops” 92"
    assert lines[3] == "other  term: follow"
    assert len(lines) == 5 and lines[-1] == "  “follow” 88"


def test_explanation_shows_each_watchlists_evidence_with_its_lead_boost() -> None:
    """The header says what the hits add up to: each term's weight and the lead's boost."""
    watchlist = Watchlist(
        id="troops",
        name="Troops",
        terms=(Term("send troops", term_words("send troops"), weight=0.67),),
        lead=1,
        lead_boost=1.5,
    )
    hits = (Hit("troops", "send troops", "sends troops", 7, 19, 100.0),)
    article = Article("u", "Brazil sends troops", TEXT)
    why = explanation(make_alert(*hits), article, {"troops": watchlist}).plain.split("\n")
    assert why[1] == "troops  evidence 1.01 (fires at 1): send troops 0.67 +0.34 in the lead"
    assert why[2] == "troops  term: send troops"
    assert "evidence" not in explanation(make_alert(*hits), article).plain  # none known: none said


def test_article_bindings_share_the_lists_ids_and_keys() -> None:
    """j/k on the article carry the list's ids, so a `keys:` remap of down/up moves both."""
    listed = {b.id: b.key for b in MainScreen.BINDINGS if isinstance(b, Binding)}
    article = {b.id: b.key for b in ArticleView.BINDINGS if isinstance(b, Binding)}
    assert article == {"down": "j", "up": "k"}
    assert all(listed[i] == key == DEFAULT_KEYS[i] for i, key in article.items())
