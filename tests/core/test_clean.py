"""The cleaner: the seed golden case, junk lines, broken words and characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desk.core.article.clean import (
    clean_text,
    join_broken_lines,
    lead_with_title,
    normalise_characters,
)

SEED_JUNK = ("spot_imgspot_img", "Get in Touch", "Latest Posts")


def sentences(text: str) -> list[str]:
    """The sentences of a text, with whitespace collapsed."""
    flat = " ".join(text.split())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", flat) if s.strip()]


def test_seed_golden(shared_dir: Path) -> None:
    raw = (shared_dir / "seed" / "scraped-article.txt").read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    lines = cleaned.split("\n")
    for junk in SEED_JUNK:
        assert junk not in lines
    assert "level of military collaboration" in cleaned
    assert "Rutte shared on the social media platform X" in cleaned
    assert lines[0] == "South Korea and NATO Express Concern Over North Korean Troops in Russia"
    repaired = raw.replace("level o\nf military", "level of military").replace(
        "Rutte share\nd on", "Rutte shared on"
    )
    story = [
        line for line in repaired.split("\n") if line.strip() and line.strip() not in SEED_JUNK
    ]
    for sentence in sentences("\n".join(story[1:])):
        assert sentence in " ".join(cleaned.split()), sentence


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["the level o", "f military"], ["the level of military"]),
        (["Rutte share", "d on X"], ["Rutte shared on X"]),
        (["advanced tech-", "nology transfer"], ["advanced technology transfer"]),
        (["warhead re-", "entry tests"], ["warhead re-entry tests"]),
        (["the troops were", "sent on Monday"], ["the troops were sent on Monday"]),
        (["A heading", "The next paragraph."], ["A heading", "The next paragraph."]),
        (["It ended.", "then more"], ["It ended.", "then more"]),
        (["Items:", "- one", "- two"], ["Items:", "- one", "- two"]),
    ],
)
def test_broken_lines(lines: list[str], joined: list[str]) -> None:
    assert join_broken_lines(lines) == joined


@pytest.mark.parametrize(
    "junk",
    [
        "spot_imgspot_img",
        "Get in Touch",
        "Latest Posts",
        "Related Posts",
        "Advertisement",
        "[ad_1]",
        "Share this:",
        "Share on Facebook",
        "Subscribe to our newsletter",
        "Source: Reuters",
        "We use cookies to improve your experience. Accept",
    ],
)
def test_junk_lines_go(junk: str) -> None:
    text = f"Troops arrived on Monday.\n\n{junk}\n\nThey left on Friday."
    assert clean_text(text) == "Troops arrived on Monday.\n\nThey left on Friday."


def test_story_lines_that_mention_junk_words_stay() -> None:
    text = "The minister said the share of exports rose.\n\nRelated talks resume next week."
    assert clean_text(text) == text


def test_characters() -> None:
    assert normalise_characters("It&amp;#x27;s") == "It's"
    assert normalise_characters("CafÃ© â€œquotedâ€\x9d") == "Café “quoted”"
    assert normalise_characters("\x1b[31mred\x1b[0m\x07 text") == "red text"
    assert normalise_characters("e\u0301") == "é"
    assert normalise_characters("a \u00a0 b\tc") == "a b c"


def test_a_leftover_paragraph_end_and_start_break_the_paragraph() -> None:
    """A headline is not run into its lead; a lone tag or line break, which may sit inside
    a sentence, still joins its words."""
    text = "Navy sends frigates to the strait&nbsp;</p><p>The navy sent two frigates on Monday."
    assert clean_text(text) == (
        "Navy sends frigates to the strait\n\nThe navy sent two frigates on Monday."
    )
    assert clean_text("Troops were <br>\n<br> sent to the border.") == (
        "Troops were sent to the border."
    )
    assert clean_text("The <b>navy</b> sent<p>frigates.</p>") == "The navy sent frigates."


def test_paragraphs_kept_and_title_leads() -> None:
    assert clean_text("One.\n\n\n\nTwo.") == "One.\n\nTwo."
    assert lead_with_title("Headline", "Body.") == "Headline\n\nBody."
    assert lead_with_title("Headline", "Headline\n\nBody.") == "Headline\n\nBody."


# ---------------------------------------------------------------- characters


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Caf\u00c3\u00a9 opens", "Café opens"),  # UTF-8 read as cp1252
        ("\u00e2\u20ac\u0153Yes,\u00e2\u20ac\u009d he said", "“Yes,” he said"),
        ("M\u00c3\u00bcnchen and Z\u00c3\u00bcrich", "München and Zürich"),
        ("Plain caf\u00e9 stays", "Plain café stays"),  # already right: untouched
    ],
)
def test_mojibake_is_repaired(raw: str, clean: str) -> None:
    assert normalise_characters(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Seoul&#x27;s troops", "Seoul's troops"),
        ("AT&amp;T and R&amp;D", "AT&T and R&D"),
        ("It&amp;#x27;s double-escaped", "It's double-escaped"),
        ("&quot;Quoted&quot; &ndash; done", '"Quoted" – done'),
        ("AT&T keeps its ampersand", "AT&T keeps its ampersand"),
    ],
)
def test_entities_are_decoded(raw: str, clean: str) -> None:
    assert normalise_characters(raw) == clean


def test_unicode_ends_in_nfc() -> None:
    decomposed = "Seo\u0301ul re\u0301sume\u0301"
    assert normalise_characters(decomposed) == "Seóul résumé"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("it\u00b4s", "it's"),
        ("the \u2033quote\u2033", 'the "quote"'),
        ("modifier\u02bcs apostrophe", "modifier’s apostrophe"),
        ("full\uff02width\uff02", 'full"width"'),
        ("“typographic” quotes stay", "“typographic” quotes stay"),
    ],
)
def test_odd_quotes_are_normalised(raw: str, clean: str) -> None:
    assert normalise_characters(raw) == clean


def test_whitespace_is_tidied() -> None:
    assert normalise_characters("a\u00a0\u00a0b\tc\u2009d  e\u3000f") == "a b c d e f"
    assert (
        normalise_characters("line one\r\nline two\rline three") == "line one\nline two\nline three"
    )
    assert clean_text("  One.  \n\n\n\n   Two.\t\n") == "One.\n\nTwo."


def test_control_characters_are_stripped() -> None:
    raw = "tro\x00ops\x07 mo\x0bved\x7f no\u200brth\ufeff\u202e"
    assert normalise_characters(raw) == "troops moved north"
    assert normalise_characters("soft\u00adhyphen") == "softhyphen"


@pytest.mark.parametrize(
    "escape",
    [
        "\x1b[31m",  # CSI colour
        "\x1b[2J\x1b[H",  # clear screen, cursor home
        "\x1b]0;pwned\x07",  # OSC window title (BEL)
        "\x1b]8;;https://evil.example\x1b\\",  # OSC hyperlink (ST)
        "\x1bPq#0;2;0;0;0\x1b\\",  # DCS string
        "\x1bc",  # reset
        "\x9b31m",  # 8-bit CSI
    ],
)
def test_terminal_escapes_are_stripped(escape: str) -> None:
    assert normalise_characters(f"Troops {escape}moved") == "Troops moved"


def test_leftover_tags_and_template_comments_go() -> None:
    raw = "One<br>two <b>three</b><!-- theme/share.tpl --> {{ share_count }}four"
    assert normalise_characters(raw) == "One two three four"


# ---------------------------------------------------------------- broken words


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        # a word ending that never stands alone
        (["the deploy", "ment of troops"], ["the deployment of troops"]),
        (["were milit", "ary advisers"], ["were military advisers"]),
        # the joined word occurs elsewhere in the text, the halves do not
        (
            ["The delegation arrived.", "Officials met the deleg", "ation on Monday"],
            ["The delegation arrived.", "Officials met the delegation on Monday"],
        ),
        # hyphens: compound kept, line-end hyphenation dropped
        (["Russian-", "made drones"], ["Russian-made drones"]),
        (["missile-", "related parts"], ["missile-related parts"]),
        (["the inter-", "continental missile"], ["the inter-continental missile"]),
        (["its propul-", "sion system"], ["its propulsion system"]),
        # two whole words stay two words
        (["troops were", "seen near the border"], ["troops were seen near the border"]),
        (["any", "one of them"], ["any one of them"]),
    ],
)
def test_broken_words_are_repaired(lines: list[str], joined: list[str]) -> None:
    assert join_broken_lines(lines) == joined


@pytest.mark.parametrize(
    "lines",
    [
        ["Background", "The talks began in 2019."],  # a heading
        ["Key points:", "troops moved", "ships followed"],  # after a colon
        ["Items", "- one", "- two", "• three", "1. four"],  # list items
        ["The troops left.", "more arrived later"],  # a sentence ended
        ["Casualties", "12,000 soldiers"],  # a number starts a line
    ],
)
def test_separate_lines_are_not_glued(lines: list[str]) -> None:
    assert join_broken_lines(lines)[0] == lines[0]


def test_paragraphs_are_never_glued() -> None:
    assert clean_text("the level o\n\nf military") == "the level o\n\nf military"


# ---------------------------------------------------------------- junk


@pytest.mark.parametrize(
    "junk",
    [
        "spot_imgspot_imgspot_img",
        "[ad_2]",
        "[/button]",
        "Latest News",
        "You may also like",
        "Don’t miss",
        "Most read in world news",
        "Read more: Army chief resigns after drone strike",
        "READ MORE: Talks collapse",
        "SEE MORE: Navy ships sail",
        "Related: Five things to know about the border",
        "[Related: Talks resume in Geneva]",
        "Sponsored content",
        "Follow us on Twitter",
        "Follow Jane Doe on Twitter @janedoe.",
        "Sign up for our daily briefing email newsletter",
        "Get the latest headlines delivered to your inbox every morning.",
        "Thanks for signing up!",
        "This site uses cookies to improve your experience.",
        "Copyright 2026 News Example. All rights reserved.",
        "© 2026 Example Media",
        "Source: Yonhap",
        "SOURCE: News agencies",
        "Photo: Jane Doe/Reuters",
        "Getty Images",
        "David Smith / AP",
        "Reporting by Jane Doe; Editing by John Roe",
        "(Additional reporting by Jane Doe in Seoul)",
        "Jane Doe contributed to this report.",
        "Contributing: John Roe",
        "jane.doe@example.com",
        "Email Jane Doe at jane.doe@example.com.",
        "Updated 14 hours ago",
        "November 19, 2019 / 12:21 AM / Updated 14 hours ago",
        "Published: Tuesday, Nov. 19, 2019 08:38 AM",
        "By Jane Doe",
        "By Jane Doe and John Roe | Reuters",
        "Example Wire | 2025-12-28 00:00 |",
        "5 min read",
        "Click here to subscribe",
        "Continue reading the main story",
        "Go Back to Top. Skip To: Start of Article.",
        "If you buy something through our links, we may earn a commission.",
        "Like this story? Share it with a friend!",
        "Post Comment (+)",
        "Explore further",
        "Tags: troops, border, Korea",
        "Filed under: Defence |",
        "Pick Six Newsletter",
        "This article originally appeared on Example.com.",
        "China furious at border jibe [VIDEO]",
    ],
)
def test_more_junk_lines_go(junk: str) -> None:
    text = f"Troops arrived on Monday.\n\n{junk}\n\nThey left on Friday."
    assert clean_text(text) == "Troops arrived on Monday.\n\nThey left on Friday.", junk


@pytest.mark.parametrize(
    "story",
    [
        "By Monday, the troops had left the border town.",
        "Reuters reported the deal on Monday.",
        "The company said 3 million people subscribe to its service.",
        "Sources said the advertisement ran for two weeks before it was pulled.",
        "More than 1,000 soldiers were sent to the region in May 2019.",
        "The minister said the share of exports rose to 12 percent.",
        "Watch out for the third phase, the general said.",
        "The rally was held on March 3, 2020, in the capital.",
        "Comments from the ministry were not immediately available.",
        "10 p.m.",
        "The ministry (see below) said nothing.",
        "[CNET]",
    ],
)
def test_story_lines_stay(story: str) -> None:
    text = f"Troops arrived on Monday.\n\n{story}\n\nThey left on Friday."
    assert clean_text(text) == text


def test_a_related_list_goes_with_its_heading() -> None:
    text = (
        "Troops crossed the river at dawn, officials said.\n\n"
        "Related stories\n\nArmy chief resigns\n\nNavy ships sail north\n\n"
        "The ministry said the operation would last a week."
    )
    assert clean_text(text) == (
        "Troops crossed the river at dawn, officials said.\n\n"
        "The ministry said the operation would last a week."
    )


def test_lone_lowercase_labels_go_but_words_in_sentences_stay() -> None:
    assert clean_text("Story text here.\n\nimmunology\n\nmedium-browser-and-tablet") == (
        "Story text here."
    )


def test_site_junk_is_dropped_whatever_its_case() -> None:
    text = "Troops arrived.\n\nOur Standards: The Trust Principles\n\nThey left."
    assert clean_text(text, site_junk=["our standards:  the trust principles"]) == (
        "Troops arrived.\n\nThey left."
    )


def test_inline_residue_is_repaired() -> None:
    raw = "[LEAD]Troops arrived in spring.The group said (Pool photo)Officials left. (bit.ly/1Ab2)"
    assert (
        clean_text(raw) == "Troops arrived in spring. The group said (Pool photo) Officials left."
    )
    assert clean_text("Quote here.Click To Tweet") == "Quote here."
    assert clean_text("The body ends.\n\nreporter@example.com(END)") == "The body ends."


def test_front_matter_and_markdown_are_removed() -> None:
    raw = (
        '---\nid: 1\ntitle: "Troops move"\n---\n\n# Troops move\n\n'
        "**Example Wire** | 2025-12-28 00:00 |\n\n---\n\n"
        "Troops **moved** north, [officials](https://example.com/a) said.\n\n"
        "*Crawled at: 2025-12-28 03:01:45*\n*Source: [Original](https://example.com/a)*"
    )
    assert clean_text(raw) == "Troops move\n\nTroops moved north, officials said."


# ---------------------------------------------------------------- headlines


def test_a_headline_glued_to_the_story_goes() -> None:
    title = "Harbour ferry makes its last crossing after 40 years"
    glued = (
        "harbour-ferry farewellHarbour ferry makes its last crossing after 40 years"
        "(ATTN: UPDATES with details) By Jane Doe SEOUL, Dec. 29 (Example) -- The ferry docked."
    )
    assert (
        lead_with_title(title, glued) == f"{title}\n\nSEOUL, Dec. 29 (Example) -- The ferry docked."
    )


def test_a_story_that_starts_with_its_headline_words_keeps_them() -> None:
    title = "Troops head north"
    text = "Troops head north as talks stall, officials said."
    assert lead_with_title(title, text) == f"{title}\n\n{text}"


def test_the_headline_appears_once() -> None:
    text = "Kicker\n\nTroops head north\n\nBody.\n\nTroops head north 03/31/16"
    assert lead_with_title("Troops head north", text) == "Troops head north\n\nKicker\n\nBody."


def test_a_long_wrapped_paragraph_is_joined_in_one_pass() -> None:
    wrapped = "\n".join(["the troops moved north"] * 20_000)
    assert clean_text(wrapped) == " ".join(["the troops moved north"] * 20_000)
