"""Running crawls: the library side of ``baotinh crawl`` and ``baotinh demo``.

The crawl itself runs in a child process (``python -m crawler``): Twisted's reactor cannot be
restarted inside one process, and the child's crash can never take the caller down. This
module validates the request, prepares the archive, starts the child and reads its summary.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.archive import db
from pipeline.config import Settings
from pipeline.crawling.protocol import REQUEST_FLAG, CrawlRequest, SiteResult, read_summary
from pipeline.errors import ConfigError, ExitCode, InputError
from pipeline.registry.load import Registry, load_registry
from pipeline.text.urls import host_port

__all__ = ["STOP_GRACE_SECONDS", "CrawlResult", "crawler_command", "run_crawl", "validate_request"]

# Seconds the child gets to close its run after a forwarded stop signal, before its group is killed.
STOP_GRACE_SECONDS = 30.0
# The caller's signals that stop the crawl; SIGINT goes on as SIGINT, the others as SIGTERM.
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlResult:
    sites: tuple[SiteResult, ...]
    exit_code: int
    log_file: Path
    seconds: float
    error: str | None = None  # what stopped the whole crawl (a full disk), from the child's summary

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sites)

    def error_line(self) -> str | None:
        """The first of :meth:`error_lines`, or None when every site crawled cleanly."""
        lines = self.error_lines()
        return lines[0] if lines else None

    def error_lines(self) -> list[str]:
        """One line per site that did not crawl cleanly: its id, its outcome and why.

        Cron mail of ``crawl --all --quiet`` shows every failing paper, not only the first.
        """
        bad = [s for s in self.sites if s.status != "ok"]
        if self.error is not None:  # one cause for every site: one line
            return [f"{self.error}; log: {self.log_file}"]
        if not bad and self.exit_code == 0:
            return []
        if not self.sites:
            return [f"the crawler stopped before crawling anything; see {self.log_file}"]
        if not bad:
            return [f"the crawl ended with exit code {self.exit_code}; log: {self.log_file}"]
        return [f"{s.site}: {s.status}: {self._reason(s)}; log: {self.log_file}" for s in bad]

    @staticmethod
    def _reason(site: SiteResult) -> str:
        """Why one site's crawl was not clean: its first failure, and how many more there were."""
        if not site.failures:
            if not site.finish_reason:
                return "no failed page recorded"
            verb = "was stopped" if site.status == "interrupted" else "finished"
            return f"the crawl {verb} ({site.finish_reason})"
        url, reason = site.failures[0]
        verb = "cannot reach" if site.article_pages == 0 else "failed to fetch"
        more = f" (and {site.failed - 1} more failures)" if site.failed > 1 else ""
        return f"{verb} {url}: {reason}{more}"


def validate_request(request: CrawlRequest, registry: Registry) -> None:
    """Fail early, in one line, on unknown sites and malformed URLs."""
    if not request.sites and not request.urls and not request.pages:
        raise InputError("nothing to crawl: give SITE_ID..., --all, --url URL or --urls FILE")
    if request.pages and (request.urls or (request.sites and not request.origin)):
        raise InputError("--urls crawls the pages listed, each with the site owning its host: "
                         "give no SITE_ID or --url with it (one SITE_ID with --origin for a mirror)")
    if request.backfill and request.pages:
        raise InputError("--backfill walks the sites' listings; --urls fetches exactly the pages listed: "
                         "give one or the other")
    for sid in request.sites:
        if registry.find(sid) is None:
            raise ConfigError(f"unknown site id {sid!r}; `baotinh sites` lists the known ones")
    for url in request.urls + request.pages + ((request.origin,) if request.origin else ()):
        if host_port(url) is None:  # not http(s), no host, or malformed ("http://[::1", port 99999)
            raise InputError(f"not an http(s) URL: {url!r}")
    if request.max_pages is not None and request.max_pages < 1:
        raise InputError("--max-pages must be at least 1")


def crawler_command(log_file: Path, *, parent_pid: int | None = None) -> list[str]:
    """The child's command line; the request itself goes to its stdin (see ``protocol``).

    With ``parent_pid``, the child stops itself once that process is no longer its parent.
    """
    watch = ["--parent-pid", str(parent_pid)] if parent_pid is not None else []
    return [sys.executable, "-m", "crawler", "--log-file", str(log_file), *watch, REQUEST_FLAG, "-"]


def run_crawl(settings: Settings, request: CrawlRequest, *, registry: Registry | None = None,
              progress: Callable[[str], None] | None = None,
              extra_env: Mapping[str, str] | None = None,
              on_stop: Callable[[], None] | None = None) -> CrawlResult:
    """Crawl the requested sites into the archive and return what happened.

    ``extra_env`` goes to the child's environment (``baotinh worker`` passes its lease there);
    ``on_stop`` is called when a stop signal is forwarded to the child.
    Raises :class:`ConfigError`/:class:`InputError` before anything starts when the request is
    invalid, and :class:`~pipeline.errors.ArchiveError` when the archive cannot be written.
    """
    registry = registry or load_registry(*settings.registry_paths)
    validate_request(request, registry)
    engine = db.make_engine(settings.database_url)
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    log_file = settings.logs_dir / f"crawl-{stamp}-{os.getpid()}.log"
    env = {**os.environ, **settings.as_env(), **(extra_env or {})}
    started = datetime.now()
    # process_group=0: the child leads a group of its own (see the module's docstring)
    proc = subprocess.Popen(crawler_command(log_file, parent_pid=os.getpid()), env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=None if request.verbose else subprocess.DEVNULL, text=True,
                            process_group=0)
    stopper = _ChildStopper(proc, on_stop=on_stop)
    try:
        with _forwarding_signals(stopper):
            _send_request(proc, request)
            stdout = _wait_reporting(proc, settings, progress, stopper)
    finally:
        stopper.reap()
    seconds = (datetime.now() - started).total_seconds()
    summary = read_summary(stdout)
    sites = summary.sites if summary is not None else ()
    if proc.returncode == ExitCode.LOCKED:
        from pipeline.crawling.locks import LockedError

        error = summary.error if summary is not None else None
        raise LockedError(error or "another crawl holds the archive lock; try again later")
    if not sites and stopper.asked_at is not None and -proc.returncode in FORWARDED_SIGNALS:
        # the stop came while the child's interpreter started, before it handles one (it does from
        # the start of crawler.__main__.main): it held nothing yet, and nothing was crawled
        return CrawlResult(sites=(), exit_code=ExitCode.PARTIAL, log_file=log_file, seconds=seconds,
                           error="the crawl was stopped before it started; nothing was crawled")
    code = proc.returncode if sites else ExitCode.FAILED
    error = summary.error if summary is not None and sites else None
    return CrawlResult(sites=sites, exit_code=code, log_file=log_file, seconds=seconds, error=error)


def _send_request(proc: subprocess.Popen[str], request: CrawlRequest) -> None:
    """Write the request to the child's stdin; ``communicate`` closes it after.

    The child reads its request before anything else, so a large one cannot block here.
    """
    assert proc.stdin is not None
    try:
        proc.stdin.write(request.to_json())
        proc.stdin.flush()
    except BrokenPipeError:  # the child died at start-up; its exit code and log tell why
        pass


@dataclass(slots=True)
class _ChildStopper:
    """Stops the crawler child: forwards the caller's stop signals, kills its group when overdue."""

    proc: subprocess.Popen[str]
    asked_at: float | None = None  # time.monotonic() of the first forwarded signal
    on_stop: Callable[[], None] | None = None

    def forward(self, signum: int, frame: object = None) -> None:
        """A signal handler: pass the stop on (Scrapy stops gracefully, then by force on a second)."""
        if self.asked_at is None:
            self.asked_at = time.monotonic()
            if self.on_stop is not None:
                self.on_stop()
        with suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    def overdue(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Whether the child was asked to stop more than ``grace`` seconds ago."""
        return self.asked_at is not None and time.monotonic() - self.asked_at > grace

    def kill_group(self) -> None:
        """SIGKILL the child and everything it started (its extraction workers, its writer)."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def reap(self) -> None:
        """Never leave the child behind: stop it if it still runs (the caller failed), and wait."""
        if self.proc.poll() is None:
            self.forward(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill_group()
                self.proc.wait()


@contextmanager
def _forwarding_signals(stopper: _ChildStopper) -> Iterator[None]:
    """Forward :data:`FORWARDED_SIGNALS` to the child for the block (main thread only: Python
    handles signals there; elsewhere the child's own watch on its parent still holds)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, stopper.forward) for s in FORWARDED_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _wait_reporting(proc: subprocess.Popen[str], settings: Settings,
                    progress: Callable[[str], None] | None, stopper: _ChildStopper,
                    every: float = 1.0) -> str:
    """Wait for the crawler child, calling ``progress`` with a status line every ``every`` s,
    and killing its group when it outlives a forwarded stop by :data:`STOP_GRACE_SECONDS`."""
    from pipeline.crawling.ledger import read_progress

    while True:
        try:
            out, _ = proc.communicate(timeout=every)
            return out or ""
        except subprocess.TimeoutExpired:
            # retrying communicate() loses no output (subprocess docs)
            if stopper.overdue():
                stopper.kill_group()
            if progress is None:
                continue
            try:
                progress(read_progress(settings.database_url))
            except Exception:  # a progress line is never worth failing a crawl
                continue
