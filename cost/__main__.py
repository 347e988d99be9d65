"""`python -m cost` runs the command line interface."""

from cost.cli.main import main

main()
