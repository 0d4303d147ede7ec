"""desk: a terminal monitoring desk for analysts who watch the news for threats."""

__version__ = "0.1.0"
