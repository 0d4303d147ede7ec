"""The text boundary: every hostile payload made safe where it enters, and in an old store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk.core.article.clean import clean_text, normalise_characters
from desk.core.article.extract import article_from_feed, text_of_document
from desk.core.errors import DeskError
from desk.core.feeds.charset import decode_text
from desk.core.feeds.parse import parse_feed
from desk.core.feeds.text import TITLE_MAX, clean_title, join_url, short_reason
from desk.core.match.watchlists import load_watchlist
from desk.core.safetext import is_safe, safe_line, safe_text, safe_url
from desk.core.store.tinystore import TinyStore
from tests.hostile_text import (
    ALL_IN_ONE,
    ESCAPES,
    HUGE_LINE,
    PAYLOADS,
    payload_residue,
    unsafe_in,
    write_old_store,
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_leaves_nothing_unsafe(payload: str) -> None:
    for made_safe in (safe_text(f"a {payload} b"), safe_line(f"a {payload} b")):
        assert unsafe_in(made_safe) == []
        assert is_safe(made_safe)
        if "&#" not in payload:  # entities are text until something decodes them
            assert payload_residue(made_safe) == []


SHOWN = {ESCAPES[2]: "link ", ESCAPES[6]: "red ", ESCAPES[11]: "crimson "}
"""Escapes around text a terminal would show: the text stays."""
UNTERMINATED = ESCAPES[-1]


@pytest.mark.parametrize("escape", [e for e in ESCAPES if "&#" not in e and e != UNTERMINATED])
def test_an_escape_goes_with_its_payload_and_the_text_around_it_stays(escape: str) -> None:
    expected = f"Troops {SHOWN.get(escape, '')}moved"
    assert safe_line(f"Troops {escape} moved") == expected
    assert normalise_characters(f"Troops {escape} moved") == expected


def test_an_escape_spelled_as_entities_goes_once_they_are_decoded() -> None:
    assert normalise_characters(f"Troops {ESCAPES[12]} moved") == "Troops moved"
    assert clean_title("Troops &#x1b;]0;title&#x07; moved") == "Troops moved"


def test_an_unterminated_string_escape_goes_to_the_next_blank() -> None:
    assert safe_line(f"Troops {UNTERMINATED} moved") == "Troops moved"
    assert safe_line("c1\x85\x90\x9f troops moved") == "c1 troops moved"


def test_a_line_of_many_introducers_costs_one_pass() -> None:
    for line in ("\x90 " * 200_000, "\x1b] " * 200_000, "\x1b[" * 200_000, HUGE_LINE):
        assert unsafe_in(safe_text(line)) == []


def test_markup_is_left_as_text_for_the_widgets_to_show_as_text() -> None:
    assert safe_line("x [@click=app.quit]click me[/]") == "x [@click=app.quit]click me[/]"


def test_lines_and_tabs_stay_in_text_and_go_in_a_line() -> None:
    assert safe_text("one\ttwo\r\nthree\u2028four") == "one\ttwo\nthree\nfour"
    assert safe_line("one\ttwo\r\nthree  four") == "one two three four"


def test_joiners_stay_where_a_script_needs_them() -> None:
    persian = "می\u200cخواهم"  # ZWNJ inside a Persian word
    family = "👨\u200d👩\u200d👧"  # ZWJ emoji sequence
    assert safe_line(persian) == persian
    assert safe_line(family) == family
    assert safe_line("tro\u200dops\u200c") == "troops"


def test_bidi_controls_and_invisibles_go() -> None:
    assert safe_line("abc\u202eevil\u202c \u2066iso\u2069 zero\u200bwidth \ufeffbom") == (
        "abcevil iso zerowidth bom"
    )


def test_undecodable_bytes_become_replacement_characters() -> None:
    assert safe_line("bad\udcff byte") == "bad\ufffd byte"
    assert safe_line("bad\udcff byte").encode("utf-8")


def test_urls_keep_their_identity_with_unsafe_characters_encoded() -> None:
    assert (
        safe_url(" https://e.example/a b\x1b[2J\u202e ") == "https://e.example/a%20b%1B[2J%E2%80%AE"
    )
    assert safe_url("https://e.example/plain?q=1") == "https://e.example/plain?q=1"
    assert (
        join_url("https://e.example/", "/x\x1b]52;c;AA\x07y")
        == "https://e.example/x%1B]52;c;AA%07y"
    )


def test_titles_and_reasons_are_safe_and_a_megabyte_title_is_cut() -> None:
    assert unsafe_in(clean_title(ALL_IN_ONE)) == []
    huge = clean_title(HUGE_LINE)
    assert len(huge) <= TITLE_MAX
    assert unsafe_in(huge) == []
    assert unsafe_in(short_reason(ValueError(ALL_IN_ONE))) == []


def test_a_literal_tag_in_entities_stays_text() -> None:
    assert normalise_characters("Use the &lt;b&gt; tag") == "Use the <b> tag"
    assert (
        clean_title("Use the &lt;b&gt; tag") == "Use the <b> tag"
    )  # as the XML parser hands it on
    item = article_from_feed(_item(summary="<p>Use the &lt;b&gt; tag for troops.</p>"))
    assert "Use the <b> tag for troops." in item.text


def test_error_messages_and_places_are_safe() -> None:
    error = DeskError(f"bad {ALL_IN_ONE}", f"/tmp/w\x1b[2J{ESCAPES[0]}.yaml", 3, 1)
    assert unsafe_in(str(error)) == []
    assert unsafe_in(error.message) == []


def test_a_page_with_escapes_leaves_no_payload_in_the_article() -> None:
    page = (
        f"<html><head><title>{ALL_IN_ONE}</title></head><body><article>"
        f"<h1>Troops {ESCAPES[0]} deployed</h1>"
        + "".join(
            f"<p>Paragraph {n}: troops moved {p} to the border.</p>" for n, p in enumerate(PAYLOADS)
        )
        + "</article></body></html>"
    )
    extracted = text_of_document(decode_text(page.encode("utf-8")))
    for text in (extracted.text, extracted.title):
        assert unsafe_in(text) == []
        assert payload_residue(text) == []


FEEDS = {
    "rss": (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>{t}</title>"
        "<item><title>{t}</title><link>https://e.example/1{e}</link><guid>g1</guid>"
        "<author>x@e.example ({t})</author><description>{t}</description></item>"
        "</channel></rss>"
    ),
    "atom": (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>{t}</title>"
        "<entry><title>{t}</title><link href='https://e.example/1{e}'/><id>g1</id>"
        "<author><name>{t}</name></author><summary>{t}</summary></entry></feed>"
    ),
}


@pytest.mark.parametrize("kind", ["rss", "atom", "json"])
@pytest.mark.parametrize("form", ["raw", "entities"])
def test_every_feed_field_is_safe_whichever_parser_reads_it(kind: str, form: str) -> None:
    title = (
        ALL_IN_ONE.replace("&", "&amp;").replace("<", "&lt;")
        if form == "raw"
        else _as_entities(ALL_IN_ONE)
    )
    if kind == "json":
        body = json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": ALL_IN_ONE,
                "items": [
                    {
                        "id": "g1",
                        "url": f"https://e.example/1{ESCAPES[0]}",
                        "title": ALL_IN_ONE,
                        "summary": ALL_IN_ONE,
                        "authors": [{"name": ALL_IN_ONE}],
                    }
                ],
            }
        ).encode()
    else:
        body = (
            FEEDS[kind]
            .format(t=title, e=ESCAPES[1].replace("\x1b", "&#27;"))
            .encode("utf-8", "surrogatepass")
        )
    parsed = parse_feed(
        body, "https://e.example/feed", "application/json" if kind == "json" else ""
    )
    assert len(parsed.items) == 1
    item = parsed.items[0]
    assert unsafe_in(item.url) == []  # a link keeps its identity, its payload encoded
    for text in (parsed.title, parsed.warning, item.title, *item.authors):
        assert unsafe_in(text) == [], text
        assert payload_residue(text) == [], text
    article = article_from_feed(item)
    assert unsafe_in(article.text) == []
    assert payload_residue(article.text) == []


def test_a_watchlist_file_with_payloads_loads_safe_or_fails_safe(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        'name: "[/] \\e]0;title\\a"\ndescription: "\\e[2J"\nterms:\n'
        '  - term: troops\n    label: "[@click=app.quit]x[/] \\e]52;c;SGVsbG8=\\a"\n',
        encoding="utf-8",
    )
    watchlist = load_watchlist(path)
    for text in (watchlist.name, watchlist.description, watchlist.terms[0].text):
        assert unsafe_in(text) == []
        assert payload_residue(text) == []
    path.write_text('terms: ["[/]\\e]52;c;SGVsbG8=\\a", {bad: "\\e[2J"}]\n', encoding="utf-8")
    with pytest.raises(DeskError) as failure:
        load_watchlist(path)
    assert unsafe_in(str(failure.value)) == []


def test_a_store_written_before_the_boundary_reads_back_safe(tmp_path: Path) -> None:
    write_old_store(tmp_path / "data")
    raw = (tmp_path / "data" / "alerts.json").read_bytes()
    assert b"\\u001b" in raw  # the payloads really are on disk
    store = TinyStore(tmp_path / "data", read_only=True)
    try:
        alerts = store.alerts()
        assert alerts
        for alert in alerts:
            texts = [alert.title, alert.note, *alert.sources, *alert.watchlists]
            texts += [part for hit in alert.hits for part in (hit.term, hit.text)]
            article = store.get_article(alert.article_key)
            assert article is not None
            texts += [article.title, article.text, article.byline]
            assert unsafe_in(alert.url + article.url) == []
            for text in texts:
                assert unsafe_in(text) == [], text
                assert payload_residue(text) == [], text
        for state in store.feed_states().values():
            for text in (state.title, state.error, state.warning):
                assert unsafe_in(text) == []
    finally:
        store.close()


def test_an_old_store_is_made_safe_on_disk_once_by_the_desk_that_owns_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_old_store(data)
    TinyStore(data, read_only=True).close()  # a reader changes nothing
    assert b"\\u001b" in (data / "alerts.json").read_bytes()
    TinyStore(data).close()
    rewritten = json.loads((data / "alerts.json").read_bytes())
    assert "\\u001b" not in json.dumps(rewritten)
    assert list(rewritten["format"].values()) == [{"text": "safetext-1"}]
    store = TinyStore(data, read_only=True)
    try:
        assert all(unsafe_in(alert.title) == [] for alert in store.alerts())
    finally:
        store.close()


def test_cleaning_a_text_of_every_payload_keeps_its_words() -> None:
    cleaned = clean_text(f"Troops were deployed.\n\n{ALL_IN_ONE}\n\nThe brigade moved.")
    assert unsafe_in(cleaned) == []
    assert payload_residue(cleaned) == []
    assert "Troops were deployed." in cleaned
    assert "The brigade moved." in cleaned


def _as_entities(text: str) -> str:
    """Control characters spelled as numeric character references, markup escaped."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return "".join(f"&#{ord(c)};" if ord(c) < 32 or 0x7F <= ord(c) <= 0x9F else c for c in escaped)


def _item(summary: str):  # type: ignore[no-untyped-def]
    from desk.core.models import Item

    return Item(feed_url="https://e.example/feed", id="1", url="", title="Troops", summary=summary)


def test_a_mojibake_repair_that_spells_a_control_is_made_safe() -> None:
    for raw in ("Troops \u00c2\u009b2J moved", "Troops \u00e2\u20ac\u00ae moved"):
        assert unsafe_in(normalise_characters(raw)) == []


def test_page_attributes_decoded_after_the_boundary_are_made_safe_again() -> None:
    from desk.core.article.pagemeta import page_metadata

    page = (
        '<html><head><link rel="canonical" href="https://e.example/a&#x202e;txt.exe">'
        '<meta name="author" content="Ann &#x1b;]52;c;SGVsbG8=&#x7;Lee"></head></html>'
    )
    meta = page_metadata(page, "https://e.example/a")
    assert unsafe_in(meta.canonical_url) == [] and unsafe_in(meta.byline) == []
    assert payload_residue(meta.byline) == []


EIGHT_BIT = {
    "raw": "a \x9b2J b \x9b31mred\x9b0m c \x9d0;8-bit title\x9c d \x85e",
    "references": "a &#155;2J b &#x9b;31mred&#x9B;0m c &#x9d;0;8-bit title&#156; d &#133;e",
}


@pytest.mark.parametrize("form", sorted(EIGHT_BIT))
@pytest.mark.parametrize("path", ["strict", "tolerant"])
def test_an_8bit_sequence_goes_with_its_payload_before_c1_becomes_cp1252(
    form: str, path: str
) -> None:
    title = EIGHT_BIT[form]
    spoil = "&nbsp;" if path == "tolerant" else ""  # lxml refuses it; feedparser reads it
    body = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{title}</title><item><title>{title}</title><link>http://x.example/1</link>"
        f"<description>{title}{spoil}</description></item></channel></rss>"
    ).encode()
    parsed = parse_feed(body, "http://x.example/feed")
    assert ("tolerant" in parsed.warning) == (path == "tolerant")
    item = parsed.items[0]
    for text in (parsed.title, item.title, article_from_feed(item).text):
        assert unsafe_in(text) == [], text
        assert payload_residue(text) == [], text
        assert "›" not in text and "œ" not in text, text
    assert item.title == "a b red c d …e"  # a lone C1 keeps feedparser's cp1252 reading
