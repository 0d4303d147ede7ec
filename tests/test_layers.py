"""The layers of desk, held by reading every import (lazy ones inside functions too).

desk/core never reaches for a front (desk.ui, desk.cli, desk.headless,
desk.demo) or textual. Its stages talk only through the plain data in
`desk.core.models` and the shared modules: no stage imports another, and
`store`, `settings` and the shared modules import no stage at all. The one
exception is `settings`, the typed configuration and the safe YAML reader
that every stage reads. Only `desk.core.pipeline`, `desk.core.match.rematch`
and the fronts combine stages. A broken rule is named with the file, the
line and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

DESK = Path(__file__).resolve().parents[1] / "desk"
FRONTS = ("desk.ui", "desk.cli", "desk.headless", "desk.demo", "textual")
STAGES = ("feeds", "article", "match", "store", "settings", "notify")
SHARED = ("models", "errors", "safetext", "decide", "view", "undo", "attention")


def stage(name: str) -> str:
    return f"desk.core.{name}"


PIPELINE = "desk.core.pipeline"
EVERY_STAGE = (*(stage(s) for s in STAGES), PIPELINE)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "desk.core": FRONTS,
    **{
        stage(name): (*(stage(o) for o in STAGES if o not in (name, "settings")), PIPELINE)
        for name in ("feeds", "article", "match")
    },
    stage("notify"): (stage("feeds"), stage("article"), stage("match"), PIPELINE),
    stage("store"): EVERY_STAGE,
    stage("settings"): EVERY_STAGE,
    **{stage(shared): EVERY_STAGE for shared in SHARED},
}
"""Module (or package) -> what it may not import (its own stage aside). Every rule that fits holds."""
COMBINERS = {"desk.core.match.rematch": (stage("store"), stage("article"))}
"""Modules allowed to combine stages, and which imports that lets them make."""


def module_name(path: Path) -> str:
    """`desk/core/feeds/parse.py` -> `desk.core.feeds.parse`."""
    parts = path.relative_to(DESK.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file, wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            yield node.lineno, node.module
            for alias in node.names:  # `from desk.core import decide` imports a module
                yield node.lineno, f"{node.module}.{alias.name}"


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def broken_rules(path: Path, module: str = "") -> list[str]:
    """Each forbidden import in one file, as 'file:line: module imports X (rule)'.

    `module` names the file's module when it is not where its name says (a test's copy).
    """
    module = module or module_name(path)
    where = module.replace(".", "/") + ".py"
    problems = []
    for line, imported in imports_of(path):
        for owner, forbidden in FORBIDDEN.items():
            if not within(module, owner):
                continue
            for target in forbidden:
                if within(module, target):  # a stage's own modules use each other
                    continue
                allowed = COMBINERS.get(module, ())
                if within(imported, target) and not any(within(imported, a) for a in allowed):
                    problems.append(
                        f"{where}:{line}: {module} imports {imported} ({owner} may not import {target})"
                    )
    return sorted(set(problems))


def core_files() -> list[Path]:
    return sorted((DESK / "core").rglob("*.py"))


def test_the_stages_are_folders_with_their_modules() -> None:
    for name in STAGES:
        assert (DESK / "core" / name / "__init__.py").is_file(), name
    shared = {p.stem for p in (DESK / "core").glob("*.py")} - {"__init__"}
    assert shared == {*SHARED, "pipeline"}


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(DESK)))
def test_every_core_module_keeps_to_its_layer(path: Path) -> None:
    assert broken_rules(path) == []


def test_the_rules_catch_a_forbidden_import(tmp_path: Path) -> None:
    """The checker itself: a lazy import of the store, planted in a copy of a feeds module."""
    copy = tmp_path / "parse.py"
    source = (DESK / "core" / "feeds" / "parse.py").read_text(encoding="utf-8")
    copy.write_text(source + "\n\ndef later():\n    from desk.core.store import tinystore\n")
    line = len(copy.read_text().splitlines())
    rule = "(desk.core.feeds may not import desk.core.store)"
    assert broken_rules(copy, "desk.core.feeds.parse") == [
        f"desk/core/feeds/parse.py:{line}: desk.core.feeds.parse imports desk.core.store {rule}",
        f"desk/core/feeds/parse.py:{line}: desk.core.feeds.parse imports "
        f"desk.core.store.tinystore {rule}",
    ]


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        ("desk.core.article.extract", "desk.core.feeds.parse"),
        ("desk.core.match.matcher", "desk.core.article.clean"),
        ("desk.core.feeds.fetch", "desk.core.article.extract"),
        ("desk.core.match.watchlists", "desk.core.feeds.text"),
    ],
)
def test_no_stage_reaches_into_another(tmp_path: Path, module: str, planted: str) -> None:
    """Every pair of stages, not only the named bans: each planted import is caught."""
    source = DESK.parent / (module.replace(".", "/") + ".py")
    copy = tmp_path / source.name
    copy.write_text(source.read_text(encoding="utf-8") + f"\n\nimport {planted}\n")
    assert any(planted in problem for problem in broken_rules(copy, module))


def test_a_combiner_may_combine_and_a_front_may_not_be_reached() -> None:
    rematch = DESK / "core" / "match" / "rematch.py"
    assert any(within(m, stage("store")) for _, m in imports_of(rematch))
    assert broken_rules(rematch) == []
    assert broken_rules(rematch, "desk.core.match.matcher")  # the same imports, not allowed there
