"""What became of a crawl run, of a whole crawl, and of a page that was not archived.

Pure policy, no I/O: the crawler child decides with these functions, the library and the
ledger read the same values.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pipeline.errors import ExitCode

__all__ = ["COMPLETE_REASONS", "RunStatus", "SkipReason", "crawl_exit_code", "run_status"]


class RunStatus(StrEnum):
    """The final status of one site's crawl run (``crawl_runs.status``)."""

    OK = "ok"  # every fetched page was handled
    PARTIAL = "partial"  # some pages failed, the rest was archived
    FAILED = "failed"  # the site was unreachable, or every page failed
    INTERRUPTED = "interrupted"  # the run stopped early (signal, shutdown, error)


class SkipReason(StrEnum):
    """Why a discovered or fetched page was not archived: the ledger's ``skipped`` reasons."""

    ROBOTS = "robots"
    NOT_ARTICLE = "not_article"
    NOT_HTML = "not_html"  # empty, binary (a NUL byte in the first 2 KB) or not text/html
    TOO_SHORT = "too_short"
    DUPLICATE = "duplicate"
    NOT_DUE = "not_due"
    UNCHANGED = "unchanged"  # the sitemap or feed date is not newer than the archived copy
    BEFORE_SINCE = "before_since"
    MAX_PAGES = "max_pages"
    # extraction raised unexpectedly: a failure, in the ledger as ``failed``/``extract_error:<type>``
    EXTRACT_ERROR = "extract_error"

    @property
    def settles_page(self) -> bool:
        """Whether a fetched page skipped for this reason is done for the frontier.

        A page outside ``--since`` is not: a later run with another ``--since`` must fetch it.
        Nor is a page extraction failed on: a later run (a fixed extractor) must try it again.
        """
        return self not in (SkipReason.BEFORE_SINCE, SkipReason.EXTRACT_ERROR)

    @property
    def is_failure(self) -> bool:
        """Whether the page failed rather than was skipped: the ledger counts it under ``failed``
        (with the exception's type), the run is ``partial``."""
        return self is SkipReason.EXTRACT_ERROR


# Scrapy's finish reasons of a run that ran to its end (or to its page budget).
COMPLETE_REASONS = frozenset({"finished", "closespider_pagecount", "closespider_itemcount"})


def run_status(finish_reason: str, *, fetched: int, failed: int) -> RunStatus:
    """The status of a run from why it finished, its article pages and its failed pages.

    >>> run_status("finished", fetched=10, failed=2)
    <RunStatus.PARTIAL: 'partial'>
    >>> run_status("shutdown", fetched=10, failed=0)
    <RunStatus.INTERRUPTED: 'interrupted'>
    """
    if finish_reason == "unreachable":
        return RunStatus.FAILED
    if finish_reason not in COMPLETE_REASONS:
        return RunStatus.INTERRUPTED
    if failed and fetched == 0:
        return RunStatus.FAILED
    if failed:
        return RunStatus.PARTIAL
    return RunStatus.OK


def crawl_exit_code(statuses: Iterable[RunStatus]) -> int:
    """The exit code of a crawl of several sites: failed when none did anything, partial when
    any site was not ok, else ok."""
    seen = set(statuses)
    if not seen or seen <= {RunStatus.FAILED}:
        return ExitCode.FAILED
    if seen != {RunStatus.OK}:
        return ExitCode.PARTIAL
    return ExitCode.OK
