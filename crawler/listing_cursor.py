"""The spider's side of resumable backfill runs (``--backfill``): per paginated listing, start at
the cursor the previous backfill run left, walk on within the run's listing budget, and record
where it stopped (see :mod:`pipeline.crawling.listing`). Off (every method a no-op, every listing
from page 1) for a normal run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from pipeline.crawling import ledger
from pipeline.crawling.listing import (
    DEFAULT_PAGINATION,
    Cursor,
    listing_page,
    load_cursors,
    rebase,
    save_cursors,
)
from pipeline.registry.load import Site

# Ledger metric of a backfill run, and its reasons: listing pages read, listings whose end was
# seen in this run, listings skipped because an earlier run saw their end.
BACKFILL = "backfill"
PAGES_WALKED = "listing_pages"
REACHED_END = "listing_end"
SKIPPED_COMPLETE = "listing_complete"


class ListingCursors:
    """The backfill cursors of one site's run: read at the start, written when the run finishes."""

    def __init__(self, site: Site, *, enabled: bool, tally: ledger.Tally) -> None:
        self.enabled = enabled
        self.site_id = site.id
        self.pagination: tuple[str, ...] = tuple(site.pagination) or DEFAULT_PAGINATION
        self.tally = tally
        self.before: dict[str, Cursor] = {}  # as the previous backfill runs left them
        self.now: dict[str, Cursor] = {}  # moved by this run
        self.skipped: set[str] = set()

    def load(self, sessions: sessionmaker[Session]) -> None:
        if self.enabled:
            with sessions() as session:
                self.before = load_cursors(session, self.site_id)

    def resume(self, url: str) -> list[str]:
        """What to request for a listing link ``url``: itself; the listing's cursor page when
        ``url`` is an earlier page of it; nothing when an earlier run walked the listing to its end."""
        if not self.enabled:
            return [url]
        page = listing_page(url, self.pagination)
        cursor = self.before.get(page.section)
        if cursor is None:
            return [url]
        if cursor.complete:
            if page.section not in self.skipped:
                self.skipped.add(page.section)
                self.tally.add(BACKFILL, SKIPPED_COMPLETE, url=url)
            return []
        return [rebase(cursor.url, url)] if page.number < cursor.page else [url]

    def walked(self, url: str, listings: Sequence[str], articles: int) -> None:
        """A listing page read, with the listing links and the number of article links it has."""
        if not self.enabled:
            return
        self.tally.add(BACKFILL, PAGES_WALKED, url=url)
        page = listing_page(url, self.pagination)
        later = [p for p in (listing_page(u, self.pagination) for u in listings)
                 if p.section == page.section and p.number > page.number]
        known = self.now.get(page.section) or self.before.get(page.section)
        if known is None and page.number == 1 and not later:
            return  # a listing without pages (the home page): read whole by every run
        if known is not None and (known.page > page.number or (known.complete and known.page == page.number)):
            return  # read out of order: the cursor is already deeper
        end = not later or (articles == 0 and page.number > 1)
        if end:
            self.tally.add(BACKFILL, REACHED_END, url=url)
        self.now[page.section] = Cursor(page.section, url, page.number, end)

    def finish(self, sessions: sessionmaker[Session] | None, *, reason: str, run_id: int | None) -> list[str]:
        """Record the new cursors of a run that finished (an interrupted run leaves the old ones,
        so its next run walks again what it may not have archived); the summary's notes."""
        if not self.enabled:
            return []
        notes = [f"backfill {c.section}: {'complete at' if c.complete else 'stopped at'} page {c.page}"
                 for c in sorted(self.now.values(), key=lambda c: c.section)]
        notes += [f"backfill {s}: complete before this run, skipped" for s in sorted(self.skipped)]
        if reason != "finished" or sessions is None:
            return [*notes, f"backfill: run {reason}, cursors not moved"] if self.now else notes
        with sessions() as session, session.begin():
            save_cursors(session, self.site_id, self.now.values(), run_id=run_id, now=datetime.now(UTC))
        return notes
