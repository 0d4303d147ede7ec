"""The matcher with the shipped watchlists: what it must find and what it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.core.clean import clean_text
from desk.core.config import shipped_watchlists_dir
from desk.core.matching import Matcher, stem, term_words
from desk.core.models import Term, Watchlist
from desk.core.watchlists import load_watchlists


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(list(load_watchlists(shipped_watchlists_dir()).watchlists))


def fired(matcher: Matcher, text: str) -> set[str]:
    return {hit.watchlist for hit in matcher.match(text)}


@pytest.mark.parametrize(
    ("text", "watchlist"),
    [
        ("North Korea plans to deploy approximately 12,000 troops.", "troop-deployment"),
        ("Troops were deployed to the border overnight.", "troop-deployment"),
        ("The deployment of North Korean troops alongside Russian forces.", "troop-deployment"),
        ("The deployement of 900 soldiers begins in March.", "troop-deployment"),
        ("Washington withdrew 1,100 troops from Syria.", "troop-deployment"),
        ("Russia may give North Korea missile technology.", "technology-transfer"),
        ("The transfer of sensitive technology between the two states.", "technology-transfer"),
        ("An engineer smuggled dual-use machine tools to Iran.", "technology-transfer"),
        ("Analysts doubt the ICBM warhead can survive re-entry.", "icbm-reentry"),
        ("The intercontinental ballistic missile reentry vehicle was tested.", "icbm-reentry"),
        ("The ICBM's re entry vehicle needs a heat shield.", "icbm-reentry"),
        ("The balistic missile's reentery vehicle failed on its ICBM test.", "icbm-reentry"),
    ],
)
def test_finds_what_the_analyst_means(matcher: Matcher, text: str, watchlist: str) -> None:
    assert watchlist in fired(matcher, text)


@pytest.mark.parametrize(
    "text",
    [
        "The company deployed the software to production servers on Monday.",
        "Police officers were deployed to the stadium before the derby.",
        "Airbags deployed in the crash, the recall notice says.",
        "The scout troop went camping by the lake.",
        "The entry vehicle was parked outside the gate.",
        "The crew capsule's re-entry went well and its heat shield held.",
        "New visa re-entry permit rules for foreign workers take effect.",
        "The university's technology transfer office licensed a battery patent to a start-up.",
        "Investors deployed capital into the new fund.",
    ],
)
def test_stays_quiet_on_look_alikes(matcher: Matcher, text: str) -> None:
    assert fired(matcher, text) == set()


def test_hits_carry_term_text_span_and_score(matcher: Matcher) -> None:
    text = "Officials said Russia sent 3,000 soldiers to the border."
    (hit,) = matcher.match(text)
    assert hit.watchlist == "troop-deployment"
    assert text[hit.start : hit.end] == hit.text == "sent 3,000 soldiers"
    assert hit.score == 100.0
    assert hit.term  # the label or the term as written


def test_seed_article_fires_all_three_watchlists(matcher: Matcher, shared_dir: Path) -> None:
    text = clean_text((shared_dir / "seed" / "scraped-article.txt").read_text(encoding="utf-8"))
    hits = matcher.match(text)
    assert {h.watchlist for h in hits} == {
        "troop-deployment",
        "technology-transfer",
        "icbm-reentry",
    }
    for hit in hits:
        assert text[hit.start : hit.end] == hit.text


def test_stems_fold_case_diacritics_and_hyphens() -> None:
    assert stem("Re-entry") == stem("reentry") == stem("REENTRY")
    assert stem("déployé") == stem("deploye")
    assert stem("deployed") == stem("deployment") == stem("deploying") == "deploy"


def test_term_slots_and_stop_words() -> None:
    assert term_words("deployment of troops") == (("deploy",), ("troop",))
    assert term_words("troops | soldiers sent") == (("troop", "soldier"), ("sent",))
    assert term_words("of the") == (("of",), ("the",))


def test_short_words_never_match_fuzzily() -> None:
    watchlist = Watchlist(id="w", name="w", terms=(Term("arms", words=(("arm",),)),))
    assert Matcher([watchlist]).match("the army and the farm") == []
    assert [h.text for h in Matcher([watchlist]).match("small arms")] == ["arms"]
