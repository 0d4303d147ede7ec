"""Extraction: main text out of a real-looking page, junk gone, breaks repaired."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from desk.core.article.document import extract_page_bytes, page_markup
from desk.core.article.extract import (
    MAX_HTML_CHARS,
    MAX_TAGS,
    cap_markup,
    extract_page,
    fragment_text,
    looks_like_html,
    page_metadata,
    text_of_document,
    tree_text,
)
from desk.core.article.pagetext import parsed_as_trafilatura_would
from desk.core.feeds.charset import decode_text
from desk.core.safetext import is_safe, safe_text
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


def test_a_fragment_the_page_extractor_would_empty_keeps_its_words() -> None:
    garbage = '<div class="x">&nbsp;</div> Russia is sharing missile know-how.</p>\n<p>&amp;nbsp;'
    assert extract_page(garbage).text == ""  # a page extractor finds no story in it
    assert text_of_document(garbage).text == "Russia is sharing missile know-how."


def test_a_snippet_keeps_the_headline_page_extraction_drops() -> None:
    snippet = (
        "Navy sends frigates to the strait&nbsp;</p><p>In a decision confirmed on Tuesday, "
        "the navy has sent two frigates and a supply ship to the strait, officials said, "
        "after a week of incidents at sea.</p>"
    )
    assert not extract_page(snippet).text.startswith("Navy sends")  # the extractor's reading
    assert text_of_document(snippet).text.startswith(
        "Navy sends frigates to the strait\n\nIn a decision confirmed on Tuesday,"
    )


def test_inline_tags_leave_no_space_before_punctuation() -> None:
    assert fragment_text("<p>The case, <em>Zubik v. Burwell</em>, went back.</p>") == (
        "The case, Zubik v. Burwell, went back."
    )


def test_a_fragment_read_as_one_drops_scripts_styles_and_comments() -> None:
    garbage = (
        '<div class="share">&nbsp;</div><script>var troops = "sent to Chad";</script>'
        "<style>p { color: red }</style><!-- troops deployed --> Troops left Mali.</p><p>"
    )
    assert extract_page(garbage).text == ""  # so the fragment reading is the one used
    assert text_of_document(garbage).text == "Troops left Mali."
    assert fragment_text("<p>Headline here now<p>Lead sentence, with more words.") == (
        "Headline here now\n\nLead sentence, with more words."
    )


def test_a_small_page_without_html_keeps_its_story_without_its_menus() -> None:
    """HTML5 may leave out <html> and <body>: page extraction keeps the story, and the
    fragment reading (menus, a 'Most read' list) is not used."""
    story = (
        "The navy sent two frigates and a supply ship to the strait on Monday, officials "
        "said, after a week of incidents at sea that raised fears of a clash. "
    )
    page = (
        "<title>Navy sends frigates | Example News</title>"
        + "".join(f'<nav><a href="/s{i}">Section {i}</a></nav>' for i in range(40))
        + f"<p>{story * 2}</p><ul>"
        + "".join(
            f"<li><a href='/r{i}'>Most read story {i} on another thing</a></li>" for i in range(30)
        )
        + "</ul><footer>Copyright Example News</footer>"
    )
    text = text_of_document(page).text
    assert text.startswith("Navy sends frigates\n\nThe navy sent two frigates")
    assert "Most read" not in text and "Section" not in text


def test_every_demo_page_yields_its_story() -> None:
    pages = sorted((DEMO_DIR / "articles").glob("*.html"))
    assert len(pages) >= 30
    for path in pages:
        page = extract_page(path.read_text(encoding="utf-8"))
        assert len(page.text.split()) > 120, path.name
        assert "Subscribe" not in page.text and "cookie" not in page.text.lower(), path.name
        assert "spot_img" not in page.text and "Latest Posts" not in page.text, path.name


def test_feed_text_cleaning_can_wait_until_it_is_read() -> None:
    from desk.core.article.extract import article_from_feed, readable
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


def test_tree_text_keeps_tails_line_breaks_and_table_cells() -> None:
    body = etree.fromstring(
        "<body><head rend='h2'>Deal of the day</head>A tail after the heading."
        "<p>The level o<lb/>f support <hi>rose</hi>.</p>"
        "<table><row><cell>Pos.</cell><cell>Driver</cell></row>"
        "<row><cell><p>1</p></cell><cell>Kim Min-jun</cell></row></table>"
        "<list><item>first point</item><item>second point</item></list>"
        "<quote><p>We will go north.</p></quote></body>"
    )
    assert tree_text(body) == (
        "Deal of the day\n\nA tail after the heading.\n\nThe level o\nf support rose."
        "\n\nPos. | Driver\n\n1 | Kim Min-jun\n\nfirst point\n\nsecond point\n\nWe will go north."
    )


def test_metadata_from_json_ld_and_relative_canonical() -> None:
    page = """<html><head><title>Ignored | Site</title>
    <link rel="canonical" href="/world/troops-head-north">
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebPage"},
      {"@type": "NewsArticle", "headline": "Troops head north",
       "datePublished": "2026-11-25T10:00:00+09:00",
       "author": [{"@type": "Person", "name": "Jo Bloggs"}, {"name": "Kim Min-jun"}]}]}
    </script></head><body><p>Body.</p></body></html>"""
    meta = page_metadata(page, "https://news.example/world/troops-head-north?utm=x")
    assert meta.title == "Troops head north"
    assert meta.byline == "Jo Bloggs, Kim Min-jun"
    assert meta.published == datetime(2026, 11, 25, 1, tzinfo=UTC)
    assert meta.canonical_url == "https://news.example/world/troops-head-north"


def test_title_falls_back_to_the_title_tag_without_its_site_name() -> None:
    page = "<html><head><title>Harbour Briefing | Navy ships sail north for drills</title></head></html>"
    assert page_metadata(page).title == "Navy ships sail north for drills"


def test_markup_is_capped_in_characters_and_tags() -> None:
    huge = "<div>x</div>" * (MAX_TAGS * 2)
    capped = cap_markup(huge)
    assert capped.count("<") == MAX_TAGS
    assert len(cap_markup("a" * (MAX_HTML_CHARS + 10))) == MAX_HTML_CHARS
    assert cap_markup("<p>short</p>") == "<p>short</p>"


def test_a_page_without_main_content_falls_back_to_its_paragraphs() -> None:
    page = "<html><body><li>Troops moved north on Monday.</li></body></html>"
    assert "Troops moved north on Monday." in extract_page(page).text


def test_stored_page_with_front_matter_and_html_body() -> None:
    stored = """---
post_title: 'Navy ships sail north for drills &#8211; Example Post'
author: Jane Doe
post_date: 2016-01-10 19:29:18
permalink: https://example.com/navy-ships
---
 [ad_1]
<br><div><!-- theme/story.tpl --><p>The navy sent four ships north on Monday for drills that will
last two weeks, officials said, in the largest exercise of its kind this year.</p>
<p>The ships will return to port before the end of the month, the ministry said in a
statement released after the vessels left the harbour.</p></div>
<br>[ad_2]
<br><a href="https://example.com/navy-ships">Source </a>"""
    doc = text_of_document(stored)
    assert doc.title == "Navy ships sail north for drills"
    assert doc.text.startswith("Navy ships sail north for drills\n\nThe navy sent four ships")
    assert doc.text.endswith("after the vessels left the harbour.")
    assert doc.byline == "Jane Doe"
    assert doc.published == datetime(2016, 1, 10, 19, 29, 18, tzinfo=UTC)
    assert doc.canonical_url == "https://example.com/navy-ships"


def test_stored_text_with_broken_front_matter() -> None:
    stored = (
        '---\ntitle: "Harbour ferry makes its last crossing"\nauthor: \n\t\tJane Doe\n---\n\n'
        "# Harbour ferry makes its last crossing\n\n**Example Wire** | 2025-12-29 00:00 |\n\n---\n\n"
        "ferry-farewellHarbour ferry makes its last crossing SEOUL, Dec. 29 (Example) -- The ferry "
        "made its last crossing on Monday.\n\njane@example.com(END)\n\n---\n\n"
        "*Crawled at: 2025-12-29 03:01:26*\n*Source: [Original](https://example.com/1)*"
    )
    doc = text_of_document(stored)
    assert doc.title == "Harbour ferry makes its last crossing"
    assert doc.text == (
        "Harbour ferry makes its last crossing\n\n"
        "SEOUL, Dec. 29 (Example) -- The ferry made its last crossing on Monday."
    )


def test_page_lines_are_offered_for_site_learning() -> None:
    page = extract_page(PAGE, "https://news.example/story")
    assert page.lines and all(len(line) <= 200 and line == line.lower() for line in page.lines)


def test_site_junk_is_dropped_from_a_page() -> None:
    page = extract_page(PAGE, "https://news.example/story")
    junk = next(line for line in page.lines if "defence ministry" not in line)
    again = extract_page(PAGE, "https://news.example/story", site_junk=[junk])
    assert junk not in again.text.lower()


def test_page_bytes_read_as_the_safety_pass_reads_them() -> None:
    """page_markup skips the safety pass only when it would change nothing: every unsafe kind,
    a legacy or broken encoding, any charset label, gives exactly what decode_text gives."""
    plain = "<p>Caf\u00e9 \u2019quoted\u2019 \u2014 \U0001f600 \u0627\u200c\u06cc</p>"
    hostile = [
        "\x1b]52;c;SGVsbG8=\x07 after",  # OSC with its payload
        "\x9b2J",  # 8-bit CSI
        "line\r\nbreaks\rhere",
        "\u202eevil\u202c \u2066x\u2069",  # bidi
        "zero\u200bwidth\u00adsoft \ufeffbom \U000e0041tag \u2028sep \x7fdel",
        "a\u200db",  # a joiner between ASCII letters goes
    ]
    pages = [plain.encode()] + [(plain + h).encode() for h in hostile]
    pages += [b"<p>caf\xe9 cr\xe8me</p>", b"<p>\xff\xfe broken \xc3</p>"]
    for body in pages:
        for charset in (None, "utf-8", "UTF8", "iso-8859-1", "bogus"):
            text = page_markup(body, charset, decode_text)
            assert text == decode_text(body, charset), (body, charset)
            assert safe_text(text) == text


def test_the_byte_scan_finds_exactly_the_unsafe_characters() -> None:
    """RE2 over UTF-8 bytes agrees with safe_text's own class on every character tried (all of
    the first 0x3000, the specials block and the tag characters)."""
    points = [*range(0x3000), *range(0xFE00, 0x10000), *range(0xE0000, 0xE0100), 0x1F600]
    for point in points:
        if 0xD800 <= point <= 0xDFFF:
            continue  # a lone surrogate is never in valid UTF-8
        body = f"<p>a\u2019{chr(point)}\u00e9</p>".encode()
        same = page_markup(body, "utf-8", lambda *_: "decoded") != "decoded"
        assert same == is_safe(chr(point)), hex(point)


def test_a_page_read_from_its_bytes_is_extracted_as_from_its_text() -> None:
    """Safe UTF-8 pages go to the parser as bytes: the same Extracted as from the decoded text,
    and the pages trafilatura would repair first (an XHTML doctype, a self-closing <html/>, a
    U+FFFF, no <html> at the start) or that need the safety pass go as text instead."""
    pages = [path.read_bytes() for path in sorted((DEMO_DIR / "articles").glob("*.html"))]
    story = pages[0].decode()
    doctype = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/x.dtd">\n'
    repaired = [
        doctype + story,
        story.replace('<html lang="en">', '<html lang="en" />', 1),
        story.replace("</p>", "\uffff</p>", 1),
        "\n" * 60 + story,
    ]
    assert parsed_as_trafilatura_would(story, pages[0]) is not None
    for text in repaired:
        assert parsed_as_trafilatura_would(text, text.encode()) is None
    hostile = story.replace("</p>", "\x1b]0;title\x07\u202e</p>", 1)
    for body in [*pages, *(text.encode() for text in [*repaired, hostile])]:
        expected = extract_page(decode_text(body, "utf-8"), "https://news.example/a", ("x",))
        assert extract_page_bytes(decode_text, body, "utf-8", "https://news.example/a", ("x",)) == (
            expected
        )
