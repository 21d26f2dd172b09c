"""`python -m graphgrad`: the same command as `graphgrad` (see graphgrad/cli.py)."""
from .cli import main

raise SystemExit(main())
