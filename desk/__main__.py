"""`python -m desk` runs the command line."""

from desk.cli.main import main

raise SystemExit(main())
