"""The matcher with the shipped watchlists: what it must find and what it must not."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
import re2
import yaml

from desk.core.article.clean import clean_text
from desk.core.match.matcher import (
    _WORD,
    REGEX_SET_SIZE,
    Matcher,
    RegexGate,
    Tokens,
    _Lexicon,
    describe_evidence,
    stem,
    stems_of,
    term_words,
)
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Evidence, Term, Watchlist
from desk.core.settings.config import shipped_watchlists_dir

CASES = yaml.safe_load((Path(__file__).parents[1] / "data" / "watch_cases.yaml").read_text())
FIRES = [(watchlist, text) for watchlist, texts in CASES["fires"].items() for text in texts]
QUIET = CASES["quiet"]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(list(load_watchlists(shipped_watchlists_dir()).watchlists))


@pytest.fixture(scope="module")
def rules() -> Matcher:
    """The shipped watchlists' terms alone: what the written cases below pin down.

    The examples' vote (tests/core/test_semantic.py) only ever adds alerts; were it
    on here, it could hide a term that stopped firing.
    """
    shipped = load_watchlists(shipped_watchlists_dir()).watchlists
    return Matcher([replace(watchlist, semantic=None) for watchlist in shipped])


def fired(matcher: Matcher, text: str) -> set[str]:
    """The watchlists that fire on `text` cleaned as every path cleans it before matching."""
    return {hit.watchlist for hit in matcher.match(clean_text(text))}


@pytest.mark.parametrize(("watchlist", "text"), FIRES)
def test_finds_what_the_analyst_means(rules: Matcher, watchlist: str, text: str) -> None:
    assert watchlist in fired(rules, text)


@pytest.mark.parametrize("text", QUIET)
def test_stays_quiet_on_look_alikes(rules: Matcher, text: str) -> None:
    assert fired(rules, text) == set()


LOOK_ALIKE_ALARMS = 0.015
"""The share of the look-alikes the examples' vote may add an alert to (10 of 1,192 now)."""


def test_the_examples_vote_adds_few_alarms_on_look_alikes(matcher: Matcher) -> None:
    """The vote as shipped (5 of 5 nearest, floor 0.55) stays under the bound; a lax vote
    (the single nearest example decides) does not, so the bound can tell them apart."""
    shipped = load_watchlists(shipped_watchlists_dir()).watchlists
    lax = Matcher(
        [
            replace(w, semantic=replace(w.semantic, neighbours=1, agree=1, floor=0.0))
            for w in shipped
            if w.semantic is not None
        ]
    )
    alarms = [text for text in QUIET if fired(matcher, text)]
    lax_alarms = [text for text in QUIET if fired(lax, text)]
    assert len(alarms) <= LOOK_ALIKE_ALARMS * len(QUIET), alarms
    assert len(lax_alarms) > LOOK_ALIKE_ALARMS * len(QUIET)


def test_hits_carry_term_text_span_and_score(matcher: Matcher) -> None:
    text = "Officials said Russia sent 3,000 soldiers to the border."
    hit = matcher.match(text)[0]
    assert hit.watchlist == "troop-deployment"
    assert text[hit.start : hit.end] == hit.text == "sent 3,000 soldiers"
    assert hit.score == 100.0
    assert hit.term == "$force $send"  # what the analyst wrote, word groups unexpanded


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


def watchlist(text: str, tmp_path: Path) -> Watchlist:
    from desk.core.match.watchlists import load_watchlist

    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    return load_watchlist(path)


def test_a_term_takes_the_word_that_fits_not_the_nearest(tmp_path: Path) -> None:
    """'reservists' is nearest to 'moved' but too far from 'border'; 'brigades' fits."""
    term = watchlist("terms:\n  - {term: reservists|brigades moved border, within: 4}\n", tmp_path)
    text = "Israel called up reservists and moved two brigades to the border."
    assert [h.text for h in Matcher([term]).match(text)] == ["moved two brigades to the border"]


def test_the_word_that_fits_may_be_one_broken_in_two(tmp_path: Path) -> None:
    """The same choice past the nearest window, with 'brig ades' one word of the window."""
    term = watchlist("terms:\n  - {term: reservists|brigades moved border, within: 3}\n", tmp_path)
    matcher = Matcher([term])
    for brigades in ("brigades", "brig ades"):
        text = f"Israel called up reservists and moved two {brigades} to the border."
        assert [h.text for h in matcher.match(text)] == [f"moved two {brigades} to the border"]


def test_exact_terms_keep_their_case_rule_behind_the_gate(tmp_path: Path) -> None:
    """An exact term is skipped when its word is absent; the skip must respect its case rule."""
    exact = watchlist(
        "terms:\n  - {term: MIRV, exact: true}\n  - {term: icbm, exact: true}\n", tmp_path
    )
    matcher = Matcher([exact])
    assert sorted(h.text for h in matcher.match("Three MIRVs on an Icbm.")) == ["Icbm", "MIRVs"]
    assert [h.text for h in matcher.match("a mirv test of an ICBM")] == ["ICBM"]
    assert matcher.match("no such words here") == []


def test_a_regex_keeps_its_bounded_gaps_behind_the_loose_gate(tmp_path: Path) -> None:
    """The gate runs the regexes with unbounded gaps; each hit is still the exact regex's."""
    term = watchlist("terms:\n  - regex: 'troops[^.;]{0,6}sent'\n", tmp_path)
    matcher = Matcher([term])
    assert [h.text for h in matcher.match("The troops were sent home.")] == ["troops were sent"]
    assert matcher.match("The troops, after a long and weary winter, were sent home.") == []


def test_evidence_is_written_to_two_decimals_not_two_digits() -> None:
    """3.75 was written '3.8' and 12.5 '12' (two significant digits), unlike `desk test`."""
    parts = [
        Evidence("term", "troops sent", 1.5),
        Evidence("lead", "troops sent", 0.75),
        Evidence("term", "brigades moved", 10.25),
    ]
    line = describe_evidence(parts, 12.5)
    assert (
        line
        == "evidence 12.5 (fires at 12.5): troops sent 1.5 +0.75 in the lead, brigades moved 10.25"
    )
    passing = describe_evidence([Evidence("term", "a", 2), Evidence("passing", "one", -1.0)], 1)
    assert passing == "evidence 1 (fires at 1): a 2, one -1"


def test_a_regex_never_matches_across_a_line_break(tmp_path: Path) -> None:
    """A title and its story's first words, or two paragraphs, are not one sentence: a regex
    match may not run from one into the other (a window of words never does)."""
    term = watchlist("terms:\n  - regex: 'brigades[^.;]{0,40}moved'\n", tmp_path)
    matcher = Matcher([term])
    assert matcher.match("Brigades on the frontier\n\nOfficials moved quickly.") == []
    assert matcher.match("Brigades stood by.\nThe rest moved.") == []
    found = matcher.match("Quiet day\n\nTwo brigades were moved north.")
    assert [(h.text, h.start) for h in found] == [("brigades were moved", 15)]
    hidden = matcher.match("Brigades x\n\nTwo brigades were moved north.")  # the whole
    assert [(h.text, h.start) for h in hidden] == [("brigades were moved", 16)]  # text's match
    # ran from the title into the story over this one: the lines are searched then
    anchored = Matcher([watchlist("terms:\n  - regex: '^troops sent'\n", tmp_path)])
    assert anchored.match("Quiet day\n\nTroops sent to Mali") == []  # ^ is the text's start
    assert len(anchored.match("Troops sent to Chad\n\nTroops sent to Mali")) == 1
    bounded = Matcher([watchlist("terms:\n  - regex: '\\bsent'\n", tmp_path)])
    assert [h.start for h in bounded.match("Dissent\nsent")] == [8]  # \b sees the whole text


def test_an_excluded_word_joined_by_and_to_the_hit_does_not_exclude(tmp_path: Path) -> None:
    """'soldiers and police' sent abroad is a deployment; 'police and soldiers' stays excluded."""
    troops = watchlist(
        "terms:\n  - {term: soldiers sent, within: 3}\nexclude:\n  near: 6\n  any: [police]\n",
        tmp_path,
    )
    matcher = Matcher([troops])
    assert [h.text for h in matcher.match("Rwanda sent 900 soldiers and police abroad.")] == [
        "sent 900 soldiers"
    ]
    assert matcher.match("Police and soldiers were sent to the stadium.") == []
    assert matcher.match("Rwanda sent 900 soldiers, police and medics abroad.") == []


def test_weak_terms_need_company(tmp_path: Path) -> None:
    weak = watchlist(
        "terms:\n"
        "  - {term: soldiers arrived, weight: 0.5}\n"
        "  - {term: border tension, weight: 0.5}\n"
        "  - troops deployed\n",
        tmp_path,
    )
    matcher = Matcher([weak])
    assert matcher.match("Soldiers arrived at the summit. Soldiers arrived again.") == []
    both = matcher.match("Soldiers arrived in the north. Border tension rose.")
    assert {h.term for h in both} == {"soldiers arrived", "border tension"}
    assert [h.term for h in matcher.match("Troops were deployed.")] == ["troops deployed"]


def test_word_groups(tmp_path: Path) -> None:
    grouped = watchlist(
        "words:\n  force: troops|soldiers\n  move: [sent, deployed]\nterms:\n  - $force $move\n",
        tmp_path,
    )
    assert grouped.terms[0].text == "$force $move"
    assert grouped.terms[0].words == (("troop", "soldier"), ("sent", "deploy"))
    assert [h.text for h in Matcher([grouped]).match("They deployed 300 soldiers.")] == [
        "deployed 300 soldiers"
    ]


def test_a_terms_words_stay_in_one_sentence_and_use_separate_words(tmp_path: Path) -> None:
    term = watchlist("terms:\n  - {term: troops sent, within: 6}\n", tmp_path)
    matcher = Matcher([term])
    assert matcher.match("The troops rested. Supplies were sent.") == []
    assert matcher.match("The U.S. troops were sent home.") != []  # U.S. ends no sentence
    reinforce = watchlist("terms:\n  - reinforcements reinforce\n", tmp_path)
    assert Matcher([reinforce]).match("Talks to reinforce the truce.") == []


def test_numbers_with_separators_are_one_word(tmp_path: Path) -> None:
    term = watchlist("terms:\n  - {term: deploy troops, within: 2}\n", tmp_path)
    assert Matcher([term]).match("deploy 12,000 more troops") != []


def test_an_equals_sign_keeps_one_word_form(tmp_path: Path) -> None:
    term = watchlist("terms:\n  - =forces withdraw\n", tmp_path)
    matcher = Matcher([term])
    assert matcher.match("Rebel forces began to withdraw.") != []
    assert matcher.match("He was forced to withdraw.") == []


def test_a_term_in_the_lead_counts_more(tmp_path: Path) -> None:
    weak = watchlist(
        "evidence: {lead: 1, lead_boost: 2}\nterms:\n  - {term: soldiers arrived, weight: 0.5}\n",
        tmp_path,
    )
    matcher = Matcher([weak])
    headline = matcher.assess("Soldiers arrived in the north.\n\nMore later.")[0]
    assert headline.fired
    assert [(p.kind, p.amount) for p in headline.parts] == [("term", 0.5), ("lead", 0.5)]
    later = matcher.assess("Talks went on.\n\nSoldiers arrived in the north.")[0]
    assert not later.fired and later.total == 0.5 and len(later.hits) == 1


def test_a_passing_mention_counts_less(tmp_path: Path) -> None:
    passing = watchlist("evidence: {lead: 1, passing: 0.5}\nterms: [troops deployed]\n", tmp_path)
    matcher = Matcher([passing])
    once = matcher.assess("Budget talks. They argued. In 2004 troops were deployed. Talks went on.")
    assert not once[0].fired
    assert once[0].parts[-1].kind == "passing" and once[0].total == 0.5
    twice = matcher.assess("Budget talks. Troops were deployed. More troops were deployed later.")
    assert twice[0].fired and twice[0].total == 1.0


def test_a_passing_sentence_is_one_piece_of_evidence_however_many_terms_overlap(
    tmp_path: Path,
) -> None:
    overlapping = watchlist(
        "evidence: {lead: 1, passing: 0.5}\nterms: [troops deployed, deployed abroad]\n", tmp_path
    )
    text = "Budget talks. They argued. In 2004 troops were deployed abroad. Talks went on."
    verdict = Matcher([overlapping]).assess(text)[0]
    assert {h.term for h in verdict.hits} == {"troops deployed", "deployed abroad"}
    assert not verdict.fired and verdict.total == 0.5


def test_without_an_evidence_block_place_does_not_matter(tmp_path: Path) -> None:
    plain = watchlist("terms:\n  - {term: soldiers arrived, weight: 0.5}\n", tmp_path)
    verdict = Matcher([plain]).assess("Soldiers arrived.")[0]
    assert not verdict.fired and [p.kind for p in verdict.parts] == ["term"]


def test_explaining_names_dropped_hits_and_the_closest_term(tmp_path: Path) -> None:
    guarded = watchlist(
        "terms:\n  - troops deployed\n  - missile technology transfer\nexclude: [police]\n",
        tmp_path,
    )
    matcher = Matcher([guarded])
    dropped = matcher.assess("Police and troops were deployed.", explain=True)[0]
    assert not dropped.fired and [h.text for h in dropped.dropped] == ["troops were deployed"]
    assert matcher.assess("Police and troops were deployed.")[0].dropped == ()
    near = matcher.assess("The missile transfer was delayed.", explain=True)[0]
    assert near.closest == "missile technology transfer (67% of its words)"


def test_a_word_broken_by_a_space_or_line_break_is_joined(tmp_path: Path) -> None:
    term = watchlist("terms:\n  - troops sent\n  - reentry vehicle\n", tmp_path)
    matcher = Matcher([term])
    assert [h.text for h in matcher.match("The tro\nops were sent.")] == ["tro\nops were sent"]
    assert [h.text for h in matcher.match("The tro ops were sent.")] == ["tro ops were sent"]
    assert matcher.match("The tro. Ops were sent.") == []
    assert matcher.match("The trio ops were sent.") == []


def test_a_broken_word_is_one_word_of_the_window(tmp_path: Path) -> None:
    """'de ployed' takes two tokens but is one word: it must not push a term out of reach."""
    term = watchlist("terms:\n  - {term: troops deployed, within: 3}\n", tmp_path)
    matcher = Matcher([term])
    assert [h.text for h in matcher.match("Troops of units were de ployed.")] == [
        "Troops of units were de ployed"
    ]
    assert [h.text for h in matcher.match("Troops of units were deployed.")] == [
        "Troops of units were deployed"
    ]
    assert matcher.match("Troops of new units were de ployed.") == []  # one word too far
    assert matcher.match("Troops of new units were deployed.") == []


def test_a_broken_word_is_joined_for_a_list_whatever_other_lists_hold(tmp_path: Path) -> None:
    """Another watchlist's words must not change what this one reads ("Peace Keeping").

    The join is refused only where the second half is a word of a list that uses
    the joined word ("war heads" for a list that knows "heads"), never because
    some other list knows it.
    """
    troops = watchlist("terms:\n  - {term: peacekeeping force landing, within: 4}\n", tmp_path)
    (tmp_path / "other").mkdir()
    other = watchlist("terms:\n  - keeping secrets\n", tmp_path / "other")
    text = "Units of the Indian Peace Keeping Force began landing on Thursday."
    alone = [h.text for h in Matcher([troops]).match(text)]
    beside = [h.text for h in Matcher([troops, other]).match(text) if h.watchlist == troops.id]
    assert alone == beside == ["Peace Keeping Force began landing"]
    knows_heads = watchlist("terms:\n  - warheads\n  - heads\n", tmp_path)
    assert [h.text for h in Matcher([knows_heads]).match("As the war heads into winter")] == [
        "heads"
    ]


def test_a_hyphenated_compound_is_read_for_the_words_that_modify_it(tmp_path: Path) -> None:
    """'nuclear-propulsion know-how' is nuclear know-how; a compound the list writes
    ('re-entry') stays one word, and its head, an origin or an undoing prefix are not read."""
    terms = "terms:\n  - nuclear|russian|sharing know-how|technology|costs\n  - re-entry\n"
    matcher = Matcher([watchlist(terms, tmp_path)])

    def read(text: str) -> list[str]:
        return [h.text for h in matcher.match(text)]

    assert read("Canberra will receive nuclear-propulsion know-how.") == [
        "nuclear-propulsion know-how"
    ]
    assert read("The re-entry went well.") == ["re-entry"]
    assert read("A Russian-made drone carried German technology.") == []
    assert read("The non-nuclear states want technology.") == []
    assert read("Defence cost-sharing costs were debated.") == []

    (tmp_path / "guarded").mkdir()
    guarded = "terms:\n  - nanometre secrets\n  - troops flew\nexclude: [police]\n"
    matcher = Matcher([watchlist(guarded, tmp_path / "guarded")])
    assert read("He passed 7-nanometre secrets.") == ["7-nanometre secrets"]  # a number's unit
    assert read("Troops flew out on a police-training mission.") == ["Troops flew"]
    assert read("Troops flew out as police were sent.") == []  # the exclusion, unhyphenated


def test_regex_terms_past_one_sets_size_are_gated_by_the_next_set(tmp_path: Path) -> None:
    """RegexGate splits the regexes into sets of REGEX_SET_SIZE: a regex in any set is found
    where it matches and absent where it does not."""
    count = REGEX_SET_SIZE * 2 + 3
    terms = "".join(f"  - regex: '\\bword{n}\\s+(\\w+\\s+){{0,2}}found\\b'\n" for n in range(count))
    listed = watchlist(f"terms:\n{terms}", tmp_path)
    gate = RegexGate(listed.terms)
    present = {0, REGEX_SET_SIZE - 1, REGEX_SET_SIZE, count - 1}
    text = " ".join(f"word{n} was found." for n in sorted(present))
    absent = gate.absent(text)
    assert {n for n, term in enumerate(listed.terms) if id(term) not in absent} == present
    hits = Matcher([listed]).match(text)
    assert sorted(h.text for h in hits) == sorted(f"word{n} was found" for n in present)


def test_a_regex_no_set_takes_is_never_ruled_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pattern an RE2 set refuses is in no set, so the gate never calls it absent and the
    term's own search runs on every text."""
    add = re2.Set.Add

    def refusing(self: re2.Set, pattern: str) -> int:
        if "refused" in pattern:
            raise re2.error("refused")
        return int(add(self, pattern))

    monkeypatch.setattr(re2.Set, "Add", refusing)
    listed = watchlist("terms:\n  - regex: '\\brefused\\s+entry'\n  - regex: 'taken'\n", tmp_path)
    gate = RegexGate(listed.terms)
    refused, taken = (id(term) for term in listed.terms)
    absent = gate.absent("nothing here")
    assert taken in absent and refused not in absent
    assert [h.text for h in Matcher([listed]).match("They refused entry.")] == ["refused entry"]


def test_a_matcher_that_recalls_anothers_words_judges_as_a_new_one(tmp_path: Path) -> None:
    """Matcher.recall: words learnt under one vocabulary and recalled under another keep
    their stems; the stems the change could make close to a word are learnt again."""
    texts = [
        "The garrison moved north.",
        "A garison moved north.",  # a slip of the word the edit added
        "Troops were deployed and the garrisons moved.",
        "Tanks moved across the re-entry zone.",
    ]
    before = Matcher([watchlist("terms:\n  - troops deployed\n", tmp_path)])
    for text in texts:
        before.assess(text)
    (tmp_path / "edited").mkdir()
    edited = watchlist("terms:\n  - troops deployed\n  - garrison moved\n", tmp_path / "edited")
    recalled = Matcher([edited])
    recalled.recall(before.learnt())
    assert recalled.learnt().stems == before.learnt().stems  # known before meeting a text
    assert [recalled.assess(t, explain=True) for t in texts] == [
        Matcher([edited]).assess(t, explain=True) for t in texts
    ]
    assert [[h.text for h in recalled.match(t)] for t in texts] == [
        ["garrison moved"],
        ["garison moved"],
        ["Troops were deployed", "garrisons moved"],
        [],
    ]
    unchanged = Matcher([edited])
    unchanged.recall(recalled.learnt())  # the same vocabulary: everything kept
    assert [unchanged.assess(t) for t in texts] == [recalled.assess(t) for t in texts]


def test_recalled_close_words_are_those_a_new_matcher_finds_whatever_the_edit(
    tmp_path: Path,
) -> None:
    """Every stem a recalling matcher keeps or learns again has the close vocabulary words a
    new matcher computes, over random edits: words added, dropped, lengthened by two letters
    (long stems match two slips away), short and exact (=) words."""
    rng = random.Random(14)
    base = ["reinforcement", "deployment", "garrison", "battalion", "troops", "convoy", "=units"]
    base += ["peacekeeping", "counterinsurgency"]  # stems of 9 and 13 letters: two slips away
    texts = " ".join(
        f"{w[:3]}{rng.choice('aeio')}{w[3:]} {w}ed {w}s {w[:-1]}" for w in base if w[0] != "="
    )
    listed = watchlist("terms:\n" + "".join(f"  - {w}\n" for w in base), tmp_path)
    before = Matcher([listed])
    before.assess(texts)
    for edit in range(12):
        words = [w for w in base if rng.random() > 0.3]
        words += [rng.choice(base).lstrip("=") + rng.choice(["al", "er", "ing", "s"])]
        words += [rng.choice(["tank", "=troop", "reinforcements", "battalions"])]
        long_stem = stem(rng.choice(["battalion", "peacekeeping", "counterinsurgency"]))
        words += [long_stem[:4] + rng.choice(["xy", "ea", "tt"]) + long_stem[4:]]  # two longer
        (tmp_path / str(edit)).mkdir()
        edited = watchlist("terms:\n" + "".join(f"  - {w}\n" for w in words), tmp_path / str(edit))
        recalling, fresh = Matcher([edited]), Matcher([edited])
        recalling.recall(before.learnt())
        for unit, close in recalling.learnt().similar.items():
            assert close == fresh._similar_words(unit), (words, unit)
        assert recalling.assess(texts, explain=True) == fresh.assess(texts, explain=True)


def test_recalling_under_the_same_vocabulary_learns_nothing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = watchlist("terms:\n  - troops deployed\n", tmp_path)
    before = Matcher([listed])
    text = "Troops were deployed and the garrisons moved north across the frontier."
    verdicts = before.assess(text)
    recalling = Matcher([listed])

    def computed(self: Matcher, unit: str) -> None:
        raise AssertionError(f"learnt {unit} again")

    monkeypatch.setattr(Matcher, "_compute_similar", computed)
    assert recalling.recall(before.learnt()) == 0
    assert recalling.assess(text) == verdicts


def test_an_air_force_base_is_a_place_not_a_force_sent(matcher: Matcher) -> None:
    launch = (
        "A test missile launched from Malmstrom Air Force Base sent a dummy warhead 4,000 miles."
    )
    moved = "The Pentagon sent 300 troops from Ramstein to Poland, officials at the air base said."
    left = (
        "Some 1,500 soldiers flew out of Pope Air Force Base for Kuwait on Sunday, the army said."
    )
    assert "troop-deployment" not in fired(matcher, launch)
    assert "troop-deployment" in fired(matcher, moved)
    assert "troop-deployment" in fired(matcher, left)


@pytest.mark.parametrize(
    "text",
    [
        "The ministry said 2,000 sodliers would be deplyoed to the frontier next week.",
        "Prosecutors say the firm was trasnferring misisle tehcnology to Iran.",
    ],
)
def test_two_neighbouring_letters_swapped_are_one_slip(matcher: Matcher, text: str) -> None:
    assert fired(matcher, text)


def test_a_swap_scores_as_one_slip_and_a_changed_letter_does_not(matcher: Matcher) -> None:
    lowest = min(term.threshold for wl in matcher.watchlists for term in wl.terms)
    swapped = matcher._similar_words("sodlier")
    changed = matcher._similar_words("soltier")
    assert dict(swapped)["soldier"] >= lowest > dict(changed).get("soldier", 0)


@pytest.mark.parametrize(
    "words",
    [
        [
            "Re-entries",
            "deployed",
            "Soldiers",
            "déploiement",
            "it's",
            "12,000",
            "İstanbul",
            "ﬁghters",
        ],
        ["", "x", "MIRVs", "re‐entry", "naïve", "O'Brien", "straße"],
        [
            "Re-Entries",
            "DEPLOYED",
            "it's",
            "_under_",
            "O'Brien's",
            "",
            "x-ray",
        ],  # ASCII: folded at once
        ["two\nlines", "Troops", "re-entry"],  # a newline inside a word: one by one
    ],
)
def test_words_stemmed_together_stem_as_one_by_one(words: list[str]) -> None:
    assert stems_of(words) == [stem(word) for word in words]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "troops",
        " troops sent.",
        "It's 12,000 re-entry vehicles’ — naïve?",
        "a\n\nb c,d 1.5 e",
        "$1.5bn and 86.7m, 1,000.25 x-ray's -a b- c--d 'e' f’s",  # decimals run into letters
        "“Quoted” words—dashes… ｆｕｌｌ ｗｉｄｔｈ 中文。日本語、 Σίσυφος ²³ ½ x\u200by",
        "a\x01b c\x03d",  # the fast path's own marks in the text: the regex splits
        "\ud800 lone surrogates \udc80 and\xa0no-break\u2028separators",
    ],
)
def test_token_places_are_where_the_words_are(text: str) -> None:
    tokens = Tokens(text)
    assert [text[a:b] for a, b in zip(tokens.starts, tokens.ends, strict=True)] == tokens.words
    assert tokens.words == [m.group() for m in _WORD.finditer(text)]


def test_tokens_are_the_regex_words_on_any_mix_of_joiners_and_gaps() -> None:
    """The C-level tokeniser against the regex it stands in for, on 20,000 short random texts."""
    rng = random.Random(14)
    pieces = [*"ab1Z_-'’.,  \n\t\xa0é中。—“\u200bς٣²\x01", "1.5", "12,000", "x-", "'s"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        tokens = Tokens(text)
        found = list(_WORD.finditer(text))
        assert tokens.words == [m.group() for m in found], repr(text)
        assert tokens.starts == [m.start() for m in found], repr(text)
        assert tokens.ends == [m.end() for m in found], repr(text)


def test_mastering_a_technology_at_home_is_not_a_transfer(matcher: Matcher) -> None:
    own = (
        "Seoul's military said the North has not yet secured re-entry technology for the"
        " warheads of its ICBMs."
    )
    bought = "Officials said Pyongyang obtained missile technology from Russia last year."
    assert fired(matcher, own) == {"icbm-reentry"}
    assert "technology-transfer" in fired(matcher, bought)


def test_engineers_are_people_not_engines(matcher: Matcher) -> None:
    text = (
        "Canberra will send another 100 soldiers to southern Iraq to protect the Japanese"
        " military engineers rebuilding a water plant there."
    )
    assert fired(matcher, text) == {"troop-deployment"}


def test_verdicts_do_not_depend_on_the_words_a_matcher_met_before() -> None:
    """Each text matched on a new matcher's first pass, by one that met every text first (in
    the other order), and by one that forgets every word it met after each text: the same."""
    watchlists = list(load_watchlists(shipped_watchlists_dir()).watchlists)
    texts = [clean_text(text) for _, text in FIRES] + [clean_text(text) for text in QUIET]
    first = Matcher(watchlists)
    fresh = [first.assess(text, explain=True) for text in texts]
    warmed = Matcher(watchlists)
    for text in reversed(texts):
        warmed.assess(text)
    forgetful = Matcher(watchlists)
    forgot = []
    for text in texts:
        forgot.append(forgetful.assess(text, explain=True))
        forgetful._lexicon = _Lexicon()
    assert [warmed.assess(text, explain=True) for text in texts] == fresh
    assert forgot == fresh
    assert any(verdict.fired for verdicts in fresh for verdict in verdicts)
