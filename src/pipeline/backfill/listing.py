"""A site's captures in one archive: every domain listed, page by page, the cursor kept current.

The listing asks the archive's index for each domain the paper ever had (its current domains
and its aliases, the legacy ones), keeps the article captures (the registry's patterns) and
saves the cursor after each index page, so that a killed backfill goes on from the next page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.backfill.cdx import Capture, CdxPage
from pipeline.backfill.cursor import Cursor, ListingState
from pipeline.backfill.memento import Memento
from pipeline.backfill.politeness import PoliteClient
from pipeline.registry.load import Site, host_of

__all__ = ["ArchiveSource", "ListingCounts", "domains_to_list", "list_site"]


class ArchiveSource(Protocol):
    """What the backfill needs of an archive: an index listing and a fetch."""

    client: PoliteClient  # its counts (Retry-After cut short) go to the run's ledger

    @property
    def name(self) -> str: ...

    def list_pages(self, domain: str, *, start: str, end: str,
                   token: str | None = None) -> Iterator[CdxPage]: ...

    def source_key(self, capture: Capture) -> str: ...

    def fetch(self, capture: Capture) -> Memento: ...


@dataclass
class ListingCounts:
    """What the listing saw: index pages asked, captures listed, and those not articles."""

    pages: int = 0
    listed: int = 0
    not_article: int = 0
    by_domain: dict[str, int] = field(default_factory=dict)


def domains_to_list(site: Site) -> list[str]:
    """The site's domains and aliases, bare, without those a listed parent domain covers.

    The index is asked with ``matchType=domain``, which includes subdomains: ``media.x.vn`` is
    listed with ``x.vn``.
    """
    bare = list(dict.fromkeys(host_of(f"http://{h}/") for h in site.all_hosts if h))
    return [d for d in bare if not any(d != p and d.endswith("." + p) for p in bare)]


def list_site(source: ArchiveSource, site: Site, cursor: Cursor, state: ListingState, *,
              start: str, end: str, counts: ListingCounts) -> ListingState:
    """List every domain of ``site`` not yet listed in ``state``; the cursor saved after each page."""
    for domain in domains_to_list(site):
        if domain in state.domains_done:
            continue
        token = state.token if state.domain == domain else None
        state.domain, state.token = domain, token
        for page in source.list_pages(domain, start=start, end=end, token=token):
            counts.pages += 1
            for capture in page.captures:
                counts.listed += 1
                counts.by_domain[domain] = counts.by_domain.get(domain, 0) + 1
                if site.owns_host(host_of(capture.original)) and site.is_article_url(capture.original):
                    state.captures.append(capture)
                else:
                    counts.not_article += 1
            state.token = page.next_token
            cursor.save_listing(state)
        state.domains_done.append(domain)
        state.domain, state.token = None, None
        cursor.save_listing(state)
    state.complete = True
    cursor.save_listing(state)
    return state
