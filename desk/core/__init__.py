"""The engine of desk, in the order the work flows: feeds -> article -> match -> store.

- `feeds/`: HTTP, feed readers (RSS, Atom, JSON Feed), OPML: items;
- `article/`: extraction and cleaning: an article's text;
- `match/`: watchlists and the matcher: hits;
- `store/`: the Store protocol and the crash-safe store;
- `settings/`: settings.yaml, feeds.yaml and safe YAML;
- `models`, `errors`, `safetext` (the boundary for outside text) and
  `decide` (pure decisions) are shared by all; `pipeline` runs one cycle
  through every stage.

Stages talk through the plain data in `models`: `feeds` imports no other
stage, `article` neither `match` nor `store`, `match` neither `store` nor
`feeds`; only `pipeline`, `match.rematch` and the fronts combine stages
(tests/test_layers.py holds this). Nothing here imports textual.
"""
