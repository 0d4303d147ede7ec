"""The cleaner: the seed golden case, junk lines, broken words and characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desk.core.clean import clean_text, join_broken_lines, lead_with_title, normalise_characters

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


def test_paragraphs_kept_and_title_leads() -> None:
    assert clean_text("One.\n\n\n\nTwo.") == "One.\n\nTwo."
    assert lead_with_title("Headline", "Body.") == "Headline\n\nBody."
    assert lead_with_title("Headline", "Headline\n\nBody.") == "Headline\n\nBody."
