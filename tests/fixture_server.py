"""A misbehaving copy of the demo paper for politeness and resumability tests.

A threaded HTTP server on 127.0.0.1, port 0, that renders the demo site through
:meth:`pipeline.demo.DemoSite.render` and can, on request:

- slow every article down (``delay``) so that a test can kill a crawl half way;
- answer ``429 Too Many Requests`` with ``Retry-After`` to some article requests;
- answer ``503`` without ``Retry-After`` to others (intermittent overload);
- serve a stricter robots.txt (extra ``Disallow`` paths).

Each error is given at most once per path, so a polite crawler always completes. Every request
is logged with its arrival and answer times (``time.monotonic()``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pipeline.demo.site import DemoSite, Page, make_page

ARTICLE_SUFFIX = ".html"


@dataclass(frozen=True, slots=True, kw_only=True)
class Misbehaviour:
    """What the fixture server does wrong, and how often."""

    delay: float = 0.0  # seconds before answering an article
    throttle_every: int = 0  # every Nth article request gets a 429 (0: never)
    retry_after: str = "2"  # the Retry-After value of those 429s (seconds or an HTTP date)
    fail_every: int = 0  # every Nth article request gets a 503 without Retry-After (0: never)
    disallow: tuple[str, ...] = ()  # extra robots.txt Disallow paths


@dataclass(frozen=True, slots=True)
class Hit:
    """One request as the server saw it."""

    path: str
    status: int
    arrived: float  # time.monotonic() when the request line was read
    answered: float  # time.monotonic() after the response was written
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: list[Hit] = field(default_factory=list)
    article_requests: int = 0
    misbehaved: set[str] = field(default_factory=set)


class FixtureServer:
    """The demo paper, served with :class:`Misbehaviour`; use :func:`serve_fixture`."""

    def __init__(self, articles_dir: Path | None, misbehaviour: Misbehaviour) -> None:
        self.site = DemoSite(articles_dir)
        self.misbehaviour = misbehaviour
        self.state = _State()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="fixture-site", daemon=True)
        host, port = self.httpd.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    def hits(self) -> list[Hit]:
        """A snapshot of every request so far, in arrival order."""
        with self.state.lock:
            return sorted(self.state.hits, key=lambda h: h.arrived)

    def paths(self) -> list[str]:
        return [h.path for h in self.hits()]

    def _choose(self, path: str) -> Page | None:
        """The misbehaviour for this request, if any (at most once per path)."""
        m = self.misbehaviour
        if not path.endswith(ARTICLE_SUFFIX) or path.count("/") < 2:
            return None
        with self.state.lock:
            self.state.article_requests += 1
            n = self.state.article_requests
            if path in self.state.misbehaved:
                return None
            if m.throttle_every and n % m.throttle_every == 0:
                self.state.misbehaved.add(path)
                return Page(429, "text/plain; charset=utf-8", b"slow down\n", (("Retry-After", m.retry_after),))
            if m.fail_every and n % m.fail_every == 0:
                self.state.misbehaved.add(path)
                return Page(503, "text/plain; charset=utf-8", b"overloaded\n")
        return None

    def render(self, path: str, headers: dict[str, str]) -> Page:
        if path == "/robots.txt" and self.misbehaviour.disallow:
            base = self.site.render(path, host=headers.get("Host"))
            extra = "".join(f"Disallow: {p}\n" for p in self.misbehaviour.disallow)
            text = base.body.decode("utf-8").replace("User-agent: *\n", "User-agent: *\n" + extra, 1)
            return make_page(text, base.content_type)
        wrong = self._choose(path)
        if wrong is not None:
            return wrong
        if self.misbehaviour.delay and path.endswith(ARTICLE_SUFFIX):
            time.sleep(self.misbehaviour.delay)
        return self.site.render(path, host=headers.get("Host"), request_headers=headers)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                arrived = time.monotonic()
                headers = {k: v for k, v in self.headers.items()}
                page = server.render(self.path, headers)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                for name, value in page.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)
                self.wfile.flush()
                with server.state.lock:
                    server.state.hits.append(Hit(self.path, page.status, arrived, time.monotonic(), headers))

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet: the test reads :meth:`FixtureServer.hits` instead."""

        return Handler


@contextmanager
def serve_fixture(articles_dir: Path | None = None, misbehaviour: Misbehaviour | None = None) -> Iterator[FixtureServer]:
    """Serve the demo paper with ``misbehaviour`` for the duration of the block."""
    server = FixtureServer(articles_dir, misbehaviour or Misbehaviour())
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)
