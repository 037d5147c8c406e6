"""A misbehaving demo paper, for the politeness and resumability tests.

:class:`Misbehaviour` says what goes wrong; :class:`MisbehavingSite` wraps a
:class:`~pipeline.demo.site.DemoSite` and applies it, so that :func:`pipeline.demo.server.serve_site`
serves it like any other site. On request it can:

- slow every article down (``delay``) so that a test can kill a crawl half way;
- answer ``429 Too Many Requests`` with ``Retry-After`` to some article requests;
- answer ``503`` without ``Retry-After`` to others (intermittent overload);
- serve a stricter robots.txt (extra ``Disallow`` paths);
- make robots.txt hang (``robots_delay``) or fail (``robots_status``);
- redirect some paths elsewhere (``redirects``: another host, another port);
- give every article link a fresh session id (``session_ids``: ``?sid=``, ``;jsessionid=``, …);
- list a fresh, cache-busted copy of the sitemap index in itself (``sitemap_loop``);
- serve an endless pagination trap linked from the home page (``endless_pages``, each page
  ``trap_delay`` seconds slow).
- give some articles a JSON-LD script nested 1,000 levels deep (``nested_jsonld``);
- put one NUL byte in the head of some articles (``nul_byte``), as a broken CMS template does;
- serve some articles under a wrong charset declaration (``wrong_charset``: the HTTP header says
  ISO-8859-1, or, without one, a ``<meta>`` says windows-1252, of a UTF-8 page);
- serve the hostile pages of :mod:`pipeline.demo.hostile` (``traps``: a slow trickle, 50 MB, a
  gzip bomb, PDF/JPEG as HTML, a truncated response, 100,000 nested divs, a permanent 500, an
  XXE feed, a malformed sitemap), article traps linked from the home page, sitemap traps named
  in robots.txt.

Each 429/503 is given at most once per path, so a polite crawler always completes; the traps
never end by themselves: only the crawler's budgets end them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from pipeline.demo.hostile import ARTICLE_KINDS, SITEMAP_KINDS, hostile_page
from pipeline.demo.site import DemoSite, Page, make_page

__all__ = ["ARTICLE_SUFFIX", "MisbehavingSite", "Misbehaviour", "is_article_path"]

ARTICLE_SUFFIX = ".html"
# How deep the hostile JSON-LD of ``nested_jsonld`` nests its arrays.
NESTED_JSONLD_DEPTH = 1000
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
# An article link in a rendered page: href="/<section>/<slug>-<id>.html"
ARTICLE_LINK_RE = re.compile(rb'href="(/[a-z0-9-]+/[a-z0-9-]+\.html)"')
# The session-id styles given in turn: query parameters, a Java path parameter, a cache-buster.
SESSION_STYLES = ("?sid={n:08x}", ";jsessionid=A{n:06X}", "?PHPSESSID=p{n:x}", "?_={n}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Misbehaviour:
    """What the server does wrong, and how often (nothing by default)."""

    delay: float = 0.0  # seconds before answering an article
    throttle_every: int = 0  # every Nth article request gets a 429 (0: never)
    retry_after: str = "2"  # the Retry-After value of those 429s (seconds or an HTTP date)
    fail_every: int = 0  # every Nth article request gets a 503 without Retry-After (0: never)
    disallow: tuple[str, ...] = ()  # extra robots.txt Disallow paths
    robots_delay: float = 0.0  # seconds before robots.txt answers (a hang, for a client's timeout)
    robots_status: int = 0  # robots.txt answers this status (e.g. 503) instead of the file (0: no)
    redirects: tuple[tuple[str, str], ...] = ()  # (path, Location): answered with a 302
    session_ids: bool = False  # every article link in a page gets a fresh session id
    sitemap_loop: bool = False  # /sitemap.xml also lists /sitemap.xml?v=<fresh number>
    endless_pages: str = ""  # a path ("/bay") whose ?page=N links to ?page=N+1, forever
    trap_delay: float = 0.0  # seconds before each endless page answers
    nested_jsonld: tuple[str, ...] = ()  # article paths whose page carries a JSON-LD bomb
    nul_byte: tuple[str, ...] = ()  # article paths whose page has a NUL byte in its first 2 KB
    wrong_charset: tuple[str, ...] = ()  # article paths served with a wrong charset declaration
    traps: tuple[tuple[str, str], ...] = ()  # (path, kind of pipeline.demo.hostile.TRAP_KINDS)
    elsewhere: str = ""  # an origin the XXE feed's external entity points at (never to be asked)
    trickle_seconds: float = 5.0  # how long the trickle trap takes to send its page


@dataclass(slots=True)
class _Counts:
    """What has gone wrong so far (guarded by ``lock``: handlers run on many threads)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    article_requests: int = 0
    misbehaved: set[str] = field(default_factory=set)
    fresh: int = 0  # the last session id or cache-buster given

    def next_number(self) -> int:
        """A number never given before (session ids, cache-busters)."""
        with self.lock:
            self.fresh += 1
            return self.fresh


def is_article_path(path: str) -> bool:
    """An article of the demo paper: ``/<section>/<slug>-<id>.html``."""
    return path.endswith(ARTICLE_SUFFIX) and path.count("/") >= 2


def _with_nested_jsonld(page: Page) -> Page:
    """``page`` with a JSON-LD script of arrays nested :data:`NESTED_JSONLD_DEPTH` deep, first
    in its head (before the page's own JSON-LD, so that a reader meets it first)."""
    bomb = b'<script type="application/ld+json">' + b"[" * NESTED_JSONLD_DEPTH + b"]" * NESTED_JSONLD_DEPTH
    body = page.body.replace(b"<head>", b"<head>" + bomb + b"</script>", 1)
    return Page(page.status, page.content_type, body, page.headers)


class MisbehavingSite:
    """``site`` with ``misbehaviour`` applied; renders like :meth:`DemoSite.render`."""

    def __init__(self, site: DemoSite, misbehaviour: Misbehaviour) -> None:
        self.site = site
        self.misbehaviour = misbehaviour
        self._counts = _Counts()

    def render(self, target: str, *, host: str | None = None,
               request_headers: Mapping[str, str] | None = None) -> Page:
        """The page for ``target``, or the error or stricter robots.txt the misbehaviour asks for."""
        m = self.misbehaviour
        path = urlsplit(target).path
        if path == "/robots.txt" and (m.disallow or m.robots_delay or m.robots_status or m.traps):
            return self._robots(host)
        moved = dict(m.redirects).get(target)
        if moved is not None:
            return Page(302, TEXT_TYPE, b"moved\n", (("Location", moved),))
        trap = dict(m.traps).get(path)
        if trap is not None:
            return hostile_page(trap, base=f"http://{host or 'demo.baotinh.test'}", elsewhere=m.elsewhere,
                                trickle_seconds=m.trickle_seconds)
        if m.endless_pages and path == m.endless_pages:
            return self._endless_page(target)
        if m.sitemap_loop and path == "/sitemap.xml":
            return self._sitemap_loop(host)
        wrong = self._error_for(target)
        if wrong is not None:
            return wrong
        if m.delay and target.endswith(ARTICLE_SUFFIX):
            time.sleep(m.delay)
        page = self.site.render(target, host=host, request_headers=request_headers)
        if path == "/" and m.endless_pages and page.status == 200:
            page = _with_link(page, f"{m.endless_pages}?page=1")
        if path == "/" and page.status == 200:
            for trap_path, kind in m.traps:
                if kind in ARTICLE_KINDS:
                    page = _with_link(page, trap_path)
        if m.session_ids and page.content_type.startswith("text/html"):
            page = Page(page.status, page.content_type, self._with_session_ids(page.body), page.headers)
        if target in m.nested_jsonld:
            return _with_nested_jsonld(page)
        if target in m.nul_byte:
            return _with_nul_byte(page)
        if target in m.wrong_charset:
            return _with_wrong_charset(page, m.wrong_charset.index(target))
        return page

    def _robots(self, host: str | None) -> Page:
        m = self.misbehaviour
        if m.robots_delay:
            time.sleep(m.robots_delay)
        if m.robots_status:
            return Page(m.robots_status, TEXT_TYPE, b"robots.txt is not available\n")
        base = self.site.render("/robots.txt", host=host)
        extra = "".join(f"Disallow: {p}\n" for p in self.misbehaviour.disallow)
        text = base.body.decode("utf-8").replace("User-agent: *\n", "User-agent: *\n" + extra, 1)
        origin = f"http://{host or 'demo.baotinh.test'}"
        text += "".join(f"Sitemap: {origin}{p}\n" for p, kind in m.traps if kind in SITEMAP_KINDS)
        return make_page(text, base.content_type)

    def _error_for(self, path: str) -> Page | None:
        """A 429 or 503 for this article request, if it is its turn (at most once per path)."""
        m = self.misbehaviour
        if not is_article_path(path):
            return None
        with self._counts.lock:
            self._counts.article_requests += 1
            n = self._counts.article_requests
            if path in self._counts.misbehaved:
                return None
            if m.throttle_every and n % m.throttle_every == 0:
                self._counts.misbehaved.add(path)
                return Page(429, TEXT_TYPE, b"slow down\n", (("Retry-After", m.retry_after),))
            if m.fail_every and n % m.fail_every == 0:
                self._counts.misbehaved.add(path)
                return Page(503, TEXT_TYPE, b"overloaded\n")
        return None

    def _with_session_ids(self, body: bytes) -> bytes:
        """Every article link with a session id never given before, in the styles in turn."""

        def fresh(match: re.Match[bytes]) -> bytes:
            n = self._counts.next_number()
            style = SESSION_STYLES[n % len(SESSION_STYLES)].format(n=n)
            return b'href="' + match.group(1) + style.encode("ascii") + b'"'

        return ARTICLE_LINK_RE.sub(fresh, body)

    def _sitemap_loop(self, host: str | None) -> Page:
        """The sitemap index, listing also a fresh cache-busted copy of itself."""
        base = f"http://{host or 'demo.baotinh.test'}"
        n = self._counts.next_number()
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/sitemap.xml?v={n}</loc></sitemap>"
            f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
        )
        return Page(200, XML_TYPE, body.encode("utf-8"))

    def _endless_page(self, target: str) -> Page:
        """Page N of a listing that always has a next page."""
        if self.misbehaviour.trap_delay:
            time.sleep(self.misbehaviour.trap_delay)
        values = parse_qs(urlsplit(target).query).get("page", ["1"])
        number = int(values[0]) if values[0].isdigit() else 1
        path = self.misbehaviour.endless_pages
        body = (f"<html><head><title>Trang {number}</title></head><body><h1>Trang {number}</h1>"
                f'<a class="next" href="{path}?page={number + 1}">Trang sau</a></body></html>')
        return Page(200, HTML_TYPE, body.encode("utf-8"))


def _with_nul_byte(page: Page) -> Page:
    """``page`` with one NUL byte just after its ``<head>`` (well inside its first 2 KB)."""
    body = page.body.replace(b"<head>", b"<head>\x00", 1)
    return Page(page.status, page.content_type, body, page.headers)


def _with_link(page: Page, href: str) -> Page:
    """``page`` with one more link, at the end of its body."""
    body = page.body.replace(b"</body>", f'<a href="{href}">Xem them</a></body>'.encode(), 1)
    return Page(page.status, page.content_type, body, page.headers)


def _with_wrong_charset(page: Page, n: int) -> Page:
    """``page`` (UTF-8) declared as ISO-8859-1 by its HTTP header (``n`` even), or as windows-1252
    by a ``<meta>`` with no charset in the header (``n`` odd): declarations its bytes contradict."""
    if n % 2 == 0:
        return Page(page.status, "text/html; charset=iso-8859-1", page.body, page.headers)
    body = page.body.replace(b'<meta charset="utf-8">', b'<meta charset="windows-1252">', 1)
    return Page(page.status, "text/html", body, page.headers)
