"""`python -m desk` runs the command line."""

from desk.cli import main

raise SystemExit(main())
