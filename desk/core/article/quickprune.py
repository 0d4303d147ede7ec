"""Two of trafilatura's raw-tree prunes skipped on pages where they cannot remove anything.

trafilatura prunes a page's raw tree with XPath expressions that test class
and id attributes with EXSLT regular expressions, which lxml runs as a
Python call per element and attribute: about 1.1 ms each for
RAW_TREE_PRUNE_XPATH and REMOVE_COMMENTS_AND_LISTS_XPATH on a news page of
the extraction benchmark, where the first removes something on 5 of 181
pages and the second on 76. Every element either selects has an id or a
class that one of a few patterns finds (`_NEEDED`); when no id or class
value of the page is found by them (one XPath for the values, one regex
search over them joined by newlines, where `^` finds the start of each:
never a stricter test than the expressions' own), the prune would remove
nothing, and is skipped.

The shortcut is tied to the expressions it was written for: `install`
compares their text with `_EXPECTED` and leaves trafilatura untouched if a
version differs. Results are unchanged (tests and bench_extract).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

_EXPECTED = {
    "RAW_TREE_PRUNE_XPATH": (
        ".//*[self::div or self::section or self::aside][ re:test(@id, "
        "'mvp-post-add-(?:box|wrap)|infinite-?scroll') or re:test(@class, "
        "'mvp-post-add-(?:box|wrap)|infinite-?scroll')][ not(.//h1) or re:test(@id, "
        "'mvp-post-add-(?:box|wrap)') or re:test(@class, 'mvp-post-add-(?:box|wrap)')]",
        ".//*[self::div or self::section or self::aside][contains(@class, 'elementor-share-buttons')]",
    ),
    "REMOVE_COMMENTS_AND_LISTS_XPATH": (
        ".//*[self::div or self::list or self::section or self::details or self::ol or self::ul][ "
        "re:test(@id, '^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)') or "
        "re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')][ not(self::ol or "
        "self::ul) or re:test(@id, '^(?:[Cc]omment(?!ary)|comol)') or re:test(@class, "
        "'^[Cc]omment(?!ary)|(?:article|post)-comments')]",
    ),
}
"""Each list's expressions, whitespace collapsed, as the shortcut below was written for them."""
_Needs = tuple[tuple[str, ...], re.Pattern[str]]
_NEEDED: dict[str, _Needs] = {
    "RAW_TREE_PRUNE_XPATH": (
        ("mvp-post-add-", "infinite", "elementor-share-buttons"),
        re.compile("mvp-post-add-(?:box|wrap)|infinite-?scroll|elementor-share-buttons"),
    ),
    "REMOVE_COMMENTS_AND_LISTS_XPATH": (
        ("omment", "comol", "disqus_thread"),
        re.compile(
            "^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)|(?:article|post)-comments",
            re.MULTILINE,
        ),
    ),
}
"""What an id or class of every element the list selects holds: the patterns of its re:test and
contains calls, for id and class alike, case kept as re:test keeps it without its `i` flag; and
words every match of them contains (a quick look before the regex, which tries every place)."""
_INSTALLED = "_desk_quick_prune"
_ID_AND_CLASS = etree.XPath("//@id | //@class", smart_strings=False)


def install() -> bool:
    """Make trafilatura skip the two prunes where they cannot match; False if its version differs.

    Idempotent; call after importing trafilatura, in each process that extracts.
    """
    from trafilatura import core, xpaths

    prune = core.prune_unwanted_nodes  # type: ignore[attr-defined]
    if getattr(prune, _INSTALLED, False):
        return True
    lists = {name: getattr(xpaths, name, None) for name in _EXPECTED}
    for name, expected in _EXPECTED.items():
        found = tuple(" ".join(x.path.split()) for x in lists[name] or ())
        if found != expected:
            return False
    needed = {id(lists[name]): needs for name, needs in _NEEDED.items()}
    core.prune_unwanted_nodes = _skipping(prune, needed)  # type: ignore[attr-defined]
    return True


def _skipping(prune: Callable[..., Any], needed: dict[int, _Needs]) -> Callable[..., Any]:
    """`prune`, returning the tree as it is when the list's needed pattern finds no id or class.

    The values are read once per tree (both prunes run on the same one, one after the
    other): a prune only removes elements, so values read before it still hold every value
    left, and a test on them can only be looser.
    """
    last: list[Any] = [None, ""]  # the tree whose values were read last, and those values

    def quick_prune(tree: Any, nodelist: list[Any], with_backup: bool = False) -> Any:
        needs = needed.get(id(nodelist))
        if needs is None:
            return prune(tree, nodelist, with_backup)
        if last[0] is not tree:
            last[:] = [tree, "\n".join(_ID_AND_CLASS(tree))]
        words, pattern = needs
        values = last[1]
        if not any(word in values for word in words) or pattern.search(values) is None:
            return tree
        return prune(tree, nodelist, with_backup)

    setattr(quick_prune, _INSTALLED, True)
    quick_prune.__wrapped__ = prune  # type: ignore[attr-defined]
    return quick_prune
