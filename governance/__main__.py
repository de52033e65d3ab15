"""`python -m governance` runs the CLI."""

from governance.cli import main

main()
