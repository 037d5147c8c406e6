"""A fetched page that is not archived, and why: a ``DropItem`` that carries its ledger reason."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from pipeline.crawling.status import SkipReason

__all__ = ["SkippedPage", "skip_reason_of"]


class SkippedPage(DropItem):
    """Raised by an item pipeline for a page without a record to archive.

    ``reason`` is what the ledger and the frontier record; the message is for the log only.
    """

    def __init__(self, reason: SkipReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def skip_reason_of(exception: BaseException) -> SkipReason:
    """The reason a page was dropped: its own, or ``not_article`` for any other drop."""
    if isinstance(exception, SkippedPage):
        return exception.reason
    return SkipReason.NOT_ARTICLE
