"""The crawler process's stop signals, from the start of ``main`` to its end.

Scrapy installs its SIGTERM/SIGINT handlers only once the reactor runs, and its graceful stop
stops the engines that run and then the reactor: a crawler still starting (its engine not started,
its run being opened) is not stopped but dropped. So a stop that reached the crawler child while
it started — ``baotinh crawl`` forwards its own, cron's ``timeout`` sends one — either killed it
outright (the default action: its site lock left in the database, the crawl reported failed) or
left its run to be closed by force and the crawl reported ``failed``.

:class:`StopSignals` is installed first thing and Scrapy's are not installed at all. A signal
received before the reactor runs is kept. The first one stops each crawler gracefully as soon as
its engine has started (its run is open then), as a crawl stopped later is: the spider closes
with ``shutdown``, the run ``interrupted`` with what it wrote, the exit code that of an
interrupted crawl. A second one stops the reactor at once (as Scrapy's second signal does); the
runs are then closed by :func:`pipeline.crawling.locks.hold_crawl` on the way out.
"""

from __future__ import annotations

import logging
import signal
from contextlib import suppress
from types import FrameType
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

__all__ = ["STOP_SIGNALS", "StopSignals"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

log = logging.getLogger(__name__)


class StopSignals:
    """Receives the process's stop signals and stops its crawlers, started or starting.

    >>> stop = StopSignals().install()            # doctest: +SKIP
    >>> stop.watch(crawler)                       # each crawler, before process.crawl
    >>> stop.attach(reactor)                      # once Scrapy installed the reactor
    >>> process.start(install_signal_handlers=False)
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._reactor: Any = None
        self._crawlers: list[Crawler] = []
        self._started: list[Crawler] = []
        self._stopping = False
        self._forced = False

    def install(self) -> StopSignals:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # nothing but a note here: the reactor acts on it (no logging inside a signal handler)
        self.received.append(signum)
        if self._reactor is not None:
            self._reactor.callFromThread(self._act)

    def watch(self, crawler: Crawler) -> None:
        """Stop ``crawler`` too (call it before ``process.crawl``)."""
        self._crawlers.append(crawler)
        crawler.signals.connect(self._engine_started, signal=signals.engine_started)

    def attach(self, reactor: Any) -> None:
        """Act through ``reactor`` (installed, not yet running) from now on, on the signals kept
        so far as soon as it runs."""
        self._reactor = reactor
        reactor.callWhenRunning(self._act)

    def _act(self) -> None:
        if not self.received:
            return
        name = signal.Signals(self.received[0]).name
        if len(self.received) > 1 and not self._forced:
            self._forced = True
            log.info("Received %s twice, forcing unclean shutdown", name)
            with suppress(RuntimeError):  # stopped already
                self._reactor.stop()
        elif not self._stopping:
            self._stopping = True
            log.info("Received %s, shutting down gracefully. Send again to force", name)
            for crawler in self._started:
                self._stop(crawler)

    def _engine_started(self, sender: Crawler) -> None:
        self._started.append(sender)
        if self._stopping:  # asked while this crawler was starting: its run is open now
            self._stop(sender)

    @staticmethod
    def _stop(crawler: Crawler) -> None:
        async def stop() -> None:
            crawler.crawling = False
            # the engine itself, not Crawler.stop_async: that stops only an engine marked running,
            # which one still in its engine_started signal is not yet
            with suppress(RuntimeError):  # "Engine not running": it has stopped on its own
                await crawler.engine.stop_async()

        deferred_from_coro(stop())
