"""Stage 2, article: from an item and its page to the article's clean text.

Owns extraction (`extract`, run in worker processes with a deadline by
`extractpool`; `document`, `pagemeta` and `pagetext` read a page's text,
title, date and byline) and cleaning (`clean` orders the steps:
`normalise` characters, `residue` of markup, `junklines` of themes and
widgets, `sitejunk` learned per site, `wordbreaks` a scraper made,
`headline` once at the top).

Hands on: `models.Article`s. May use the feeds stage's text helpers; knows
nothing of watchlists or the store.
"""
