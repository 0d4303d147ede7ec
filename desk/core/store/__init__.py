"""Stage 4, store: where items, articles, alerts and feed health are kept.

Owns the `Store` protocol and its in-memory twin (`contract`), the
crash-safe on-disk store (`tinystore`) and the plain-dict forms of the
models it writes (`serial`, which makes what it reads back safe).

Takes: `models` values from the pipeline and the fronts. Knows nothing of
feeds, articles or watchlists beyond those values.
"""
