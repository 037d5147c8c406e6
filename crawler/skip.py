"""A fetched page that is not archived, and why: a ``DropItem`` that carries its ledger reason."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from pipeline.crawling.status import SkipReason

__all__ = ["SkipLogFormatter", "SkippedPage", "skip_reason_of"]


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


class SkipLogFormatter(LogFormatter):
    """Scrapy's log formatter, but a skipped page is one INFO line with its URL and reason:
    never the dropped item, whose repr carries the whole page (settings: ``LOG_FORMATTER``)."""

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        if not isinstance(exception, SkippedPage):
            return super().dropped(item, exception, response, spider)
        level = logging.WARNING if exception.reason.is_failure else logging.INFO
        return {"level": level, "msg": "Skipped %(url)s (%(reason)s): %(message)s",
                "args": {"url": getattr(item, "url", "?"), "reason": exception.reason.value,
                         "message": str(exception)}}
