"""Settings: settings.yaml and feeds.yaml as typed values, and YAML read safely with positions.

Owns `config` (the `Settings` model, feeds.yaml, the config and data
folders) and `yamlio` (safe YAML with line and column for every error),
which the match stage uses for watchlists too. Imports no stage.
"""
