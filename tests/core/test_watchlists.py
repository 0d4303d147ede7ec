"""Watchlist files: the shipped ones load, and every hand-made mistake names its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.core.errors import WatchlistError
from desk.core.match.watchlists import load_watchlist, load_watchlists, watchlist_files
from desk.core.models import Severity
from desk.core.settings.config import shipped_watchlists_dir

SHIPPED_IDS = {"troop-deployment", "technology-transfer", "icbm-reentry"}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_watchlists_load_with_ids_from_file_names() -> None:
    result = load_watchlists(shipped_watchlists_dir())
    assert result.errors == ()
    assert {w.id for w in result.watchlists} == SHIPPED_IDS
    icbm = next(w for w in result.watchlists if w.id == "icbm-reentry")
    assert icbm.severity is Severity.CRITICAL
    assert icbm.context, "icbm-reentry needs missile context to stay off spacecraft"


def test_the_repository_watchlists_folder_is_the_shipped_one() -> None:
    top = Path(__file__).resolve().parents[2] / "watchlists"
    assert {p.stem for p in top.glob("*.yaml")} == SHIPPED_IDS


def test_a_full_watchlist(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.yaml",
        "name: Mine\nseverity: low\nthreshold: 90\nterms:\n"
        "  - reentry vehicle\n"
        "  - {term: ICBM, exact: true}\n"
        "  - {regex: 'MIRV(s|ed)?', label: MIRV}\n"
        "  - {term: troops|soldiers sent, within: 2, threshold: 95}\n"
        "context: {near: 30, any: [missile]}\n"
        "exclude: [visa]\n",
    )
    watchlist = load_watchlist(path)
    assert watchlist.id == "mine" and watchlist.severity is Severity.LOW
    assert [t.text for t in watchlist.terms] == [
        "reentry vehicle",
        "ICBM",
        "MIRV",
        "troops|soldiers sent",
    ]
    assert watchlist.terms[3].words == (("troop", "soldier"), ("sent",))
    assert (watchlist.terms[3].within, watchlist.terms[3].threshold) == (2, 95)
    assert watchlist.context_near == 30 and len(watchlist.exclude) == 1


@pytest.mark.parametrize(
    ("text", "place", "words"),
    [
        ("terms: lockbit\n", ":1:8:", "must be a list of terms"),
        ("terms: []\n", ":1:8:", "is empty"),
        ("name: x\n", ":1:1:", "missing 'terms:'"),
        ("terms:\n  - ''\n", ":2:5:", "at least one word"),
        ("trems:\n  - a\n", ":1:1:", "did you mean 'terms'"),
        ("terms:\n  - {term: missile, thresold: 80}\n", ":2:21:", "did you mean 'threshold'"),
        ("terms: [missile]\nterms: [b]\n", ":2:1:", "duplicate key 'terms'"),
        ("terms: [missile]\nseverity: urgent\n", ":2:11:", "not one of info, low"),
        ("terms: [missile]\nthreshold: 150\n", ":2:12:", "from 0 to 100"),
        ("terms:\n  - regex: '(unclosed'\n", ":2:12:", "invalid regex '(unclosed': missing )"),
        ("terms:\n  - regex: '(a)\\1'\n", ":2:12:", "invalid regex"),
        ("terms:\n  - regex: 'a*'\n", ":2:12:", "matches empty text"),
        ("terms: [a\n", ":2:1:", "invalid YAML"),
        ("a: &a [x, x, x]\nb: &b [*a, *a]\nterms: [*b]\n", ":2:8:", "aliases"),
        ("", ":1:1:", "empty (half-saved?)"),
        (
            "terms:\n  - term: missile\n    exact: yes please\n",
            ":3:12:",
            "'exact' must be true or false",
        ),
        ("terms:\n  - $force sent\n", ":2:5:", "unknown word group $force"),
        ("words: {force: troops and soldiers}\nterms: [$force]\n", ":1:16:", "single words"),
        ("terms:\n  - {term: missile, weight: 0}\n", ":2:29:", "'weight' must be a number"),
        ("fire_at: lots\nterms: [missile]\n", ":1:10:", "'fire_at' must be a number"),
        ("evidence: 2\nterms: [missile]\n", ":1:11:", "'evidence' must be a mapping"),
        ("evidence: {boost: 2}\nterms: [missile]\n", ":1:12:", "unknown evidence key 'boost'"),
        ("evidence: {passing: 2}\nterms: [missile]\n", ":1:21:", "'passing' must be a number"),
        ("terms:\n  - the of to\n", ":2:5:", "only words that are ignored"),
        ("terms:\n  - " + "[" * 5000 + "]" * 5000 + "\n", "", "nested too deeply"),
        ('terms:\n  - "troops \\e]52;c;aGVsbG8=\\a deployed"\n', ":2:5:", "(U+001B)"),
        ("terms:\n  - tro\x1bops sent\n", ":2:8:", "a character YAML does not allow (U+001B)"),
        ('terms:\n  - {term: "tanks\\u200b rolled"}\n', ":2:12:", "(U+200B)"),
        ('terms:\n  - {regex: "sent\\x07", term: a}\n', ":2:13:", "(U+0007)"),
    ],
)
def test_errors_name_file_line_and_column(
    tmp_path: Path, text: str, place: str, words: str
) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(WatchlistError) as caught:
        load_watchlist(path)
    message = str(caught.value)
    assert message.startswith(str(path) + (place or ":")), message
    assert words in message
    assert "\n" not in message


def test_a_joiner_inside_a_script_is_part_of_a_term(tmp_path: Path) -> None:
    """Persian and Hindi write the zero-width non-joiner inside words: it stays in a term, as
    it stays in text made safe; only one that safe text would drop is an error."""
    path = write(
        tmp_path, "fa.yaml", 'terms:\n  - "\u0645\u06cc\u200c\u0641\u0631\u0633\u062a\u062f"\n'
    )
    assert load_watchlist(path).terms[0].text == "\u0645\u06cc\u200c\u0641\u0631\u0633\u062a\u062f"
    path = write(tmp_path, "en.yaml", 'terms:\n  - "troops\u200c deployed"\n')
    with pytest.raises(WatchlistError, match="U\\+200C"):
        load_watchlist(path)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "big.yaml", "terms:\n" + "  - word\n" * 150_000)
    with pytest.raises(WatchlistError, match="limit is 1,000,000"):
        load_watchlist(path)


def test_a_folder_keeps_good_files_and_reports_bad_ones(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", "terms: [missile]\n")
    write(tmp_path, "bad.yml", "terms: missile\n")
    write(tmp_path, "notes.txt", "not a watchlist")
    result = load_watchlists(tmp_path)
    assert [w.id for w in result.watchlists] == ["good"]
    assert len(result.errors) == 1 and "bad.yml:1:8" in str(result.errors[0])


def test_a_yml_beside_a_yaml_of_the_same_name_is_left_out_and_said(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("name: From yaml\nterms: [centrifuge rotors]\n")
    (tmp_path / "w.yml").write_text("name: From yml\nterms: [heat shield]\n")
    (tmp_path / "v.yml").write_text("name: Alone\nterms: [reentry vehicle]\n")
    result = load_watchlists(tmp_path)
    assert sorted((w.id, w.name) for w in result.watchlists) == [("v", "Alone"), ("w", "From yaml")]
    (error,) = result.errors
    assert str(error) == (
        f"{tmp_path / 'w.yml'}:1:1: not used: w.yaml already defines the watchlist 'w' "
        "(an id is its file name)"
    )
    assert [p.name for p in watchlist_files(tmp_path)] == ["v.yml", "w.yaml"]


def test_a_catastrophic_regex_runs_in_linear_time(tmp_path: Path) -> None:
    """RE2 has no backtracking: (a+)+$ on 100,000 a's and a b answers at once.

    Python's re would take longer than the universe has left; the subprocess
    timeout turns a regression into a failure instead of a hung suite.
    """
    import subprocess
    import sys

    write(tmp_path, "evil.yaml", "terms:\n  - regex: '(a+)+$'\n")
    code = (
        "from pathlib import Path\n"
        "from desk.core.match.matcher import Matcher\n"
        "from desk.core.match.watchlists import load_watchlist\n"
        f"m = Matcher([load_watchlist(Path({str(tmp_path / 'evil.yaml')!r}))])\n"
        "print(len(m.match('a' * 100_000 + 'b')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0"
