"""The engine of desk: feeds, articles, watchlists, matching and the store.

Nothing in this package imports textual; the TUI and the headless commands
are two thin fronts on it.
"""
