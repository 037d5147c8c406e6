"""The two archives by name, and the backfill wired to the WARC import (the one ingest path)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.backfill.commoncrawl import DEFAULT_DATA_URL, DEFAULT_INDEX_URL, CommonCrawlSource
from pipeline.backfill.listing import ArchiveSource
from pipeline.backfill.politeness import PoliteClient, Politeness
from pipeline.backfill.run import BackfillOptions, BackfillResult, run_backfill
from pipeline.backfill.wayback import DEFAULT_CDX_URL, DEFAULT_REPLAY_URL, WaybackSource
from pipeline.config import Settings
from pipeline.errors import InputError
from pipeline.registry.load import Registry

__all__ = ["SOURCES", "make_source", "run_with_import"]

SOURCES = ("wayback", "commoncrawl")


def make_source(name: str, politeness: Politeness, *, cdx_url: str | None = None,
                replay_url: str | None = None, collections: Sequence[str] = ()) -> tuple[ArchiveSource, str]:
    """The archive called ``name`` with its endpoints (the real ones unless given), and its index URL."""
    client = PoliteClient(politeness)
    if name == "wayback":
        cdx = cdx_url or DEFAULT_CDX_URL
        return WaybackSource(client, cdx_url=cdx, replay_url=replay_url or DEFAULT_REPLAY_URL), cdx
    if name == "commoncrawl":
        index = cdx_url or DEFAULT_INDEX_URL
        return CommonCrawlSource(client, index_url=index, data_url=replay_url or DEFAULT_DATA_URL,
                                 collections=tuple(collections)), index
    raise InputError(f"not an archive ({', '.join(SOURCES)}): {name!r}")


def run_with_import(settings: Settings, site_ids: Sequence[str], options: BackfillOptions, *,
                    registry: Registry, source: ArchiveSource, source_url: str,
                    progress: Callable[[str], None] | None = None) -> BackfillResult:
    """:func:`run_backfill` with each fetched capture imported by the WARC import."""
    from pipeline.backfill.handoff import WarcImport

    with WarcImport(settings, registry) as ingest:
        return run_backfill(settings, site_ids, options, registry=registry, source=source,
                            source_url=source_url, ingest=ingest, progress=progress)
