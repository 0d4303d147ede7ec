"""The backtest core: reading labelled lines, scoring, reasons, and comparing two folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk.cli.backtest import prepared_text
from desk.core.errors import DeskError
from desk.core.match.backtest import (
    Labelled,
    Report,
    backtest,
    compare,
    comparison_json,
    read_labelled,
    report_json,
)
from desk.core.match.matcher import Matcher
from desk.core.match.watchlists import load_watchlists
from desk.core.models import Watchlist

DRILLS = """\
name: Drills
terms:
  - troops deployed
  - term: soldiers arrived
    weight: 0.5
  - tanks moved
exclude:
  near: 12
  any: [parade]
"""
SHIPS = "name: Ships\nterms: [frigate sailed]\n"

ARTICLES = [  # (title, text, grade for drills)
    ("Border", "Troops deployed to the border overnight.", 2),  # TP
    ("Camp", "Soldiers arrived at the camp.", 2),  # FN: 0.5 of 1
    ("Parade", "Troops deployed for the national parade.", 2),  # FN: dropped by exclude
    ("Town", "Tanks moved through the town after troops deployed.", 0),  # FP
    ("Convoy", "Tanks moved along the coast road.", 0),  # FP: tanks moved only off topic
    ("Markets", "A quiet day of markets and weather.", 0),  # TN
    ("Drill", "Troops deployed in a drill, said the ministry.", 1),  # borderline
    ("Army", "The army moved its headquarters.", 2),  # FN: nothing, closest tanks moved
]


def jsonl(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def labelled_rows() -> list[dict[str, object]]:
    return [
        {"id": f"a{n}", "title": title, "text": text, "labels": {"drills": grade}}
        for n, (title, text, grade) in enumerate(ARTICLES, start=1)
    ]


def folder(tmp_path: Path, name: str, files: dict[str, str]) -> list[Watchlist]:
    where = tmp_path / name
    where.mkdir()
    for file, text in files.items():
        (where / file).write_text(text, encoding="utf-8")
    loaded = load_watchlists(where)
    assert loaded.errors == ()
    return list(loaded.watchlists)


def run(articles: list[Labelled], watchlists: list[Watchlist]) -> dict[str, Report]:
    texts = [prepared_text(a) for a in articles]
    return {r.watchlist: r for r in backtest(articles, texts, Matcher(watchlists))}


@pytest.fixture
def drills(tmp_path: Path) -> Report:
    articles = read_labelled(jsonl(labelled_rows()), "set.jsonl")
    return run(articles, folder(tmp_path, "w", {"drills.yaml": DRILLS}))["drills"]


# Reading


def test_reads_lines_skipping_blanks_and_splitting_on_newline_only() -> None:
    rows = labelled_rows()[:2]
    rows[0]["text"] = "Troops deployed\u2028to the border\u2029overnight."
    data = jsonl(rows[:1]) + b"\n   \n" + jsonl(rows[1:]).replace(b"\n", b"\r\n")
    articles = read_labelled(data, "set.jsonl")
    assert [(a.line, a.id) for a in articles] == [(1, "a1"), (4, "a2")]
    assert articles[0].text == "Troops deployed\u2028to the border\u2029overnight."
    assert articles[1].labels == {"drills": 2}


def test_an_article_without_an_id_is_named_by_its_line() -> None:
    data = jsonl([{"title": "t", "text": "x", "labels": {"drills": 0}}])
    assert read_labelled(data, "set.jsonl")[0].id == "line 1"


@pytest.mark.parametrize(
    ("data", "where", "said"),
    [
        (b'{"title": "t", "labels": {"drills": 0}}\n{"title": ', "set.jsonl:2:11", "not JSON"),
        (b'{"title": "t", "labels": {"drills": 0}}\n{"title": "u"}\n', "set.jsonl:2", "no labels"),
        (b'{"title": "t", "labels": {}}\n', "set.jsonl:1", "no labels"),
        (b'{"title": "t", "labels": {"drills": 3}}\n', "set.jsonl:1", "grades are 0, 1 or 2"),
        (b'{"title": "t", "labels": {"drills": true}}\n', "set.jsonl:1", "grades are 0, 1 or 2"),
        (b'{"title": 5, "labels": {"drills": 0}}\n', "set.jsonl:1", "'title' is not a string"),
        (b'{"labels": {"drills": 0}}\n', "set.jsonl:1", "no title and no text"),
        (b'["title", "labels"]\n', "set.jsonl:1", "expected a JSON object"),
        (b'\xef\xbb\xbf{"title": "t", "labels": {"drills": 0}}\n', "set.jsonl:1", "byte-order"),
        (b'{"title": "caf\xe9", "labels": {"drills": 0}}\n', "set.jsonl:1", "not UTF-8"),
        (b"\n\n", "set.jsonl", "no articles"),
    ],
)
def test_bad_input_names_the_file_and_line(data: bytes, where: str, said: str) -> None:
    with pytest.raises(DeskError) as caught:
        read_labelled(data, "set.jsonl")
    assert str(caught.value).startswith(where + ":")
    assert said in str(caught.value)


def test_error_text_from_the_file_is_made_safe() -> None:
    data = b'{"title": "t", "labels": {"\\u001b]52;c;eA==\\u0007x": 9}}\n'
    with pytest.raises(DeskError) as caught:
        read_labelled(data, "set.jsonl")
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)


# Scoring


def test_counts_and_scores_skip_borderline(drills: Report) -> None:
    assert (drills.tp, drills.fp, drills.fn, drills.tn) == (1, 2, 3, 1)
    assert drills.borderline == 1 and drills.unlabelled == 0
    assert len(drills.outcomes) == 7
    assert drills.precision == pytest.approx(1 / 3)
    assert drills.recall == pytest.approx(1 / 4)
    assert drills.f1 == pytest.approx(2 / 7)


def test_each_terms_hits_by_grade_and_the_term_only_on_negatives(drills: Report) -> None:
    terms = {t.term: t for t in drills.terms}
    assert list(terms) == ["troops deployed", "soldiers arrived", "tanks moved"]
    deployed, arrived, tanks = terms.values()
    assert (deployed.positives, deployed.negatives, deployed.borderline) == (1, 1, 1)
    assert (arrived.positives, arrived.negatives, arrived.borderline) == (1, 0, 0)
    assert (tanks.positives, tanks.negatives) == (0, 2)
    assert tanks.only_on_negatives
    assert not deployed.only_on_negatives and not arrived.only_on_negatives


def test_false_positives_carry_the_evidence_that_fired(drills: Report) -> None:
    town, convoy = drills.false_positives
    assert (town.article.id, convoy.article.id) == ("a4", "a5")
    assert town.verdict.fired and town.verdict.total == 2.0 and town.verdict.fire_at == 1.0
    assert {p.label for p in town.verdict.parts} == {"tanks moved", "troops deployed"}
    assert {h.text for h in town.verdict.hits} == {"Tanks moved", "troops deployed"}


def test_false_negatives_carry_their_near_misses(drills: Report) -> None:
    camp, parade, army = drills.false_negatives
    assert camp.verdict.total == 0.5 and [h.term for h in camp.verdict.hits] == ["soldiers arrived"]
    assert parade.verdict.hits == () and [h.text for h in parade.verdict.dropped] == [
        "Troops deployed"
    ]
    assert army.verdict.hits == () and army.verdict.closest.startswith("tanks moved")


def test_nothing_fired_is_precision_1_and_nothing_to_find_is_recall_1(tmp_path: Path) -> None:
    rows = [
        {"title": "Calm", "text": "Nothing sailed today.", "labels": {"ships": 0, "drills": 2}},
        {"title": "Calm", "text": "Markets were quiet.", "labels": {"ships": 0}},
    ]
    articles = read_labelled(jsonl(rows), "set.jsonl")
    reports = run(articles, folder(tmp_path, "w", {"ships.yaml": SHIPS, "drills.yaml": DRILLS}))
    ships, drills = reports["ships"], reports["drills"]
    assert (ships.precision, ships.recall, ships.f1) == (1.0, 1.0, 1.0)
    assert (drills.precision, drills.recall, drills.f1) == (1.0, 0.0, 0.0)
    assert drills.unlabelled == 1 and len(drills.outcomes) == 1


def test_json_has_designs_shape_and_the_reasons(drills: Report) -> None:
    data = report_json(drills)
    for key in ("watchlist", "tp", "fp", "fn", "precision", "recall", "f1"):
        assert key in data
    assert (data["tp"], data["fp"], data["fn"], data["tn"]) == (1, 2, 3, 1)
    assert data["f1"] == round(2 / 7, 4)
    assert [t["term"] for t in data["terms"]] == [t.term for t in drills.terms]  # type: ignore[attr-defined]
    positive, negative = data["false_positives"], data["false_negatives"]
    assert [o["id"] for o in positive] == ["a4", "a5"]  # type: ignore[attr-defined]
    assert positive[0]["parts"][0]["kind"] == "term"  # type: ignore[index]
    assert [o["line"] for o in negative] == [2, 3, 8]  # type: ignore[attr-defined]
    assert negative[1]["dropped"][0]["text"] == "Troops deployed"  # type: ignore[index]
    assert negative[2]["closest"].startswith("tanks moved")  # type: ignore[index]
    json.dumps(data)


# Comparing


def test_compare_names_the_articles_gained_and_lost(tmp_path: Path) -> None:
    articles = read_labelled(jsonl(labelled_rows()), "set.jsonl")
    before = run(articles, folder(tmp_path, "before", {"drills.yaml": DRILLS}))
    edited = DRILLS.replace("    weight: 0.5\n", "").replace("  - tanks moved\n", "")
    after = run(articles, folder(tmp_path, "after", {"drills.yaml": edited, "ships.yaml": SHIPS}))
    drills, ships = compare(list(before.values()), list(after.values()))
    assert [o.article.id for o in drills.gained] == ["a2", "a5"]  # found; false alarm gone
    assert drills.lost == []
    assert (ships.before, ships.after) == (None, after["ships"])
    data = comparison_json(ships, "before", "after")
    assert data["only_in"] == "after" and data["watchlist"] == "ships"
    both = comparison_json(drills, "before", "after")
    assert both["before"]["f1"] == round(before["drills"].f1, 4)  # type: ignore[index]
    assert both["f1"] == round(after["drills"].f1, 4)
    assert [o["id"] for o in both["gained"]] == ["a2", "a5"]  # type: ignore[attr-defined]


def test_compare_the_other_way_loses_them(tmp_path: Path) -> None:
    articles = read_labelled(jsonl(labelled_rows()), "set.jsonl")
    edited = DRILLS.replace("    weight: 0.5\n", "").replace("  - tanks moved\n", "")
    stricter = run(articles, folder(tmp_path, "a", {"drills.yaml": edited}))
    looser = run(articles, folder(tmp_path, "b", {"drills.yaml": DRILLS}))
    (drills,) = compare(list(stricter.values()), list(looser.values()))
    assert drills.gained == [] and [o.article.id for o in drills.lost] == ["a2", "a5"]
