"""Extraction cost on the same pages: baotinh vs trafilatura alone vs news-please vs newspaper4k.

Each extractor runs over the same sample in one process, after a warm-up page; wall and CPU
milliseconds per page are the medians over the sample. Peers are imported only if installed
(``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.registry.load import Site

Extractor = Callable[[bytes, str], object]


def _baotinh(site: Site | None) -> Extractor:
    from pipeline.extract import extract_article

    return lambda body, url: extract_article(body, url, site=site)


def _trafilatura() -> Extractor:
    import trafilatura

    # Text and metadata, as baotinh needs both.
    return lambda body, url: trafilatura.bare_extraction(body.decode("utf-8"), url=url, with_metadata=True)


def _newsplease() -> Extractor | None:
    try:
        from newsplease import NewsPlease
    except ImportError:
        return None
    return lambda body, url: NewsPlease.from_html(body.decode("utf-8"), url=url, fetch_images=False)


def _newspaper() -> Extractor | None:
    try:
        import newspaper
    except ImportError:
        return None

    def run(body: bytes, url: str) -> object:
        article = newspaper.Article(url, language="vi", fetch_images=False)
        article.download(input_html=body.decode("utf-8"))
        article.parse()
        return article

    return run


def extractors(site: Site | None) -> dict[str, Extractor]:
    out: dict[str, Extractor] = {"baotinh": _baotinh(site), "trafilatura": _trafilatura()}
    for name, make in (("news-please", _newsplease), ("newspaper4k", _newspaper)):
        fn = make()
        if fn is not None:
            out[name] = fn
    return out


def measure(fn: Extractor, pages: list[tuple[bytes, str]]) -> tuple[float, float]:
    """(median wall ms/page, median CPU ms/page) over ``pages``."""
    fn(*pages[0])  # warm caches and lazy imports
    walls, cpus = [], []
    for body, url in pages:
        w, c = time.perf_counter(), time.process_time()
        fn(body, url)
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def load_pages(site_root: Path, origin: str, limit: int) -> list[tuple[bytes, str]]:
    files = sorted(p for p in site_root.glob("*/*.html") if p.parent.name != "chuyen-muc")
    step = max(1, len(files) // limit)
    return [(f.read_bytes(), f"{origin}/{f.relative_to(site_root).as_posix()}") for f in files[::step][:limit]]
