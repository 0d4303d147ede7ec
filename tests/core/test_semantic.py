"""The semantic signal: a lead close to a watchlist's labelled examples counts as evidence.

Real parts: the shipped model (WordLlama's vectors, read from the installed
package), real example files on disk, the real matcher and loader.
"""

from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from desk.core.errors import WatchlistError
from desk.core.match import matcher as matcher_module
from desk.core.match import semantic as semantic_module
from desk.core.match.backtest import backtest, read_labelled
from desk.core.match.matcher import Matcher, describe_evidence, evidence_for, lead_end
from desk.core.match.semantic import (
    EXAMPLES_TERM,
    MAX_PIECES,
    ExampleIndex,
    KeptVectors,
    SemanticUnavailable,
    StaticEncoder,
    default_encoder,
    read_index,
    read_vectors,
    shared_index,
)
from desk.core.match.watchlists import load_examples, load_watchlist
from desk.core.models import example_number
from desk.core.settings.config import shipped_watchlists_dir

DEPLOYED = [
    "Two army brigades were sent to reinforce the garrison on the northern frontier.",
    "The ministry ordered a battalion of paratroopers to the border region on Monday.",
    "Hundreds of soldiers were flown to the island to bolster its defences.",
    "Marines deployed to the neighbouring country at its government's request.",
    "An infantry regiment moved to positions along the disputed boundary overnight.",
    "Troops were dispatched abroad to join the peacekeeping mission.",
]
UNRELATED = [
    "The football club signed a striker for a record fee on Friday.",
    "Heavy rain flooded the market town and closed the railway line.",
    "The central bank left interest rates unchanged for a third month.",
    "A new bakery opened on the high street, selling sourdough and pastries.",
    "The orchestra's winter season opens with two symphonies by Brahms.",
    "Shares in the retailer fell after it warned on Christmas sales.",
]
WATCHLIST = """\
name: Test deployments
terms:
  - zqxv wrbl
semantic:
  examples: examples.jsonl
  neighbours: 3
  agree: 3
  floor: 0.3
  weight: 1
"""


def write_examples(folder: Path, lines: list[str] | None = None) -> Path:
    """The examples file beside a watchlist: six positives, then six unrelated texts."""
    if lines is None:
        rows = [{"text": t, "labels": {"deploy": 2}} for t in DEPLOYED]
        rows += [{"text": t, "labels": {"deploy": 0}} for t in UNRELATED]
        lines = [json.dumps(row) for row in rows]
    path = folder / "examples.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def watchlist_file(tmp_path: Path) -> Path:
    write_examples(tmp_path)
    path = tmp_path / "deploy.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


@pytest.fixture
def matcher(watchlist_file: Path) -> Matcher:
    return Matcher([load_watchlist(watchlist_file)])


def test_a_lead_close_to_positives_fires_and_names_the_example(matcher: Matcher) -> None:
    text = "Soldiers sent to the frontier\n\nThe army sent an armoured brigade to the border."
    (verdict,) = matcher.assess(text)
    assert verdict.fired
    (part,) = verdict.parts
    assert part.kind == "semantic" and part.amount == 1.0
    (hit,) = verdict.hits
    number = example_number(hit.term)
    assert 1 <= number <= len(DEPLOYED)  # a positive example, by its line
    assert part.label == f"close to example {number} ({hit.score / 100:.2f})"
    assert (hit.start, hit.end) == (0, lead_end(text, 3)) and hit.text == text[: hit.end]
    assert f"close to example {number}" in describe_evidence(verdict.parts, verdict.fire_at)


def test_a_lead_close_to_negatives_stays_quiet(matcher: Matcher) -> None:
    (verdict,) = matcher.assess("The club's striker scored twice as shares in the bank fell.")
    assert not verdict.fired and verdict.hits == () and verdict.parts == ()


def test_a_near_miss_is_explained(tmp_path: Path, watchlist_file: Path) -> None:
    watchlist_file.write_text(WATCHLIST.replace("floor: 0.3", "floor: 0.99"), encoding="utf-8")
    matcher = Matcher([load_watchlist(watchlist_file)])
    text = "The army sent an armoured brigade to the border."
    (quiet,) = matcher.assess(text)
    (explained,) = matcher.assess(text, explain=True)
    assert not quiet.fired and not explained.fired
    assert "examples: 3 of the 3 nearest agree (3 needed)" in explained.closest
    assert "(floor 0.99)" in explained.closest


def test_terms_that_fire_are_not_second_guessed(matcher: Matcher) -> None:
    (verdict,) = matcher.assess("Reports of zqxv wrbl near the frontier where soldiers were sent.")
    assert verdict.fired
    assert [part.kind for part in verdict.parts] == ["term"]


def test_an_alerts_stored_hits_give_back_the_same_evidence(matcher: Matcher) -> None:
    """The article pane recomputes the evidence from the alert's hits: the vote must survive."""
    text = (
        "Soldiers flown to the island\n\nHundreds of troops were flown in to bolster its defences."
    )
    (verdict,) = matcher.assess(text)
    assert verdict.fired
    assert evidence_for(matcher.watchlists[0], verdict.hits, text) == verdict.parts


def test_the_backtest_counts_every_vote_as_the_examples(matcher: Matcher) -> None:
    rows = [
        {"id": "a", "title": "Brigade sent north", "text": DEPLOYED[0], "labels": {"deploy": 2}},
        {"id": "b", "title": "Rates held", "text": UNRELATED[2], "labels": {"deploy": 0}},
    ]
    data = "\n".join(json.dumps(row) for row in rows).encode()
    articles = read_labelled(data, "labelled.jsonl")
    texts = [f"{a.title}\n\n{a.text}" for a in articles]
    (report,) = backtest(articles, texts, matcher)
    counts = {count.term: (count.positives, count.negatives) for count in report.terms}
    assert counts[EXAMPLES_TERM] == (1, 0)
    assert not any(term.startswith("close to example") for term in counts)


@pytest.mark.parametrize(
    ("yaml_text", "lines", "message"),
    [
        (WATCHLIST.replace("agree: 3", "agreed: 3"), None, "deploy.yaml:7:3: unknown semantic key"),
        (WATCHLIST.replace("agree: 3", "agree: 4"), None, "deploy.yaml:7:10: 'agree' must be"),
        (WATCHLIST.replace("examples.jsonl", "gone.jsonl"), None, "gone.jsonl: cannot read"),
        (WATCHLIST, ['{"text": "x", "labels": {"deploy": 2}}', "{oops"], "examples.jsonl:2:1"),
        (WATCHLIST, ['{"text": "x", "labels": {"deploy": 5}}'], "a grade 0, 1 or 2"),
        (WATCHLIST, ['{"labels": {"deploy": 2}}'], "an example needs 'text'"),
        (WATCHLIST, [""], "the examples file has no examples"),
    ],
)
def test_a_bad_semantic_block_or_examples_file_is_named(
    tmp_path: Path, yaml_text: str, lines: list[str] | None, message: str
) -> None:
    write_examples(tmp_path, lines)
    path = tmp_path / "deploy.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(WatchlistError) as raised:
        load_watchlist(path)
    assert message in str(raised.value)


def test_example_texts_are_made_safe_where_they_enter(tmp_path: Path, watchlist_file: Path) -> None:
    hostile = {"text": "Troops sent\x1b]52;c;cGF5\x07 to the border", "labels": {"deploy": 2}}
    write_examples(tmp_path, [json.dumps(hostile)])
    watchlist = load_watchlist(watchlist_file)
    assert watchlist.semantic is not None
    (text,) = watchlist.semantic.examples.texts
    assert "\x1b" not in text and "\x07" not in text


def test_the_encoder_reads_word_by_word_and_keeps_unit_length() -> None:
    encoder = default_encoder()
    text = "Two brigades moved to the frontier, officials said."
    words = ["Two", "brigades", "moved", "to", "the", "frontier", ",", "officials", "said", "."]
    expected = [piece for word in words for piece in encoder.pieces(word)]
    assert encoder.pieces(text) == expected == encoder.pieces(text)  # the second from its cache
    vectors = encoder.embed([text, "", "brigades"])
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()  # no pieces, no direction


def test_the_vectors_are_read_a_slice_at_a_time_as_the_file_format_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """desk reads the model's float16 vectors itself, widened to float32 slice by slice: the
    same numbers as the safetensors library reads; a cut or foreign file is said, not used."""
    from safetensors.numpy import load_file, save_file

    folder = semantic_module._package_folder()
    path = folder.joinpath(*semantic_module.WEIGHTS)
    (stored,) = load_file(str(path)).values()
    assert np.array_equal(read_vectors(path), stored.astype(np.float32))
    small = tmp_path / "small.safetensors"  # rows past a slice's end, and a last short slice
    rows = np.arange(5 * 3, dtype=np.float16).reshape(5, 3) / 7
    save_file({"vectors": rows}, str(small))
    monkeypatch.setattr(semantic_module, "READ_ROWS", 2)
    assert np.array_equal(read_vectors(small), rows.astype(np.float32))
    (tmp_path / "cut.safetensors").write_bytes(small.read_bytes()[:-4])
    with pytest.raises(ValueError, match="cut short"):
        read_vectors(tmp_path / "cut.safetensors")
    save_file({"vectors": rows.astype(np.float32)}, str(tmp_path / "wide.safetensors"))
    with pytest.raises(ValueError, match="not one float16 matrix"):
        read_vectors(tmp_path / "wide.safetensors")
    model = tmp_path / "model"  # the encoder says which file it could not read
    shutil.copytree(folder / "tokenizers", model / "tokenizers")
    (model / "weights").mkdir()
    shutil.copy(tmp_path / "cut.safetensors", model.joinpath(*semantic_module.WEIGHTS))
    with pytest.raises(SemanticUnavailable, match="cut short"):
        StaticEncoder(model)


def test_a_long_lead_read_word_by_word_gives_the_pieces_of_one_read_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lead up to READ_AT_ONCE characters is split in one pass, a longer one word by word
    until MAX_PIECES: the two ways give the same pieces, cut at the same place."""
    encoder = default_encoder()
    texts = [" ".join(DEPLOYED * 6), DEPLOYED[0], "", "… — ,,, !"]
    assert len(texts[0]) <= semantic_module.READ_AT_ONCE  # read in one pass...
    at_once = [encoder.pieces(text) for text in texts]
    assert len(at_once[0]) == MAX_PIECES  # ...and cut
    monkeypatch.setattr(semantic_module, "READ_AT_ONCE", 0)  # every text word by word
    fresh = StaticEncoder()  # and no word's pieces kept yet
    assert [fresh.pieces(text) for text in texts] == at_once


def test_a_texts_vector_is_the_same_alone_or_among_others(monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = default_encoder()
    texts = [*DEPLOYED, "", "…", *UNRELATED]
    together = encoder.embed(texts)
    alone = np.vstack([encoder.embed([text]) for text in texts])
    assert np.array_equal(together, alone)  # a poll matches 64 at a time, `desk match` one
    monkeypatch.setattr(semantic_module, "TAKE_PIECES", 5)  # a take for every text or two
    assert np.array_equal(encoder.embed(texts), alone)


def test_embedding_many_long_texts_gathers_their_vectors_a_chunk_at_a_time() -> None:
    """An examples file of long texts (up to 50,000) is embedded in bounded memory: gathering
    every piece's vector at once took 400 MB for the shipped 6,320 examples."""
    encoder = default_encoder()
    long_text = " ".join(DEPLOYED * 12)  # past MAX_PIECES word pieces
    assert len(encoder.pieces(long_text)) == MAX_PIECES
    tracemalloc.start()
    try:
        encoder.embed([long_text] * 400)  # 204,800 pieces: 200 MB of vectors at once
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000, f"{peak:,} bytes"


def test_a_batchs_nearest_examples_are_each_texts_own(tmp_path: Path, watchlist_file: Path) -> None:
    """Picked together, band by band, they are what sorting each row's similarities gives,
    ties (an example written twice) by line, in a batch and alone."""
    rows = [{"text": t, "labels": {"deploy": 2}} for t in [*DEPLOYED, *DEPLOYED[:3]]]
    rows += [{"text": t, "labels": {"deploy": 0}} for t in [*UNRELATED, *UNRELATED[:2]]]
    write_examples(tmp_path, [json.dumps(row) for row in rows])
    watchlist = load_watchlist(watchlist_file)
    assert watchlist.semantic is not None
    encoder = default_encoder()
    index = shared_index(watchlist.semantic.examples, encoder)
    texts = [*DEPLOYED, "", "A quiet day at the seaside.", *UNRELATED]
    vectors = encoder.embed(texts)
    for count in (1, 2, 3, 17):  # 17: every example, past every band
        together = index.neighbours(vectors, count)
        alone = [index.neighbours(vectors[row : row + 1], count)[0] for row in range(len(texts))]
        for near, own in zip(together, alone, strict=True):  # a product's kernel sums rows of
            assert near.order == own.order  # a batch in its own order: the 7th decimal may move
            assert np.allclose(near.similarity, own.similarity, rtol=0, atol=1e-6)
        for row, near in enumerate(together):
            if not vectors[row].any():
                assert near.order == ()
                continue
            query = vectors[row] @ index.basis - index.shift
            similarities = index.vectors @ (query / np.linalg.norm(query))
            similarities[index.copies] = similarities[index.originals]  # a copy: its original's
            expected = sorted(range(len(similarities)), key=lambda i: (-similarities[i], i))
            assert list(near.order) == expected[:count]
            assert np.allclose(near.similarity, similarities[expected[:count]], atol=1e-6)
    floored = index.neighbours(vectors, 3, floor=0.99)  # only an example is this alike to one
    assert [bool(near.order) for near in floored] == [
        text in DEPLOYED + UNRELATED for text in texts
    ]


def test_lead_end_keeps_the_first_sentences_and_their_marks() -> None:
    text = "Headline here\n\nFirst one. Mr. Smith said so! Third? Fourth."
    assert text[: lead_end(text, 1)] == "Headline here"
    assert text[: lead_end(text, 3)] == "Headline here\n\nFirst one. Mr. Smith said so!"
    assert lead_end(text, 9) == len(text)


def test_the_shipped_index_is_made_from_the_shipped_examples_by_this_code() -> None:
    """scripts/build_examples.py must run again after the examples or semantic.py change."""
    watchlist = load_watchlist(shipped_watchlists_dir() / "troop-deployment.yaml")
    assert watchlist.semantic is not None
    assert read_index(watchlist.semantic.examples) is not None


def test_an_index_of_other_examples_is_not_used(tmp_path: Path) -> None:
    shipped = shipped_watchlists_dir()
    for name in ("troop-deployment.yaml", "examples.jsonl", "examples.index.npz"):
        shutil.copyfile(shipped / name, tmp_path / name)
    with (tmp_path / "examples.jsonl").open("a", encoding="utf-8") as examples:
        examples.write(json.dumps({"text": DEPLOYED[0], "labels": {"troop-deployment": 2}}) + "\n")
    watchlist = load_watchlist(tmp_path / "troop-deployment.yaml")
    assert watchlist.semantic is not None
    assert read_index(watchlist.semantic.examples) is None  # made from the file before the edit
    (tmp_path / "examples.index.npz").write_bytes(b"not an index")
    assert read_index(watchlist.semantic.examples) is None


def test_without_its_model_the_vote_is_off_said_once_and_the_terms_still_fire(
    tmp_path: Path, watchlist_file: Path
) -> None:
    made = []

    def missing_model() -> StaticEncoder:
        made.append(1)
        return StaticEncoder(tmp_path / "no-model-here")  # SemanticUnavailable: no files

    matcher = Matcher([load_watchlist(watchlist_file)], encoder=KeptVectors(make=missing_model))
    (voted,) = matcher.assess("The army sent an armoured brigade to the border.")
    assert not voted.fired and "the examples' vote is off" in matcher.semantic_trouble
    assert "cannot read" in matcher.semantic_trouble
    (worded,) = matcher.assess("Reports of zqxv wrbl near the frontier.")
    assert worded.fired and made == [1]  # the model is not sought again for every text


def test_a_lead_without_a_word_piece_has_no_neighbours(matcher: Matcher) -> None:
    (empty,) = matcher.assess("", explain=True)
    (marks,) = matcher.assess("…", explain=True)
    assert not empty.fired and not marks.fired
    assert empty.closest == marks.closest == ""  # no vote, not even a near miss


def test_an_example_is_named_by_its_line_blank_lines_counted(tmp_path: Path) -> None:
    rows = [json.dumps({"text": t, "labels": {"deploy": 2}}) for t in DEPLOYED]
    write_examples(tmp_path, ["", rows[0], "", *rows[1:]])
    (tmp_path / "deploy.yaml").write_text(WATCHLIST, encoding="utf-8")
    watchlist = load_watchlist(tmp_path / "deploy.yaml")
    assert watchlist.semantic is not None
    examples = watchlist.semantic.examples
    assert examples.lines[:2] == (2, 4) and examples.text_at(4) == DEPLOYED[1]
    (verdict,) = Matcher([watchlist]).assess(DEPLOYED[1])
    assert verdict.fired
    number = example_number(verdict.hits[0].term)
    assert examples.text_at(number) in DEPLOYED and number in examples.lines


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (WATCHLIST.replace("neighbours: 3", "neighbours: 2.5"), "'neighbours' must be a whole"),
        (WATCHLIST.replace("name: Test", "name: Other"), None),
    ],
)
def test_counts_are_whole_and_the_examples_must_grade_the_watchlist(
    tmp_path: Path, yaml_text: str, message: str | None
) -> None:
    write_examples(tmp_path)
    path = tmp_path / ("deploy.yaml" if message else "other.yaml")
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(WatchlistError) as raised:
        load_watchlist(path)
    expected = message or "grades no example 2 for 'other': its vote could never fire"
    assert expected in str(raised.value)


def test_an_examples_file_saved_with_a_bom_reads_and_bad_bytes_are_named(tmp_path: Path) -> None:
    path = write_examples(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as some editors save UTF-8
    (tmp_path / "deploy.yaml").write_text(WATCHLIST, encoding="utf-8")
    watchlist = load_watchlist(tmp_path / "deploy.yaml")
    assert watchlist.semantic is not None and len(watchlist.semantic.examples.texts) == 12
    path.write_bytes(path.read_bytes() + b'{"text": "caf\xe9", "labels": {"deploy": 0}}\n')
    with pytest.raises(WatchlistError) as raised:
        load_watchlist(tmp_path / "deploy.yaml")
    assert "examples.jsonl:13:14: not UTF-8 text" in str(raised.value)


def test_a_process_keeps_the_indexes_of_several_examples_files(tmp_path: Path) -> None:
    """Two watchlist folders with their own examples: neither's index is built again."""
    encoder = default_encoder()
    first, second = tmp_path / "a", tmp_path / "b"
    indexes = []
    for folder, lines in ((first, None), (second, [json.dumps({"text": "x", "labels": {}})])):
        folder.mkdir()
        indexes.append(load_examples(write_examples(folder, lines)))
    a, b = (shared_index(examples, encoder) for examples in indexes)
    assert shared_index(indexes[0], encoder) is a and shared_index(indexes[1], encoder) is b


def test_prepare_loads_the_vote_before_the_first_lead(
    tmp_path: Path, watchlist_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll prepares its matcher in a thread: the index is not built on the event loop."""
    rows = [{"text": t, "labels": {"deploy": 2}} for t in DEPLOYED]
    rows += [{"text": f"{t} ({tmp_path.name})", "labels": {"deploy": 0}} for t in UNRELATED]
    write_examples(tmp_path, [json.dumps(row) for row in rows])  # a file no test embedded
    matcher = Matcher([load_watchlist(watchlist_file)])
    matcher.prepare()

    def built_again(*_: object) -> None:
        raise AssertionError("the index was built at the first lead, not when prepared")

    monkeypatch.setattr(ExampleIndex, "build", built_again)
    (verdict,) = matcher.assess("The army sent an armoured brigade to the frontier.")
    assert verdict.fired  # the vote ran, on the index prepared
    monkeypatch.undo()

    def missing_model() -> StaticEncoder:
        return StaticEncoder(tmp_path / "no-model-here")

    unready = Matcher([load_watchlist(watchlist_file)], encoder=KeptVectors(make=missing_model))
    unready.prepare()  # said, not raised: the poll goes on with the terms
    assert "the examples' vote is off" in unready.semantic_trouble


def test_matching_step_by_step_finds_what_matching_each_alone_does(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll matches a step at a time (a text's terms, then the vote for a chunk of leads),
    letting the event loop run between steps; the hits are those of each text alone."""
    monkeypatch.setattr(matcher_module, "VOTE_CHUNK", 2)
    texts = [
        "The army sent an armoured brigade to the frontier.",
        "Reports of zqxv wrbl near the frontier.",  # fires on its term: no vote asked
        "The football club signed a striker on Friday.",
        DEPLOYED[1],
        "",
    ]
    steps = matcher.matching(texts)
    taken = 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            hits = done.value
            break
        taken += 1
    assert taken == len(texts) + 2  # 4 leads asked the examples: 2 chunks of 2
    for together in (hits, matcher.match_many(texts)):  # scores: to the 7th decimal (products)
        alone = [matcher.match(text) for text in texts]
        assert [[(h.watchlist, h.term, h.start, h.end) for h in each] for each in together] == [
            [(h.watchlist, h.term, h.start, h.end) for h in each] for each in alone
        ]
        assert np.allclose(
            [h.score for each in together for h in each], [h.score for each in alone for h in each]
        )
    assert [bool(h) for h in hits] == [True, True, False, True, False]


def test_a_large_examples_file_compares_fewer_leads_a_step(tmp_path: Path) -> None:
    """A step of the vote stays short: with 50,000 examples, 8 leads a step (64 with 6,000)."""
    rows = [{"text": t, "labels": {"deploy": 2}} for t in DEPLOYED]
    rows += [
        {"text": f"Item {n} of the market report, {UNRELATED[n % 6]}", "labels": {"deploy": 0}}
        for n in range(50_000 - len(DEPLOYED))
    ]
    write_examples(tmp_path, [json.dumps(row) for row in rows])
    (tmp_path / "deploy.yaml").write_text(WATCHLIST, encoding="utf-8")
    matcher = Matcher([load_watchlist(tmp_path / "deploy.yaml")])
    texts = [f"The harbour reopened on day {n}." for n in range(20)]  # all ask the examples
    steps = matcher.matching(texts)
    taken = sum(1 for _ in steps)
    assert taken == len(texts) + 3  # 20 leads, 8 a step
