"""Where the tests' copies of the shared data live (the suite needs nothing outside the repo)."""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "seed.txt"
TSV = DATA / "provincial_newspapers.tsv"
REALPAGES = DATA / "realpages"
GOLDEN_PAGES = Path(__file__).resolve().parent / "golden" / "pages"


def realpage_path(file: str) -> Path:
    """The copy of one file of ``shared/realpages`` (categories here, articles in the golden set)."""
    direct = REALPAGES / file
    if direct.exists():
        return direct
    stem = file.removeprefix("dantri__").removesuffix(".html")
    for page in GOLDEN_PAGES.glob("real_*.html"):
        if stem.startswith(page.stem.removeprefix("real_")):
            return page
    raise FileNotFoundError(file)


def realpages() -> list[tuple[Path, str, str]]:
    """(path, original URL, page type) for each of the 14 real pages."""
    with (REALPAGES / "provenance.tsv").open(encoding="utf-8") as f:
        return [(realpage_path(r["file"]), r["page_url"], r["page_type"])
                for r in csv.DictReader(f, delimiter="\t")]
