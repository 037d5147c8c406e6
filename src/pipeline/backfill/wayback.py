"""The Wayback Machine: its CDX server lists a domain's captures, ``id_`` replay gives the bytes.

Real endpoints (the defaults)::

    https://web.archive.org/cdx/search/cdx?url=baohaiduong.vn&matchType=domain&output=json
        &from=2019&to=2024&filter=statuscode:200&collapse=digest&showResumeKey=true&limit=500
    https://web.archive.org/web/20190806120501id_/https://baohaiduong.vn/chinh-tri/x-105123.html

``id_`` asks for the archived answer as it was captured, without the Wayback banner or rewritten
links. The listing is paged with ``showResumeKey``/``resumeKey``, and each page's resume key is
kept in the cursor, so an interrupted listing goes on from its last page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from pipeline.backfill.cdx import Capture, CdxError, CdxPage, parse_wayback_rows
from pipeline.backfill.memento import Memento, MementoError, wrap_payload
from pipeline.backfill.politeness import FetchError, PoliteClient

__all__ = ["DEFAULT_CDX_URL", "DEFAULT_REPLAY_URL", "WaybackSource"]

DEFAULT_CDX_URL = "https://web.archive.org/cdx/search/cdx"
DEFAULT_REPLAY_URL = "https://web.archive.org/web"


@dataclass
class WaybackSource:
    client: PoliteClient
    cdx_url: str = DEFAULT_CDX_URL
    replay_url: str = DEFAULT_REPLAY_URL
    page_size: int = 500

    name = "wayback"

    def list_pages(self, domain: str, *, start: str, end: str, token: str | None = None) -> Iterator[CdxPage]:
        """The captures of ``domain`` (and its subdomains) from ``start`` to ``end``, a page at a time."""
        while True:
            params = {"url": domain, "matchType": "domain", "output": "json", "from": start, "to": end,
                      "filter": "statuscode:200", "collapse": "digest", "showResumeKey": "true",
                      "limit": str(self.page_size)}
            if token:
                params["resumeKey"] = token
            url = f"{self.cdx_url}?{urlencode(params)}"
            answer = self.client.get(url)
            if answer.status != 200:
                raise FetchError(url, f"the CDX server answered HTTP {answer.status}")
            try:
                rows = json.loads(answer.body.decode("utf-8") or "[]")
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CdxError(f"{url}: the CDX answer is not JSON") from exc
            captures, token = parse_wayback_rows(rows)
            yield CdxPage(captures, token)
            if not token:
                return

    def memento_url(self, capture: Capture) -> str:
        return f"{self.replay_url.rstrip('/')}/{capture.timestamp}id_/{capture.original}"

    def source_key(self, capture: Capture) -> str:
        """The ``WARC-Source-URI`` the capture's record will carry (unless a redirect moves it)."""
        return self.memento_url(capture)

    def fetch(self, capture: Capture) -> Memento:
        """The capture's archived bytes, as a WARC record naming its memento URL."""
        url = self.memento_url(capture)
        answer = self.client.get(url)
        if answer.status != 200:
            raise MementoError(f"{url}: the archive answered HTTP {answer.status}")
        # A redirect may have led to a neighbouring capture: that one is what was fetched.
        if answer.url != url:
            moved = answer.url.removeprefix(self.replay_url.rstrip("/") + "/")
            stamp = moved.split("/", 1)[0].removesuffix("id_")
            if stamp.isdigit():
                capture = Capture(capture.original, stamp, capture.status, capture.digest, capture.mimetype)
            url = answer.url
        record = wrap_payload(capture, answer.body, answer.headers, status=200, source=url)
        return Memento(capture, record, url)
