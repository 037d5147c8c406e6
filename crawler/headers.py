"""Reading a Scrapy response's headers."""

from __future__ import annotations

from scrapy.http import Response


def header_value(response: Response | None, name: bytes) -> str | None:
    """A response header as text, or None."""
    if response is None:
        return None
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
