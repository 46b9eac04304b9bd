"""`python -m chipcmp`."""

from chipcmp.cli import main

main()
