"""The `desk` command: the parser in `parser`, `main` in `main`, one module per command family.

`start` (the TUI, `desk demo`, `desk init`), `poll`, `check` (`desk match`,
`desk extract`, `desk check`), `export` and `feeds` (health and OPML).
Every command takes --config, --data and --watchlists; bad input ends in
one line naming the file and place, never a traceback.
"""
