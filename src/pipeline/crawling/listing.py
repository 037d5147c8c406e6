"""Backfill cursors: how far resumable backfill runs have walked each paginated listing of a site.

A normal run reads every listing from page 1 until the run's listing budget, newest first. A
backfill run (``baotinh crawl SITE --backfill``) starts each paginated listing (a section) where
the previous backfill run of the site stopped, walks on until the budget, and records the new
position: the deepest page read, and whether the listing's end was seen (no next page, or a page
past the first with no article links). A complete listing is skipped by later backfill runs.

A cursor is a row of the frontier table (no migration): ``url_key`` is ``listing:`` and the
section's key, ``url`` the deepest page read, ``fetch_count`` its page number, ``outcome``
:data:`~pipeline.crawling.frontier.LISTING_OPEN` or ``LISTING_COMPLETE``; it is never due (a
re-check never requests it) and no article key can take its key (those start with ``/``).

>>> listing_page("http://x.vn/xa-hoi?page=7", (r"[?&]page=\\d+",))
ListingPage(section='/xa-hoi', number=7)
>>> listing_page("http://x.vn/xa-hoi/trang-3/", DEFAULT_PAGINATION)
ListingPage(section='/xa-hoi', number=3)
>>> listing_page("http://x.vn/xa-hoi/", DEFAULT_PAGINATION)
ListingPage(section='/xa-hoi', number=1)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive.models import FrontierEntry
from pipeline.crawling.frontier import LISTING_COMPLETE, LISTING_OPEN, url_key

__all__ = [
    "CURSOR_PREFIX",
    "DEFAULT_PAGINATION",
    "Cursor",
    "ListingPage",
    "listing_page",
    "load_cursors",
    "rebase",
    "save_cursors",
]

CURSOR_PREFIX = "listing:"
# Page-number shapes for a site whose registry entry names none (a generic --url site).
DEFAULT_PAGINATION = (r"[?&](?:page|trang|p|pg|paged)=\d+", r"/trang-\d+/?$", r"/page/\d+/?$", r"/p\d+/?$")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class ListingPage:
    """A listing page: its section's key (``path?query`` without the page number) and number."""

    section: str
    number: int


def listing_page(url: str, pagination: Iterable[str]) -> ListingPage:
    """The section and page number of a listing URL (page 1 when no pagination pattern matches)."""
    for pattern in pagination:
        match = re.search(pattern, url)
        digits = _DIGITS.search(match.group()) if match else None
        if match is None or digits is None:
            continue
        rest = url[:match.start()] + url[match.end():]
        if match.group().startswith("?"):  # ?page=2&x=1 → ?x=1
            rest = rest.replace("&", "?", 1) if "?" not in rest else rest
        return ListingPage(_section_key(rest), int(digits.group()))
    return ListingPage(_section_key(url), 1)


def _section_key(url: str) -> str:
    key = url_key(url)
    path, sep, query = key.partition("?")
    return (path.rstrip("/") or "/") + sep + query


def rebase(stored: str, current: str) -> str:
    """``stored`` (a cursor's URL) on the scheme and host of ``current`` (this run's origin)."""
    s, c = urlsplit(stored), urlsplit(current)
    return urlunsplit((c.scheme, c.netloc, s.path, s.query, ""))


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where backfill runs stopped in one listing: its deepest page read, and if it ended there."""

    section: str
    url: str
    page: int
    complete: bool = False


def load_cursors(session: Session, site_id: str) -> dict[str, Cursor]:
    """The site's backfill cursors, by section key."""
    rows = session.execute(select(FrontierEntry.url_key, FrontierEntry.url, FrontierEntry.fetch_count,
                                  FrontierEntry.outcome).where(
        FrontierEntry.site_id == site_id, FrontierEntry.url_key.startswith(CURSOR_PREFIX, autoescape=True),
        FrontierEntry.outcome.in_((LISTING_OPEN, LISTING_COMPLETE)))).all()
    return {key[len(CURSOR_PREFIX):]: Cursor(key[len(CURSOR_PREFIX):], url, int(page or 1), outcome == LISTING_COMPLETE)
            for key, url, page, outcome in rows}


def save_cursors(session: Session, site_id: str, cursors: Iterable[Cursor], *, run_id: int | None,
                 now: datetime) -> int:
    """Insert or update the frontier rows of ``cursors`` (in the caller's transaction); how many."""
    count = 0
    for cursor in cursors:
        key = CURSOR_PREFIX + cursor.section
        row = session.scalars(select(FrontierEntry).where(FrontierEntry.site_id == site_id,
                                                          FrontierEntry.url_key == key)).first()
        if row is None:
            row = FrontierEntry(site_id=site_id, url_key=key, url=cursor.url, discovered_via="listing",
                                first_seen_at=now, fetch_count=0)
            session.add(row)
        row.url, row.fetch_count, row.last_fetched_at = cursor.url, cursor.page, now
        row.outcome = LISTING_COMPLETE if cursor.complete else LISTING_OPEN
        row.next_due_at, row.last_run_id = None, run_id
        count += 1
    session.flush()
    return count
