"""Text cleaning for everything desk shows or matches.

`clean_text` takes text from any source (an extracted page, a feed summary,
a text file) and returns paragraphs separated by blank lines: control
characters and terminal escapes stripped, entities decoded, common mojibake
repaired, Unicode in NFC, odd quotes and spaces normalised, front matter and
Markdown marks removed, theme and widget junk dropped (plus any lines learned
as junk for the page's site, see `desk.core.sitejunk`), and words that a
scraper broke across lines put back together.

The work comes in two stages so that the pipeline can learn site junk in
between: `story_blocks` (characters, inline repairs, generic junk) and
`finish_paragraphs` (site junk, broken lines).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from html import unescape

# Lines longer than this are story, whatever words they contain.
MAX_JUNK_LINE = 400
# Only lines up to this length are compared with a site's learned junk.
MAX_SITE_LINE = 200

# Terminal escapes: CSI, OSC, DCS/APC/PM/SOS strings and two-byte ESC pairs.
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[P_^X][^\x1b]*\x1b\\|[ -/]*[0-~])"
)
_C1_CSI = re.compile(r"\x9b[0-?]*[ -/]*[@-~]")
# C0/C1 controls, soft hyphen, zero-width and bidirectional-override characters.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f"
    "\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
# Zero-width (non-)joiners matter in some scripts; beside ASCII they are residue.
_STRAY_JOINERS = re.compile("[\u200c\u200d](?=[\x00-\x7f])|(?<=[\x00-\x7f])[\u200c\u200d]")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_MOJIBAKE = re.compile(
    r"[ÃÂ][\x80-\xbf\u0152-\u02dc\u2013-\u2122]|â€|Ã[©¨ª«¡¢£¤¥¦§­®¯°±²³´µ¶·¸¹º»¼½¾¿]"
)
_TEMPLATE_COMMENT = re.compile(r"<!--.*?-->|\{\{[^{}\n]*\}\}|\{%[^%\n]*%\}", re.DOTALL)
_LEFTOVER_TAG = re.compile(
    r"</?(?:p|br|div|span|b|i|u|em|strong|a|font|small|sup|sub|hr|img)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_ODD_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_DOUBLE_SPACES = re.compile("  +")
# Characters that send a text through the markup and escape steps (one fast scan).
_MARKUP_OR_CONTROL = re.compile("[\r\x1b&<{]")
# Any character that one of the character steps below would change.
_UNUSUAL_CHARS = (
    "\x00-\x09\x0b-\x1f\x7f-\x9f\u00a0\u00ad\u00b4\u02bc\u1680\u2000-\u200f\u2028-\u202f"
    "\u2032\u2033\u201b\u201f\u205f\u2060\u2066-\u2069\u3000\ufeff\uff02\uff07"
)
_UNUSUAL = re.compile(f"[{_UNUSUAL_CHARS}]")
# Either kind, in one scan: most texts need neither step.
_NEEDS_WORK = re.compile(f"[\r\x1b&<{{{_UNUSUAL_CHARS}]")
_ODD_QUOTES = re.compile("[\u00b4\u2032\u2033\u201b\u201f\u02bc\uff02\uff07]")
_QUOTES = {
    "\u00b4": "'",
    "\u2032": "'",
    "\u2033": '"',
    "\u201b": "\u2018",
    "\u201f": "\u201c",
    "\u02bc": "\u2019",
    "\uff02": '"',
    "\uff07": "'",
}

# Front matter and the Markdown marks a scraper leaves in stored text.
_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\n(?=[\w-]+:)(?:[^\n]*\n){0,300}?---[ \t]*(?:\n|\Z)")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*(?:-{3,}|\*{3,})[ \t]*$", re.MULTILINE)
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:https?://|/)[^)\s]*\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)([^\n]+?)(?<=\S)\1")
_MD_EMPHASIS = re.compile(r"\*(?<![\w*]\*)(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")

# Inline residue: a scraper's joins and a CMS's markers inside story lines.
# One pattern per mark: a literal first character makes the scan fast.
_GLUED_SENTENCES = tuple(
    re.compile(rf"\{mark}(?<=[a-z]{{2}}\{mark})(?=[A-Z\u201c\u2018\"][a-z ])") for mark in ".!?"
)
_GLUED_PAREN = re.compile(r"\)(?<=[\w.]\))(?=[A-Z])")
_SCRIPT_MARK = re.compile(
    r"\[(?:LEAD|REPORT|ANCHOR|REPORTER|STANDUP|SOUNDBITE|INTERVIEW|INTRO|CLOSING)\]"
)
_SLASH_BREAK = re.compile(r" / {1,2}/ ")
_SHORTCODE = re.compile(
    r"\[button\b[^\]\n]*\][^\[\n]{0,200}\[/button\]|\[/?(?:ad_\d+|caption|embed|gallery|video|audio)\b[^\]\n]*\]"
)
_TWEET_THIS = re.compile(r" ?\bclick to tweet\b", re.IGNORECASE)
# A link in brackets inside a story line: "(Click here to read the letter: tmsnrt.rs/1V)".
_LINK_NOTE = re.compile(
    r"\((?:(?:click\s+here|for\s+(?:a|an|the|more)|see|read|related)\b[^()\n]{0,160}"
    r"|(?:https?://)?[\w-]+\.(?:ly|rs|gl|co|me|com|org|net)/[^()\s]{1,60})\)",
    re.IGNORECASE,
)
_END_MARK = re.compile(r"\s*\(END\)[ \t]*$", re.MULTILINE)

_TAIL = 80
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
_WORD = re.compile(r"\w+")

# Words of one or two letters that stand on their own.
_SHORT_WORDS = frozenset(
    "a i am an as at be by do go he if in is it me my no of oh on or ok so to up us we".split()
)
# What a word broken at a line end leaves on the next line: never a word alone.
_WORD_ENDINGS = frozenset(
    "d s ed es ing ings ion ions tion tions sion sions ment ments ly ary ity ities "
    "ness ers ist ists ism ive ives ous ful ally ial ical ence ance ency ancy ized ised "
    "ization isation ation ations ology ologies".split()
)
# Prefixes whose hyphen is part of the word (re-entry, co-operate, non-state).
_KEEP_HYPHEN = frozenset(
    "re co non pre post anti ex self cross multi semi sub inter intra "
    "counter long short high low well full half state mid".split()
)
# Second halves that make a hyphenated compound (Russian-made, missile-related).
_COMPOUND_TAILS = frozenset(
    "made based related led owned run term range scale level time old free like style "
    "wide known up off out in on over down born sized class speed backed linked built "
    "designed funded year month week day hour".split()
)


# ---------------------------------------------------------------- junk lines
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

# A line of dates, times and "Updated"/"Published" words only.
_TIMESTAMP = re.compile(
    r"""(?:(?:
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
      | \d{1,4}(?!\d)(?:[:/.\-]\d{1,4}(?!\d)){0,2}(?:st|nd|rd|th|h|[ap]m)?\b
      | [ap]\.?m\b\.? | (?:gmt|utc|[ecmp][sd]t|bst|cest?|kst|jst|ist|et|pt)\b
      | \d+\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?)\s+ago\b
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


def clean_text(text: str, site_junk: Iterable[str] = ()) -> str:
    """Clean `text` into paragraphs separated by blank lines."""
    return "\n\n".join(clean_paragraphs(text, site_junk))


def clean_paragraphs(text: str, site_junk: Iterable[str] = ()) -> list[str]:
    """The cleaned paragraphs of `text`."""
    return finish_paragraphs(story_blocks(text), site_junk)


def story_blocks(text: str) -> list[list[str]]:
    """Normalised text as blocks of lines, with the generic junk lines gone."""
    text = repair_inline(unmark(normalise_characters(text)))
    split = drop_related_lists([_lines(block) for block in _BLANK_LINES.split(text)])
    short = (line for lines in split for line in lines if len(line) <= MAX_PHRASE_LINE)
    hints = phrase_hints_in("\n".join(short))
    blocks = []
    for block in split:
        lines = [line for line in block if not _is_junk(line, hints)]
        if len(lines) == 1 and is_lone_label(lines[0]):
            continue
        if lines:
            blocks.append(lines)
    return blocks


def finish_paragraphs(blocks: list[list[str]], site_junk: Iterable[str] = ()) -> list[str]:
    """Site junk out and broken lines joined: the finished paragraphs."""
    junk = frozenset(line_key(line) for line in site_junk)
    vocabulary = Vocabulary(blocks)
    paragraphs: list[str] = []
    for lines in blocks:
        kept = [line for line in lines if not _is_known_junk(line, junk)] if junk else lines
        if len(kept) == 1:
            paragraphs.append(kept[0])
        elif kept:
            paragraphs.extend(join_broken_lines(kept, vocabulary))
    return paragraphs


def _is_known_junk(line: str, junk: frozenset[str]) -> bool:
    """is_site_junk for a line from story_blocks, whose spaces are already tidy."""
    return len(line) <= MAX_SITE_LINE and line.lower() in junk


def normalise_characters(text: str) -> str:
    """Escapes and controls out, entities decoded, mojibake repaired, NFC, tidy quotes and spaces."""
    busy = _NEEDS_WORK.search(text) is not None
    if busy and _MARKUP_OR_CONTROL.search(text):
        text = _decode_markup(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.isascii():
        text = repair_mojibake(text)
    if busy and _UNUSUAL.search(text):
        text = _strip_controls(text)
        text = _ODD_QUOTES.sub(lambda m: _QUOTES[m.group()], text)
        text = _ODD_SPACES.sub(" ", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _DOUBLE_SPACES.sub(" ", text) if "  " in text else text


def _decode_markup(text: str) -> str:
    """Escapes, template comments, entities and leftover tags out."""
    if "\x1b" in text:
        text = _ESCAPES.sub("", text)
    if "<!--" in text or "{{" in text or "{%" in text:
        text = _TEMPLATE_COMMENT.sub("", text)
    text = _decode_entities(text)
    if "<" in text:
        text = _LEFTOVER_TAG.sub(" ", text)
    return text


def _decode_entities(text: str) -> str:
    for _ in range(2):  # double-escaped entities such as &amp;#x27;
        if "&" not in text or not _ENTITY.search(text):
            break
        text = unescape(text)
    return text


def _strip_controls(text: str) -> str:
    if "\x9b" in text:
        text = _C1_CSI.sub("", text)
    text = _CONTROLS.sub("", text)
    if "\u200c" in text or "\u200d" in text:
        text = _STRAY_JOINERS.sub("", text)
    return text


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as cp1252/latin-1, line by line where it helps."""
    if not ("Ã" in text or "Â" in text or "â€" in text) or not _MOJIBAKE.search(text):
        return text
    return "\n".join(_repair_line(line) for line in text.split("\n"))


def _repair_line(line: str) -> str:
    try:
        fixed = _as_windows_bytes(line).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return line
    return fixed if len(_MOJIBAKE.findall(fixed)) < len(_MOJIBAKE.findall(line)) else line


def _as_windows_bytes(line: str) -> bytes:
    """The bytes a cp1252 (or, for its gaps, latin-1) decoder turned into `line`."""
    out = bytearray()
    for char in line:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                raise
            out.append(ord(char))
    return bytes(out)


def split_front_matter(text: str) -> tuple[str, str]:
    """A stored page's YAML front matter (without its fences) and the body after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return "", text
    block = match.group().strip()
    return block[3:-3].strip("\n"), text[match.end() :]


def unmark(text: str) -> str:
    """Front matter and Markdown marks out; link and emphasis text kept."""
    if text[:20].lstrip().startswith("---"):
        text = split_front_matter(text)[1]
    if "#" in text and (text.startswith("#") or "\n#" in text):
        text = _MD_HEADING.sub("", text)
    if "---" in text or ("*" in text and "***" in text):
        text = _MD_RULE.sub("", text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))
    if "*" in text or "__" in text:
        text = _MD_EMPHASIS.sub(r"\1", _MD_STRONG.sub(r"\2", text))
    return text


def repair_inline(text: str) -> str:
    """Spaces back between glued sentences; CMS markers and shortcodes out."""
    for mark, glued in zip(".!?", _GLUED_SENTENCES, strict=True):
        if mark == "." or mark in text:
            text = glued.sub(r"\g<0> ", text)
    if ")" in text:
        text = _GLUED_PAREN.sub(") ", text)
    if "[" in text:
        text = _SHORTCODE.sub("", _SCRIPT_MARK.sub(_script_mark_break, text))
    text = _SLASH_BREAK.sub("\n\n", text)
    if "weet" in text:
        text = _TWEET_THIS.sub("", text)
    if "/" in text and "(" in text:
        text = _LINK_NOTE.sub("", text)
    if "(END)" in text:
        text = _END_MARK.sub("", text)
    return text


def _script_mark_break(match: re.Match[str]) -> str:
    """A broadcast script's [LEAD] or [REPORT] at a sentence start becomes a line break."""
    before = match.string[match.start() - 1 : match.start()]
    return "\n" if before in ("", "\n", ".", "!", "?", '"', "\u201d") else match.group()


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.split("\n") if line.strip()]


def _is_junk(line: str, hints: tuple[str, ...]) -> bool:
    return len(line) <= MAX_JUNK_LINE and is_junk_line(line, hints=hints)


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


class Vocabulary:
    """How often each word occurs in a text, counted the first time it is asked."""

    def __init__(self, blocks: list[list[str]]) -> None:
        self._blocks = blocks
        self._lowered = ""
        self._counts: Counter[str] = Counter()

    def count(self, word: str) -> int:
        """Occurrences of `word` (case ignored) as a whole word."""
        return self._word_counts()[word.lower()]

    def has_hyphenated(self, first: str, second: str) -> bool:
        """True when the text also writes `first-second` with its hyphen."""
        self._word_counts()
        return f"{first}-{second}".lower() in self._lowered

    def _word_counts(self) -> Counter[str]:
        if not self._lowered:
            self._lowered = "\n".join("\n".join(lines) for lines in self._blocks).lower()
            self._counts = Counter(_WORD.findall(self._lowered))
        return self._counts


def join_broken_lines(lines: list[str], vocabulary: Vocabulary | None = None) -> list[str]:
    """Merge lines a scraper broke mid-sentence; return the resulting paragraphs."""
    words = vocabulary or Vocabulary([lines])
    paragraphs = [[lines[0]]]
    tail = lines[0][-_TAIL:]  # the end of the paragraph so far: all a decision looks at
    for line in lines[1:]:
        glue = _glue(tail, line, words)
        if glue is None:
            paragraphs.append([line])
            tail = line[-_TAIL:]
            continue
        parts = paragraphs[-1]
        if glue == "-":
            parts[-1] = parts[-1][:-1]
            tail, glue = tail[:-1], ""
        parts += [glue, line]
        tail = (tail + glue + line)[-_TAIL:]
    return ["".join(parts) for parts in paragraphs]


def _glue(before: str, after: str, words: Vocabulary) -> str | None:
    """How to join two lines: '' (inside a word), ' ', '-' (drop hyphen) or None (keep apart)."""
    if not after[0].islower() or _ends_sentence(before):
        return None
    first = _first_word(after)
    if before.endswith("-") and before[-2:-1].isalpha():
        return _hyphen_glue(_last_word(before[:-1]), first, words)
    last = _last_word(before)
    if last and first and _is_split_word(last, first, words):
        return ""
    return " "


def _hyphen_glue(prefix: str, rest: str, words: Vocabulary) -> str:
    """'' keeps the hyphen (re-entry), '-' drops it (tech- nology -> technology)."""
    if not prefix or not rest or words.has_hyphenated(prefix, rest):
        return ""
    if words.count(prefix + rest) > 0 or rest.lower() in _WORD_ENDINGS:
        return "-"
    keep = (
        prefix.lower() in _KEEP_HYPHEN
        or rest.lower() in _COMPOUND_TAILS
        or not prefix.islower()
        or prefix.isdigit()
    )
    return "" if keep else "-"


def _is_split_word(last: str, first: str, words: Vocabulary) -> bool:
    """True when `last` + `first` is one word a line break cut in two."""
    if not last.isalpha() or not last.islower():
        return False
    if first in _WORD_ENDINGS or _is_fragment(last) or _is_fragment(first):
        return True
    joined = words.count(last + first)
    return joined > 0 and (words.count(last) <= 1 or words.count(first) <= 1)


def _last_word(text: str) -> str:
    match = re.search(r"(\w+)$", text)
    return match.group(1) if match else ""


def _first_word(text: str) -> str:
    match = _WORD.match(text)
    return match.group() if match else ""


def _ends_sentence(line: str) -> bool:
    return line.rstrip("\"'”’)]").endswith((".", "!", "?", ":", ";"))


def _is_fragment(word: str) -> bool:
    return word.islower() and len(word) <= 2 and word not in _SHORT_WORDS


def lead_with_title(title: str, text: str) -> str:
    """The text with its title as the first paragraph, and only once."""
    title = " ".join(unmark(normalise_characters(title)).split())
    if not title:
        return text
    paragraphs = [p for p in text.split("\n\n") if p and not _is_title_copy(p, title)]
    if paragraphs:
        paragraphs[0] = drop_glued_headline(title, paragraphs[0])
    return "\n\n".join([title, *(p for p in paragraphs if p)])


def _is_title_copy(paragraph: str, title: str) -> bool:
    """The headline again, perhaps with a date after it ("Storm hits coast 03/31/16")."""
    if not paragraph.lower().startswith(title.lower()):
        return False
    rest = paragraph[len(title) :].strip()
    return not rest or is_timestamp(rest)


_SITE_WORD = r"(?:[A-Z0-9][\w.&'’-]*|of|the|and|on|for)"
_SITE_SUFFIX = re.compile(rf"\s+[|\-\u2013\u2014]\s+{_SITE_WORD}(?:\s+{_SITE_WORD}){{0,3}}\s*$")


def trim_site_suffix(title: str) -> str:
    """'Story told in four words – The Hill' -> the story part; short titles stay whole."""
    match = _SITE_SUFFIX.search(title)
    if not match or len(title[: match.start()].split()) < 4:
        return title
    return title[: match.start()].rstrip()


# What follows a headline glued to the story: a note, a byline or a dateline.
_AFTER_HEADLINE = re.compile(
    r"\s*(?:[(\[]|By\s+[A-Z]|[A-Z]{2,}[A-Z .'-]*,|[A-Z][a-z]+(?:\s[A-Z][a-z]+)*\s\(\w+\)\s[-\u2013\u2014])"
)
_EDITOR_NOTE = re.compile(r"\s*\((?:ATTN|EDS?|EDITORS?)\b[^)]*\)\s*", re.IGNORECASE)
_GLUED_BYLINE = re.compile(
    r"\s*By\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}\s+(?=[A-Z]{2,}[A-Z .'-]*,)"
)


def _ends_headline(title: str, rest: str) -> bool:
    """True when `rest` starts a new part (note, byline, dateline) or is glued on without a space."""
    glued = (title[-1].isdigit() and rest[0].isalpha()) or (
        title[-1].islower() and rest[0].isupper()
    )
    return glued or bool(_AFTER_HEADLINE.match(rest))


def drop_glued_headline(title: str, paragraph: str) -> str:
    """The paragraph without a slug + headline + byline that a scraper glued to its start."""
    if title.count(" ") < 2:
        return paragraph
    at = paragraph.lower().find(title.lower(), 0, len(title) + 150)
    prefix, rest = paragraph[:at], paragraph[at + len(title) :]
    if at < 0 or ". " in prefix or not rest or not _ends_headline(title, rest):
        return paragraph
    note = _EDITOR_NOTE.match(rest)
    rest = rest[note.end() :] if note else rest
    byline = _GLUED_BYLINE.match(rest)
    rest = rest[byline.end() :] if byline else rest
    return rest.strip() or paragraph
