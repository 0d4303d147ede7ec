"""The lxml fast path: the same items as feedparser, charsets, fallbacks and hostile XML.

parse_feed reads well-formed RSS and Atom with a strict lxml parser and hands
anything lxml rejects to feedparser. An item must keep its identity (id, url)
and its title and dates whichever path read it, or a feed that turns malformed
for a day would re-raise every story as new.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest
from feedparser.datetimes import _parse_date as feedparser_parse_date

from desk.core.feeds import parse as feeds
from desk.core.feeds import text as feedtext
from desk.core.feeds.charset import utf8_document
from desk.core.feeds.dates import parse_date
from desk.core.feeds.parse import TITLE_MAX, FeedParseError, ParsedFeed, parse_feed
from desk.core.safetext import safe_url

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
FEED_URL = "https://news.example/feeds/world.xml"
COMPARED = ("title", "url", "id", "published", "updated", "authors")

# Every difference between the two paths on a corpus feed the fast path reads,
# as {(file name, item index, field): reason}. There are none: on the corpus the
# fast path gives feedparser's titles, links, ids, dates and authors exactly.
#
# Not compared, and why:
# - summary and content: feedparser re-serialises HTML through its sanitiser
#   (attribute order and quoting, <br /> forms) and the fast path keeps the
#   feed's markup, minus <script> and <style> as the sanitiser does; as plain
#   text they agree except for line breaks and two feedparser quirks:
#   pagination-links.rss (feedparser loses a second summary-like element it
#   means to keep as content: _start_content pushes 'content' twice) and
#   HuffPostCanada.xml (feedparser takes a media:description nested in
#   media:content as the content; the fast path reads nested media:description
#   only when an item has no summary or content at all, as YouTube's do).
KNOWN_DIFFERENCES: dict[tuple[str, int, str], str] = {}


def corpus_files(shared_dir: Path) -> list[Path]:
    folder = shared_dir / "corpus" / "feeds"
    return [p for p in sorted(folder.rglob("*")) if p.suffix in (".xml", ".rss", ".atom")]


def fast_path(body: bytes, url: str = FEED_URL) -> tuple[ParsedFeed | None, str]:
    """The fast path's result, or None and why feedparser must read the document."""
    xml, _ = utf8_document(body.lstrip(), None)
    return feeds._parse_strictly(xml, url)


def feedparser_path(body: bytes, url: str = FEED_URL) -> ParsedFeed:
    """What feedparser alone makes of the same UTF-8 bytes."""
    xml, _ = utf8_document(body.lstrip(), None)
    return feeds._parse_leniently(xml, url)


def rss(items: str, head: str = "<title>Wire</title>", decl: str = "") -> bytes:
    return f'{decl}<rss version="2.0"><channel>{head}{items}</channel></rss>'.encode()


# --- the corpus: same results on both paths -----------------------------------------


def test_fast_path_matches_feedparser_on_every_well_formed_corpus_feed(shared_dir: Path) -> None:
    fast_feeds = compared = 0
    differences = {}
    for path in corpus_files(shared_dir):
        fast, _ = fast_path(path.read_bytes())
        if fast is None:
            continue
        slow = feedparser_path(path.read_bytes())
        fast_feeds += 1
        assert fast.title == slow.title, path.name
        assert len(fast.items) == len(slow.items), path.name
        for index, (mine, theirs) in enumerate(zip(fast.items, slow.items, strict=True)):
            compared += 1
            for field in COMPARED:
                if getattr(mine, field) != getattr(theirs, field):
                    differences[(path.name, index, field)] = (
                        getattr(mine, field),
                        getattr(theirs, field),
                    )
    assert set(differences) == set(KNOWN_DIFFERENCES), differences
    assert fast_feeds >= 60 and compared > 1500  # 62 feeds and 1,623 items when written


def test_corpus_feeds_that_fall_back_are_malformed_and_say_so(shared_dir: Path) -> None:
    fell_back = []
    for path in corpus_files(shared_dir):
        fast, why = fast_path(path.read_bytes())
        if fast is not None:
            continue
        fell_back.append(path.name)
        try:
            parsed = parse_feed(path.read_bytes(), FEED_URL)
        except FeedParseError:
            continue  # a fragment that is no feed at all: refused in words, as before
        if why:
            assert parsed.warning.startswith("malformed feed ("), (path.name, parsed.warning)
    assert "itunes.xml" in fell_back  # content: prefix used but never declared
    assert len(fell_back) <= 12


def test_fast_path_leaves_no_mojibake_in_corpus_titles(shared_dir: Path) -> None:
    for path in corpus_files(shared_dir):
        fast, _ = fast_path(path.read_bytes())
        for item in fast.items if fast else ():
            assert "Ã" not in item.title and "â€" not in item.title, (path.name, item.title)
            assert "\ufffd" not in item.title, (path.name, item.title)


# --- formats ------------------------------------------------------------------------


def test_rss_1_0_rdf() -> None:
    body = (DATA / "rss10.rdf").read_bytes()
    parsed = parse_feed(body, "http://wire.example/rss")
    assert parsed.title == "Wire & Cable: RSS 1.0" and parsed.warning == ""
    first, second, third = parsed.items
    assert first.id == first.url == "http://wire.example/2024/05/harbour-reopens"
    assert first.published == datetime(2024, 5, 2, 6, 30, tzinfo=UTC)  # dc:date, +02:00
    assert first.authors == ("Ana Ruiz",)
    assert "<b>all berths</b>" in first.summary
    assert second.url == "http://wire.example/2024/05/grain-deal?src=rss&v=2"
    assert second.summary == second.content == "<p>Negotiators agreed <em>late on Friday</em>.</p>"
    assert third.url == "" and third.id == "http://wire.example/2024/05/no-link"  # rdf:about
    assert third.published == datetime(2024, 5, 3, 17, 45, tzinfo=UTC)
    assert_same_as_feedparser(body, "http://wire.example/rss")


def test_atom_0_3() -> None:
    body = (DATA / "atom03.xml").read_bytes()
    parsed = parse_feed(body, "http://journal.example/atom")
    assert parsed.title == "Field Journal" and parsed.warning == ""
    delta, quiet = parsed.items
    assert delta.url == "http://journal.example/blog/2004/03/delta.html"  # feed xml:base
    assert delta.id == "tag:journal.example,2004:7"
    assert delta.published == datetime(2004, 3, 1, 23, 0, tzinfo=UTC)  # issued, -05:00
    assert delta.updated == datetime(2004, 3, 2, 9, 0, tzinfo=UTC)  # modified
    assert delta.authors == ("R. Okafor",)
    assert delta.summary.startswith("Water levels at the delta")
    assert "<b>lowest</b>" in delta.content
    assert quiet.url == "http://journal.example/blog/archive/quiet.html"  # entry xml:base too
    assert quiet.content == "<p>Nothing <em>much</em> happened.</p>"  # xhtml, <div> unwrapped
    assert_same_as_feedparser(body, "http://journal.example/atom")


def test_atom_1_0_link_choice_and_nested_xml_base() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://site.example/news/">
      <title type="html">Site &lt;b&gt;news&lt;/b&gt;</title>
      <entry xml:base="2024/">
        <title>Alternate wins</title><id>urn:uuid:1</id>
        <link rel="self" href="/api/1.json"/>
        <link rel="enclosure" type="audio/mpeg" href="one.mp3"/>
        <link href="one.html"/>
        <updated>2024-01-02T03:04:05Z</updated>
      </entry>
      <entry>
        <title>Only a self link</title><id>http://site.example/news/two</id>
        <link rel="self" href="two.json"/>
        <published>2024-01-01T00:00:00.250+05:30</published>
      </entry>
    </feed>"""
    parsed = parse_feed(body, "https://mirror.example/feed.atom")
    one, two = parsed.items
    assert parsed.title == "Site news"
    assert one.url == "http://site.example/news/2024/one.html"
    assert one.published == one.updated == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert two.url == two.id == "http://site.example/news/two"  # an id URL stands in for a link
    assert two.published == datetime(2023, 12, 31, 18, 30, tzinfo=UTC)
    assert_same_as_feedparser(body, "https://mirror.example/feed.atom")


def test_relative_links_resolve_against_the_feed_url() -> None:
    body = rss(
        "<item><title>A</title><link>../world/a.html</link></item>"
        "<item><title>B</title><guid>/guid/b</guid></item>"
        '<item><title>C</title><guid isPermaLink="false">c-123</guid><link>c.html</link></item>'
    )
    a, b, c = parse_feed(body, "https://news.example/feeds/world.xml").items
    assert a.url == a.id == "https://news.example/world/a.html"
    assert b.url == b.id == "https://news.example/guid/b"  # a permalink guid is the link
    assert c.url == "https://news.example/feeds/c.html" and c.id == "c-123"
    assert_same_as_feedparser(body, "https://news.example/feeds/world.xml")


def test_items_without_link_or_guid_get_a_hash_not_the_feed_url() -> None:
    body = rss(
        "<item><title>First</title><pubDate>Mon, 06 Sep 2010 00:01:00 +0000</pubDate></item>"
        "<item><title>Second</title></item>"
    )
    first, second = parse_feed(body, FEED_URL).items
    assert first.url == second.url == ""
    assert len({first.id, second.id, FEED_URL}) == 3
    assert_same_as_feedparser(body)


# --- titles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "title"),
    [
        ("Talks&amp;nbsp;resume", "Talks resume"),
        ("Talks&#160;resume", "Talks resume"),
        ("Talks &amp;amp; more", "Talks & more"),
        ("<![CDATA[<b>Big</b> news &amp; more]]>", "Big news & more"),
        ("<![CDATA[Price <em>up</em>&nbsp;3%]]>", "Price up 3%"),
        ("AT&amp;T &lt;rises&gt;", "AT&T"),  # escaped markup is markup, as feedparser reads it
        ("  spread\n  over\tlines ", "spread over lines"),
    ],
)
def test_titles_are_plain_text_on_one_line(markup: str, title: str) -> None:
    body = rss(f"<item><title>{markup}</title><link>http://x.example/1</link></item>")
    (item,) = parse_feed(body, FEED_URL).items
    assert item.title == title
    assert_same_as_feedparser(body)


def test_a_huge_title_is_capped() -> None:
    words = " ".join(f"word{n}" for n in range(5000))
    body = rss(f"<item><title>{words}</title><link>http://x.example/1</link></item>")
    (item,) = parse_feed(body, FEED_URL).items
    assert len(item.title) <= TITLE_MAX and item.title.endswith("…")
    assert item.title.startswith("word0 word1 ") and " word1" in item.title


def test_scripts_and_styles_leave_summaries() -> None:
    body = rss(
        "<item><title>T</title><link>http://x.example/1</link><description><![CDATA["
        "<p>Before</p><script>track('x')</script><STYLE>p {}</STYLE><p>after</p>]]>"
        "</description></item>"
    )
    (item,) = parse_feed(body, FEED_URL).items
    assert item.summary == "<p>Before</p><p>after</p>"


# --- malformed XML goes to feedparser -------------------------------------------------


def test_a_bare_ampersand_falls_back_and_keeps_the_text() -> None:
    body = rss(
        "<item><title>Fish & Chips prices rise</title><link>http://x.example/1</link>"
        "<description>Cod & haddock</description></item>"
    )
    parsed = parse_feed(body, FEED_URL)
    assert parsed.warning == "malformed feed (a bare '&' at line 1); read with the tolerant parser"
    (item,) = parsed.items
    assert item.title == "Fish & Chips prices rise"
    assert "Cod & haddock" in item.summary


@pytest.mark.parametrize(
    ("fragment", "reason"),
    [
        ("<title>Caf&eacute; &nbsp;news</title>", "undefined entity &eacute;"),
        ("<title>T</title><media:title>M</media:title>", "undeclared namespace prefix 'media'"),
        ("<title>T</title><b>unclosed", "Opening and ending tag mismatch"),
    ],
)
def test_malformed_xml_falls_back_with_a_warning(fragment: str, reason: str) -> None:
    body = rss(f"<item>{fragment}<link>http://x.example/1</link></item>")
    parsed = parse_feed(body, FEED_URL)
    assert parsed.warning.startswith("malformed feed (") and reason in parsed.warning
    assert parsed.items and parsed.items[0].url == "http://x.example/1"


def test_an_item_keeps_its_identity_when_its_feed_turns_malformed() -> None:
    items = (
        "<item><title>Grain deal</title><guid>tag:x,1</guid><link>/a/1</link>"
        "<pubDate>Tue, 07 May 2024 09:00:00 EDT</pubDate><author>ed@x.example (Ed)</author>"
        "<description>{}</description></item>"
        "<item><title>No link</title><pubDate>Tue, 07 May 2024 10:00:00 GMT</pubDate></item>"
    )
    good = parse_feed(rss(items.format("Wheat &amp; maize")), FEED_URL)
    bad = parse_feed(rss(items.format("Wheat & maize")), FEED_URL)
    assert good.warning == "" and bad.warning.startswith("malformed feed")
    for mine, theirs in zip(good.items, bad.items, strict=True):
        assert (mine.key, mine.url, mine.title, mine.published, mine.authors) == (
            theirs.key,
            theirs.url,
            theirs.title,
            theirs.published,
            theirs.authors,
        )


def test_a_well_formed_document_that_is_not_a_feed_is_still_refused() -> None:
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(b"<html><body><p>Moved</p></body></html>", FEED_URL)


# --- charsets -----------------------------------------------------------------------


def test_undeclared_latin1_is_read_as_windows_1252() -> None:
    body = rss(
        "<item><title>Ação “já”: é ótima</title><link>http://x.example/1</link></item>",
        head="<title>Notícias</title>",
    )
    parsed = parse_feed(body.decode().encode("cp1252"), FEED_URL)
    assert parsed.title == "Notícias"
    assert parsed.items[0].title == "Ação “já”: é ótima"
    assert parsed.warning == "declares no encoding and is not UTF-8; read as windows-1252"


def test_the_http_charset_names_an_undeclared_encoding() -> None:
    body = rss("<item><title>Ação já</title><link>http://x.example/1</link></item>")
    latin1 = body.decode().encode("latin-1")
    assert parse_feed(latin1, FEED_URL, "application/rss+xml", "iso-8859-1").warning == ""
    chinese = rss("<item><title>中国新闻</title><link>http://x.example/1</link></item>")
    parsed = parse_feed(chinese.decode().encode("gb2312"), FEED_URL, charset="gb2312")
    assert parsed.items[0].title == "中国新闻" and parsed.warning == ""


@pytest.mark.parametrize(
    ("declared", "codec", "title"),
    [
        ("gb2312", "gb18030", "中国新闻：朱镕基"),  # 镕 is GBK: gb2312 means GBK, as in browsers
        ("GBK", "gbk", "中国新闻"),
        ("shift_jis", "cp932", "東京で会議 ①"),  # ① is Windows' Shift_JIS
        ("EUC-KR", "euc_kr", "서울 뉴스"),
        ("big5", "big5", "臺北新聞"),
        ("windows-1251", "cp1251", "Новости"),
    ],
)
def test_declared_cjk_and_cyrillic_encodings(declared: str, codec: str, title: str) -> None:
    text = f"<item><title>{title}</title><link>http://x.example/1</link></item>"
    body = rss(text, decl=f"<?xml version='1.0' encoding='{declared}'?>").decode().encode(codec)
    for http_charset in (None, "iso-8859-1", "utf-8", "x-unknown"):  # wrong HTTP charsets
        parsed = parse_feed(body, FEED_URL, "text/xml", http_charset)
        assert parsed.items[0].title == title and parsed.warning == "", http_charset


@pytest.mark.parametrize(
    ("declared", "body_codec", "warning"),
    [
        ("utf-8", "cp1252", "declares utf-8 and is not UTF-8; read as windows-1252"),
        ("iso-8859-1", "utf-8", "declares iso-8859-1 but is UTF-8"),
        ("x-no-such-charset", "utf-8", "declares x-no-such-charset but is UTF-8"),
        ("x-no-such-charset", "cp1252", "declares x-no-such-charset and is not UTF-8"),
        ("utf-16", "utf-8", "declares utf-16 but is UTF-8"),
    ],
)
def test_a_wrong_or_unknown_declaration_never_raises_nor_garbles(
    declared: str, body_codec: str, warning: str
) -> None:
    text = "<item><title>Café “crème”</title><link>http://x.example/1</link></item>"
    body = rss(text, decl=f'<?xml version="1.0" encoding="{declared}"?>').decode()
    parsed = parse_feed(body.encode(body_codec), FEED_URL, charset="x-bogus")
    assert parsed.items[0].title == "Café “crème”"
    assert parsed.warning.startswith(warning)


def test_utf8_with_a_few_stray_windows_1252_bytes() -> None:
    body = rss("<item><title>Café — “ok”</title><link>http://x.example/1</link></item>")
    body = body.replace(b"ok", "d\xe9j\xe0".encode("latin-1"))  # two stray bytes
    parsed = parse_feed(body, FEED_URL)
    assert parsed.items[0].title == "Café — “déjà”"
    assert "stray windows-1252 bytes" in parsed.warning


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marks(codec: str) -> None:
    body = rss(
        "<item><title>東京 café</title><link>http://x.example/1</link></item>",
        decl='<?xml version="1.0" encoding="utf-16"?>',
    )
    if codec == "utf-16-be":
        encoded = b"\xfe\xff" + body.decode().encode(codec)
    else:
        encoded = body.decode().encode(codec)
    parsed = parse_feed(encoded, FEED_URL)
    assert parsed.items[0].title == "東京 café" and parsed.warning == ""


def test_charset_is_optional_and_positional_arguments_still_work() -> None:
    body = rss("<item><title>T</title><link>http://x.example/1</link></item>")
    assert parse_feed(body, FEED_URL, "application/rss+xml") == parse_feed(body, FEED_URL)


# --- hostile XML --------------------------------------------------------------------


def test_entity_declarations_are_refused_in_utf16_too() -> None:
    body = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss>&a;</rss>'
    with pytest.raises(FeedParseError, match="declares entities"):
        parse_feed(body.encode("utf-16"), FEED_URL)


def test_no_external_dtd_is_ever_read(tmp_path: Path) -> None:
    dtd = tmp_path / "secret.dtd"
    dtd.write_text('<!ENTITY secret "FROM-THE-DISK">')
    for system in (dtd.as_uri(), str(dtd), "/dev/zero", "http://127.0.0.1:9/rss.dtd"):
        body = (
            f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{system}">'
            "<rss><channel><title>T &secret;</title>"
            "<item><title>I</title><link>http://x.example/1</link></item></channel></rss>"
        ).encode()
        started = time.monotonic()
        parsed = parse_feed(body, FEED_URL)
        assert time.monotonic() - started < 5
        assert "FROM-THE-DISK" not in parsed.title
        assert "entities from a DTD" in parsed.warning


def test_a_dtd_without_entities_stays_on_the_fast_path() -> None:
    doctype = (
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    )
    body = rss("<item><title>Old</title><link>http://x.example/1</link></item>", decl=doctype)
    parsed = parse_feed(body, FEED_URL)
    assert parsed.warning == "" and parsed.items[0].title == "Old"


# --- dates --------------------------------------------------------------------------

SAME_AS_FEEDPARSER = [
    "Mon, 06 Sep 2010 00:01:00 +0000",
    "Mon, 06 Sep 2010 00:01:00 GMT",
    "Monday, 6 September 2010 00:01 EDT",
    "06 Sep 2010 00:01:00 -0330",
    "Mon, 06 Sep 2010 00:01:00 +05:30",
    "Mon, 06 Sep 2010 00:01:00 UTC",
    "Mon, 06 Sep 2010 00:01:00 BST",  # an unknown zone counts as UTC in both
    "Mon, 06 Sep 10 00:01:00 +0000",  # two-digit year
    "Sep 06 2010 00:01:00 +0000",  # month first
    "Mon, 06 Sep 2010",  # no time
    "Mon, 06 Sep 2010 00:01:00",  # no zone: feedparser gives up, so must desk
    "2010-09-06",
    "2010-09-06T00:01:00Z",
    "2010-09-06T00:01:00.123456Z",
    "2010-09-06T00:01:00-07:00",
    "2010-09-06 00:01:00",
    "2010-09",
    "Mon, 31 Feb 2010 00:01:00 GMT",  # no such day
    "2010-13-45T99:99:99Z",
    "yesterday",
    "",
]


@pytest.mark.parametrize("value", SAME_AS_FEEDPARSER)
def test_dates_read_as_feedparser_reads_them(value: str) -> None:
    theirs = feedparser_parse_date(value)
    expected = datetime.fromtimestamp(calendar.timegm(theirs), tz=UTC) if theirs else None
    assert parse_date(value) == expected


def test_iso_offsets_without_a_colon_keep_their_minutes() -> None:
    # feedparser's W3DTF reader reads "+0530" as +05:00; desk reads it right.
    assert parse_date("2010-09-06T05:31:00+0530") == datetime(2010, 9, 6, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["Mon, 99 Foo 2010 25:61:61 +9999", "\x00", "T" * 99, "-1"])
def test_unreadable_dates_are_none(value: str) -> None:
    assert parse_date(value) is None


# --- helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://x.example/a/b.html",
        "http://x.example/a?b=1&c=2#frag",
        "http://x.example/a?",
        "http://x.example/a#",
        "http://x.example/a;jsessionid=1",
        "HTTP://X.example/A",
        "http://x.example/a/../b",
        "http:///x.example/a",
        "http://[::1]/a",
        "http://[bad/a",
        " http://x.example/a ",
        "/relative/path",
        "tag:x.example,2004:1",
        "",
    ],
)
def test_urljoin_shortcut_agrees_with_urljoin(uri: str) -> None:
    base = "https://news.example/feeds/world.xml"
    fixed = feedtext._URI_SLASHES.sub(r"\1\3", uri)
    try:
        expected = safe_url(urljoin(base, fixed))
    except ValueError:
        expected = ""
    assert feedtext.join_url(base, uri) == expected


def assert_same_as_feedparser(body: bytes, url: str = FEED_URL) -> None:
    fast, why = fast_path(body, url)
    assert fast is not None, why
    slow = feedparser_path(body, url)
    assert fast.title == slow.title
    for mine, theirs in zip(fast.items, slow.items, strict=True):
        for field in COMPARED:
            assert getattr(mine, field) == getattr(theirs, field), field
