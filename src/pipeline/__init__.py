"""baotinh: the archive of Vietnam's provincial press (the library, usable without Scrapy).

The public API, for a REPL or a notebook::

    >>> from pipeline import extract_article, load_registry
    >>> site = load_registry().get("baohaiduong")
    >>> record = extract_article(html, "https://baohaiduong.vn/...", site=site)  # doctest: +SKIP
    >>> record.published_at, record.author  # doctest: +SKIP

- :func:`extract_article` (``pipeline.extract``): one HTML page in, one :class:`ArticleRecord` out;
- :func:`load_registry` (``pipeline.registry``): the provincial papers as data;
- :class:`SearchQuery` and ``pipeline.search.search(session, query)``: full-text search of an
  archive (the function keeps its room's name: ``pipeline.search`` is the room itself);
- :func:`export_articles`, :class:`ExportOptions` (``pipeline.export``): datasets with manifests.

The names load on first use, so ``import pipeline`` stays cheap and a module that needs only
``pipeline.text`` (the extraction workers) never pulls in SQLAlchemy or pyarrow.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pipeline.export import ExportOptions, export_articles
    from pipeline.extract import extract_article
    from pipeline.record import ArticleRecord
    from pipeline.registry import load_registry
    from pipeline.search import SearchQuery

_LAZY = {
    "ArticleRecord": "pipeline.record",
    "extract_article": "pipeline.extract",
    "load_registry": "pipeline.registry",
    "SearchQuery": "pipeline.search",
    "export_articles": "pipeline.export",
    "ExportOptions": "pipeline.export",
}

__all__ = ["ArticleRecord", "ExportOptions", "SearchQuery", "__version__", "export_articles",
           "extract_article", "load_registry"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
