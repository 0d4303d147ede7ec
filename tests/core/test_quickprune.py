"""trafilatura's two raw-tree prunes skipped where they cannot match: the same extraction."""

from __future__ import annotations

import pytest
from lxml.etree import XPath
from trafilatura import core, xpaths

from desk.core.article import quickprune
from desk.core.article.extract import extract_page
from desk.demo.server import DEMO_DIR

STORY = (DEMO_DIR / "articles" / "airbag-recall-deployment.html").read_text(encoding="utf-8")
ADDED = [
    "",  # neither prune can match: both skipped
    '<div id="comments"><p>First! Great story about the airbag recall, thanks.</p></div>',
    '<section class="post-comments"><p>A reader says the recall came too late.</p></section>',
    '<div class="CommentARY"><p>Case kept: re:test finds this one, ary is not ARY.</p></div>',
    '<div class="wrap\ncomment-box"><p>A class on two lines, the second one a comment box.</p></div>',
    '<div class="infinite-scroll"><article><h2>Next story</h2><p>Appended text.</p></article></div>',
    '<aside class="elementor-share-buttons"><p>Share this on every network now.</p></aside>',
    '<div class="note"><p>A control paragraph that no prune removes from this story.</p></div>',
]


def pages() -> list[str]:
    last = "between 2022 and 2025.</p>"  # the story's last paragraph: added after it
    return [STORY.replace(last, last + added, 1) for added in ADDED]


def test_skipping_the_prunes_changes_no_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    assert quickprune.install()
    quick = core.prune_unwanted_nodes
    with_shortcut = [extract_page(page, "https://news.example/a") for page in pages()]
    monkeypatch.setattr(core, "prune_unwanted_nodes", quick.__wrapped__)
    monkeypatch.setattr(quickprune, "install", lambda: False)
    without = [extract_page(page, "https://news.example/a") for page in pages()]
    assert with_shortcut == without
    assert "First! Great story" not in without[1].text  # a prune ran and removed it
    assert "Appended text" not in without[5].text
    assert "A control paragraph" in without[-1].text  # what no prune removes is kept


def test_a_trafilatura_whose_expressions_differ_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = getattr(core.prune_unwanted_nodes, "__wrapped__", core.prune_unwanted_nodes)
    monkeypatch.setattr(core, "prune_unwanted_nodes", original)
    changed = [XPath(".//*[self::div][contains(@class, 'infinite')]")]
    monkeypatch.setattr(xpaths, "RAW_TREE_PRUNE_XPATH", changed)
    assert not quickprune.install()
    assert core.prune_unwanted_nodes is original
