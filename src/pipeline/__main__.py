"""``python -m pipeline`` is ``baotinh``."""

from pipeline.cli.main import main

main()
