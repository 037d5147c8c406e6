"""The ``Retry-After`` header (RFC 9110 §10.2.3), read the same way by the crawler and the backfill."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["parse_retry_after"]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date), or None.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now=datetime(1994, 11, 6, 8, 49, 30, tzinfo=UTC))
    10.0
    >>> parse_retry_after("soon") is None, parse_retry_after("  ") is None
    (True, True)
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
