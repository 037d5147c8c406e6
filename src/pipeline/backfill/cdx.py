"""CDX index rows of the web's archives, and the choice of one capture per URL and period.

Pure functions, no I/O. The Wayback Machine's CDX server answers ``output=json`` with a list of
rows whose first row names the fields (``urlkey timestamp original mimetype statuscode digest
length``); Common Crawl's index server answers one JSON object a line (``url``, ``timestamp``,
``status``, ``digest``, ``filename``, ``offset``, ``length`` …). Both become a :class:`Capture`.

>>> rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
...         ["test,demo)/a-1.html", "20190806120501", "http://demo.test/a-1.html", "text/html",
...          "200", "AAA", "1200"]]
>>> [c.timestamp for c in parse_wayback_rows(rows)[0]]
['20190806120501']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.errors import InputError

__all__ = [
    "PERIODS",
    "Capture",
    "CdxPage",
    "CdxError",
    "capture_time",
    "parse_cc_lines",
    "parse_wayback_rows",
    "period_of",
    "select_captures",
    "timestamp_bound",
]

# How captures of one URL are grouped: one capture is kept per URL and period.
PERIODS = ("all", "year", "month", "day")


@dataclass(frozen=True, slots=True)
class CdxPage:
    """One page of an index listing and how to ask for the next (None: it was the last)."""

    captures: list[Capture]
    next_token: str | None


class CdxError(InputError):
    """An index answer that cannot be read (not JSON, missing fields)."""


@dataclass(frozen=True, slots=True)
class Capture:
    """One capture listed by an archive's index.

    ``filename``/``offset``/``length`` locate the WARC record in Common Crawl's data; the
    Wayback Machine replays a capture by ``timestamp`` and ``original`` instead.
    """

    original: str  # the URL as it was captured
    timestamp: str  # 14 digits, UTC: YYYYMMDDhhmmss
    status: str = ""
    digest: str = ""
    mimetype: str = ""
    filename: str = ""
    offset: int | None = None
    length: int | None = None

    @property
    def key(self) -> str:
        """What identifies the capture in a cursor: its time and URL (and its WARC place)."""
        place = f" {self.filename}@{self.offset}" if self.filename else ""
        return f"{self.timestamp} {self.original}{place}"

    @property
    def captured_at(self) -> datetime:
        return capture_time(self.timestamp)

    def as_dict(self) -> dict[str, Any]:
        return {"original": self.original, "timestamp": self.timestamp, "status": self.status,
                "digest": self.digest, "mimetype": self.mimetype, "filename": self.filename,
                "offset": self.offset, "length": self.length}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Capture:
        return cls(original=str(data["original"]), timestamp=str(data["timestamp"]),
                   status=str(data.get("status") or ""), digest=str(data.get("digest") or ""),
                   mimetype=str(data.get("mimetype") or ""), filename=str(data.get("filename") or ""),
                   offset=_int_or_none(data.get("offset")), length=_int_or_none(data.get("length")))


def _int_or_none(value: object) -> int | None:
    if value is None or value == "" or value == "-":
        return None
    try:
        return int(str(value))
    except ValueError as exc:
        raise CdxError(f"not a number in an index row: {value!r}") from exc


def capture_time(timestamp: str) -> datetime:
    """The aware UTC moment of a 14-digit (or shorter) archive timestamp.

    >>> capture_time("20190806120501").isoformat()
    '2019-08-06T12:05:01+00:00'
    """
    digits = timestamp + "00000101000000"[len(timestamp):]
    try:
        return datetime.strptime(digits[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise CdxError(f"not an archive timestamp: {timestamp!r}") from exc


def timestamp_bound(value: str, *, end: bool) -> str:
    """A ``--from``/``--to`` value (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) as a CDX bound.

    >>> timestamp_bound("2019-08", end=False), timestamp_bound("2019-08", end=True)
    ('20190801000000', '20190831235959')
    """
    parts = value.strip().split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise InputError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}")
    year, month, day = int(parts[0]), None, None
    if len(parts) > 1:
        month = int(parts[1])
    if len(parts) > 2:
        day = int(parts[2])
    try:
        if not end:
            return datetime(year, month or 1, day or 1).strftime("%Y%m%d000000")
        if day is not None:
            last = datetime(year, month or 1, day)
        elif month is not None:
            nxt = datetime(year + (month == 12), month % 12 + 1, 1)
            last = datetime.fromordinal(nxt.toordinal() - 1)
        else:
            last = datetime(year, 12, 31)
    except ValueError as exc:
        raise InputError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}") from exc
    return last.strftime("%Y%m%d235959")


def parse_wayback_rows(rows: object) -> tuple[list[Capture], str | None]:
    """Captures from a Wayback CDX ``output=json`` answer, and its resume key (``showResumeKey``).

    The resume key, when there is one, follows an empty row at the end of the list.
    """
    if rows == [] or rows is None:
        return [], None
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], list):
        raise CdxError("the CDX answer is not a JSON list of rows")
    header = [str(h) for h in rows[0]]
    resume_key: str | None = None
    body: list[Any] = rows[1:]
    for i, row in enumerate(body):
        if row == []:
            tail = body[i + 1:]
            if tail and isinstance(tail[0], list) and tail[0]:
                resume_key = str(tail[0][0])
            body = body[:i]
            break
    captures = []
    for row in body:
        if not isinstance(row, list) or len(row) != len(header):
            raise CdxError(f"a CDX row does not match the header {header}: {row!r}")
        fields = dict(zip(header, row, strict=True))
        captures.append(_wayback_capture(fields))
    return captures, resume_key


def _wayback_capture(fields: dict[str, Any]) -> Capture:
    try:
        return Capture(original=str(fields["original"]), timestamp=str(fields["timestamp"]),
                       status=str(fields.get("statuscode", "")), digest=str(fields.get("digest", "")),
                       mimetype=str(fields.get("mimetype", "")))
    except KeyError as exc:
        raise CdxError(f"a CDX row without {exc.args[0]!r}") from exc


def parse_cc_lines(text: str) -> list[Capture]:
    """Captures from a Common Crawl index answer (``output=json``: one JSON object a line).

    A CDXJ line (``urlkey timestamp {json}``) is read as well.
    """
    captures = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = line.find("{")
        try:
            data = json.loads(line[start:]) if start >= 0 else None
        except json.JSONDecodeError as exc:
            raise CdxError(f"an index line is not JSON: {line[:80]!r}") from exc
        if not isinstance(data, dict):
            raise CdxError(f"an index line is not a JSON object: {line[:80]!r}")
        if "timestamp" not in data and start > 0:
            data["timestamp"] = line[:start].split()[-1]
        try:
            captures.append(Capture(
                original=str(data["url"]), timestamp=str(data["timestamp"]),
                status=str(data.get("status", "")), digest=str(data.get("digest", "")),
                mimetype=str(data.get("mime-detected") or data.get("mime") or ""),
                filename=str(data["filename"]), offset=_int_or_none(data["offset"]),
                length=_int_or_none(data["length"]),
            ))
        except KeyError as exc:
            raise CdxError(f"an index line without {exc.args[0]!r}: {line[:80]!r}") from exc
    return captures


def period_of(timestamp: str, per: str) -> str:
    """The period a capture falls in: ``""`` for ``all``, else the timestamp's first digits.

    >>> period_of("20190806120501", "month")
    '201908'
    """
    widths = {"all": 0, "year": 4, "month": 6, "day": 8}
    if per not in widths:
        raise InputError(f"not a period ({', '.join(PERIODS)}): {per!r}")
    return timestamp[:widths[per]]


def select_captures(
    captures: Iterable[Capture],
    *,
    is_article: Callable[[str], bool],
    canonical: Callable[[str], str],
    per: str = "all",
) -> tuple[list[Capture], dict[str, int]]:
    """One capture per article URL and period: status 200, the earliest of each digest.

    Returns the chosen captures in time order, and what was left out and why (the ledger's
    reasons: ``not_article``, ``not_200``, ``same_digest``, ``same_period``).
    """
    dropped: dict[str, int] = {}

    def drop(reason: str) -> None:
        dropped[reason] = dropped.get(reason, 0) + 1

    seen_digest: set[tuple[str, str]] = set()
    chosen: dict[tuple[str, str], Capture] = {}
    for capture in sorted(captures, key=lambda c: (c.timestamp, c.original)):
        if capture.status not in ("200", ""):
            drop("not_200")
            continue
        if not is_article(capture.original):
            drop("not_article")
            continue
        url = canonical(capture.original)
        if capture.digest and (url, capture.digest) in seen_digest:
            drop("same_digest")
            continue
        seen_digest.add((url, capture.digest))
        slot = (url, period_of(capture.timestamp, per))
        if slot in chosen:
            drop("same_period")
            continue
        chosen[slot] = capture
    return sorted(chosen.values(), key=lambda c: (c.timestamp, c.original)), dropped

