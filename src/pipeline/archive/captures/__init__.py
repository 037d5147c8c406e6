"""Raw captures in WARC/1.1 (ISO 28500): what the crawler received, byte for byte.

Every HTTP exchange becomes a ``request``/``response`` pair in a gzip WARC file under
``<archive>/captures/``; each record is its own gzip member, so a file cut short by a killed
process still reads up to its last complete record, and a new file is opened on every start
(never appended to one that may be truncated). Files rotate by size and open with a
``warcinfo`` record.

Digests (documented choice):

* ``WARC-Payload-Digest: sha1:<base32>`` over the entity body as received (still
  content-encoded), as web archives conventionally write it; it is also the key of the revisit
  index (table ``captures``), so identical payloads fetched again become ``revisit`` records
  (profile *identical-payload-digest*) instead of being stored twice.
* ``WARC-Block-Digest: sha256:<base32>`` over the whole block (HTTP headers + body), so every
  record carries a SHA-256 that ``warcio check`` verifies too.

Articles point to their capture by ``capture_warc`` (path relative to the archive folder),
``capture_offset``, ``capture_length`` (of the gzip member), ``capture_record_id`` and
``capture_digest`` (the payload digest).

The package: ``format`` (digests, dates, the exchange and ``warcinfo`` values), ``writer`` (WARC
files), ``index`` (the revisit index and :class:`CaptureArchiver`), ``reader`` (reading back).
A capture's location, :class:`pipeline.record.CaptureRef`, lives with the record.
"""

from __future__ import annotations

from pipeline.archive.captures.format import (
    NOT_MODIFIED_PROFILE,
    REVISIT_PROFILE,
    Exchange,
    WarcInfo,
    parse_warc_date,
    sha1_base32,
    sha256_base32,
    warc_date,
)
from pipeline.archive.captures.index import (
    CaptureArchiver,
    add_captures,
    find_capture,
    find_latest_response,
    find_original,
)
from pipeline.archive.captures.reader import CapturedResponse, read_capture, read_member, read_record
from pipeline.archive.captures.writer import DEFAULT_GZIP_LEVEL, DEFAULT_MAX_BYTES, WarcFileWriter

__all__ = [
    "DEFAULT_GZIP_LEVEL",
    "DEFAULT_MAX_BYTES",
    "NOT_MODIFIED_PROFILE",
    "REVISIT_PROFILE",
    "CaptureArchiver",
    "CapturedResponse",
    "Exchange",
    "WarcFileWriter",
    "WarcInfo",
    "add_captures",
    "find_capture",
    "find_latest_response",
    "find_original",
    "parse_warc_date",
    "read_capture",
    "read_member",
    "read_record",
    "sha1_base32",
    "sha256_base32",
    "warc_date",
]
