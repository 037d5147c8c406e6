"""The one news spider: discovery from sitemaps, feeds and section listings, driven by data.

A registered site brings its URL patterns from the registry; a site that is not registered
(``-a url=…``) is discovered generically (feeds and sitemaps from the page and robots.txt, links
classified by URL shape, pages by their markup). Either way the spider only fetches and
discovers: every article response goes to :mod:`pipeline` as a :class:`FetchedPage`.

It stays on the paper (its :class:`~crawler.middlewares.SiteScope`, enforced for every request and
redirect hop by the scope middleware) and it ends: session ids and cache-busters are dropped
before de-duplication, and sitemap recursion and listing pages have budgets per run, each hit
counted in the ledger.
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

from crawler.headers import header_value
from crawler.listing_cursor import ListingCursors
from crawler.middlewares import NotFetched, OffsiteRedirect, SiteScope
from crawler.robots import adopt_kept_robots
from crawler.spiders.article import article_request
from pipeline import discover
from pipeline.archive import db as archive_db
from pipeline.archive.versions import WithdrawnPage, is_home_redirect
from pipeline.config import load_settings
from pipeline.crawling import frontier, ledger
from pipeline.crawling.status import SkipReason
from pipeline.crawling.workers import FetchedPage
from pipeline.errors import InputError
from pipeline.registry.load import Site, load_registry
from pipeline.text.dates import VN_TZ
from pipeline.text.urls import canonicalise_url, host_port, strip_session_ids

# Budgets per run (settings of the same names override them); articles are bounded by max_pages.
# Listing pages read at most (sections × pagination), and how many links deep from a start URL.
MAX_LISTING_PAGES = 400
LISTING_MAX_DEPTH = 100
# Sitemaps read at most, and how deep sitemap indexes may nest.
MAX_SITEMAPS = 2000
SITEMAP_MAX_DEPTH = 4
# Per kind of discovery request: (setting, default, ledger metric) for its depth, then its count.
BUDGETS: dict[str, tuple[tuple[str, int, str], tuple[str, int, str]]] = {
    "sitemap": (("BAOTINH_SITEMAP_MAX_DEPTH", SITEMAP_MAX_DEPTH, ledger.SITEMAP_DEPTH),
                ("BAOTINH_MAX_SITEMAPS", MAX_SITEMAPS, ledger.SITEMAPS)),
    "listing": (("BAOTINH_LISTING_MAX_DEPTH", LISTING_MAX_DEPTH, ledger.LISTING_DEPTH),
                ("BAOTINH_MAX_LISTING_PAGES", MAX_LISTING_PAGES, ledger.LISTING_PAGES)),
}
# Sitemap entries whose frontier rows are looked up in one query (the frontier is never loaded whole).
PRIME_BATCH = 500
FEED_PRIORITY = 20
# What an errback hands back to Scrapy: pages settled, or more requests.
ErrbackResult = list[WithdrawnPage | frontier.FetchOutcome | scrapy.Request] | None


def localise_site(site: Site, origin: str) -> Site:
    """The site served from ``origin`` (a mirror or a local fixture server).

    URLs move to the origin, and the origin's host and port become an alias, so that records are
    still archived under the site's own domain (and a page from another port is not).
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
        aliases=site.aliases + ((o.netloc.lower(),) if host and not site.owns_host(host) else ()),
    )


def generic_site(url: str) -> Site:
    """An ad-hoc site for a domain the registry does not know (its domain keeps a port that is not
    the default one, so that its canonical URLs do too); :class:`InputError` for a URL that is not
    http(s) with a host, or cannot be parsed (``http://[::1``)."""
    if host_port(url) is None:
        raise InputError(f"not an http(s) URL: {url!r}")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    bare = host[4:] if host.startswith("www.") else host
    port = parts.port
    domain = bare if port is None or port == {"http": 80, "https": 443}.get(parts.scheme) else f"{bare}:{port}"
    origin = f"{parts.scheme}://{parts.netloc}"
    return Site(
        id=bare, name=bare, domains=(domain,), scheme=parts.scheme or "https",
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
        # Where it may fetch: a mirror's origin alone; else the registered hosts, or the --url's.
        self.home = resolved
        self.origin = urlsplit(origin) if origin else None
        self.scope = scope_of(resolved, origin=origin, url=url if self.generic else None)
        self.seen: set[str] = set()
        self.article_requests = 0
        self.listing_requests = 0
        self.sitemap_requests = 0
        self.failures: list[tuple[str, str]] = []
        self.notes: list[str] = []  # what the summary must say that is not a failure
        # Incremental crawling (issue 6): what the archive knows of the site, the run's ledger,
        # and the frontier row of each fetched page until its record is stored.
        self.refresh = str(kwargs.get("refresh", "")).lower() in ("1", "true", "yes")
        self.tally = ledger.Tally(self.site_id)
        self.known: frontier.FrontierLookup | None = None  # looked up per URL, never loaded whole
        self.fetch_notes: dict[str, frontier.FetchOutcome] = {}
        self.started_at = datetime.now(UTC)
        self.listings = ListingCursors(self.site, enabled=str(kwargs.get("backfill", "")) == "1", tally=self.tally)

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
            yield from self._sitemap_requests(url, depth=0, optional=True)
        for url in self.site.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error,
                                 priority=FEED_PRIORITY, meta={"optional": self.generic})
        for start in self.site.start_urls:
            for url in self.listings.resume(start):  # --backfill: from the listing's cursor on
                self.seen.add(self._key(url))
                yield scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                                     dont_filter=True, meta={LISTING_DEPTH_KEY: 0})
        yield from self._due_requests()

    def _due_requests(self) -> Iterator[scrapy.Request]:
        """Known articles due for a re-check (all with --refresh), linked from anywhere or not.

        Old articles drop off listings and feeds; requesting them from the frontier is how their
        edits, and their withdrawal (404/410, redirect home), are still seen.
        """
        assert self.known is not None
        for state in frontier.iter_due(self.known.sessions, self.site_id, now=self.started_at,
                                       refresh=self.refresh):  # streamed in due order
            if state.url is not None:
                yield from self._follow_article(state.url, via="frontier")

    def _sitemap_requests(self, url: str, *, depth: int, optional: bool = False) -> Iterator[scrapy.Request]:
        """The request of a sitemap not read yet, within the run's sitemap budgets."""
        url = strip_session_ids(self._route(url))
        if not self._allowed(url) or not self._first_time(url):
            return
        if self._over_budget(url, depth, self.sitemap_requests, "sitemap"):
            return
        self.sitemap_requests += 1
        yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                             priority=FEED_PRIORITY, meta={"optional": optional, SITEMAP_DEPTH_KEY: depth})

    def _over_budget(self, url: str, depth: int, count: int, kind: str) -> bool:
        """True (and a ledger row) when one more ``kind`` request would pass a run budget."""
        (depth_setting, depth_default, depth_metric), (count_setting, count_default, count_metric) = BUDGETS[kind]
        if depth > self._budget(depth_setting, depth_default):
            self.tally.add(ledger.BUDGET, depth_metric, url=url)
            return True
        if count >= self._budget(count_setting, count_default):
            self.tally.add(ledger.BUDGET, count_metric, url=url)
            return True
        return False

    def _budget(self, name: str, default: int) -> int:
        """A per-run budget: the crawler's setting ``name``, else ``default``."""
        crawler = getattr(self, "crawler", None)
        return crawler.settings.getint(name, default) if crawler is not None else default

    # -- discovery --------------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        yield from self._after_robots(text)

    def _after_robots(self, text: str) -> Iterator[scrapy.Request]:
        """Discovery, once robots.txt (``text``: as fetched, or the last good copy) lets it go."""
        yield from self._discovery_requests()
        for url in discover.parse_robots_sitemaps(text):
            yield from self._sitemap_requests(url, depth=0)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sitemap = discover.parse_sitemap(response.body)
        depth = int(response.meta.get(SITEMAP_DEPTH_KEY, 0)) + 1
        for n, (loc, lastmod) in enumerate(sitemap.entries):
            if n % PRIME_BATCH == 0 and not sitemap.is_index and self.known is not None:  # one query a batch
                self.known.prime(frontier.url_key(strip_session_ids(e.loc))
                                 for e in sitemap.entries[n:n + PRIME_BATCH])
            if self.since and lastmod and lastmod < self.since:
                if not sitemap.is_index:
                    self._before_since(loc, via="sitemap")
                continue
            if sitemap.is_index:
                yield from self._sitemap_requests(loc, depth=depth)
            else:
                yield from self._follow_article(loc, via="sitemap", changed_at=lastmod)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        for entry in discover.parse_feed(response.body):
            if self.since and entry.published and entry.published < self.since:
                self._before_since(entry.url, via="feed")
                continue
            # a feed date is a publication date: it can say "newer", not "unchanged"
            yield from self._follow_article(entry.url, via="feed", changed_at=entry.published,
                                            lastmod=False)

    def _before_since(self, url: str, *, via: str) -> None:
        """An article a sitemap or feed dates before ``--since``: discovered, and skipped."""
        clean = strip_session_ids(url)
        if not self._allowed(clean) or self._classify(self._route(clean)) != "article":
            return
        if self._first_time(self._route(clean)):
            self.tally.add("discovered", via, url=url)
            self.tally.add("skipped", "before_since", url=url)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        if self.generic and response.url == self.site.start_urls[0]:
            for feed in discover.find_feed_links(response.text, response.url):
                if self._allowed(feed) and self._first_time(feed):
                    yield scrapy.Request(feed, callback=self.parse_feed, errback=self.on_error,
                                         priority=FEED_PRIORITY, meta={"optional": True})
        depth, listings, articles = int(response.meta.get(LISTING_DEPTH_KEY, 0)) + 1, [], 0
        for href in response.xpath("//a/@href").getall():
            url = self._absolute(response.url, href)
            if url is None or not self._allowed(url):
                continue
            url = self._route(url)
            kind = self._classify(strip_session_ids(url))
            if kind == "article":
                articles += 1
                yield from self._follow_article(url)
            elif kind == "listing":
                listings.append(strip_session_ids(url))
                for link in self.listings.resume(listings[-1]):
                    yield from self._listing_requests(link, depth=depth)
        self.listings.walked(response.url, listings, articles)

    def _listing_requests(self, url: str, *, depth: int) -> Iterator[scrapy.Request]:
        """The request of a listing page not read yet, within the run's listing budgets."""
        if not self._first_time(url):
            return
        if self._over_budget(url, depth, self.listing_requests, "listing"):
            return
        self.listing_requests += 1
        yield scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                             meta={LISTING_DEPTH_KEY: depth})

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
        clean = strip_session_ids(url)
        if not self._allowed(clean):
            return
        had_session, url = clean != url, self._route(clean)
        if self._classify(url) != "article":
            return
        if not self._first_time(url):
            if had_session:  # the same article again, but for its session id: one request
                self.tally.add(ledger.COLLAPSED, ledger.SESSION_ID, url=url)
            return
        self.tally.add("discovered", via, url=url)
        known = self.known.get(frontier.url_key(url)) if self.known is not None else None
        decision = frontier.decide_fetch(known, now=self.started_at,
                                         refresh=self.refresh, changed_at=changed_at, lastmod=lastmod)
        if not decision.fetch:
            self.tally.add("skipped", decision.reason or "not_due", url=url)
            return
        if self.max_pages is not None and self.article_requests >= self.max_pages:
            self.tally.add("skipped", "max_pages", url=url)
            return
        self.article_requests += 1
        yield article_request(url, via, decision, callback=self.parse_article, errback=self.on_error)

    def _load_frontier(self) -> None:
        """Read what the archive already knows of this site (the spider only reads it)."""
        self.frontier_engine = archive_db.make_engine(load_settings().database_url)
        archive_db.upgrade(self.frontier_engine)
        self.known = frontier.FrontierLookup(archive_db.make_sessionmaker(self.frontier_engine), self.site_id)
        self.listings.load(self.known.sessions)

    def closed(self, reason: str) -> None:
        sessions = self.known.sessions if self.known is not None else None
        self.notes += self.listings.finish(sessions, reason=reason, run_id=getattr(self, "run_id", None))
        if getattr(self, "frontier_engine", None) is not None:
            self.frontier_engine.dispose()

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
            self.tally.add("skipped", SkipReason.NOT_HTML.value, url=request_url)
            return [self._outcome(request_url, response, SkipReason.NOT_HTML.value)]
        if self.generic and isinstance(response, TextResponse):
            kind = discover.classify_page(response.text, response.url)
            if kind.kind != "article":
                self.crawler.stats.inc_value("baotinh/skipped/not_article")
                self.tally.add("skipped", "not_article", url=request_url)
                return [self._outcome(request_url, response, "not_article")]
        if redirected and is_home_redirect(response.url, redirected[0]):
            # An article that now sends readers to the home page was taken down (issue 5).
            reasons = response.meta.get("redirect_reasons") or [301]
            self.tally.add(ledger.WITHDRAWN, "home_redirect", url=request_url)
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
    def on_error(self, failure: Failure) -> ErrbackResult:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(NotFetched):  # out of scope, or the crawl is stopping (a full disk)
            return self._offsite(failure, request)
        if failure.check(IgnoreRequest) and "robots" in (failure.getErrorMessage() or "").lower():
            # RobotsTxtMiddleware refused it: a decision to record, not a failure
            self._count_end(request, "skipped", "robots", url)
            if _is_article(request):
                return [self._outcome(url, None, "robots", robots="disallowed")]
            return None
        optional = bool(request.meta.get("optional")) if request is not None else False
        reason = failure.getErrorMessage() or getattr(failure.type, "__name__", "error")
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
            if response.status in (404, 410) and request is not None and _is_article(request):
                # Gone: a known article is marked withdrawn (never deleted); unknown ones are ignored.
                self.tally.add(ledger.WITHDRAWN, f"http_{response.status}", url=request.url)
                return [self._withdrawn(request.url, response.status)]
        if url.endswith("/robots.txt"):
            return self._robots_failed(failure, url, response, reason)
        if optional:
            self.logger.debug("optional %s unavailable: %s", url, reason)
            return None
        self.crawler.stats.inc_value("baotinh/failed")
        self._count_end(request, "failed", failure_reason(failure, response), url)
        if len(self.failures) < 100:
            self.failures.append((url, reason))
        self.logger.warning("failed %s: %s", url, reason)
        return None

    def _count_end(self, request: scrapy.Request | None, metric: str, reason: str, url: str) -> None:
        """Count how a request ended: an article's outcome under ``metric``; a sitemap's, feed's or
        listing's (not a discovered article) under ``not_followed``, so that the article
        outcomes add up to the articles discovered (:func:`pipeline.crawling.ledger.unaccounted`)."""
        self.tally.add(metric if _is_article(request) else ledger.NOT_FOLLOWED, reason, url=url)

    def _offsite(self, failure: Failure, request: scrapy.Request | None) -> ErrbackResult:
        """A request the scope middleware refused: an off-site redirect is the page's outcome."""
        if not isinstance(failure.value, OffsiteRedirect):
            return None  # a link out of the site that slipped through discovery: not ours
        first = failure.value.first_url
        self._count_end(request, "skipped", ledger.OFFSITE_REDIRECT, first)
        if _is_article(request):
            return [self._outcome(first, None, ledger.OFFSITE_REDIRECT)]
        return None

    def _robots_failed(self, failure: Failure, url: str, response: Response | None,
                       reason: str) -> ErrbackResult:
        """robots.txt did not come: no file (4xx) lets discovery go on; else the run stops.

        RFC 9309 (2.3.1.3, 2.3.1.4): an unavailable robots.txt (404, 403 …) allows everything;
        an unreachable one (server errors, 429, a timeout) disallows everything, so the site is
        not crawled, and the ledger and the summary say ``robots_unreachable``; unless an earlier
        run kept a good copy (crawler.robots): then the crawl obeys it and says so.
        """
        status = response.status if response is not None else None
        if status is not None and status < 500 and status != 429:
            self.logger.debug("no robots.txt at %s: %s", url, reason)
            return list(self._discovery_requests())
        down = status is None and failure.check(*UNREACHABLE) and not failure.check(*TIMEOUTS)
        kept = None if down else adopt_kept_robots(self, url, reason)
        if kept is not None:
            return list(self._after_robots(kept.body.decode("utf-8", "replace")))
        self.crawler.stats.inc_value("baotinh/failed")
        if down:
            # The server cannot be reached at all (after the retries): one clear failure.
            self.failures.insert(0, (self.site.start_urls[0], reason))
            self.logger.error("cannot reach %s: %s", self.site.start_urls[0], reason)
        else:
            self.tally.add("failed", ledger.ROBOTS_UNREACHABLE, url=url)
            self.failures.insert(0, (url, f"{ledger.ROBOTS_UNREACHABLE} ({reason}): nothing crawled"))
            self.logger.error("robots.txt unreachable at %s (%s): not crawling the site (RFC 9309)", url, reason)
        raise CloseSpider(UNREACHABLE_REASON)

    def _absolute(self, base: str, href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            return None
        try:
            url = urljoin(base, href)
            parts = urlsplit(url)
        except ValueError:  # a malformed link ("http://[::1"): not followed
            return None
        if parts.scheme not in ("http", "https"):
            return None
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))

    def _route(self, url: str) -> str:
        """A URL of the site's own domain, fetched from the mirror origin when one is set."""
        if self.origin is None:
            return url
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return url
        if parts.netloc == self.origin.netloc or not self.home.owns_host(host):
            return url
        return urlunsplit((self.origin.scheme, self.origin.netloc, parts.path, parts.query, ""))

    def _allowed(self, url: str) -> bool:
        """Whether ``url`` (once routed to the mirror, if any) is in the crawl's scope."""
        return self.scope.allows(self._route(url))

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
# The ledger reason of a page whose redirects went on past Scrapy's REDIRECT_MAX_TIMES (a loop).
REDIRECT_LIMIT = "redirect_limit"
# A page over DOWNLOAD_MAXSIZE (as announced, as received, or decompressed: a gzip bomb), and a
# response shorter than its Content-Length (the connection closed early).
TOO_LARGE = "too_large"
TRUNCATED = "truncated"
TIMEOUTS: tuple[type[BaseException], ...] = tuple(
    cls for cls in UNREACHABLE if "timeout" in cls.__name__.lower() or "timedout" in cls.__name__.lower()
)
# Request meta: how deep a sitemap (in sitemap indexes) or a listing page (in links) was found.
SITEMAP_DEPTH_KEY = "baotinh_sitemap_depth"
LISTING_DEPTH_KEY = "baotinh_listing_depth"


def _is_article(request: scrapy.Request | None) -> bool:
    """Whether ``request`` fetches an article page (not robots.txt, a sitemap, feed or listing)."""
    return request is not None and getattr(request.callback, "__name__", "") == "parse_article"


def scope_of(site: Site, *, origin: str | None = None, url: str | None = None) -> SiteScope:
    """Where a crawl of ``site`` may fetch (see :class:`~crawler.middlewares.SiteScope`).

    A mirror (``origin``) is crawled on its host and port alone; a ``--url`` site on that URL's
    host and port (and on both default ports when it names none); a registered site on its
    domains, aliases and media hosts.
    """
    if origin:
        return SiteScope.of(origins=(origin,))
    if url:
        default = urlsplit(url).port in (None, 80, 443)
        return SiteScope.of(hosts=site.domains if default else (), origins=(url,))
    return SiteScope.of(hosts=site.all_hosts)


def failure_reason(failure: Failure, response: Response | None) -> str:
    """The ledger reason of a failed request: ``http_503``, ``timeout``, ``dns``, …"""
    if response is not None:
        return f"http_{response.status}"
    message = (failure.getErrorMessage() or "").lower()
    if "max redirections" in message:
        return REDIRECT_LIMIT
    if "max size" in message or "maxsize" in message:  # declared, received, or once gunzipped
        return TOO_LARGE
    name = getattr(failure.type, "__name__", "error").lower()
    for word, reason in (("timeout", "timeout"), ("dns", "dns"), ("refused", "refused"),
                         ("dataloss", TRUNCATED)):
        if word in name:
            return reason
    return name[:64]
