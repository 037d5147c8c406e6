"""The one news spider: discovery from sitemaps, feeds and section listings, driven by data.

A registered site brings its URL patterns from the registry; a site that is not registered
(``-a url=…``) is discovered generically (feeds and sitemaps from the page and robots.txt, links
classified by URL shape, pages by their markup). Either way the spider only fetches and
discovers: every article response goes to :mod:`pipeline` as a :class:`FetchedPage`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
import scrapy.exceptions
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from pipeline import discover
from pipeline.archive import db as archive_db
from pipeline.archive.versions import WithdrawnPage, is_home_redirect
from pipeline.config import load_settings
from pipeline.crawling import frontier, ledger
from pipeline.crawling.workers import FetchedPage
from pipeline.registry.load import Site, host_of, load_registry
from pipeline.text.dates import VN_TZ
from pipeline.text.urls import canonicalise_url

# Listing pages read per run at most (sections × pagination); articles are bounded by max_pages.
MAX_LISTING_PAGES = 400
ARTICLE_PRIORITY = 10
FEED_PRIORITY = 20


def localise_site(site: Site, origin: str) -> Site:
    """The site served from ``origin`` (a mirror or a local fixture server).

    URLs move to the origin, and the origin's host becomes an alias, so that records are still
    archived under the site's own domain.
    """
    o = urlsplit(origin)

    def move(url: str) -> str:
        u = urlsplit(url)
        return urlunsplit((o.scheme, o.netloc, u.path, u.query, u.fragment))

    host = o.hostname or ""
    return dataclasses.replace(
        site,
        start_urls=tuple(move(u) for u in site.start_urls),
        feeds=tuple(move(u) for u in site.feeds),
        sitemaps=tuple(move(u) for u in site.sitemaps),
        aliases=site.aliases + ((host,) if host and not site.owns_host(host) else ()),
    )


def generic_site(url: str) -> Site:
    """An ad-hoc site for a domain the registry does not know."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    bare = host[4:] if host.startswith("www.") else host
    origin = f"{parts.scheme}://{parts.netloc}"
    return Site(
        id=bare, name=bare, domains=(bare,), scheme=parts.scheme or "https",
        start_urls=(url,),
        feeds=tuple(origin + p for p in discover.COMMON_FEED_PATHS),
        sitemaps=tuple(origin + p for p in discover.COMMON_SITEMAP_PATHS),
        notes="discovered generically (not in the registry)",
    )


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    d = date.fromisoformat(value)
    return datetime(d.year, d.month, d.day, tzinfo=VN_TZ)


class NewsSpider(scrapy.Spider):
    """Crawl one site: ``-a site=ID`` (registry) or ``-a url=URL`` (generic discovery).

    Other arguments: ``origin`` (serve the registered site from another origin, e.g. a local
    mirror), ``max_pages`` (article pages per run), ``since`` (YYYY-MM-DD: skip older items).
    """

    name = "news"

    def __init__(self, site: str | None = None, url: str | None = None,
                 origin: str | None = None, max_pages: str | int | None = None,
                 since: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        settings = load_settings()
        if site:
            registry = load_registry(*settings.registry_paths)
            resolved = registry.get(site)
            self.generic = False
        elif url:
            resolved = generic_site(url)
            self.generic = True
        else:
            raise ValueError("NewsSpider needs -a site=ID or -a url=URL")
        self.site: Site = localise_site(resolved, origin) if origin else resolved
        self.site_id = self.site.id
        self.max_pages = int(max_pages) if max_pages not in (None, "", "0") else None
        self.since = _parse_since(since)
        self.allowed_hosts = set(self.site.all_hosts)
        self.origin = urlsplit(origin) if origin else None
        if origin:
            self.allowed_hosts.add(urlsplit(origin).hostname or "")
        self.seen: set[str] = set()
        self.article_requests = 0
        self.listing_requests = 0
        self.failures: list[tuple[str, str]] = []
        # Incremental crawling (issue 6): what the archive knows of the site, the run's ledger,
        # and the frontier row of each fetched page until its record is stored.
        self.refresh = str(kwargs.get("refresh", "")).lower() in ("1", "true", "yes")
        self.tally = ledger.Tally(self.site_id)
        self.known: dict[str, frontier.FrontierState] = {}
        self.fetch_notes: dict[str, frontier.FetchOutcome] = {}
        self.started_at = datetime.now(UTC)

    # -- start ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self._load_frontier()
        for req in self._start_requests():
            yield req

    def _start_requests(self) -> Iterator[scrapy.Request]:
        """robots.txt alone: whether it answers tells if the server is up at all, and the rest
        of the run (:meth:`_discovery_requests`) follows from its callback or errback."""
        first = self.site.start_urls[0]
        robots = urljoin(first, "/robots.txt")
        yield scrapy.Request(robots, callback=self.parse_robots, errback=self.on_error,
                             priority=FEED_PRIORITY, dont_filter=True,
                             meta={"dont_obey_robotstxt": True, "optional": True})

    def _discovery_requests(self) -> Iterator[scrapy.Request]:
        for url in self.site.sitemaps:
            yield self._sitemap_request(url, optional=True)
        for url in self.site.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error,
                                 priority=FEED_PRIORITY, meta={"optional": self.generic})
        for url in self.site.start_urls:
            self.seen.add(self._key(url))
            yield scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                                 dont_filter=True)
        yield from self._due_requests()

    def _due_requests(self) -> Iterator[scrapy.Request]:
        """Known articles due for a re-check (all with --refresh), linked from anywhere or not.

        Old articles drop off listings and feeds; requesting them from the frontier is how their
        edits, and their withdrawal (404/410, redirect home), are still seen.
        """
        for state in self.known.values():
            if state.url is None or state.outcome in ("robots", "not_article"):
                continue
            if frontier.decide_fetch(state, now=self.started_at, refresh=self.refresh).fetch:
                yield from self._follow_article(state.url, via="frontier")

    def _sitemap_request(self, url: str, *, optional: bool = False) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                              priority=FEED_PRIORITY, meta={"optional": optional})

    # -- discovery --------------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._discovery_requests()
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        for url in discover.parse_robots_sitemaps(text):
            if self._allowed(url) and url not in self.site.sitemaps:
                yield self._sitemap_request(self._route(url))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sitemap = discover.parse_sitemap(response.body)
        for loc, lastmod in sitemap.entries:
            if self.since and lastmod and lastmod < self.since:
                if not sitemap.is_index:
                    self.tally.add("skipped", "before_since", url=loc)
                continue
            if sitemap.is_index:
                if self._allowed(loc):
                    yield self._sitemap_request(self._route(loc))
            else:
                yield from self._follow_article(loc, via="sitemap", changed_at=lastmod)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        for entry in discover.parse_feed(response.body):
            if self.since and entry.published and entry.published < self.since:
                self.tally.add("skipped", "before_since", url=entry.url)
                continue
            # a feed date is a publication date: it can say "newer", not "unchanged"
            yield from self._follow_article(entry.url, via="feed", changed_at=entry.published,
                                            lastmod=False)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        if self.generic and response.url == self.site.start_urls[0]:
            for feed in discover.find_feed_links(response.text, response.url):
                if self._allowed(feed) and self._first_time(feed):
                    yield scrapy.Request(feed, callback=self.parse_feed, errback=self.on_error,
                                         priority=FEED_PRIORITY, meta={"optional": True})
        for href in response.xpath("//a/@href").getall():
            url = self._absolute(response.url, href)
            if url is None or not self._allowed(url):
                continue
            url = self._route(url)
            kind = self._classify(url)
            if kind == "article":
                yield from self._follow_article(url)
            elif kind == "listing" and self.listing_requests < MAX_LISTING_PAGES and self._first_time(url):
                self.listing_requests += 1
                yield scrapy.Request(url, callback=self.parse_listing, errback=self.on_error)

    def _classify(self, url: str) -> str:
        if self.generic:
            return discover.classify_url(url)
        if self.site.is_article_url(url):
            return "article"
        if self.site.is_listing_url(url) and not any(
            re.search(p, url) for p in self.site.exclude_patterns
        ):
            return "listing"
        return "other"

    def _follow_article(self, url: str, *, via: str = "listing", changed_at: datetime | None = None,
                        lastmod: bool = True) -> Iterator[scrapy.Request]:
        if not self._allowed(url):
            return
        url = self._route(url)
        if self._classify(url) != "article":
            return
        if not self._first_time(url):
            return
        self.tally.add("discovered", via, url=url)
        decision = frontier.decide_fetch(self.known.get(frontier.url_key(url)), now=self.started_at,
                                         refresh=self.refresh, changed_at=changed_at, lastmod=lastmod)
        if not decision.fetch:
            self.tally.add("skipped", decision.reason or "not_due", url=url)
            return
        if self.max_pages is not None and self.article_requests >= self.max_pages:
            self.tally.add("skipped", "max_pages", url=url)
            return
        self.article_requests += 1
        meta: dict[str, Any] = {"baotinh_via": via}
        validators = frontier.headers_for(decision)
        if validators:
            meta["baotinh_validators"] = dict(validators)
        yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                             priority=ARTICLE_PRIORITY, meta=meta)

    def _load_frontier(self) -> None:
        """Read what the archive already knows of this site (the spider only reads it)."""
        engine = archive_db.make_engine(load_settings().database_url)
        try:
            archive_db.upgrade(engine)
            with archive_db.make_sessionmaker(engine)() as session:
                self.known = frontier.load_states(session, self.site_id)
        finally:
            engine.dispose()

    def _outcome(self, request_url: str, response: Response | None, outcome: str, *,
                 robots: str = "allowed") -> frontier.FetchOutcome:
        """The frontier row of a page once its fate is known."""
        via = response.meta.get("baotinh_via", "listing") if response is not None else "listing"
        return frontier.FetchOutcome(
            site_id=self.site_id, url=request_url, discovered_via=via,
            fetched_at=datetime.now(UTC), status=response.status if response is not None else 0,
            outcome=outcome, robots=robots,
            etag=header_value(response, b"ETag"), last_modified=header_value(response, b"Last-Modified"),
        )

    # -- articles ---------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterable[Any]:
        redirected = response.request.meta.get("redirect_urls") if response.request else None
        request_url = redirected[0] if redirected else response.url
        self.tally.add("fetched", url=request_url)
        if response.status == 304:
            # conditional GET: the page did not change since our last fetch
            self.tally.add("unchanged", "not_modified", url=request_url)
            return [self._outcome(request_url, response, "unchanged")]
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if ctype and "html" not in ctype:
            self.crawler.stats.inc_value("baotinh/skipped/not_html")
            self.tally.add("skipped", "not_article", url=request_url)
            return [self._outcome(request_url, response, "not_article")]
        if self.generic and isinstance(response, TextResponse):
            kind = discover.classify_page(response.text, response.url)
            if kind.kind != "article":
                self.crawler.stats.inc_value("baotinh/skipped/not_article")
                self.tally.add("skipped", "not_article", url=request_url)
                return [self._outcome(request_url, response, "not_article")]
        if redirected and is_home_redirect(response.url, redirected[0]):
            # An article that now sends readers to the home page was taken down (issue 5).
            reasons = response.meta.get("redirect_reasons") or [301]
            return [self._withdrawn(redirected[0], reasons[0] if isinstance(reasons[0], int) else 301)]
        self.crawler.stats.inc_value("baotinh/article_pages")
        self.fetch_notes[response.url] = self._outcome(request_url, response, "archived")
        headers = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        return [FetchedPage(
            url=response.url, body=response.body, status=response.status, headers=headers,
            fetched_at=datetime.now(UTC), site=self.site,
            request_url=redirected[0] if redirected else None,
            capture=response.meta.get("baotinh_capture"),
        )]

    def _withdrawn(self, url: str, status: int) -> WithdrawnPage:
        self.crawler.stats.inc_value("baotinh/withdrawn")
        canonical = canonicalise_url(url, primary_host=self.site.domain, alias_hosts=self.site.aliases,
                                     scheme=self.site.scheme)
        return WithdrawnPage(url=url, canonical_url=canonical, status=status, at=datetime.now(UTC))

    # -- helpers ----------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> list[WithdrawnPage | frontier.FetchOutcome | scrapy.Request] | None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(IgnoreRequest) and "robots" in (failure.getErrorMessage() or "").lower():
            # RobotsTxtMiddleware refused it: a decision to record, not a failure
            self.tally.add("skipped", "robots", url=url)
            if request is not None and request.callback == self.parse_article:
                return [self._outcome(url, None, "robots", robots="disallowed")]
            return None
        optional = bool(request.meta.get("optional")) if request is not None else False
        reason = failure.getErrorMessage() or getattr(failure.type, "__name__", "error")
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
            if response.status in (404, 410) and request is not None and request.callback == self.parse_article:
                # Gone: a known article is marked withdrawn (never deleted); unknown ones are ignored.
                return [self._withdrawn(request.url, response.status)]
        if url.endswith("/robots.txt") and failure.check(*UNREACHABLE):
            # The first request of a run: when the server cannot be reached at all (after the
            # retries), stop now with one clear failure instead of failing every URL in turn.
            self.crawler.stats.inc_value("baotinh/failed")
            self.failures.insert(0, (self.site.start_urls[0], reason))
            self.logger.error("cannot reach %s: %s", self.site.start_urls[0], reason)
            raise CloseSpider(UNREACHABLE_REASON)
        if url.endswith("/robots.txt"):
            # No robots.txt (404 …) but a server that answers: discovery goes on.
            self.logger.debug("no robots.txt at %s: %s", url, reason)
            return list(self._discovery_requests())
        if optional:
            self.logger.debug("optional %s unavailable: %s", url, reason)
            return None
        self.crawler.stats.inc_value("baotinh/failed")
        self.tally.add("failed", failure_reason(failure, response), url=url)
        if len(self.failures) < 100:
            self.failures.append((url, reason))
        self.logger.warning("failed %s: %s", url, reason)
        return None

    def _absolute(self, base: str, href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            return None
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))

    def _route(self, url: str) -> str:
        """A URL of the site's own domain, fetched from the mirror origin when one is set."""
        if self.origin is None:
            return url
        parts = urlsplit(url)
        if parts.netloc == self.origin.netloc or not self.site.owns_host(parts.hostname or ""):
            return url
        return urlunsplit((self.origin.scheme, self.origin.netloc, parts.path, parts.query, ""))

    def _allowed(self, url: str) -> bool:
        host = host_of(url)
        return host in self.allowed_hosts or self.site.owns_host(host)

    def _key(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(("", parts.netloc.lower(), parts.path.rstrip("/") or "/", parts.query, ""))

    def _first_time(self, url: str) -> bool:
        key = self._key(url)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


# Connection-level failures that mean the whole site is down (DNS, refused, timed out).
# Scrapy ≥ 2.14 wraps Twisted's errors in its own exceptions; older versions raise Twisted's.
UNREACHABLE: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(scrapy.exceptions, name, None) for name in (
        "CannotResolveHostError", "DownloadConnectionRefusedError", "DownloadTimeoutError"))
    if isinstance(cls, type)
) + (DNSLookupError, ConnectionRefusedError, ConnectError, TCPTimedOutError, TimeoutError)
UNREACHABLE_REASON = "unreachable"


def failure_reason(failure: Failure, response: Response | None) -> str:
    """The ledger reason of a failed request: ``http_503``, ``timeout``, ``dns``, …"""
    if response is not None:
        return f"http_{response.status}"
    name = getattr(failure.type, "__name__", "error").lower()
    for word, reason in (("timeout", "timeout"), ("dns", "dns"), ("refused", "refused")):
        if word in name:
            return reason
    return name[:64]


def header_value(response: Response | None, name: bytes) -> str | None:
    """A response header as text, or None."""
    if response is None:
        return None
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
