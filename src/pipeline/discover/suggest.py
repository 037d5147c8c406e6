"""``baotinh sites suggest URL``: look at a paper the registry does not know, draft its entry.

A handful of polite requests (robots.txt first and obeyed, the home page, the feeds and one
sitemap it names), then the pure functions of :mod:`pipeline.discover` decide what they hold.
Uses the standard library's HTTP client: this is a few requests, not a crawl.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pipeline import discover
from pipeline.errors import BaotinhError, InputError
from pipeline.text.charset import decode_html

MAX_BYTES = 8 * 1024 * 1024


class FetchError(BaotinhError):
    """The site could not be reached."""

    exit_code = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion:
    base_url: str
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    article_urls: tuple[str, ...]
    listing_urls: tuple[str, ...]
    entry: str  # the drafted [[sites]] TOML block


def _fetch(url: str, user_agent: str, timeout: float) -> bytes | None:
    """The body of ``url``, or None for an HTTP error (a missing feed is not a failure)."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            return bytes(resp.read(MAX_BYTES))
    except urllib.error.HTTPError:
        return None


def suggest_site(url: str, *, user_agent: str, timeout: float = 15.0, max_feeds: int = 4) -> Suggestion:
    """Discover feeds, sitemaps and URL shapes of the site at ``url`` and draft its entry."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {url!r}")
    origin = f"{parts.scheme}://{parts.netloc}"
    robots = urllib.robotparser.RobotFileParser()
    try:
        robots_body = _fetch(origin + "/robots.txt", user_agent, timeout)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot reach {origin}: {reason}") from None
    robots_text = robots_body.decode("utf-8", "replace") if robots_body else ""
    robots.parse(robots_text.splitlines())

    def allowed(u: str) -> bool:
        return robots.can_fetch(user_agent, u)

    home_url = url if allowed(url) else origin + "/"
    home = _fetch(home_url, user_agent, timeout) if allowed(home_url) else None
    if home is None:
        raise FetchError(f"{home_url} did not answer with a page")
    html, _charset = decode_html(home)
    feeds = [f for f in discover.find_feed_links(html, home_url) if allowed(f)]
    feeds += [origin + p for p in discover.COMMON_FEED_PATHS[:2] if origin + p not in feeds]
    sitemaps = discover.parse_robots_sitemaps(robots_text) or [origin + p for p in discover.COMMON_SITEMAP_PATHS[:1]]

    articles: list[str] = []
    listings: list[str] = []
    found_feeds: list[str] = []
    for feed in feeds[:max_feeds]:
        body = _fetch(feed, user_agent, timeout) if allowed(feed) else None
        entries = discover.parse_feed(body) if body else []
        if entries:
            found_feeds.append(feed)
            articles += [e.url for e in entries]
    found_sitemaps: list[str] = []
    for sm in sitemaps[:2]:
        body = _fetch(sm, user_agent, timeout) if allowed(sm) else None
        if not body:
            continue
        parsed = discover.parse_sitemap(body)
        if not parsed.entries:
            continue
        found_sitemaps.append(sm)
        if parsed.is_index:
            child = _fetch(parsed.entries[0].loc, user_agent, timeout)
            parsed = discover.parse_sitemap(child) if child else parsed
        articles += [e.loc for e in parsed.entries if not parsed.is_index]
    for href in _links(html, home_url):
        kind = discover.classify_url(href)
        if urlsplit(href).netloc != parts.netloc:
            continue
        if kind == "article":
            articles.append(href)
        elif kind == "listing" and allowed(href):
            listings.append(href)
    articles = list(dict.fromkeys(a for a in articles if urlsplit(a).netloc == parts.netloc or
                                  (urlsplit(a).hostname or "").removeprefix("www.") ==
                                  (parts.hostname or "").removeprefix("www.")))
    listings = list(dict.fromkeys(listings))
    entry = discover.draft_site_entry(origin, feeds=found_feeds, sitemaps=found_sitemaps,
                                      article_urls=articles[:200], listing_urls=listings[:50], page_html=html)
    return Suggestion(base_url=origin, feeds=tuple(found_feeds), sitemaps=tuple(found_sitemaps),
                      article_urls=tuple(articles), listing_urls=tuple(listings), entry=entry)


def _links(html: str, base: str) -> list[str]:
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    out = []
    for href in tree.xpath("//a/@href"):
        href = str(href).strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            out.append(urljoin(base, href).split("#", 1)[0])
    return out
