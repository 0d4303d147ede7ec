"""Stage 1, feeds: from a feed's URL to its items.

Owns HTTP (`fetch`: polite conditional GETs with deadlines, caps and
redirect checks, on desk's own connection pool in `netio`), deciding a
document's charset (`charset`), reading RSS and Atom (`strictxml`, the fast
strict reader, with feedparser behind it in `parse`) and JSON Feed
(`parse`), their dates (`dates`) and text (`text`: where feed text is made
safe and plain), and OPML import and export (`opml`).

Hands on: `models.Item`s (and `FetchResult`s for article pages). Knows
nothing of articles, watchlists or the store.
"""
