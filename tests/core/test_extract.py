"""Extraction: main text out of a real-looking page, junk gone, breaks repaired."""

from __future__ import annotations

from datetime import UTC, datetime

from desk.core.extract import extract_page, looks_like_html, text_of_document
from desk.demo.server import DEMO_DIR

PAGE = """<html><head><title>Site | Story</title>
<link rel="canonical" href="https://news.example/story">
<meta name="author" content="Jo Bloggs">
<meta property="article:published_time" content="2026-11-25T10:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<div class="share">Share on X</div><div class="ad">Advertisement</div>
<article><h1>Troops head north</h1><p>spot_imgspot_img</p>
<p>The defence ministry said the level o<br>f military support would rise as more troops
moved to the northern border on Monday, according to officials in the capital.</p>
<p>The minister share<br>d on X that the tech-<br>nology for re-<br>entry tests stays at home,
and that no decision had been made about further deployments this year.</p></article>
<footer>Copyright 2026 News Example</footer></body></html>"""


def test_main_text_metadata_and_repairs() -> None:
    page = extract_page(PAGE, "https://news.example/story")
    paragraphs = page.text.split("\n\n")
    assert paragraphs[0] == "Troops head north"
    assert "level of military support" in page.text
    assert "minister shared on X that the technology for re-entry tests" in page.text
    for junk in ("spot_img", "Share on X", "Advertisement", "Copyright", "Home"):
        assert junk not in page.text
    assert page.byline == "Jo Bloggs"
    assert page.canonical_url == "https://news.example/story"
    assert page.published == datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_plain_text_is_cleaned_not_extracted() -> None:
    assert not looks_like_html("Just a note about troops.\nNothing more.")
    doc = text_of_document("Title line\n\nBody that ends.\n\nGet in Touch")
    assert doc.text == "Title line\n\nBody that ends."
    assert doc.title == "Title line"


def test_every_demo_page_yields_its_story() -> None:
    pages = sorted((DEMO_DIR / "articles").glob("*.html"))
    assert len(pages) >= 30
    for path in pages:
        page = extract_page(path.read_text(encoding="utf-8"))
        assert len(page.text.split()) > 120, path.name
        assert "Subscribe" not in page.text and "cookie" not in page.text.lower(), path.name
        assert "spot_img" not in page.text and "Latest Posts" not in page.text, path.name


def test_feed_text_cleaning_can_wait_until_it_is_read() -> None:
    from desk.core.extract import article_from_feed, readable
    from desk.core.models import Item

    item = Item(
        "https://f.example/",
        "1",
        "https://f.example/1",
        "Troops move",
        summary="<p>Troops moved north.</p><p>Share on Facebook</p><p>More &amp; more.</p>",
    )
    raw = article_from_feed(item, clean=False)
    assert not raw.cleaned and raw.text == item.summary
    ready = readable(raw)
    assert ready.cleaned and ready.text == "Troops move\n\nTroops moved north.\n\nMore & more."
    assert readable(ready) is ready
    assert article_from_feed(item) == ready
