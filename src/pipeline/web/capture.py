"""The capture itself: WARC records of an article, Wayback-style timestamps, the captured page.

Reads only: the ``captures`` index (revision 0002) finds the records of a URL, the WARC files
under the archive folder hold them. Timestamps in ``/web/<YYYYMMDDhhmmss>/<url>`` are UTC, as
in the Wayback Machine; a timestamp between two captures means the capture at or before it.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.archive.captures import find_capture, read_capture, read_member
from pipeline.archive.captures.index import ref_from_row
from pipeline.archive.models import Article, Capture
from pipeline.errors import ArchiveError
from pipeline.record import CaptureRef
from pipeline.web.archive import ReadOnlyArchive, inside_archive

__all__ = [
    "CAPTURED_CSP",
    "CapturedPage",
    "article_capture",
    "capture_uris",
    "find_nearest_capture",
    "list_captures",
    "parse_timestamp",
    "read_captured_page",
    "read_warc_records",
    "wayback_timestamp",
]

# The captured page is someone else's HTML: no script, no form, no remote load, its own origin.
CAPTURED_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
_TIMESTAMP = re.compile(r"[0-9]{4,14}")


def wayback_timestamp(moment: datetime) -> str:
    """``YYYYMMDDhhmmss`` in UTC.

    >>> from pipeline.text.dates import VN_TZ
    >>> wayback_timestamp(datetime(2019, 8, 6, 19, 5, 1, tzinfo=VN_TZ))
    '20190806120501'
    """
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_timestamp(value: str) -> datetime | None:
    """A Wayback timestamp (4 to 14 digits, the rest taken as late as can be) as UTC; else ``None``.

    >>> parse_timestamp("2019")
    datetime.datetime(2019, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
    """
    if not _TIMESTAMP.fullmatch(value):
        return None
    padded = value + "1231235959"[len(value) - 4:]
    # February and 30-day months: step the day back until the date exists.
    for day_back in range(4):
        day = int(padded[6:8]) - day_back
        try:
            return datetime(int(padded[:4]), int(padded[4:6]), day, int(padded[8:10]),
                            int(padded[10:12]), int(padded[12:14]), tzinfo=UTC)
        except ValueError:
            if len(value) >= 8:
                return None
    return None


def capture_uris(session: Session, url: str) -> list[str]:
    """The URIs a capture of ``url`` may carry: the URL itself and its article's URL and canonical URL."""
    uris = [url]
    article = session.scalars(
        select(Article).where(or_(Article.canonical_url == url, Article.url == url)).limit(1)).first()
    if article is not None:
        uris += [u for u in (article.url, article.canonical_url) if u and u not in uris]
    return uris


def find_nearest_capture(session: Session, uris: list[str], moment: datetime) -> CaptureRef | None:
    """The capture of any of ``uris`` at or before ``moment``; else the first after it."""
    base = select(Capture).where(Capture.uri.in_(uris), Capture.rec_type.in_(("response", "revisit")))
    row = session.scalars(base.where(Capture.date <= moment).order_by(Capture.date.desc(), Capture.id.desc())
                          .limit(1)).first()
    if row is None:
        row = session.scalars(base.order_by(Capture.date, Capture.id).limit(1)).first()
    return ref_from_row(row) if row is not None else None


def list_captures(session: Session, uris: list[str], limit: int = 100) -> list[CaptureRef]:
    """The captures (responses and revisits) of any of ``uris``, oldest first."""
    rows = session.scalars(select(Capture).where(Capture.uri.in_(uris),
                                                 Capture.rec_type.in_(("response", "revisit")))
                           .order_by(Capture.date, Capture.id).limit(limit))
    return [ref_from_row(row) for row in rows]


def article_capture(session: Session, article: Article) -> CaptureRef | None:
    """The capture the article's current version was extracted from, from the index."""
    record_id = article.capture_record_id
    return find_capture(session, record_id) if record_id else None


def _member(archive: ReadOnlyArchive, ref: CaptureRef) -> bytes:
    if not inside_archive(archive.archive_dir, ref.warc):
        raise ArchiveError(f"capture {ref.record_id} points outside the archive folder")
    return gzip.decompress(read_member(archive.archive_dir, ref.warc, ref.offset, ref.length))


def read_warc_records(archive: ReadOnlyArchive, session: Session, ref: CaptureRef) -> bytes:
    """The WARC record of a capture, uncompressed, byte for byte as archived.

    A ``revisit`` comes with the ``response`` it refers to, so the file alone holds the page.
    """
    data = _member(archive, ref)
    if ref.rec_type == "revisit" and ref.refers_to:
        original = find_capture(session, ref.refers_to)
        if original is not None:
            data += _member(archive, original)
    return data


@dataclass(frozen=True, slots=True)
class CapturedPage:
    """The payload of a capture, decoded from its content-encoding, and what the banner says."""

    body: bytes
    content_type: str  # as the paper sent it (a page without charset keeps its <meta charset>)
    uri: str
    date: datetime
    status: int


def read_captured_page(archive: ReadOnlyArchive, session: Session, ref: CaptureRef) -> CapturedPage:
    """The page as the crawler received it (a revisit followed to its original)."""
    if not inside_archive(archive.archive_dir, ref.warc):
        raise ArchiveError(f"capture {ref.record_id} points outside the archive folder")
    response = read_capture(archive.archive_dir, ref, session)
    content_type = " ".join(response.headers.get("content-type", "").split()) or "text/html"
    return CapturedPage(body=response.body, content_type=content_type, uri=response.uri, date=ref.date,
                        status=response.status)
