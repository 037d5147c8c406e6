"""Extraction cost on the same pages: baotinh vs trafilatura alone vs news-please vs newspaper4k.

Each extractor runs over the same sample in one process, after a warm-up page; wall and CPU
milliseconds per page are the medians over the sample. Peers are imported only if installed
(``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import os
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


def aeb_folder() -> Path:
    """The public benchmark's dev pages: ``BAOTINH_AEB_DIR``, else ``shared/`` beside the checkout."""
    named = os.environ.get("BAOTINH_AEB_DIR")
    return Path(named) if named else Path(__file__).resolve().parents[2] / "shared" / "extract-bench" / "aeb-dev"


def aeb_cpu_ratio(runs: int) -> tuple[float, ...] | None:
    """baotinh's CPU ÷ trafilatura's (the benchmark's call) over the AEB pages, once per run;
    ``None`` when the pages are absent. The generic path: no site, so no registry hints."""
    folder = aeb_folder()
    if not (folder / "ground-truth.json").is_file():
        return None
    import trafilatura

    from pipeline.extract.aeb import load_aeb

    pages = [(p.html, p.url) for p in load_aeb(folder)]
    ours = _baotinh(None)

    def theirs(body: bytes, url: str) -> object:
        return trafilatura.extract(body.decode("utf-8", errors="replace"), url=url, include_comments=False)

    ratios = []
    for _ in range(runs):
        ratios.append(total_cpu(ours, pages) / total_cpu(theirs, pages))
    return tuple(ratios)


def total_cpu(fn: Extractor, pages: list[tuple[bytes, str]]) -> float:
    """CPU seconds ``fn`` takes over all ``pages`` (after a warm-up page)."""
    fn(*pages[0])
    start = time.process_time()
    for body, url in pages:
        fn(body, url)
    return time.process_time() - start
