"""The one HTTP server of the demo paper: ThreadingHTTPServer in a daemon thread, on port 0.

``baotinh demo``, ``python -m pipeline.demo`` and the tests all serve the paper through
:func:`serve_site`; a test that needs a misbehaving paper (delays, 429, 503, a stricter
robots.txt) passes a :class:`~pipeline.demo.misbehaviour.Misbehaviour`. Every request is kept
in the :class:`AccessLog` with its arrival and answer times (``time.monotonic()``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from pipeline.demo.hostile import StreamedPage
from pipeline.demo.misbehaviour import MisbehavingSite, Misbehaviour
from pipeline.demo.site import DemoSite, Page

__all__ = ["AccessLog", "AccessRecord", "PageSource", "RunningServer", "serve_site", "start_server"]


class PageSource(Protocol):
    """What the server serves: :class:`DemoSite` or a :class:`MisbehavingSite`."""

    def render(self, target: str, *, host: str | None = None,
               request_headers: Mapping[str, str] | None = None) -> Page: ...


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One request as the server saw it.

    It is logged just before the response is written, so a client that has its response
    always finds the record; ``answered`` is when the response was ready to write.
    """

    method: str
    path: str  # path + query, as requested
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    arrived: float = 0.0  # time.monotonic() when the handler took the request
    answered: float = 0.0  # time.monotonic() when the response was ready (after any delay)

    def as_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        return {"method": self.method, "path": self.path, "status": self.status, "headers": self.headers}


class AccessLog:
    """A thread-safe, append-only list of ``AccessRecord`` (handlers run on many threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[AccessRecord] = []

    def append(self, record: AccessRecord) -> None:
        """Add one record."""
        with self._lock:
            self._records.append(record)

    def records(self) -> list[AccessRecord]:
        """A snapshot copy of the records so far."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[AccessRecord]:
        return iter(self.records())

    def __getitem__(self, index: int) -> AccessRecord:
        with self._lock:
            return self._records[index]


@dataclass(frozen=True, slots=True)
class RunningServer:
    """A started demo server: where it listens and what it has served."""

    base_url: str
    access_log: AccessLog
    _server: ThreadingHTTPServer
    _thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


def make_handler(
    site: PageSource, log: AccessLog, on_request: Callable[[AccessRecord], None] | None
) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``site`` and ``log``."""

    class DemoHandler(BaseHTTPRequestHandler):
        server_version = "BaoTinhDemo/1.0"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self.answer(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self.answer(send_body=False)

        def do_POST(self) -> None:  # noqa: N802
            # Comments are not accepted on the demo; drain the body so keep-alive stays sane.
            arrived = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.record(405, arrived)
            self.send_response(405)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def answer(self, *, send_body: bool) -> None:
            arrived = time.monotonic()
            headers = dict(self.headers.items())
            page = site.render(self.path, host=self.headers.get("Host"), request_headers=headers)
            # Logged before answering, so a client that has its response always finds the record.
            self.record(page.status, arrived)
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            for name, value in page.headers:
                self.send_header(name, value)
            streamed = page if isinstance(page, StreamedPage) else None
            announced = streamed.announced if streamed is not None else None
            self.send_header("Content-Length", str(len(page.body) if announced is None else announced))
            self.end_headers()
            try:
                if send_body and streamed is not None:
                    self.stream(streamed)
                elif send_body:
                    self.wfile.write(page.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client hung up (a timeout, a size limit): fine

        def stream(self, page: StreamedPage) -> None:
            """Send ``page`` in pieces (a trickle), or shorter than announced (then hang up)."""
            step = page.chunk or len(page.body)
            for start in range(0, len(page.body), step):
                self.wfile.write(page.body[start:start + step])
                self.wfile.flush()
                if page.pause:
                    time.sleep(page.pause)
            if page.announced is not None and page.announced != len(page.body):
                self.close_connection = True

        def record(self, status: int, arrived: float) -> None:
            entry = AccessRecord(self.command, self.path, status, dict(self.headers.items()),
                                 arrived=arrived, answered=time.monotonic())
            log.append(entry)
            if on_request is not None:
                on_request(entry)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: requests go to the access log, not to stderr."""

    return DemoHandler


class QuietServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that does not print a traceback when a client hangs up (a crawl that
    was killed, a download that timed out or grew too large): that is the client's business."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, broken pipe, aborted
            return
        super().handle_error(request, client_address)


def start_server(
    site: DemoSite,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    on_request: Callable[[AccessRecord], None] | None = None,
    misbehaviour: Misbehaviour | None = None,
) -> RunningServer:
    """Start serving ``site`` (with ``misbehaviour``, if any) in a daemon thread; ``stop()`` it."""
    log = AccessLog()
    pages: PageSource = site if misbehaviour is None else MisbehavingSite(site, misbehaviour)
    server = QuietServer((host, port), make_handler(pages, log, on_request))
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    address = server.server_address
    bound_host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    bound_port = int(address[1])
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return RunningServer(f"http://{shown}:{bound_port}", log, server, thread)


@contextmanager
def serve_site(
    site: DemoSite,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    on_request: Callable[[AccessRecord], None] | None = None,
    misbehaviour: Misbehaviour | None = None,
) -> Iterator[RunningServer]:
    """Serve ``site`` (with ``misbehaviour``, if any) for the duration of a ``with`` block.

    >>> with serve_site(DemoSite()) as server:
    ...     server.base_url.startswith("http://127.0.0.1:")
    True
    """
    running = start_server(site, host, port, on_request=on_request, misbehaviour=misbehaviour)
    try:
        yield running
    finally:
        running.stop()
