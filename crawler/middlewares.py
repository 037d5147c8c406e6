"""Downloader middlewares for scope, politeness and incremental fetching.

- :class:`ScopeMiddleware`: every request, redirect hops included, stays on the spider's
  :class:`SiteScope` (the paper's registered hosts, or the ``--url``/``--origin`` host and port);
  anything else is refused before it is fetched, so it is never archived nor captured.
- :class:`RetryAfterMiddleware`: a 429 or 503 pauses the whole download slot (host) for the time
  the server asks (``Retry-After``, seconds or an HTTP date) or an exponential back-off, before
  Scrapy's RetryMiddleware sends the retry; so no request reaches that host in the meantime. A
  wait longer than ``BAOTINH_RETRY_AFTER_MAX`` is cut to it, logged, counted and put in the ledger.
- :class:`ConditionalGetMiddleware`: adds ``If-None-Match`` / ``If-Modified-Since`` from the
  validators the spider put in ``request.meta["baotinh_validators"]`` and lets a 304 through to
  the callback.
- :class:`MetaRefreshMiddleware`: Scrapy's, without decoding every page to look for a tag that
  almost none has.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as _ScrapyMetaRefresh
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import call_later

from pipeline.crawling import ledger
from pipeline.crawling.retry_after import parse_retry_after
from pipeline.text.urls import encode_host, host_port, strip_host_prefix

log = logging.getLogger(__name__)

DEFAULT_PORTS = frozenset({80, 443})


@dataclass(frozen=True, slots=True)
class SiteScope:
    """Where one crawl may fetch: registered hosts on the default ports, origins exactly.

    ``hosts`` are a paper's domains, legacy aliases and media hosts as the registry names them
    (``www.`` and mobile prefixes aside), reached on port 80 or 443 only; ``origins`` are
    (host, port) pairs fetched on that port alone: the ``--url`` host, a ``--origin`` mirror.

    >>> scope = SiteScope(frozenset({"baohaiduong.vn"}), frozenset({("127.0.0.1", 8123)}))
    >>> [scope.allows(u) for u in ("https://www.baohaiduong.vn/a", "http://baohaiduong.vn:8080/a",
    ...                            "http://127.0.0.1:8123/a", "http://127.0.0.1:8124/a", "http://[::1")]
    [True, False, True, False, False]
    """

    hosts: frozenset[str] = frozenset()
    origins: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def of(cls, hosts: tuple[str, ...] = (), origins: tuple[str, ...] = ()) -> SiteScope:
        """The scope of registered ``hosts`` and of the origins of the URLs ``origins``."""
        pairs = {hp for hp in (host_port(u) for u in origins) if hp is not None}
        return cls(frozenset(strip_host_prefix(encode_host(h)) for h in hosts), frozenset(pairs))

    def allows(self, url: str) -> bool:
        """Whether ``url`` may be fetched (its host, and its port, are in scope)."""
        hp = host_port(url)
        if hp is None:
            return False
        if hp in self.origins:
            return True
        return hp[1] in DEFAULT_PORTS and strip_host_prefix(hp[0]) in self.hosts


class NotFetched(IgnoreRequest):
    """A request the crawl refused itself: not a failure of the site, not an outcome of a page."""


class OffsiteRequest(NotFetched):
    """A request refused because its URL is out of the crawl's scope (never fetched)."""


class OffsiteRedirect(OffsiteRequest):
    """A redirect hop that leaves the crawl's scope: ``first_url`` is the URL that redirected."""

    def __init__(self, url: str, first_url: str) -> None:
        super().__init__(f"redirect out of scope: {first_url} -> {url}")
        self.url = url
        self.first_url = first_url


class ScopeMiddleware:
    """Refuse every request outside the spider's ``scope`` (a :class:`SiteScope`).

    Placed before Scrapy's RobotsTxtMiddleware, so not even the robots.txt of an off-site host is
    fetched; redirect hops come back through ``process_request`` like any new request.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        scope: SiteScope | None = getattr(self.crawler.spider, "scope", None)
        if scope is None or scope.allows(request.url):
            return
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("baotinh/offsite")
        hops = request.meta.get("redirect_urls")
        if hops:
            log.warning("not following %s out of the site (redirected from %s)", request.url, hops[0])
            raise OffsiteRedirect(request.url, hops[0])
        log.debug("not fetching %s: out of the site", request.url)
        raise OffsiteRequest(f"out of scope: {request.url}")

BACKOFF_CODES = frozenset({429, 503})


class RetryAfterMiddleware:
    """Pause a host's download slot on 429/503 for ``Retry-After`` (or a back-off) seconds.

    The pause is set from the ``response_downloaded`` signal, which Scrapy sends before it frees
    the slot and dispatches the next queued request; setting it later (in ``process_response``)
    would let one more request through.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.base = settings.getfloat("BAOTINH_BACKOFF_BASE", 1.0)
        self.max_wait = settings.getfloat("BAOTINH_RETRY_AFTER_MAX", 300.0)
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        mw = cls(crawler)
        crawler.signals.connect(mw.response_downloaded, signal=signals.response_downloaded)
        return mw

    def wait_for(self, response: Response, request: Request) -> float:
        """How long to leave the host alone after this response (at most ``max_wait``)."""
        raw = response.headers.get(b"Retry-After")
        asked = parse_retry_after(raw.decode("latin-1") if raw else None)
        if asked is None:
            asked = self.base * (2 ** int(request.meta.get("retry_times", 0)))
        if asked > self.max_wait:
            self._capped(request, asked)
            return self.max_wait
        return asked

    def _capped(self, request: Request, asked: float) -> None:
        """Log, count and put in the ledger a wait cut to ``max_wait``."""
        log.warning("%s asked for a %.0f s pause: waiting %.0f s (BAOTINH_RETRY_AFTER_MAX)",
                    request.url, asked, self.max_wait)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("baotinh/retry_after_capped")
        tally: ledger.Tally | None = getattr(self.crawler.spider, "tally", None)
        if tally is not None:
            tally.add(ledger.BUDGET, ledger.RETRY_AFTER_CAPPED, url=request.url)

    def response_downloaded(self, response: Response, request: Request, spider: Spider | None = None) -> None:
        if response.status not in BACKOFF_CODES:
            return
        wait = self.wait_for(response, request)
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"baotinh/backoff/{response.status}")
        self._pause_slot(request, wait)
        log.info("%s answered %d: leaving the host alone for %.1f s", request.url, response.status, wait)

    def _pause_slot(self, request: Request, wait: float) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        until = time.monotonic() + wait
        if until <= self.paused_until.get(key, 0.0):
            return
        self.paused_until[key] = until
        if slot.latercall is not None:
            slot.latercall.cancel()

        def resume() -> None:
            slot.latercall = None
            downloader._process_queue(slot)  # Scrapy's own resumption path (private in 2.19)

        # While latercall is set, Scrapy's Downloader dispatches nothing from this slot.
        slot.latercall = call_later(wait, resume)


class ConditionalGetMiddleware:
    """Conditional GET for known pages: send the validators, accept a 304 in the callback."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        validators: dict[str, str] | None = request.meta.get("baotinh_validators")
        if not validators:
            return
        for name, value in validators.items():
            if value and name.encode() not in request.headers:
                request.headers[name] = value
        allowed = list(request.meta.get("handle_httpstatus_list", ()))
        if 304 not in allowed:
            request.meta["handle_httpstatus_list"] = [*allowed, 304]
        return

    def process_response(self, request: Request, response: Response) -> Any:
        if response.status == 304 and self.crawler.stats is not None:
            self.crawler.stats.inc_value("baotinh/not_modified")
        return response


# Scrapy reads a meta refresh in the first 4,096 characters: at most 16 KiB of UTF-8.
META_REFRESH_WINDOW = 4 * 4096


def may_refresh(body: bytes) -> bool:
    """Whether a page can hold a ``<meta http-equiv="refresh">`` where Scrapy looks for one.

    Exact for every ASCII-compatible encoding (the word is ASCII); a body with NUL bytes near the
    start (UTF-16/32) is always handed to Scrapy.
    """
    head = body[:META_REFRESH_WINDOW]
    return b"refresh" in head.lower() or b"\x00" in head[:512]


class MetaRefreshMiddleware(_ScrapyMetaRefresh):
    """Scrapy's meta-refresh redirects, minus the cost of decoding each 80 KB page to text.

    Scrapy's middleware decodes the whole body (``response.text``) of every HTML response to
    search its first 4,096 characters; the crawler never needs that text (extraction works on
    the bytes, in another process), so a byte search for "refresh" decides first.
    """

    def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        if not may_refresh(response.body):
            return response
        return super().process_response(request, response)
