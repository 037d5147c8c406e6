"""A fetched capture as a WARC response record: what both archives hand the one WARC import.

The Wayback Machine gives the archived bytes (``id_`` mode) and a few of the original headers;
they are wrapped as a WARC/1.1 ``response`` record whose ``WARC-Date`` is the capture's time and
whose ``WARC-Target-URI`` is the original URL. Common Crawl's range already is such a record.
Either way the record says where it came from in ``WARC-Source-URI`` (the memento URL, or the
Common Crawl file with the record's offset and length).
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.backfill.cdx import Capture
from pipeline.errors import InputError

__all__ = ["SOURCE_HEADER", "Memento", "MementoError", "cc_source_uri", "record_from_range", "wrap_payload"]

SOURCE_HEADER = "WARC-Source-URI"
# Headers of the original answer worth keeping; Wayback gives them as ``x-archive-orig-<name>``.
KEPT_HEADERS = ("content-type", "last-modified", "etag", "date", "content-language")


class MementoError(InputError):
    """Bytes from an archive that are not what a capture should be (not a WARC record …)."""


@dataclass(frozen=True, slots=True)
class Memento:
    """One capture, fetched: its WARC record (uncompressed bytes) and its provenance."""

    capture: Capture
    record: bytes  # one WARC/1.1 response record, not compressed
    source: str  # the memento URL, or "<cc file URL>#offset=<n>&length=<m>"


def wrap_payload(capture: Capture, payload: bytes, headers: Mapping[str, str], *, status: int,
                 source: str) -> bytes:
    """A WARC response record of an archived answer (``headers``: the replay's, lower-cased)."""
    kept = []
    for name in KEPT_HEADERS:
        value = headers.get(f"x-archive-orig-{name}") or (headers.get(name) if name == "content-type" else None)
        if value:
            kept.append((name.title(), value))
    reason = {200: "OK"}.get(status, "")
    http = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False, warc_version="1.1")
    when = capture.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    record = writer.create_warc_record(
        capture.original, "response", payload=io.BytesIO(payload), http_headers=http,
        warc_headers_dict={"WARC-Date": when, SOURCE_HEADER: source},
    )
    writer.write_record(record)
    return out.getvalue()


def cc_source_uri(data_url: str, capture: Capture) -> str:
    """Where a Common Crawl record lives: the file's URL with its offset and length.

    >>> cc_source_uri("https://data.commoncrawl.org", Capture("u", "2019", filename="a/b.warc.gz", offset=5, length=9))
    'https://data.commoncrawl.org/a/b.warc.gz#offset=5&length=9'
    """
    return f"{data_url.rstrip('/')}/{capture.filename}#offset={capture.offset}&length={capture.length}"


def record_from_range(capture: Capture, data: bytes, *, source: str) -> bytes:
    """The WARC record of a Common Crawl range (one gzip member), with ``WARC-Source-URI`` added.

    The record's own headers (WARC-Date, WARC-Target-URI, digests) and block are kept as they are.
    """
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise MementoError(f"{source}: the range is not a gzip member ({exc})") from exc
    head, sep, block = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"WARC/"):
        raise MementoError(f"{source}: the range does not start with a WARC header")
    try:
        kind = next(iter(ArchiveIterator(io.BytesIO(raw)))).rec_type
    except (ArchiveLoadFailed, StopIteration, ValueError) as exc:
        raise MementoError(f"{source}: the range is not a WARC record ({exc})") from exc
    if kind != "response":
        raise MementoError(f"{source}: the range holds a WARC {kind} record, not a response")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(SOURCE_HEADER.lower().encode() + b":")]
    lines.append(f"{SOURCE_HEADER}: {source}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + block
