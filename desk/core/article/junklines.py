"""Junk-line recognition: which lines of a page are furniture, not story.

The generic rules every theme shares, as patterns and one classifier,
`is_junk_line`: widget labels and buttons, "Read more"/"Related"/"Source"
links, subscribe and cookie prompts, photo credits, contact lines, credits
and desk notes, copyright, lone bylines and timestamps. Also a "Related"
heading with the link headlines under it (`drop_related_lists`) and the
comparison of a line with its site's learned junk (`line_key`,
`is_site_junk`; the learning itself is `desk.core.article.sitejunk`).
"""

from __future__ import annotations

import re

# Lines longer than this are story, whatever words they contain.
MAX_JUNK_LINE = 400
# Only lines up to this length are compared with a site's learned junk.
MAX_SITE_LINE = 200

_AGENCY = (
    r"(?:getty\s+images|ap(?:\s+photo)?|afp|reuters|epa|shutterstock|istock(?:photo)?|bloomberg"
    r"|xinhua|yonhap|anadolu|pool)(?:\s+via\s+getty\s+images)?"
)
# Patterns that must match a whole line, lowercased first: compiled without
# IGNORECASE, each alternative's first letter is a fast literal test. Lines longer than
# MAX_JUNK_LINE are never tested, so a long story paragraph always stays.
_JUNK_PATTERNS = (
    # theme placeholders and shortcodes
    r"(?:spot_img)+",
    r"\[ad_?\d*\]",
    r"\[\w+[^\]]*\].{0,200}\[/\w+\]",
    # "Read more: ...", "Related: ...", "Source: ..." and other labelled links
    r"(?:read\s+(?:more|next|also)|see\s+(?:more|also)|more|related|also\s+(?:read|see)|watch|listen|download"
    r"|recommended|more\s+(?:from|on|in|about)\s+[^:]{1,40}|related\s+(?:post|article|story|coverage|content|link)s?"
    r"|filed\s+under|tags?|topics?|categor(?:y|ies|ias)|photo(?:graph)?s?|images?|videos?|illustration|graphic"
    r"|(?:photo|image|picture)\s+(?:credit|source)s?|credits?|sources?)\s*:.{0,200}",
    r"\[(?:related|read\s+more|see\s+also|more|also\s+read|read)\b[^\]]{0,200}\]",
    r"\((?:leggi\s+anche|read\s+also|see\s+also|related|read\s+more)\b[^)]{0,200}\)",
    r"(?:read\s+(?:more|next|also)|see\s+(?:more|also)|also\s+on\s+[\w-]+\.\w+)\b.{0,160}",
    r"(?:most\s+(?:read|popular|viewed|shared)|popular\s+(?:on|in|at|now)|more\s+(?:from|on|in|about))\b.{0,60}",
    # "Source" links and copyright
    r"source:?(?:\s+\S+){0,4}|via\s+\S+(?:\s+\S+)?",
    r"(?:copyright|©|\(c\)|ⓒ).{0,200}",
    # subscribe / newsletter / app / follow promos
    r"(?:subscribe|sign\s+up|get|join|click|tap|download|listen|watch|follow|like|share|register|enter"
    r"|never\s+miss|don[’']?t\s+miss|stay\s+(?:informed|up\s+to\s+date|on\s+top|connected|tuned)"
    r"|want\s+(?:more|the\s+latest)|be\s+the\s+first)\b.{0,200}"
    r"(?:newsletter|inbox|subscri\w*|\bapp\b|youtube|twitter|facebook|instagram|tiktok|podcast|channel"
    r"|alerts|notifications|whatsapp|telegram).{0,200}",
    r"\(?(?:click|tap)\s+here\b.{0,160}",
    r"also\s*:.{0,160}|[\w .'’&-]{1,40}\s+newsletter",
    r"(?:go\s+)?back\s+to\s+top\b.{0,80}|continue\s+reading\b.{0,60}|skip\s+to\s*:.{0,60}",
    r"this\s+is\s+a\s+(?:breaking|developing)\s+(?:news\s+)?story\b.{0,160}",
    r"\(.{0,200}(?:https?://|www\.|\b[\w-]+\.(?:rs|ly|co|com|org|net|gl|me)/\S+).{0,40}\)",
    r"(?:photo|article)\s+reprints(?:\s*\|\s*(?:photo|article)\s+reprints)?",
    # photo credits on a line of their own: "Getty Images", "David Goldman / AP"
    _AGENCY,
    r"(?:follow|find|like|join)\s+(?:us|me|him|her|them|[\w .'’@&-]{1,80}?)\s+on\s+"
    r"(?:twitter|facebook|instagram|linkedin|tiktok|youtube|threads|bluesky|mastodon|x)\b.{0,200}",
    r"follow\s+@\w+.{0,120}",
    # disclosures and reader appeals
    r"if\s+you\s+(?:enjoyed|liked|value|appreciate|like)\s+(?:this|our|reading).{0,300}",
    r"(?:like|liked|enjoyed|enjoy)\s+this\s+(?:story|article|post)\?.{0,120}",
    r"if\s+you\s+(?:buy|purchase|click|shop)\b.{0,300}",
    r"this\s+copy\s+is\s+for\s+your\s+personal.{0,300}",
    r"this\s+(?:article|story|post|report)\s+(?:originally\s+)?(?:appeared|was\s+(?:first\s+|originally\s+)?published"
    r"|first\s+appeared)\s+(?:on|in|at)\b.{0,160}",
    r"this\s+(?:article|story|content|report)\s+(?:was|is)\s+(?:funded|sponsored|paid\s+for|produced|supported)\b.{0,300}",
    r"read\s+or\s+share\s+this\s+story.{0,120}|tell\s+us\s+what\s+you\s+think.{0,40}",
    r"this\s+article\s+has\s+been\s+sent\s+to.{0,80}|(?:have|got)\s+a\s+(?:news\s+)?tip\?.{0,250}",
    # contact lines: "Email X at ...", or only addresses and handles
    r"(?:e-?mail|write\s+to|contact|reach)\s+[\w .'’-]{1,60}\s+at\s+\S+@\S+.{0,200}",
    # credits and desk notes
    r"\(?\s*(?:additional\s+|additonal\s+)?(?:reporting|writing|editing|compiled|research|produced|edited|written"
    r"|translated|graphics?)\s+by\b.{0,300}",
    r"contributing\s*:.{0,200}|our\s+standards\s*:.{0,80}",
    r"\((?:this\s+)?(?:story|article|version|report)\s+(?:has\s+been|was|is)\s+(?:refiled|corrected|updated|amended)\b.{0,300}\)",
    r"(?:ap|bc)-[a-z]{2,}-.{0,100}",
    # reading time
    r"\d+\s*(?:min(?:ute)?s?|minutos?)\s*(?:read|de\s+leitura|lesezeit)|(?:reading\s+time|tempo\s+de\s+leitura"
    r"|lesezeit|temps\s+de\s+lecture)\s*:?\s*\d+\s*\w*",
)
_JUNK_LINE = re.compile("|".join(f"(?:{p})" for p in _JUNK_PATTERNS))
_SHORTCODE_LINE = re.compile(r"\[/?[a-z_]+\]")  # "[/button]", not "[CNET]": case kept

# Whole-line patterns that may start with any word, tried only when the line holds their gate.
_CONTACT_LINE = re.compile(  # gate: "@" or ".com/"; only addresses and handles
    r"(?:(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:twitter|x|facebook|instagram)\.com/\S+|@\w{2,})[\s,;|/]*)+",
    re.IGNORECASE,
)
_LABELLED_LINK = re.compile(  # gate: "://" or "www.": "iTunes: http://..."
    r"[\w .'’-]{1,30}:\s*(?:https?://|www\.)\S+", re.IGNORECASE
)
_PHOTO_CREDIT = re.compile(  # gate: "/": "David Goldman / AP"
    rf"[\w.'’-]+(?:\s+[\w.'’-]+){{0,3}}\s*/\s*{_AGENCY}", re.IGNORECASE
)

# Widget headings, buttons and labels: whole lowercased lines of up to MAX_LABEL_LINE characters.
MAX_LABEL_LINE = 60
_LABEL_LINE = re.compile(
    r"(?:get\s+in\s+touch|contact\s+us|latest\s+(?:posts|news|stories|articles|videos|headlines|updates)"
    r"|advertisements?|advertising|ads?|sponsored(?:\s+(?:content|links?|stories))?|promoted(?:\s+content)?"
    r"|paid\s+(?:content|post)|partner\s+content|tweet|pin\s+it|e-?mail|print"
    r"|print\s+(?:this|article|this\s+(?:article|page|story))|copy\s+link|link\s+copied"
    r"|whatsapp|facebook|twitter|x|linkedin|reddit|flipboard|telegram|pinterest|tumblr|messenger"
    r"|share|shares|share\s+(?:this|on\s+\w+|via\s+\w+|article|story|post|this\s+(?:article|story|post|page))"
    r"|subscribe(?:\s+(?:now|today|here))?|sign\s+up(?:\s+(?:now|today|here))?|log\s*in|sign\s+in|register"
    r"|thank\s+you|thanks|sorry|comments?|\d+\s+comments?|no\s+comments?|(?:view|show|hide)\s+comments?"
    r"|post\s+(?:a\s+)?comment(?:\s*\(\+\))?|add\s+(?:a\s+)?comment|leave\s+a\s+(?:reply|comment)"
    r"|join\s+the\s+(?:conversation|discussion)|explore\s+further|tags?|topics?|categor(?:y|ies|ias)"
    r"|filed\s+under|order\s+reprints|reprints?(?:\s+(?:&|and)\s+permissions)?|text\s+size|font\s+size"
    r"|listen(?:\s+to\s+(?:this\s+)?(?:article|story))?|back\s+to\s+top|continue\s+reading"
    r"|skip\s+(?:to\s+(?:main\s+)?content|ad(?:vertisement)?)|(?:read|show|load|see)\s+more|more|next"
    r"|previous|close|menu|search|home|loading|by|photos?|videos?|images?|gallery|watch"
    r"|trending(?:\s+(?:now|stories|topics))?|popular|must\s+read|up\s+next|see\s+also|also\s+read|read\s+also"
    r"|most\s+(?:read|popular|viewed|shared|commented)|editor[’']?s?\s+picks?|(?:top|more)\s+stories"
    r"|recommended(?:\s+(?:for\s+you|stories|articles|reading|videos))?|don[’']?t\s+miss"
    r"|you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy|be\s+interested\s+in)|what\s+to\s+read\s+next"
    r"|further\s+reading|related(?:\s+(?:posts?|articles?|stories|story|news|content|reading|coverage|topics|links|videos))?"
    r")[\s:!.…>|»-]*",
)

# Phrases that make any line up to MAX_PHRASE_LINE characters junk.
MAX_PHRASE_LINE = 300
_JUNK_PHRASE = re.compile(
    r"all\s+rights\s+reserved|non-commercial\s+use\s+only|please\s+try\s+again|by\s+clicking\s+here"
    r"|please\s+refresh\s+for\s+updates|\bclick\s+here\s+(?:for|to)\b"
    r"|we\s+use\s+cookies|uses\s+cookies|accept\s+(?:all\s+)?cookies|cookie\s+(?:policy|settings|preferences|consent|notice)"
    r"|\b(?:sign\s+up|subscribe)\s+(?:to|for)\s+(?:our|the|my|a\s+free)\b.{0,60}"
    r"(?:newsletter|e-?mail\s+(?:newsletter|list|updates|alerts)|digest|briefing|alerts|updates|channel|podcast)"
    r"|(?:delivered|straight|direct(?:ly)?|right)\s+(?:to|in)\s+your\s+inbox|keep\s+an\s+eye\s+on\s+your\s+inbox"
    r"|\b(?:our|free)\s+(?:daily\s+|weekly\s+|morning\s+|evening\s+)?newsletters?\b"
    r"|(?:thanks|thank\s+you)\s+for\s+(?:signing\s+up|subscribing|reading|registering)"
    r"|(?:there\s+was\s+an|an)\s+error\s+(?:has\s+occurred|occurred|processing)"
    r"|\b(?:may|might|will|could)\s+(?:earn|get|receive|collect)\s+(?:a\s+)?(?:small\s+)?"
    r"(?:commission|share\s+of\s+(?:the\s+)?(?:sale|revenue)|affiliate)|affiliate\s+(?:links?|commission)"
    r"|\bcontributed\s+(?:to\s+)?(?:this\s+)?(?:report|reporting|story|article)\b|(?:may|can)\s+be\s+reached\s+at",
    re.IGNORECASE,
)
# A link headline tagged at its end: "China furious at Macron [INSIGHT]".
_TAGGED_HEADLINE = re.compile(
    r"\[(?:video|insight|pictures?|pics|reaction|warning|news|poll|latest|reveal|analysis|update"
    r"|watch|photos?|gallery|live|exclusive|opinion|quiz|comment)\]\s*\|?$",
    re.IGNORECASE,
)

# Every _JUNK_PHRASE match contains one of these.
_PHRASE_HINTS = (
    "reserved", "commercial use", "try again", "clicking here", "cookie", "sign up", "subscri", "refresh", "click here",
    "inbox", "newsletter", "thank", "error", "commission", "affiliate", "contributed", "reached at",
)  # fmt: skip
_DIGIT = re.compile(r"\d")

# Headings that introduce a list of links to other stories.
RELATED_HEADING = re.compile(
    r"(?:related(?:\s+\w+)?|don[’']?t\s+miss|most\s+(?:read|popular|viewed|shared)\b.{0,60}"
    r"|more\s+(?:from|on|in|about)\s+.{1,60}|(?:more|top)\s+stories"
    r"|latest\s+(?:news|stories|posts|articles|headlines)|you\s+(?:may|might)\s+(?:also\s+)?like"
    r"|recommended.{0,30}|trending.{0,30}|popular\s+(?:on|in|now).{0,60}|read\s+(?:more|next|also)"
    r"|see\s+also|further\s+reading|what\s+to\s+read\s+next|editor[’']?s?\s+picks?|up\s+next|must\s+read"
    r"|also\s+read)[\s:!.…>|»-]*",
    re.IGNORECASE,
)

# A line of dates, times and "Updated"/"Published" words only. Each word is taken whole,
# as the first alternative that reads it (an atomic group, so "N hours ago" comes before a
# bare number): "1-2-3" read as one date or as numbers and dashes made the ways to split
# a line of "1-1-1-...x" grow exponentially (30 of them took minutes).
_TIMESTAMP = re.compile(
    r"""(?:(?>
        (?:first\s+|last\s+)?(?:updated|published|posted|modified|created|crawled|retrieved|accessed|dated?|issued)\b\s*(?:on|at)?
      | (?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b\.?
      | (?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\b\.?
      | (?:segunda|terça|terca|quarta|quinta|sexta)-feira|sábado|domingo|lunes|martes|miércoles
      | jueves|viernes|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag
      | mittwoch|donnerstag|freitag|samstag|sonntag
      | janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro
      | enero|febrero|marzo|mayo|junio|julio|septiembre|octubre|noviembre|diciembre|janvier|février
      | mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|januar|februar|märz
      | juni|juli|oktober|dezember
      | \d+\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?)\s+ago\b
      | \d{1,4}(?!\d)(?:[:/.\-]\d{1,4}(?!\d)){0,2}(?:st|nd|rd|th|h|[ap]m)?\b
      | [ap]\.?m\b\.? | (?:gmt|utc|[ecmp][sd]t|bst|cest?|kst|jst|ist|et|pt)\b
      | by\s+(?-i:[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})
      | (?:at|on|by|the|of|de|às|a\s+las|à|um|am|le|el|la)\b | [/·•,\-–—:()\[\]]
    )\s*)+""",
    re.IGNORECASE | re.VERBOSE,
)
# What makes such a line a timestamp rather than a time in a timeline: a year or a verb.
_DATE_ANCHOR = re.compile(
    r"\b(?:19|20)\d\d\b|updated|published|posted|crawled|modified|\bago\b|\d{1,2}/\d{1,2}/\d{2,4}",
    re.IGNORECASE,
)
# A lone byline: "By Jane Doe", "By Jane Doe and John Roe | Reuters".
_BYLINE = re.compile(
    r"(?:By|BY|Von|Por|Par)(?:\s+[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|da|di|van|von|der|den|bin|al|la|le)){0,4}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}){0,4})?(?:\s*[,|]\s*[^.!?]{0,60})?"
)
_BYLINE_STARTS = ("By", "BY", "Von", "Por", "Par")
_LOWERCASE_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*")


def is_junk_line(
    line: str,
    site_junk: set[str] | frozenset[str] = frozenset(),
    hints: tuple[str, ...] = _PHRASE_HINTS,
) -> bool:
    """True for a line that is page furniture, not story.

    `hints` may be narrowed to the phrase hints that occur in the whole text
    (see `phrase_hints_in`), which lets most lines skip the phrase search.
    """
    low = line.lower()
    if len(line) <= MAX_LABEL_LINE and _LABEL_LINE.fullmatch(low):
        return True
    if _JUNK_LINE.fullmatch(low) or _SHORTCODE_LINE.fullmatch(line) or _is_gated_junk(line):
        return True
    if is_site_junk(line, site_junk):
        return True
    if len(line) > MAX_PHRASE_LINE:
        return False
    if hints and _has_any(low, hints) and _JUNK_PHRASE.search(line):
        return True
    if line.endswith(("]", "]|")) and _TAGGED_HEADLINE.search(line):
        return True
    if len(line) > 120:
        return False
    return (
        bool(line.startswith(_BYLINE_STARTS) and _BYLINE.fullmatch(line))
        or is_timestamp(line)
        or _is_dated_meta(line)
    )


def _is_gated_junk(line: str) -> bool:
    if ("@" in line or ".com/" in line) and _CONTACT_LINE.fullmatch(line):
        return True
    if ("://" in line or "www." in line) and _LABELLED_LINK.fullmatch(line):
        return True
    return "/" in line and bool(_PHOTO_CREDIT.fullmatch(line))


def phrase_hints_in(text: str) -> tuple[str, ...]:
    """The phrase hints that occur anywhere in `text`, case ignored."""
    low = text.encode("utf-8", "ignore").lower()  # bytes: fast to lower and to search
    return tuple(hint for hint in _PHRASE_HINTS if hint.encode() in low)


def _has_any(low: str, hints: tuple[str, ...]) -> bool:
    return any(hint in low for hint in hints)


def is_timestamp(line: str) -> bool:
    """True for a line of dates and times only ("Updated 14 hours ago", "Nov. 19, 2019")."""
    return (
        len(line) <= 120
        and bool(_DIGIT.search(line))
        and bool(_TIMESTAMP.fullmatch(line))
        and bool(_DATE_ANCHOR.search(line))
    )


def _is_dated_meta(line: str) -> bool:
    """'Publisher | 2025-12-28 00:00 |': short fields around a "|", one of them a date."""
    if "|" not in line:
        return False
    fields = [field.strip() for field in line.split("|") if field.strip()]
    dated = [is_timestamp(f) for f in fields]
    return any(dated) and all(d or len(f.split()) <= 6 for d, f in zip(dated, fields, strict=True))


def is_lone_label(line: str) -> bool:
    """True for a paragraph that is one lowercase token: a tag, a category, a CSS class."""
    return len(line) <= 60 and line[:1].islower() and bool(_LOWERCASE_TOKEN.fullmatch(line))


def line_key(line: str) -> str:
    """A line compared without case or spacing differences."""
    return " ".join(line.lower().split())


def is_site_junk(line: str, site_junk: set[str] | frozenset[str]) -> bool:
    """True for a line this page's site repeats on many pages."""
    return bool(site_junk) and len(line) <= MAX_SITE_LINE and line_key(line) in site_junk


def drop_related_lists(blocks: list[list[str]]) -> list[list[str]]:
    """A 'Related' / 'Don't miss' heading and the link headlines listed under it go."""
    kept: list[list[str]] = []
    skipping = 0
    for lines in blocks:
        if len(lines) == 1 and len(lines[0]) <= 80 and RELATED_HEADING.fullmatch(lines[0]):
            skipping = 12
            continue
        if skipping and len(lines) == 1 and _looks_like_link_headline(lines[0]):
            skipping -= 1
            continue
        skipping = 0
        if lines:
            kept.append(lines)
    return kept


def _looks_like_link_headline(line: str) -> bool:
    return len(line) <= 160 and not line.rstrip("\"'”’)").endswith((".", "!", "?", ":"))
