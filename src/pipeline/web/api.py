"""The JSON API behind the web UI: parameter parsing and result shapes.

The HTML pages and the API read their parameters through the same :func:`parse_search_params`,
so a filter means the same thing in both. The OpenAPI document is :mod:`pipeline.web.openapi`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, ArticleVersion, Source
from pipeline.archive.store import article_to_record
from pipeline.errors import InputError
from pipeline.record import CaptureRef, to_jsonable
from pipeline.registry.provinces import province_at, province_now
from pipeline.search import SearchHit, SearchQuery, SearchResult

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "PAGE_SIZE",
    "SORTS",
    "BadParameter",
    "article_as_dict",
    "capture_as_dict",
    "hit_as_dict",
    "parse_search_params",
    "result_as_dict",
    "versions_as_list",
]

PAGE_SIZE = 20
MAX_LIMIT = 100
# Deep pages cost the engine a full ranking; archivists refine the query instead.
MAX_OFFSET = 10_000
SORTS = ("relevance", "newest", "oldest")


class BadParameter(InputError):
    """A query-string parameter that cannot be used (``code`` in the API's error object)."""

    code = "bad_parameter"

    def __init__(self, message: str, key: str = "error_query", **values: object) -> None:
        super().__init__(message)
        self.key = key  # the message in the UI's strings (web.i18n), with its values
        self.values = values


def _values(query: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in query.get(name, ()) if v.strip())


def _one(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = _values(query, name)
    if len(values) > 1:
        raise BadParameter(f"parameter {name!r} given {len(values)} times; give it once",
                           "error_param_once", name=name)
    return values[0] if values else None


def _parse_int(query: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int) -> int:
    raw = _one(query, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"parameter {name!r} must be a whole number, not {raw!r}",
                           "error_param_int", name=name, low=low, high=high) from None
    if not low <= value <= high:
        raise BadParameter(f"parameter {name!r} must be between {low} and {high}, not {value}",
                           "error_param_int", name=name, low=low, high=high)
    return value


def _parse_date(query: Mapping[str, Sequence[str]], name: str) -> date | None:
    raw = _one(query, name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(f"parameter {name!r} must be a date YYYY-MM-DD, not {raw!r}",
                           "error_param_date", name=name) from None


def _parse_flag(query: Mapping[str, Sequence[str]], name: str) -> bool:
    raw = _one(query, name)
    if raw is None:
        return False
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise BadParameter(f"parameter {name!r} must be 1 or 0, not {raw!r}", "error_param_flag", name=name)


def parse_search_params(query: Mapping[str, Sequence[str]], *, paged: bool = False) -> SearchQuery:
    """Read a search request from a parsed query string (``urllib.parse.parse_qs``).

    ``paged`` reads ``page`` (1-based, :data:`PAGE_SIZE` a page) as the UI does, instead of
    ``limit``/``offset``. Raises :class:`BadParameter` with a message for the user.

    >>> parse_search_params({"q": ["kim thanh"], "site": ["baohaiduong"], "sort": ["newest"]}).sites
    ('baohaiduong',)
    """
    sort = _one(query, "sort") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"parameter 'sort' must be one of {', '.join(SORTS)}, not {sort!r}",
                           "error_param_sort", choices=", ".join(SORTS))
    date_from, date_to = _parse_date(query, "from"), _parse_date(query, "to")
    if date_from and date_to and date_from > date_to:
        raise BadParameter(f"'from' ({date_from}) is after 'to' ({date_to})",
                           "error_param_range", first=date_from, last=date_to)
    if paged:
        page = _parse_int(query, "page", 1, 1, MAX_OFFSET // PAGE_SIZE + 1)
        limit, offset = PAGE_SIZE, (page - 1) * PAGE_SIZE
    else:
        limit = _parse_int(query, "limit", PAGE_SIZE, 1, MAX_LIMIT)
        offset = _parse_int(query, "offset", 0, 0, MAX_OFFSET)
    return SearchQuery(
        text=" ".join(query.get("q", ())).strip(),
        sites=_values(query, "site"), provinces=_values(query, "province"),
        provinces_now=_values(query, "province_now"), tag=_one(query, "tag"),
        date_from=date_from, date_to=date_to,
        author=_one(query, "author"), section=_one(query, "section"), language=_one(query, "language"),
        exclude_duplicates=_parse_flag(query, "no_duplicates"),
        sort=sort, limit=limit, offset=offset,
        facets=paged or _parse_flag(query, "facets"),
    )


def hit_as_dict(hit: SearchHit) -> dict[str, Any]:
    """One hit as JSON; the snippet as ``[{"text", "match"}]`` pieces, unescaped."""
    return {
        "id": hit.id, "key": hit.key, "url": hit.url, "canonical_url": hit.canonical_url,
        "site": hit.site, "site_name": hit.site_name, "province": hit.province,
        "province_now": hit.province_now,
        "title": hit.title, "description": hit.description, "author": hit.author,
        "section": hit.section, "published_at": to_jsonable(hit.published_at),
        "score": hit.score,
        "snippet": [{"text": text, "match": bool(match)} for text, match in hit.snippet.segments],
    }


def result_as_dict(result: SearchResult) -> dict[str, Any]:
    """The response of ``/api/search``."""
    return {
        "total": result.total,
        "total_is_estimate": result.total_is_estimate,
        "parsed_query": dict(result.parsed_query),
        "hits": [hit_as_dict(h) for h in result.hits],
        "facets": {name: [{"value": v, "count": c} for v, c in counts]
                   for name, counts in result.facets.items()},
    }


def article_as_dict(article: Article, source: Source | None) -> dict[str, Any]:
    """The response of ``/api/articles/{id}``: the record plus id, key, paper name and provinces.

    ``province`` is the province at publication (before 1 July 2025 the province of that
    time), ``province_now`` the paper's province today; ``province_before``/``province_after``
    are the paper's two registry entries.
    """
    out: dict[str, Any] = {"id": article.id, "key": article.key}
    out.update(article_to_record(article).as_dict())
    out["duplicate_of"] = article.duplicate_of
    before = source.province_before if source else None
    after = source.province_after if source else None
    out["site_name"] = source.name if source else None
    out["province"] = province_at(article.published_at, article.first_seen_at, before, after)
    out["province_now"] = province_now(before, after)
    out["province_before"], out["province_after"] = before, after
    return out


def capture_as_dict(ref: CaptureRef | None, wayback: str | None) -> dict[str, Any] | None:
    """The capture of the current version: WARC record id, file, offset, digests, when."""
    if ref is None:
        return None
    return {"id": ref.record_id, "warc_filename": ref.warc.rsplit("/", 1)[-1], "warc": ref.warc,
            "offset": ref.offset, "length": ref.length, "payload_digest": f"sha1:{ref.digest}",
            "payload_sha256": ref.sha256, "fetched_at": to_jsonable(ref.date), "uri": ref.uri,
            "status": ref.status, "type": ref.rec_type, "refers_to": ref.refers_to, "wayback": wayback}


def versions_as_list(session: Session, article_id: int) -> list[dict[str, Any]]:
    """The superseded versions of an article, oldest first (the current one is the article)."""
    rows = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                           .order_by(ArticleVersion.version))
    return [{"version": v.version, "valid_from": to_jsonable(v.valid_from), "valid_to": to_jsonable(v.valid_to),
             "changed_fields": list(v.changed_fields or ()), "title": v.title,
             "content_sha256": v.content_sha256, "capture_record_id": v.capture_record_id,
             "extractor_version": v.extractor_version} for v in rows]
