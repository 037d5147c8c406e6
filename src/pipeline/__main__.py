"""``python -m pipeline`` is ``baotinh``."""

from pipeline.cli import main

main()
