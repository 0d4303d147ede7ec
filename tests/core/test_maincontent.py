"""trafilatura's body of a parsed page without the work desk never reads: the same body."""

from __future__ import annotations

import pytest
import trafilatura
from lxml import etree
from trafilatura import core

from desk.core.article import maincontent
from desk.core.article.pagetext import EXTRACTION_OPTIONS, parsed_as_trafilatura_would
from desk.demo.server import DEMO_DIR

PAGES = sorted((DEMO_DIR / "articles").glob("*.html"))
SHORT = "<html><body><div><span>Too little.</span></div></body></html>"


def bare_body(html: str, url: str) -> str | None:
    """The body bare_extraction finds (desk's options), serialised, or None."""
    doc = trafilatura.bare_extraction(parse(html), url=url, **EXTRACTION_OPTIONS)
    return None if doc is None else etree.tostring(doc.body, encoding="unicode")


def shortcut_body(html: str, url: str) -> str | None:
    body = maincontent.main_body(parse(html), url)
    return None if body is None else etree.tostring(body, encoding="unicode")


def parse(html: str) -> object:
    tree = parsed_as_trafilatura_would(html, html.encode())
    assert tree is not None
    return tree


def test_the_shortcut_finds_the_body_bare_extraction_finds() -> None:
    assert len(PAGES) >= 20
    assert maincontent.install()
    for number, path in enumerate(PAGES):
        html = path.read_text(encoding="utf-8")
        url = f"https://news.example/{number}"
        shortcut = shortcut_body(html, url)
        assert shortcut is not None and "<p>" in shortcut, path.name
        assert shortcut == bare_body(html, url), path.name


def test_a_page_with_no_text_has_no_body_either_way() -> None:
    assert maincontent.install()
    assert shortcut_body(SHORT, "https://news.example/x") == bare_body(
        SHORT, "https://news.example/x"
    )
    empty = "<html><body><div></div><script>var a = 1;</script></body></html>"
    assert shortcut_body(empty, "") is None
    assert bare_body(empty, "") is None


def test_the_backup_is_still_made_where_it_can_be_read() -> None:
    assert maincontent.install()
    tree = parse(PAGES[0].read_text(encoding="utf-8"))
    for fast, comments in ((False, False), (True, True)):
        options = trafilatura.settings.Extractor(fast=fast, comments=comments)
        cleaned, backup = core._prepare_tree(tree, options, None)
        assert backup is not None and backup is not cleaned
    options = trafilatura.settings.Extractor(fast=True, comments=False)
    assert core._prepare_tree(tree, options, None)[1] is None


def test_another_trafilatura_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    original = getattr(core._prepare_tree, "__wrapped__", core._prepare_tree)
    monkeypatch.setattr(core, "_prepare_tree", original)
    monkeypatch.setattr(trafilatura, "__version__", "9.9.9")
    assert not maincontent.install()
    assert core._prepare_tree is original
