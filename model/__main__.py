"""``python -m model`` runs the command line."""

from .cli import main

main()
