"""A :class:`~pipeline.crawling.protocol.CrawlRequest` turned into what Scrapy runs: settings
and spider arguments. The only place the request's typed politeness becomes Scrapy settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import Settings

from pipeline.crawling.protocol import CrawlRequest
from pipeline.registry.load import Registry

__all__ = ["page_groups", "politeness_settings", "scrapy_settings", "spider_arguments"]

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


def spider_arguments(request: CrawlRequest, registry: Registry | None = None) -> list[dict[str, Any]]:
    """The news spider's arguments, one crawler per registered site, then per URL; for a list of
    pages (``request.pages``), one pages spider per site owning some of them (:func:`page_groups`)."""
    common: dict[str, Any] = {
        "max_pages": request.max_pages,
        "since": request.since.isoformat() if request.since is not None else None,
        "refresh": "1" if request.refresh else "",
    }
    if request.backfill:
        common["backfill"] = "1"
    if request.pages:
        if registry is None:
            from pipeline.config import load_settings
            from pipeline.registry.load import load_registry

            registry = load_registry(*load_settings().registry_paths)
        return [{**group, **common} for group in page_groups(request, registry)]
    return ([{"site": site, "origin": request.origin, **common} for site in request.sites]
            + [{"url": url, **common} for url in request.urls])


def page_groups(request: CrawlRequest, registry: Registry) -> list[dict[str, Any]]:
    """The listed pages by site: the registry site owning each URL's host (legacy domains too),
    a generic site per unknown host, and the ``origin``'s pages for its one site (a mirror).
    Each group is a pages spider's arguments: ``site`` (or ``url``), ``pages`` (one a line)."""
    mirror = request.sites[0] if request.origin and len(request.sites) == 1 else None
    mirror_netloc = urlsplit(request.origin).netloc.lower() if request.origin else None
    groups: dict[tuple[str, str], list[str]] = {}
    for url in request.pages:
        parts = urlsplit(url)
        site = registry.for_url(url)
        if mirror is not None and parts.netloc.lower() == mirror_netloc:
            key = ("site", mirror)
        elif site is not None:
            key = ("site", site.id)
        else:
            key = ("url", f"{parts.scheme}://{parts.netloc}/")
        groups.setdefault(key, []).append(url)
    out: list[dict[str, Any]] = []
    for (kind, value), urls in groups.items():
        group: dict[str, Any] = {kind: value, "pages": "\n".join(urls)}
        if kind == "site" and value == mirror:
            group["origin"] = request.origin
        out.append(group)
    return out
