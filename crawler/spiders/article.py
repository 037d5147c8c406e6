"""The request of one article page, as every spider sends it: the way it was found, and the
validators of its last fetch (a conditional GET) when the frontier has them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scrapy

from pipeline.crawling import frontier

__all__ = ["ARTICLE_PRIORITY", "article_request"]

ARTICLE_PRIORITY = 10


def article_request(url: str, via: str, decision: frontier.Decision, *,
                    callback: Callable[..., Any], errback: Callable[..., Any]) -> scrapy.Request:
    """The request of the article at ``url``, found through ``via``."""
    meta: dict[str, Any] = {"baotinh_via": via}
    validators = frontier.headers_for(decision)
    if validators:
        meta["baotinh_validators"] = dict(validators)
    # The spiders de-duplicate articles themselves; Scrapy's filter would also drop a redirect hop
    # back to a URL already requested (a loop), without an errback: unaccounted.
    return scrapy.Request(url, callback=callback, errback=errback, priority=ARTICLE_PRIORITY, meta=meta,
                          dont_filter=True)
