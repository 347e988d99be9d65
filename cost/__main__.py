"""`python -m cost` runs the command line interface."""

from cost.cli import main

main()
