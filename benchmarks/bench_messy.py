"""Junk left after cleaning the stored scraper output in ../shared/corpus/messy.

Each file (Markdown with YAML front matter; Korean wire stories in text, a
2016 auto-blog's raw HTML bodies) goes through `text_of_document`, the path
`desk extract FILE` and `desk match FILE` take. The cleaned text is then
audited line by line with detectors written here, independently of the
cleaner's own rules, for the junk kinds of issue 4: theme placeholders and
shortcodes, template comments and leftover markup, entities, mojibake,
control characters, share/subscribe/newsletter/cookie widgets, "Get in
Touch", "Latest Posts", "Related", "Advertisement", "Source" links, front
matter and Markdown residue, headlines and bylines glued to the story, wire
end marks. The bar is zero such lines. Prints the count and each offender,
and for comparison the count left by the alternative: trafilatura alone on
the HTML bodies, the stored text as it is for the others.

    python benchmarks/bench_messy.py [path/to/messy]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import trafilatura

from desk.core.article.extract import Extracted, looks_like_html, text_of_document

DEFAULT_MESSY = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "messy"

# kind -> a pattern searched in every output line (case ignored)
DETECTORS = {
    "placeholder": r"spot_img|\[/?ad_\d*\]|\[/?(?:button|caption|embed|gallery|video)\b",
    "template or markup": r"<!--|-->|\{\{|\{%|</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>|\.tpl\b",
    "entity": r"&(?:#\d+|#x[0-9a-f]+|[a-z]{2,8});",
    "mojibake": r"Ã[\x80-\xbf]|â€|Â[\xa0-\xbf]|\ufffd",
    "control or escape": r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e]",
    "widget": r"^\W*(?:get in touch|latest (?:posts|news)|related\b|advertisement|sponsored|share\b"
    r"|tweet\b|subscribe|sign up|newsletter|follow us|read more|click here|comments?\W*$|leave a reply"
    r"|you may also like|recommended|trending|most (?:read|popular))",
    "short line about sharing, subscribing or cookies": r"^(?=.{0,100}$).*\b(?:share this|subscri\w+"
    r"|newsletter|cookies?|sign up|follow us)\b",
    "navigation or reprint widget": r"back to top|skip to\b|continue reading|\breprints\b"
    r"|refresh for updates|^\W*(?:print|email|text size|order reprints)\W*$",
    "photo credit or link note": r"^(?:getty images|[\w .'-]{2,40} / (?:AP|AFP|Reuters|Getty Images))$"
    r"|\((?:click here|[^()]*\b(?:tmsnrt\.rs|bit\.ly|po\.st)/)[^()]*\)",
    "timestamp line": r"^\W*(?:last modified|updated|published|posted)\b.{0,40}\d{4}\W*$",
    "source link": r"^\W*(?:source|via)\b",
    "front matter or markdown": r"^(?:-{3,}|\*{3,}|#{1,6} )|^(?:id|title|author|post_\w+|permalink"
    r"|published(?:_at)?|crawled_at|url|oid|aid|content_hash|layout|original_\w+|canonical_url"
    r"|category|publisher):|\*\*|\]\((?:https?:|/)",
    "crawl or page metadata": r"crawled at|^\S+ \| \d{4}-\d{2}-\d{2}",
    "wire end mark or bare email": r"\(END\)\s*$|^\S+@\S+\.\w+$",
    "glued byline": r"(?-i:^By [A-Z][\w'-]+(?: [A-Z][\w'-]+){0,3} [A-Z]{3,}[A-Z ]*,)",
    "editor's note": r"^\(ATTN:|^\[(?:LEAD|REPORT|ANCHOR)\]",
}
_DETECTORS = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in DETECTORS.items()}


def audit(page: Extracted) -> list[tuple[str, str]]:
    """(kind, line) for every junk line left in a cleaned page."""
    found = []
    paragraphs = page.text.split("\n\n")
    for index, paragraph in enumerate(paragraphs):
        for line in paragraph.split("\n"):
            found += [(kind, line) for kind, rx in _DETECTORS.items() if rx.search(line)]
        if index and _glues_title(page.title, paragraph):
            found.append(("headline glued to story", paragraph))
    return found


def _glues_title(title: str, paragraph: str) -> bool:
    """A paragraph that carries the headline and then more: a scraper's join."""
    words = title.split()
    return len(words) >= 4 and title.lower() in paragraph.lower() and paragraph.strip() != title


def alternative(content: str) -> Extracted:
    """What a reader without desk's cleaner gets: trafilatura alone, else the text as stored."""
    text = (trafilatura.extract(content) if looks_like_html(content) else None) or content
    return Extracted(title="", text=text.replace("\n", "\n\n"))


def main() -> int:
    """Clean every file of both sets and report what junk survived."""
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_MESSY
    files = sorted(root.glob("*/*.md"))
    if not files:
        print(f"no messy corpus at {root}", file=sys.stderr)
        return 2
    left = without = 0
    for path in files:
        content = path.read_text(encoding="utf-8")
        for kind, line in audit(text_of_document(content)):
            left += 1
            print(f"{path.parent.name}/{path.name[:48]}: {kind}: {line[:160]!r}")
        without += len(audit(alternative(content)))
    sets = ", ".join(sorted({p.parent.name for p in files}))
    print(f"{len(files)} files ({sets}): {left} junk lines left by desk (bar: 0)")
    print(f"alternative (trafilatura alone / the stored text): {without} junk lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
