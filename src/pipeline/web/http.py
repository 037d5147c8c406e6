"""HTTP responses of the web UI: one status, headers and a body; JSON and HTML shapes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Response", "html_response", "json_error", "json_response", "redirect"]


@dataclass(frozen=True, slots=True)
class Response:
    """A status, headers and a body (bytes, or an iterable streamed to the client)."""

    status: int
    body: bytes | Iterable[bytes]
    content_type: str
    headers: tuple[tuple[str, str], ...] = field(default=())


def json_response(status: int, data: Any) -> Response:
    """A JSON response (UTF-8, Vietnamese left readable)."""
    body = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json; charset=utf-8")


def json_error(status: int, code: str, message: str) -> Response:
    """The API's error shape: ``{"error": message, "code": code}``."""
    return json_response(status, {"error": message, "code": code})


def html_response(status: int, page: str) -> Response:
    """An HTML page; its language may come from ``Accept-Language``, hence ``Vary``."""
    return Response(status, page.encode("utf-8"), "text/html; charset=utf-8", (("Vary", "Accept-Language"),))


def redirect(location: str, status: int = 302) -> Response:
    """A redirect (301 for a moved address, 302 for "the nearest capture is this one")."""
    return Response(status, b"", "text/plain; charset=utf-8", (("Location", location),))
