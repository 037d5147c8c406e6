"""A misbehaving demo paper, for the politeness and resumability tests.

:class:`Misbehaviour` says what goes wrong; :class:`MisbehavingSite` wraps a
:class:`~pipeline.demo.site.DemoSite` and applies it, so that :func:`pipeline.demo.server.serve_site`
serves it like any other site. On request it can:

- slow every article down (``delay``) so that a test can kill a crawl half way;
- answer ``429 Too Many Requests`` with ``Retry-After`` to some article requests;
- answer ``503`` without ``Retry-After`` to others (intermittent overload);
- serve a stricter robots.txt (extra ``Disallow`` paths);
- give some articles a JSON-LD script nested 1,000 levels deep (``nested_jsonld``).

Each error is given at most once per path, so a polite crawler always completes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.demo.site import DemoSite, Page, make_page

__all__ = ["ARTICLE_SUFFIX", "MisbehavingSite", "Misbehaviour", "is_article_path"]

ARTICLE_SUFFIX = ".html"
# How deep the hostile JSON-LD of ``nested_jsonld`` nests its arrays.
NESTED_JSONLD_DEPTH = 1000
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True, kw_only=True)
class Misbehaviour:
    """What the server does wrong, and how often (nothing by default)."""

    delay: float = 0.0  # seconds before answering an article
    throttle_every: int = 0  # every Nth article request gets a 429 (0: never)
    retry_after: str = "2"  # the Retry-After value of those 429s (seconds or an HTTP date)
    fail_every: int = 0  # every Nth article request gets a 503 without Retry-After (0: never)
    disallow: tuple[str, ...] = ()  # extra robots.txt Disallow paths
    nested_jsonld: tuple[str, ...] = ()  # article paths whose page carries a JSON-LD bomb


@dataclass(slots=True)
class _Counts:
    """What has gone wrong so far (guarded by ``lock``: handlers run on many threads)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    article_requests: int = 0
    misbehaved: set[str] = field(default_factory=set)


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
        if target == "/robots.txt" and m.disallow:
            return self._robots(host)
        wrong = self._error_for(target)
        if wrong is not None:
            return wrong
        if m.delay and target.endswith(ARTICLE_SUFFIX):
            time.sleep(m.delay)
        page = self.site.render(target, host=host, request_headers=request_headers)
        if target in m.nested_jsonld:
            return _with_nested_jsonld(page)
        return page

    def _robots(self, host: str | None) -> Page:
        base = self.site.render("/robots.txt", host=host)
        extra = "".join(f"Disallow: {p}\n" for p in self.misbehaviour.disallow)
        text = base.body.decode("utf-8").replace("User-agent: *\n", "User-agent: *\n" + extra, 1)
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
