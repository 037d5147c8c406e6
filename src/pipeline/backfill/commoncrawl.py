"""Common Crawl: its index server lists a domain's captures per crawl, HTTP ranges give the records.

Real endpoints (the defaults)::

    https://index.commoncrawl.org/collinfo.json                       the crawls (collections)
    https://index.commoncrawl.org/CC-MAIN-2019-35-index?url=baohaiduong.vn&matchType=domain
        &output=json&filter==status:200&page=0                       one page of one crawl's index
    https://data.commoncrawl.org/crawl-data/CC-MAIN-2019-35/…/x.warc.gz   Range: bytes=<offset>-<end>

Each index line gives the WARC file, the offset and the length of the capture's record; the
range is one gzip member holding that record. The crawls to ask are ``--collection`` ones, or
every crawl whose dates overlap ``--from``/``--to`` (``collinfo.json`` gives them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from pipeline.backfill.cdx import Capture, CdxError, CdxPage, parse_cc_lines
from pipeline.backfill.memento import Memento, MementoError, cc_source_uri, record_from_range
from pipeline.backfill.politeness import FetchError, PoliteClient

__all__ = ["DEFAULT_DATA_URL", "DEFAULT_INDEX_URL", "CommonCrawlSource"]

DEFAULT_INDEX_URL = "https://index.commoncrawl.org"
DEFAULT_DATA_URL = "https://data.commoncrawl.org"


@dataclass
class CommonCrawlSource:
    client: PoliteClient
    index_url: str = DEFAULT_INDEX_URL
    data_url: str = DEFAULT_DATA_URL
    collections: Sequence[str] = ()  # e.g. ("CC-MAIN-2019-35",); empty: those overlapping the dates

    name = "commoncrawl"

    def crawls(self, *, start: str, end: str) -> list[str]:
        """The collection ids to ask, oldest first."""
        if self.collections:
            return list(self.collections)
        url = f"{self.index_url.rstrip('/')}/collinfo.json"
        answer = self.client.get(url)
        if answer.status != 200:
            raise FetchError(url, f"the index server answered HTTP {answer.status}")
        try:
            infos = json.loads(answer.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CdxError(f"{url}: not JSON") from exc
        chosen = []
        for info in infos if isinstance(infos, list) else []:
            if not isinstance(info, dict) or "id" not in info:
                continue
            first = _digits(str(info.get("from", ""))) or "0"
            last = _digits(str(info.get("to", ""))) or "9"
            if first[:8] <= end[:8] and last[:8] >= start[:8]:
                chosen.append(str(info["id"]))
        return sorted(chosen)

    def list_pages(self, domain: str, *, start: str, end: str, token: str | None = None) -> Iterator[CdxPage]:
        """Every crawl's captures of ``domain``, a page at a time; the token is ``<crawl> <page>``."""
        crawls = self.crawls(start=start, end=end)
        first_crawl, first_page = (token.split(" ", 1)[0], int(token.split(" ", 1)[1])) if token else ("", 0)
        for crawl in crawls:
            if first_crawl and crawl < first_crawl:
                continue
            page = first_page if crawl == first_crawl else 0
            pages = self._page_count(crawl, domain, start, end)
            while page < pages:
                captures = self._index_page(crawl, domain, start, end, page)
                page += 1
                following = f"{crawl} {page}" if page < pages else _next_crawl(crawls, crawl)
                yield CdxPage(captures, following)

    def _query(self, crawl: str, domain: str, start: str, end: str, **extra: str) -> str:
        params = {"url": domain, "matchType": "domain", "output": "json", "from": start, "to": end,
                  "filter": "=status:200", **extra}
        return f"{self.index_url.rstrip('/')}/{crawl}-index?{urlencode(params)}"

    def _page_count(self, crawl: str, domain: str, start: str, end: str) -> int:
        url = self._query(crawl, domain, start, end, showNumPages="true")
        answer = self.client.get(url)
        if answer.status == 404:
            return 0  # the index knows no capture of the domain in this crawl
        if answer.status != 200:
            raise FetchError(url, f"the index server answered HTTP {answer.status}")
        try:
            data = json.loads(answer.body.decode("utf-8"))
            return int(data["pages"]) if isinstance(data, dict) else int(data)
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise CdxError(f"{url}: not a page count") from exc

    def _index_page(self, crawl: str, domain: str, start: str, end: str, page: int) -> list[Capture]:
        url = self._query(crawl, domain, start, end, page=str(page))
        answer = self.client.get(url)
        if answer.status == 404:
            return []
        if answer.status != 200:
            raise FetchError(url, f"the index server answered HTTP {answer.status}")
        return parse_cc_lines(answer.body.decode("utf-8", "replace"))

    def source_key(self, capture: Capture) -> str:
        """The ``WARC-Source-URI`` the capture's record will carry."""
        return cc_source_uri(self.data_url, capture)

    def fetch(self, capture: Capture) -> Memento:
        """The capture's WARC record, read by an HTTP range of its file."""
        if not capture.filename or capture.offset is None or not capture.length:
            raise MementoError(f"an index line without file, offset and length: {capture.original}")
        url = f"{self.data_url.rstrip('/')}/{capture.filename}"
        last = capture.offset + capture.length - 1
        answer = self.client.get(url, {"Range": f"bytes={capture.offset}-{last}"})
        if answer.status != 206 or len(answer.body) != capture.length:
            raise MementoError(f"{url}: the range {capture.offset}-{last} was answered HTTP {answer.status} "
                               f"with {len(answer.body)} bytes")
        source = cc_source_uri(self.data_url, capture)
        return Memento(capture, record_from_range(capture, answer.body, source=source), source)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _next_crawl(crawls: Sequence[str], crawl: str) -> str | None:
    i = list(crawls).index(crawl)
    return f"{crawls[i + 1]} 0" if i + 1 < len(crawls) else None
