"""Stage 3, match: from an article's text to the watchlist hits that explain an alert.

Owns the watchlist files (`watchlists`: YAML with positions compiled into
`models.Watchlist`), the matcher (`matcher`: stems, word order, fuzzy
stems, groups, weights, context and exclusions, RE2), hot reload of an
edited folder (`reload`), and running new watchlists over stored articles
(`rematch`, which alone here reads the store).

Hands on: `models.Hit`s. Knows nothing of feeds; only `rematch` knows the store.
"""
