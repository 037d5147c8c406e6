"""A :class:`~pipeline.crawling.protocol.CrawlRequest` turned into what Scrapy runs: settings
and spider arguments. The only place the request's typed politeness becomes Scrapy settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.settings import Settings

from pipeline.crawling.protocol import CrawlRequest

__all__ = ["politeness_settings", "scrapy_settings", "spider_arguments"]

# A server on this machine (the demo, fixture and bench sites) needs no politeness delay.
_LOCAL_SERVER: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0.0,
    "AUTOTHROTTLE_START_DELAY": 0.0,
    "AUTOTHROTTLE_MAX_DELAY": 1.0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RANDOMIZE_DOWNLOAD_DELAY": False,
}


def politeness_settings(request: CrawlRequest) -> dict[str, Any]:
    """The Scrapy settings of the request's politeness fields (none: the polite defaults).

    >>> politeness_settings(CrawlRequest(delay=0.2))
    {'DOWNLOAD_DELAY': 0.2, 'AUTOTHROTTLE_START_DELAY': 0.2}
    """
    values: dict[str, Any] = dict(_LOCAL_SERVER) if request.local_server else {}
    if request.delay is not None:
        values.update(DOWNLOAD_DELAY=request.delay, AUTOTHROTTLE_START_DELAY=request.delay)
    if request.per_domain_concurrency is not None:
        values["CONCURRENT_REQUESTS_PER_DOMAIN"] = request.per_domain_concurrency
    if not request.autothrottle:
        values["AUTOTHROTTLE_ENABLED"] = False
    return values


def scrapy_settings(request: CrawlRequest, *, log_file: str | None = None, log_level: str = "INFO",
                    overrides: Sequence[str] = ()) -> Settings:
    """The project settings, then the request's, then the log's, then ``NAME=VALUE`` overrides."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(politeness_settings(request), priority="cmdline")
    if request.workers is not None:
        settings.set("BAOTINH_EXTRACT_WORKERS", request.workers, priority="cmdline")
    if log_file:
        settings.set("LOG_FILE", log_file, priority="cmdline")
        settings.set("LOG_FILE_APPEND", True, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    for item in overrides:
        name, _, value = item.partition("=")
        settings.set(name, value, priority="cmdline")
    return settings


def spider_arguments(request: CrawlRequest) -> list[dict[str, Any]]:
    """The news spider's arguments, one crawler per registered site, then per URL."""
    common: dict[str, Any] = {
        "max_pages": request.max_pages,
        "since": request.since.isoformat() if request.since is not None else None,
        "refresh": "1" if request.refresh else "",
    }
    return ([{"site": site, "origin": request.origin, **common} for site in request.sites]
            + [{"url": url, **common} for url in request.urls])
