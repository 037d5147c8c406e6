"""A polite HTTP client for the web's archives: a configured rate, Retry-After honoured.

The Internet Archive and Common Crawl are shared, free services; a backfill asks them for one
request at a time, at most ``rate`` requests a second per archive host (the default is one), with
our User-Agent. A 429 or 503 answer is waited out as its ``Retry-After`` asks (seconds or an HTTP
date), cut to ``retry_after_max`` (counted: the ledger's ``budget``/``retry_after_capped``), and
the request is tried again, a few times at most. Redirects are followed through the same limiter.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pipeline.config import DEFAULT_USER_AGENT
from pipeline.crawling.retry_after import parse_retry_after
from pipeline.errors import BaotinhError

__all__ = ["FetchError", "PoliteClient", "Politeness", "Response", "parse_retry_after"]

BACKOFF_STATUSES = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchError(BaotinhError):
    """An archive could not be reached, or kept refusing (after the retries)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Politeness:
    """How a backfill treats an archive.

    >>> Politeness(rate=2.0).interval
    0.5
    """

    rate: float = 1.0  # requests per second per archive host, at most
    user_agent: str = DEFAULT_USER_AGENT
    retry_after_max: float = 300.0  # a longer Retry-After is cut to this (as the crawler does)
    retries: int = 3  # tries again after a 429/503 or a network error, at most
    backoff: float = 5.0  # the wait when a 429/503 gives no Retry-After (doubled each time)
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"the rate must be above 0 requests a second: {self.rate}")

    @property
    def interval(self) -> float:
        return 1.0 / self.rate


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class PoliteClient:
    """GET with the configured rate per host and Retry-After honoured; counts what it waited.

    ``sleep``/``clock`` are the real ones; they are parameters so that a caller may share one
    clock between clients.
    """

    politeness: Politeness = field(default_factory=Politeness)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    retry_after_waits: int = 0
    retry_after_capped: int = 0
    _last: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirect())

    def get(self, url: str, headers: Mapping[str, str] | None = None, *, max_redirects: int = 5) -> Response:
        """The answer to GET ``url``: redirects followed, 429/503 waited out and retried.

        Any final status is returned (the caller decides what a 404 means); a network error or
        a 429/503 after every retry raises :class:`FetchError`.
        """
        for _ in range(max_redirects + 1):
            response = self._get_retrying(url, headers or {})
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            url = urljoin(url, location)
        raise FetchError(url, f"more than {max_redirects} redirects")

    def _get_retrying(self, url: str, headers: Mapping[str, str]) -> Response:
        backoff = self.politeness.backoff
        last_error = ""
        for attempt in range(self.politeness.retries + 1):
            try:
                response = self._get_once(url, headers)
            except (urllib.error.URLError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
                if attempt < self.politeness.retries:
                    self.sleep(backoff)
                    backoff *= 2
                continue
            if response.status not in BACKOFF_STATUSES:
                return response
            last_error = f"HTTP {response.status}"
            if attempt < self.politeness.retries:
                self._wait_as_asked(urlsplit(url).netloc.lower(), response.headers.get("retry-after"), backoff)
                backoff *= 2
        raise FetchError(url, f"gave up after {self.politeness.retries + 1} tries ({last_error})")

    def _wait_as_asked(self, host: str, retry_after: str | None, backoff: float) -> None:
        asked = parse_retry_after(retry_after)
        wait = backoff if asked is None else asked
        if wait > self.politeness.retry_after_max:
            self.retry_after_capped += 1
            wait = self.politeness.retry_after_max
        if asked is not None:
            self.retry_after_waits += 1
        # The wait counts from the refused request's answer; the rate still applies after it.
        self.sleep(wait)
        with self._lock:
            self._last[host] = max(self._last.get(host, 0.0), self.clock())

    def _get_once(self, url: str, headers: Mapping[str, str]) -> Response:
        host = urlsplit(url).netloc.lower()
        self._pace(host)
        request = urllib.request.Request(url, headers={"User-Agent": self.politeness.user_agent, **headers})
        self.requests += 1
        try:
            with self._opener.open(request, timeout=self.politeness.timeout) as answer:
                body = answer.read()
                return Response(answer.geturl(), answer.status, _lower(answer.headers.items()), body)
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            return Response(url, exc.code, _lower(exc.headers.items() if exc.headers else ()), body)
        finally:
            with self._lock:
                self._last[host] = self.clock()

    def _pace(self, host: str) -> None:
        """Sleep until ``interval`` has passed since the last request to ``host`` was answered."""
        with self._lock:
            last = self._last.get(host)
        if last is None:
            return
        wait = last + self.politeness.interval - self.clock()
        if wait > 0:
            self.sleep(wait)


def _lower(items: object) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}  # type: ignore[attr-defined]
