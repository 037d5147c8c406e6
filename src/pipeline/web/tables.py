"""Every search and article view also as data, Datasette's way, and whole results as downloads.

- ``/search.json?q=…`` and ``/search.csv?q=…``: the page of hits the search page shows;
- ``/articles/18.json`` and ``/articles/18.csv``: the article's record (as ``/api/articles/18``);
- ``/export.csv?q=…`` and ``/export.jsonl?q=…``: every match, streamed, newest first (oldest
  first with ``sort=oldest``), at most ``BAOTINH_WEB_EXPORT_MAX`` articles (10,000 by default);
  the response says how many rows it holds and whether the cap cut it
  (``X-Baotinh-Export-Rows``, ``X-Baotinh-Export-Capped``), and the search page says so too.

CSV is RFC 4180 (CRLF, a header row, lists as JSON, null as an empty cell), UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, Source
from pipeline.export.formats import csv_value
from pipeline.search import SearchQuery, SearchResult, filtered_articles
from pipeline.search.date_sort import date_order
from pipeline.search.province import province_expr, province_now_expr
from pipeline.web.api import hit_as_dict

__all__ = ["CSV_TYPE", "EXPORT_FIELDS", "HIT_FIELDS", "JSONL_TYPE", "article_csv", "count_export",
           "export_chunks", "hits_csv"]

CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/jsonl; charset=utf-8"
HIT_FIELDS = ("id", "url", "canonical_url", "site", "site_name", "province", "province_now", "title",
              "description", "author", "section", "published_at", "score", "snippet")
EXPORT_FIELDS = ("id", "url", "canonical_url", "site", "province", "province_now", "title", "description",
                 "author", "section", "tags", "published_at", "word_count", "text")
_BATCH = 500


def csv_text(fields: Sequence[str], rows: Sequence[Sequence[Any]], *, header: bool = True) -> str:
    """Rows as RFC 4180 CSV text (CRLF line ends), with a header row."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(fields)
    writer.writerows([csv_value(v) for v in row] for row in rows)
    return out.getvalue()


def hits_csv(result: SearchResult) -> bytes:
    """The page of hits as CSV; the snippet as text with «matches» marked."""
    rows = []
    for hit in result.hits:
        data = hit_as_dict(hit)
        data["snippet"] = hit.snippet.as_text()
        rows.append([data.get(f) for f in HIT_FIELDS])
    return csv_text(HIT_FIELDS, rows).encode("utf-8")


def article_csv(data: dict[str, Any]) -> bytes:
    """One article's record (the API's shape) as a one-row CSV."""
    fields = list(data)
    return csv_text(fields, [[data[f] for f in fields]]).encode("utf-8")


def _export_statement(query: SearchQuery) -> Select[Any]:
    columns = [province_expr().label(f) if f == "province" else province_now_expr().label(f)
               if f == "province_now" else getattr(Article, f) for f in EXPORT_FIELDS]
    by_date = query if query.sort == "oldest" else SearchQuery(sort="newest")
    return (select(*columns).outerjoin(Source, Source.id == Article.site)
            .where(Article.id.in_(filtered_articles(query)))
            .order_by(*date_order(by_date, dated_only=False)))


def count_export(session: Session, query: SearchQuery, cap: int) -> tuple[int, bool]:
    """How many rows a download holds (at most ``cap``) and whether the cap cut it."""
    limited = filtered_articles(query).limit(cap + 1).subquery()
    n = int(session.scalar(select(func.count()).select_from(limited)) or 0)
    return min(n, cap), n > cap


def export_chunks(open_session: Callable[[], Session], query: SearchQuery, cap: int,
                  fmt: str) -> Iterator[bytes]:
    """The download's bytes, a batch of rows at a time, read in one session kept for the stream."""
    with open_session() as session:
        result = session.execute(_export_statement(query).limit(cap).execution_options(yield_per=_BATCH))
        if fmt == "csv":
            yield csv_text(EXPORT_FIELDS, []).encode("utf-8")
        while batch := result.fetchmany(_BATCH):
            if fmt == "csv":
                yield csv_text(EXPORT_FIELDS, batch, header=False).encode("utf-8")
            else:
                yield "".join(json.dumps({f: csv_value(v) if isinstance(v, datetime) else v
                                          for f, v in zip(EXPORT_FIELDS, row, strict=True)},
                                         ensure_ascii=False) + "\n" for row in batch).encode("utf-8")
