"""`desk test` as a user runs it: real processes, real files, the on-disk cache, dev.jsonl."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from desk.cli.learnt_words import _digest
from tests.cli.test_hostile_output import strings_in
from tests.hostile_text import ALL_IN_ONE, PAYLOADS, unsafe_bytes_in, unsafe_in

DRILLS = """\
name: Drills
terms:
  - troops deployed
  - term: soldiers arrived
    weight: 0.5
  - tanks moved
"""
SHIPS = "name: Ships\nterms: [frigate sailed]\n"
ROWS = [
    {
        "id": "a1",
        "title": "Border",
        "text": "Troops deployed to the border.",
        "labels": {"drills": 2},
    },
    {"id": "a2", "title": "Camp", "text": "Soldiers arrived at the camp.", "labels": {"drills": 2}},
    {"id": "a3", "title": "Convoy", "text": "Tanks moved along the road.", "labels": {"drills": 0}},
    {"id": "a4", "title": "Markets", "text": "Markets were quiet.", "labels": {"drills": 0}},
    {"id": "a5", "title": "Drill", "text": "Troops deployed in a drill.", "labels": {"drills": 1}},
]
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_matching.py"


def desk(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m desk` with the test's isolated environment."""
    return subprocess.run(
        [sys.executable, "-m", "desk", *args], capture_output=True, text=True, timeout=120
    )


def write_set(tmp_path: Path, rows: list[dict[str, object]] = ROWS) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_folder(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def one_line_error(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_text_output_table_terms_and_reasons(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS})
    run = desk("test", str(write_set(tmp_path)), "--watchlists", str(folder))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"set.jsonl: 5 articles, watchlists from {folder}"
    assert lines[1].split() == "watchlist P R F1 TP FP FN TN borderline".split()
    assert lines[2].split() == "drills 0.50 0.50 0.50 1 1 1 1 1".split()
    rows = {line.split(None, 3)[3]: line.split()[:3] for line in lines[6:9]}
    assert rows == {
        "troops deployed": ["1", "0", "1"],
        "soldiers arrived": ["1", "0", "0"],
        "tanks moved  <- only off topic": ["0", "1", "0"],
    }
    assert run.stdout.count("<- only off topic") == 1
    assert "false positives: the evidence that fired (1)" in run.stdout
    assert 'a3 (line 3) "Convoy"' in run.stdout
    fired = 'evidence 1 (fires at 1): tanks moved 1 · hits: "Tanks moved" (tanks moved)'
    assert fired in run.stdout
    assert "false negatives: what came closest (1)" in run.stdout
    assert "evidence 0.5 (fires at 1): soldiers arrived 0.5 · hits:" in run.stdout
    assert run.stderr.startswith("5 articles in ")
    assert "articles/s" in run.stderr


def test_json_one_object_per_watchlist_in_designs_shape(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS, "ships.yaml": SHIPS})
    run = desk("test", str(write_set(tmp_path)), "--watchlists", str(folder), "--json")
    assert run.returncode == 0, run.stderr
    (drills,) = [json.loads(line) for line in run.stdout.splitlines()]  # ships: not labelled
    assert "no labels for 'ships' (not scored)" in run.stderr
    for key in ("watchlist", "terms", "false_positives", "false_negatives"):
        assert key in drills
    assert {k: drills[k] for k in ("tp", "fp", "fn", "precision", "recall", "f1")} == {
        "tp": 1,
        "fp": 1,
        "fn": 1,
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
    }
    assert drills["terms"][2] == {
        "term": "tanks moved",
        "positives": 0,
        "negatives": 1,
        "borderline": 0,
        "only_on_negatives": True,
    }
    assert drills["false_positives"][0]["hits"][0]["text"] == "Tanks moved"
    assert drills["false_negatives"][0]["total"] == 0.5


def test_default_watchlists_are_the_shipped_ones_without_a_config(tmp_path: Path) -> None:
    rows = [{"title": "t", "text": "Troops were deployed.", "labels": {"troop-deployment": 2}}]
    run = desk("test", str(write_set(tmp_path, rows)), "--json")
    assert run.returncode == 0, run.stderr
    assert [json.loads(line)["watchlist"] for line in run.stdout.splitlines()] == [
        "troop-deployment"
    ]


def test_cleaned_texts_are_cached_in_the_data_dir(tmp_path: Path, isolated_dirs: Path) -> None:
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS})
    labelled = write_set(tmp_path)
    first = desk("test", str(labelled), "--watchlists", str(folder), "--json")
    cache = list((isolated_dirs / "data" / "backtest").glob("*.json"))
    assert "texts cleaned now" in first.stderr and len(cache) == 1
    second = desk("test", str(labelled), "--watchlists", str(folder), "--json")
    assert "texts cleaned by an earlier run" in second.stderr
    assert second.stdout == first.stdout
    cache[0].write_text('["a planted text that no article has"]')  # wrong length: ignored
    third = desk("test", str(labelled), "--watchlists", str(folder), "--json")
    assert "texts cleaned now" in third.stderr and third.stdout == first.stdout
    labelled.write_text(labelled.read_text() + json.dumps(ROWS[0]) + "\n")
    changed = desk("test", str(labelled), "--watchlists", str(folder), "--json")
    assert "texts cleaned now" in changed.stderr
    assert json.loads(changed.stdout)["tp"] == 2


def learnt(document: dict[str, object]) -> dict[str, object]:
    """A words file's content, whatever order the words were met in."""
    pairs = zip(str(document["words"]).split("\n"), str(document["stems"]).split("\n"), strict=True)
    return {**document, "words": None, "stems": dict(pairs), "digest": None}


def sealed(document: dict[str, Any]) -> bytes:
    """A words file as desk writes it, its digest made anew after a change."""
    digest = _digest(document["words"], document["stems"], document["similar"])
    return json.dumps({**document, "digest": digest}).encode()


def test_words_learnt_are_kept_for_the_next_run_and_a_bad_file_is_learnt_again(
    tmp_path: Path, isolated_dirs: Path
) -> None:
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS})
    labelled = write_set(tmp_path)

    def run(watchlists: Path = folder) -> subprocess.CompletedProcess[str]:
        done = desk("test", str(labelled), "--watchlists", str(watchlists), "--json")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done

    first = run()
    kept = list((isolated_dirs / "data" / "backtest" / "words").glob("*.json"))
    assert "words learnt now" in first.stderr and len(kept) == 1
    words = kept[0]
    second = run()
    assert "words learnt by an earlier run" in second.stderr and second.stdout == first.stdout
    good = json.loads(words.read_bytes())
    assert {"troop", "deploy"} <= set(good["stems"].split("\n"))
    assert "deploy" in good["vocabulary"] and good["similar"]["deploy"] == [["deploy", 100.0]]
    words.write_bytes(sealed(good))  # sealed as desk seals it: still trusted
    assert "words learnt by an earlier run" in run().stderr
    remapped = good["stems"].replace("deploy", "troop")
    bad_files = [
        b'{"code": ',
        b"[]",
        json.dumps({**good, "code": "other code"}).encode(),
        json.dumps({**good, "stems": remapped}).encode(),  # changed: the digest says so
        sealed({**good, "stems": "troop"}),  # fewer stems than words
        sealed({**good, "similar": {"deploy": [["deploy", 1e29]]}}),  # a score out of range
        sealed({**good, "similar": {"deploy": [["parade", 100.0]]}}),  # not a vocabulary word
        sealed({**good, "vocabulary": "deploy"}),
    ]
    for bad in bad_files:
        words.write_bytes(bad)
        again = run()
        assert "words learnt now" in again.stderr and again.stdout == first.stdout, bad
        assert learnt(json.loads(words.read_bytes())) == learnt(good)  # written anew
    edited = write_folder(tmp_path, "e", {"drills.yaml": DRILLS + "  - convoy moved\n"})
    recalled = run(edited)
    assert "words learnt by an earlier run" in recalled.stderr
    words.unlink()
    assert run(edited).stdout == recalled.stdout != first.stdout


EXAMPLES = "".join(
    json.dumps({"text": text, "labels": {"drills": grade}}) + "\n"
    for text, grade in [
        ("Two brigades were sent to reinforce the border garrison.", 2),
        ("Paratroopers were flown to the island to bolster its defences.", 2),
        ("An infantry regiment moved up to the disputed frontier.", 2),
        ("The football club signed a striker for a record fee.", 0),
        ("Heavy rain flooded the market town overnight.", 0),
        ("The central bank left its interest rate unchanged.", 0),
    ]
)
SEMANTIC = "semantic:\n  examples: examples.jsonl\n  neighbours: 2\n  agree: 2\n  floor: 0.2\n"


def test_the_examples_vote_is_kept_for_the_next_run_and_a_bad_file_is_found_again(
    tmp_path: Path, isolated_dirs: Path
) -> None:
    files = {"drills.yaml": DRILLS + SEMANTIC, "examples.jsonl": EXAMPLES}
    folder = write_folder(tmp_path, "w", files)
    rows = [
        *ROWS,
        {
            "id": "a4",
            "title": "Regiment sent north",
            "text": "Infantry went to the frontier to reinforce the garrison.",
            "labels": {"drills": 2},
        },
    ]
    labelled = write_set(tmp_path, rows)

    def run() -> subprocess.CompletedProcess[str]:
        done = desk("test", str(labelled), "--watchlists", str(folder), "--json")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done

    first = run()
    report = json.loads(first.stdout)
    assert report["tp"] == 3  # a2's weak term (0.5) and a4's lack of one: the examples helped
    counts = {term["term"]: term["positives"] for term in report["terms"]}
    assert counts["the examples (semantic)"] == 2
    cache = isolated_dirs / "data" / "backtest"
    (near,) = (cache / "neighbours").glob("*.json")
    (vectors,) = (cache / "vectors").glob("*.npy")
    kept, written = near.read_bytes(), vectors.stat().st_mtime_ns
    assert run().stdout == first.stdout
    assert near.read_bytes() == kept and vectors.stat().st_mtime_ns == written  # nothing new
    good = json.loads(kept)
    entry = good["entries"][0]
    for bad in [
        b"{",
        json.dumps({**good, "code": "other code"}).encode(),
        json.dumps({**good, "entries": [[*entry[:3], [-1], [0.5]]]}).encode(),
        json.dumps({**good, "entries": [[*entry[:3], [0], ["x"]]]}).encode(),
        json.dumps({**good, "entries": [entry[:4]]}).encode(),
    ]:
        near.write_bytes(bad)
        assert run().stdout == first.stdout, bad
        assert json.loads(near.read_bytes()) == good  # found again, written anew
    vectors.write_bytes(b"not numpy")
    near.unlink()
    assert run().stdout == first.stdout
    assert vectors.read_bytes() != b"not numpy"
    old_digests = {entry[1] for entry in good["entries"]}
    extra = json.dumps({"text": "A parade marched through the capital.", "labels": {"drills": 0}})
    (folder / "examples.jsonl").write_text(EXAMPLES + extra + "\n", encoding="utf-8")
    run()
    kept_now = {entry[1] for entry in json.loads(near.read_bytes())["entries"]}
    assert len(kept_now) == 1 and kept_now.isdisjoint(old_digests)  # the old version's went


def test_the_examples_as_read_are_kept_and_used_while_their_file_is_unchanged(
    tmp_path: Path, isolated_dirs: Path
) -> None:
    files = {"drills.yaml": DRILLS + SEMANTIC, "examples.jsonl": EXAMPLES}
    folder = write_folder(tmp_path, "w", files)
    labelled = write_set(tmp_path)

    def run() -> dict[str, Any]:
        done = desk("test", str(labelled), "--watchlists", str(folder), "--json")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        report: dict[str, Any] = json.loads(done.stdout)
        return report

    first = run()
    (kept,) = (isolated_dirs / "data" / "backtest" / "examples").glob("*.json")
    reading = json.loads(kept.read_bytes())
    lines = [json.loads(line) for line in EXAMPLES.splitlines() if line.strip()]
    assert reading["texts"] == [line["text"] for line in lines]  # as read: safe, title first
    assert run() == first and json.loads(kept.read_bytes()) == reading  # used, not rewritten
    # the kept reading is what the next run uses: swap its grades (deployments 0, the rest 2)
    # and the votes go the other way (the file on disk is unchanged: the reading stands for it)
    swapped = [[[w, 2 - g] for w, g in kind] for kind in reading["kinds"]]
    kept.write_bytes(json.dumps({**reading, "kinds": swapped}).encode())
    assert run()["tp"] < first["tp"]
    for bad in [b"{", json.dumps({**reading, "code": "other code"}).encode()]:
        kept.write_bytes(bad)
        assert run() == first, bad
        assert json.loads(kept.read_bytes()) == reading  # read from the file, kept anew
    extra = json.dumps({"text": "A parade marched through the capital.", "labels": {"drills": 0}})
    (folder / "examples.jsonl").write_text(EXAMPLES + extra + "\n", encoding="utf-8")
    run()
    readings = [json.loads(p.read_bytes()) for p in kept.parent.glob("*.json")]
    assert [len(r["texts"]) for r in readings] == [len(lines) + 1]  # the file's latest version


def test_compare_shows_before_after_and_the_articles_gained_and_lost(tmp_path: Path) -> None:
    before = write_folder(tmp_path, "before", {"drills.yaml": DRILLS})
    edited = DRILLS.replace("    weight: 0.5\n", "").replace("  - tanks moved\n", "")
    after = write_folder(tmp_path, "after", {"drills.yaml": edited, "ships.yaml": SHIPS})
    labelled = write_set(tmp_path, [{**r, "labels": {**r["labels"], "ships": 0}} for r in ROWS])  # type: ignore[dict-item]
    run = desk("test", str(labelled), "--watchlists", str(before), "--compare", str(after))
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"before: {before}   after: {after}"
    assert lines[2].split() == "drills 0.50 -> 1.00 0.50 -> 1.00 0.50 -> 1.00".split()
    assert lines[3] == f"{'ships':24} only in {after}: not compared"
    assert "drills: 2 gained, 0 lost" in run.stdout
    assert '  + a2 (line 2) "Camp"  (now alerts, on topic)' in lines
    assert '  + a3 (line 3) "Convoy"  (now quiet, off topic)' in lines
    assert "  terms whose hits changed: articles on topic/off topic/borderline" in lines
    assert f"    {'0/1/0':>8} -> {'-':<8} tanks moved" in lines  # removed; the others hit as before
    assert "× 2 watchlist folders" in run.stderr
    back = desk("test", str(labelled), "--watchlists", str(after), "--compare", str(before))
    assert f"{'ships':24} only in {after}: not compared" in back.stdout
    assert "drills: 0 gained, 2 lost" in back.stdout
    as_json = desk(
        "test", str(labelled), "--watchlists", str(before), "--compare", str(after), "--json"
    )
    drills, ships = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert drills["before"]["f1"] == 0.5 and drills["f1"] == 1.0
    assert [o["id"] for o in drills["gained"]] == ["a2", "a3"] and drills["lost"] == []
    (removed,) = drills["terms_changed"]
    assert removed["term"] == "tanks moved" and removed["after"] is None
    assert (removed["before"]["positives"], removed["before"]["negatives"]) == (0, 1)
    assert ships["only_in"] == str(after)


@pytest.mark.parametrize(
    ("content", "where", "said"),
    [
        (None, "missing.jsonl", "cannot read"),
        (b'{"title": "t", "labels": {"drills": 0}}\n{"title": "u", ', "set.jsonl:2:", "not JSON"),
        (b'{"title": "t", "text": "x"}\n', "set.jsonl:1:", "no labels"),
        (b'\xef\xbb\xbf{"title": "t", "labels": {"drills": 0}}\n', "set.jsonl:1:", "byte-order"),
        (b'{"title": "t\x01", "labels": {"drills": 0}}\n', "set.jsonl:1:13:", "character"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_line(
    tmp_path: Path, content: bytes | None, where: str, said: str
) -> None:
    path = tmp_path / ("missing.jsonl" if content is None else "set.jsonl")
    if content is not None:
        path.write_bytes(content)
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS})
    line = one_line_error(desk("test", str(path), "--watchlists", str(folder)))
    assert line.startswith(f"desk: {tmp_path / where}")
    assert said in line
    assert not line.endswith(" at"), line


def test_a_watchlist_that_cannot_be_read_stops_the_run_with_its_error(tmp_path: Path) -> None:
    """A typo in one file must not leave a report of the folder without it (nor a comparison
    that reads it as deleted)."""
    good = write_folder(tmp_path, "good", {"drills.yaml": DRILLS, "ships.yaml": SHIPS})
    bad = write_folder(tmp_path, "bad", {"drills.yaml": DRILLS, "ships.yaml": "fire_at: high\n"})
    labelled = write_set(tmp_path)
    line = one_line_error(desk("test", str(labelled), "--watchlists", str(bad)))
    assert line.startswith(f"desk: {bad / 'ships.yaml'}:1:")
    run = desk("test", str(labelled), "--watchlists", str(good), "--compare", str(bad))
    assert one_line_error(run).startswith(f"desk: {bad / 'ships.yaml'}:1:")
    assert run.stdout == ""
    not_a_folder = one_line_error(desk("test", str(labelled), "--watchlists", str(labelled)))
    assert not_a_folder == f"desk: {labelled}: not a folder"
    (good / "ships.yml").write_text(SHIPS)  # left out, and said: ships.yaml defines 'ships'
    twin = desk("test", str(labelled), "--watchlists", str(good))
    assert twin.returncode == 0, twin.stderr
    assert f"desk: {good / 'ships.yml'}:1:1: not used: " in twin.stderr


def test_a_label_that_names_no_watchlist_is_said_with_the_nearest_id(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS, "ship-moves.yaml": SHIPS})
    rows = [{**row, "labels": {**row["labels"], "ship_moves": 0}} for row in ROWS]
    run = desk("test", str(write_set(tmp_path, rows)), "--watchlists", str(folder))  # type: ignore[arg-type]
    assert run.returncode == 0, run.stderr
    assert (
        f"desk: {tmp_path / 'set.jsonl'}: label 'ship_moves' names no watchlist "
        "(not scored; did you mean 'ship-moves'?)"
    ) in run.stderr.splitlines()
    only_near = [{**row, "labels": {"drill_s": row["labels"]["drills"]}} for row in ROWS]
    run = desk("test", str(write_set(tmp_path, only_near)), "--watchlists", str(folder))  # type: ignore[index]
    assert run.returncode == 2
    assert "label 'drill_s' names no watchlist (not scored; did you mean 'drills'?)" in run.stderr


def test_a_line_separator_inside_a_string_is_text_not_a_new_line(tmp_path: Path) -> None:
    rows = [{"title": "Border", "text": "Troops\u2028deployed today.", "labels": {"drills": 2}}]
    labelled = tmp_path / "set.jsonl"
    labelled.write_text(json.dumps(rows[0], ensure_ascii=False) + "\n", encoding="utf-8")
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS})
    run = desk("test", str(labelled), "--watchlists", str(folder), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["tp"] == 1


def test_no_watchlist_labelled_and_a_missing_compare_folder_are_one_line(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, "w", {"ships.yaml": SHIPS})
    line = one_line_error(desk("test", str(write_set(tmp_path)), "--watchlists", str(folder)))
    assert "no article is labelled for a watchlist in" in line and "(labels: drills)" in line
    drills = write_folder(tmp_path, "d", {"drills.yaml": DRILLS})
    missing = tmp_path / "nowhere"
    run = desk(
        "test", str(write_set(tmp_path)), "--watchlists", str(drills), "--compare", str(missing)
    )
    assert one_line_error(run) == f"desk: {missing}: no such watchlist folder"


def test_hostile_titles_ids_and_texts_print_safely(tmp_path: Path) -> None:
    rows = [
        {"id": p, "title": p, "text": f"Tanks moved {p} along the road.", "labels": {"drills": g}}
        for p in PAYLOADS
        for g in (0, 2)
    ]  # every payload in a false positive's line and a (quiet) false negative's
    rows.append(
        {"id": ALL_IN_ONE, "title": ALL_IN_ONE, "text": ALL_IN_ONE, "labels": {"drills": 2}}
    )
    labelled = write_set(tmp_path, rows)
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS})
    quiet = write_folder(tmp_path, "q", {"drills.yaml": SHIPS})
    command = [sys.executable, "-m", "desk", "test", str(labelled), "--watchlists", str(folder)]
    for extra in ((), ("--json",), ("--compare", str(quiet)), ("--compare", str(quiet), "--json")):
        done = subprocess.run(
            [*command, *extra],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.count(b"line 1") >= 1 or b'"line": 1' in done.stdout
        for stream in (done.stdout, done.stderr):
            assert unsafe_bytes_in(stream) == [], stream[:2000]
        if "--json" in extra:  # escaped bytes are safe; the values must be too
            for line in done.stdout.splitlines():
                for value in strings_in(json.loads(line)):
                    assert unsafe_in(value) == [], value


def test_articles_are_cleaned_before_matching(tmp_path: Path) -> None:
    """A word a scraper broke over a line is joined again, as the poller's cleaning does."""
    text = "The tro\nops were deployed to the border. More troops came later."
    rows = [{"title": "Border", "text": text, "labels": {"drills": 2}}]
    folder = write_folder(tmp_path, "w", {"drills.yaml": DRILLS})
    run = desk("test", str(write_set(tmp_path, rows)), "--watchlists", str(folder), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["tp"] == 1


def bench_matching() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_matching", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_jsonl_gives_the_benchmarks_figures(shared_dir: Path) -> None:
    """`desk test --json` and benchmarks/bench_matching.py agree on P, R and F1."""
    dev = shared_dir / "corpus" / "watch" / "dev.jsonl"
    if not dev.exists():
        pytest.skip("no corpus/watch/dev.jsonl")
    bench = bench_matching()
    articles = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines()]
    texts = [bench.clean_text(f"{a['title']}\n\n{a['text']}") for a in articles]
    watchlists = list(bench.load_watchlists(bench.shipped_watchlists_dir()).watchlists)
    matcher = bench.Matcher(watchlists)
    fired = [{h.watchlist for h in matcher.match(t)} for t in texts]
    shipped = str(bench.shipped_watchlists_dir())
    run = desk("test", str(dev), "--watchlists", shipped, "--json")
    assert run.returncode == 0, run.stderr
    reports = {r["watchlist"]: r for r in map(json.loads, run.stdout.splitlines())}
    assert set(reports) == {w.id for w in watchlists}
    for watchlist, report in reports.items():
        expected = bench.score(fired, articles, watchlist)
        got = (report["precision"], report["recall"], report["f1"])
        assert got == pytest.approx(expected, abs=1e-4), watchlist
