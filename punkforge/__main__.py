"""`python -m punkforge` runs the CLI."""

from punkforge.cli import main

main()
