"""The WARC format as the archive writes it: record digests, dates, profiles, and the exchange
and ``warcinfo`` values a capture is made of."""

from __future__ import annotations

import base64
import hashlib
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline import __version__

__all__ = [
    "NOT_MODIFIED_PROFILE",
    "REVISIT_PROFILE",
    "Exchange",
    "WarcInfo",
    "parse_warc_date",
    "sha1_base32",
    "sha256_base32",
    "warc_date",
]

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# A 304 answer to a conditional GET: the server says the page is the one captured before.
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def sha1_base32(data: bytes) -> str:
    """``sha1:<BASE32>``, the conventional WARC payload digest."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def sha256_base32(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """WARC-Date in UTC with microseconds (WARC/1.1 allows sub-second precision)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_warc_date(value: str) -> datetime:
    text = value.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One HTTP exchange as the crawler saw it (body exactly as received, still encoded)."""

    url: str
    method: str = "GET"
    request_headers: Sequence[tuple[str, str]] = ()
    status: int = 200
    reason: str = ""
    protocol: str = "HTTP/1.1"
    response_headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    date: datetime
    ip_address: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WarcInfo:
    """What the ``warcinfo`` record at the head of each file says."""

    crawl_run: int | None = None
    site: str | None = None
    robots: str = "obey"
    user_agent: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def fields(self, filename: str) -> dict[str, str]:
        import warcio

        out = {
            "software": f"baotinh/{__version__} (warcio/{getattr(warcio, '__version__', '?')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "isPartOf": f"baotinh-crawl-{self.crawl_run}" if self.crawl_run is not None else "baotinh",
            "robots": self.robots,
            "filename": filename,
        }
        if self.crawl_run is not None:
            out["crawl-run"] = str(self.crawl_run)
        if self.site:
            out["site"] = self.site
        if self.user_agent:
            out["http-header-user-agent"] = self.user_agent
        out.update(self.extra)
        return out

