"""The crawl contract between the library and the crawler child (``python -m crawler``).

The library sends a :class:`CrawlRequest` as JSON (``python -m crawler --request-json -``, on
the child's stdin); the child answers with a :class:`CrawlSummary` as JSON on the last line of
its stdout. Both sides read and write them with this module only.

Politeness is said in typed fields (``delay``, ``local_server``, ``per_domain_concurrency``,
``autothrottle``); only the crawler knows which Scrapy settings they become.

>>> request = CrawlRequest(sites=("demo",), since=date(2025, 1, 1), delay=0.2)
>>> CrawlRequest.from_json(request.to_json()) == request
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.crawling.status import RunStatus
from pipeline.errors import InputError

__all__ = [
    "REQUEST_FLAG",
    "CrawlRequest",
    "CrawlSummary",
    "CrawlUsage",
    "ProtocolError",
    "SiteResult",
    "read_summary",
]

# The child's flag that takes the request: a file name, or ``-`` for stdin.
REQUEST_FLAG = "--request-json"


class ProtocolError(InputError):
    """A crawl request or summary that does not follow the contract."""


# -- typed reading of decoded JSON ------------------------------------------------------------
def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def _known(data: Mapping[str, Any], fields: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ProtocolError(f"{what}: unknown field(s) {', '.join(unknown)}")


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{key}: expected an integer, got {value!r}")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = _opt_int(data, key)
    return 0 if value is None else value


def _opt_float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{key}: expected a number, got {value!r}")
    return float(value)


def _float(data: Mapping[str, Any], key: str) -> float:
    value = _opt_float(data, key)
    return 0.0 if value is None else value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ProtocolError(f"{key}: expected a string, got {value!r}")
    return value


def _bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ProtocolError(f"{key}: expected true or false, got {value!r}")
    return value


def _strs(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProtocolError(f"{key}: expected a list of strings, got {value!r}")
    return tuple(value)


def _decode(text: str, what: str) -> Mapping[str, Any]:
    try:
        return _object(json.loads(text), what)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"{what}: not JSON: {exc}") from None


# -- the request ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlRequest:
    """What to crawl, and how politely."""

    sites: tuple[str, ...] = ()  # registry site ids
    urls: tuple[str, ...] = ()  # news sites not in the registry
    origin: str | None = None  # serve the (single) registered site from this origin
    max_pages: int | None = None  # article pages per site at most
    since: date | None = None  # skip articles published before this day
    workers: int | None = None  # extraction processes (None: one per core but one; 0: a thread)
    refresh: bool = False  # fetch known articles even when not due (issue 6)
    verbose: bool = False  # the crawler's log on stderr (the library's concern, not the child's)
    # Politeness. None keeps the crawler's polite defaults for real sites.
    delay: float | None = None  # least seconds between two requests to one site
    local_server: bool = False  # the site is served on this machine: no delay needed
    per_domain_concurrency: int | None = None  # requests in flight to one site at most
    autothrottle: bool = True  # adapt the delay to the server's response times
    # Exactly these pages, no link following (``crawl --urls``): each URL goes to the registry
    # site owning its host (legacy domains included), or to a generic site of its host; ``sites``
    # are then not crawled, except that with ``origin`` the origin's pages are that one site's.
    pages: tuple[str, ...] = ()
    # Each paginated listing from where the previous backfill run stopped, to its end across runs.
    backfill: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": list(self.sites), "urls": list(self.urls), "origin": self.origin,
            "max_pages": self.max_pages,
            "since": self.since.isoformat() if self.since is not None else None,
            "workers": self.workers, "refresh": self.refresh, "verbose": self.verbose,
            "delay": self.delay, "local_server": self.local_server,
            "per_domain_concurrency": self.per_domain_concurrency, "autothrottle": self.autothrottle,
            "pages": list(self.pages), "backfill": self.backfill,
        }

    @classmethod
    def from_dict(cls, value: Any) -> CrawlRequest:
        data = _object(value, "crawl request")
        _known(data, _REQUEST_FIELDS, "crawl request")
        since = _opt_str(data, "since")
        try:
            since_day = date.fromisoformat(since) if since else None
        except ValueError:
            raise ProtocolError(f"since: not a YYYY-MM-DD date: {since!r}") from None
        return cls(
            sites=_strs(data, "sites"), urls=_strs(data, "urls"), origin=_opt_str(data, "origin"),
            max_pages=_opt_int(data, "max_pages"), since=since_day, workers=_opt_int(data, "workers"),
            refresh=_bool(data, "refresh", False), verbose=_bool(data, "verbose", False),
            delay=_opt_float(data, "delay"), local_server=_bool(data, "local_server", False),
            per_domain_concurrency=_opt_int(data, "per_domain_concurrency"),
            autothrottle=_bool(data, "autothrottle", True), pages=_strs(data, "pages"),
            backfill=_bool(data, "backfill", False),
        )

    def to_json(self) -> str:
        """ASCII JSON: whatever the locale's encoding of the child's stdin, it reads the same."""
        return json.dumps(self.as_dict())

    @classmethod
    def from_json(cls, text: str) -> CrawlRequest:
        return cls.from_dict(_decode(text, "crawl request"))


_REQUEST_FIELDS = tuple(CrawlRequest.__dataclass_fields__)


# -- the summary ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class SiteResult:
    """One site's crawl run, as the child reports it."""

    site: str
    run_id: int | None
    status: RunStatus
    finish_reason: str | None = None  # Scrapy's
    article_pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0  # discovered article URLs skipped, whatever the reason (robots, --since, …)
    failures: tuple[tuple[str, str], ...] = ()  # (url, reason), the first few
    notes: tuple[str, ...] = ()  # what the run must say that is not a failure (a stale robots.txt)
    responses: int = 0  # every response received (robots, feeds, listings, articles)
    elapsed_seconds: float | None = None
    extract_cpu_ms: float = 0.0
    store_ms: float = 0.0
    store_cpu_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site, "run_id": self.run_id, "status": self.status.value,
            "finish_reason": self.finish_reason, "article_pages": self.article_pages,
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
            "failed": self.failed, "skipped": self.skipped, "failures": [list(f) for f in self.failures],
            "notes": list(self.notes),
            "responses": self.responses, "elapsed_seconds": self.elapsed_seconds,
            "extract_cpu_ms": self.extract_cpu_ms, "store_ms": self.store_ms,
            "store_cpu_ms": self.store_cpu_ms,
        }

    @classmethod
    def from_dict(cls, value: Any) -> SiteResult:
        data = _object(value, "site result")
        status = _opt_str(data, "status") or RunStatus.FAILED.value
        try:
            run_status = RunStatus(status)
        except ValueError:
            raise ProtocolError(f"status: unknown run status {status!r}") from None
        failures = data.get("failures")
        failures = [] if failures is None else failures
        if not isinstance(failures, list) or not all(
                isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f) for f in failures):
            raise ProtocolError(f"failures: expected [url, reason] pairs, got {failures!r}")
        return cls(
            site=_opt_str(data, "site") or "", run_id=_opt_int(data, "run_id"), status=run_status,
            finish_reason=_opt_str(data, "finish_reason"), article_pages=_int(data, "article_pages"),
            new=_int(data, "new"), updated=_int(data, "updated"), unchanged=_int(data, "unchanged"),
            failed=_int(data, "failed"), skipped=_int(data, "skipped"),
            failures=tuple((u, r) for u, r in failures), notes=_strs(data, "notes"),
            responses=_int(data, "responses"), elapsed_seconds=_opt_float(data, "elapsed_seconds"),
            extract_cpu_ms=_float(data, "extract_cpu_ms"), store_ms=_float(data, "store_ms"),
            store_cpu_ms=_float(data, "store_cpu_ms"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlUsage:
    """Resources the child used, for the benchmarks' stage breakdown."""

    cpu_crawler_seconds: float = 0.0  # the crawler process itself
    cpu_workers_seconds: float = 0.0  # its reaped children: extraction workers, archive writer
    maxrss_crawler_mb: float = 0.0
    maxrss_worker_mb: float = 0.0  # the largest child

    def as_dict(self) -> dict[str, Any]:
        return {
            "cpu_crawler_seconds": self.cpu_crawler_seconds, "cpu_workers_seconds": self.cpu_workers_seconds,
            "maxrss_crawler_mb": self.maxrss_crawler_mb, "maxrss_worker_mb": self.maxrss_worker_mb,
        }

    @classmethod
    def from_dict(cls, value: Any) -> CrawlUsage:
        data = _object(value, "usage")
        return cls(cpu_crawler_seconds=_float(data, "cpu_crawler_seconds"),
                   cpu_workers_seconds=_float(data, "cpu_workers_seconds"),
                   maxrss_crawler_mb=_float(data, "maxrss_crawler_mb"),
                   maxrss_worker_mb=_float(data, "maxrss_worker_mb"))


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlSummary:
    """The child's answer: a result per site, or the error that stopped it before any."""

    sites: tuple[SiteResult, ...] = ()
    usage: CrawlUsage | None = None
    error: str | None = None  # why nothing was crawled (e.g. the archive lock is held)
    exit_code: int | None = None  # with ``error``: the exit code it stands for

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"sites": [s.as_dict() for s in self.sites]}
        if self.usage is not None:
            data["usage"] = self.usage.as_dict()
        if self.error is not None:
            data["error"] = self.error
        if self.exit_code is not None:
            data["exit_code"] = self.exit_code
        return data

    @classmethod
    def from_dict(cls, value: Any) -> CrawlSummary:
        data = _object(value, "crawl summary")
        sites = data.get("sites")
        sites = [] if sites is None else sites
        if not isinstance(sites, list):
            raise ProtocolError(f"sites: expected a list, got {sites!r}")
        usage = data.get("usage")
        return cls(sites=tuple(SiteResult.from_dict(s) for s in sites),
                   usage=None if usage is None else CrawlUsage.from_dict(usage),
                   error=_opt_str(data, "error"), exit_code=_opt_int(data, "exit_code"))

    def to_json(self) -> str:
        """One line of JSON (the child prints it last on stdout)."""
        return json.dumps(self.as_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlSummary:
        return cls.from_dict(_decode(text, "crawl summary"))


def read_summary(stdout: str) -> CrawlSummary | None:
    """The summary on the last line of the child's stdout that holds one, if any."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                return CrawlSummary.from_json(line)
            except ProtocolError:
                continue
    return None
