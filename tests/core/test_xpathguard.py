"""trafilatura's re:test calls guarded by their attribute: the same nodes, in the same order."""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html
from trafilatura import xpaths

from desk.core.article import xpathguard
from desk.demo.server import DEMO_DIR

PAGES = sorted((DEMO_DIR / "articles").glob("*.html"))
MIXED = """<html><body>
<div><p>No attribute at all.</p></div>
<div class="share-buttons"><p>Share</p></div>
<div id="sidebar-left"><p>Side</p></div>
<section style="display:none" id="x-hidden"><p>Hidden</p></section>
<div class="article-body"><p>The story.</p></div>
<div class="FullText"><p>Case folded by the i flag.</p></div>
<span class=""><p>Empty class</p></span>
</body></html>"""


def test_guarded_expressions_select_the_same_nodes() -> None:
    assert xpathguard.install()
    before = xpathguard.ORIGINALS
    trees = [lxml_html.fromstring(MIXED)]
    trees += [lxml_html.fromstring(path.read_bytes()) for path in PAGES]
    found = 0
    for name in xpathguard.GUARDED:
        for plain, guarded in zip(before[name], getattr(xpaths, name), strict=True):
            for tree in trees:
                selected = guarded(tree)
                assert selected == plain(tree), (name, guarded.path)
                found += len(selected)
    assert found > 0
    assert any(" and re:test(" in x.path for x in xpaths.OVERALL_DISCARD_XPATH)


def test_a_pattern_that_matches_nothing_stays_unguarded() -> None:
    tree = lxml_html.fromstring(MIXED)
    loose = etree.XPath(
        ".//div[re:test(@class, 'x?')]", namespaces={"re": "http://exslt.org/regular-expressions"}
    )
    kept = xpathguard.guarded(loose)
    assert kept is loose  # x? matches '': an element with no class is selected, as before
    assert len(kept(tree)) == len(tree.findall(".//div"))
    strict = etree.XPath(
        ".//div[re:test(@class, 'share')]",
        namespaces={"re": "http://exslt.org/regular-expressions"},
    )
    rewritten = xpathguard.guarded(strict)
    assert rewritten.path == ".//div[(@class and re:test(@class, 'share'))]"
    assert rewritten(tree) == strict(tree) and len(rewritten(tree)) == 1
