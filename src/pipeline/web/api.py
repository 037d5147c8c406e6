"""The JSON API behind the web UI: parameter parsing, result shapes and the OpenAPI document.

The HTML pages and the API read their parameters through the same :func:`parse_search_params`,
so a filter means the same thing in both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pipeline import __version__
from pipeline.errors import InputError
from pipeline.archive.models import Article, Source
from pipeline.record import to_jsonable
from pipeline.search import SearchHit, SearchQuery, SearchResult
from pipeline.archive.store import article_to_record

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "PAGE_SIZE",
    "BadParameter",
    "article_as_dict",
    "build_openapi",
    "hit_as_dict",
    "parse_search_params",
    "result_as_dict",
]

PAGE_SIZE = 20
MAX_LIMIT = 100
# Deep pages cost the engine a full ranking; archivists refine the query instead.
MAX_OFFSET = 10_000
SORTS = ("relevance", "newest", "oldest")


class BadParameter(InputError):
    """A query-string parameter that cannot be used (``code`` in the API's error object)."""

    code = "bad_parameter"


def _values(query: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in query.get(name, ()) if v.strip())


def _one(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = _values(query, name)
    if len(values) > 1:
        raise BadParameter(f"parameter {name!r} given {len(values)} times; give it once")
    return values[0] if values else None


def _parse_int(query: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int) -> int:
    raw = _one(query, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"parameter {name!r} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise BadParameter(f"parameter {name!r} must be between {low} and {high}, not {value}")
    return value


def _parse_date(query: Mapping[str, Sequence[str]], name: str) -> date | None:
    raw = _one(query, name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(f"parameter {name!r} must be a date YYYY-MM-DD, not {raw!r}") from None


def _parse_flag(query: Mapping[str, Sequence[str]], name: str) -> bool:
    raw = _one(query, name)
    if raw is None:
        return False
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise BadParameter(f"parameter {name!r} must be 1 or 0, not {raw!r}")


def parse_search_params(query: Mapping[str, Sequence[str]], *, paged: bool = False) -> SearchQuery:
    """Read a search request from a parsed query string (``urllib.parse.parse_qs``).

    ``paged`` reads ``page`` (1-based, :data:`PAGE_SIZE` a page) as the UI does, instead of
    ``limit``/``offset``. Raises :class:`BadParameter` with a message for the user.

    >>> parse_search_params({"q": ["kim thanh"], "site": ["baohaiduong"], "sort": ["newest"]}).sites
    ('baohaiduong',)
    """
    sort = _one(query, "sort") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"parameter 'sort' must be one of {', '.join(SORTS)}, not {sort!r}")
    date_from, date_to = _parse_date(query, "from"), _parse_date(query, "to")
    if date_from and date_to and date_from > date_to:
        raise BadParameter(f"'from' ({date_from}) is after 'to' ({date_to})")
    if paged:
        page = _parse_int(query, "page", 1, 1, MAX_OFFSET // PAGE_SIZE + 1)
        limit, offset = PAGE_SIZE, (page - 1) * PAGE_SIZE
    else:
        limit = _parse_int(query, "limit", PAGE_SIZE, 1, MAX_LIMIT)
        offset = _parse_int(query, "offset", 0, 0, MAX_OFFSET)
    return SearchQuery(
        text=" ".join(query.get("q", ())).strip(),
        sites=_values(query, "site"), provinces=_values(query, "province"),
        date_from=date_from, date_to=date_to,
        author=_one(query, "author"), section=_one(query, "section"), language=_one(query, "language"),
        exclude_duplicates=_parse_flag(query, "no_duplicates"),
        sort=sort, limit=limit, offset=offset,
        facets=paged or _parse_flag(query, "facets"),
    )


def hit_as_dict(hit: SearchHit) -> dict[str, Any]:
    """One hit as JSON; the snippet as ``[{"text", "match"}]`` pieces, unescaped."""
    return {
        "id": hit.id, "url": hit.url, "canonical_url": hit.canonical_url,
        "site": hit.site, "site_name": hit.site_name, "province": hit.province,
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
        "hits": [hit_as_dict(h) for h in result.hits],
        "facets": {name: [{"value": v, "count": c} for v, c in counts]
                   for name, counts in result.facets.items()},
    }


def article_as_dict(article: Article, source: Source | None) -> dict[str, Any]:
    """The response of ``/api/articles/{id}``: the record plus id, paper name and province."""
    out: dict[str, Any] = {"id": article.id}
    out.update(article_to_record(article).as_dict())
    out["site_name"] = source.name if source else None
    out["province"] = {
        "before": source.province_before if source else None,
        "after": source.province_after if source else None,
    }
    return out


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API (served at ``/api/openapi.json``)."""
    nullable_str: dict[str, Any] = {"type": ["string", "null"]}
    string_list: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    hit_props: dict[str, Any] = {
        "id": {"type": "integer"}, "url": {"type": "string"}, "canonical_url": {"type": "string"},
        "site": nullable_str, "site_name": nullable_str, "province": nullable_str,
        "title": nullable_str, "description": nullable_str, "author": nullable_str,
        "section": nullable_str,
        "published_at": {"type": ["string", "null"], "format": "date-time"},
        "score": {"type": ["number", "null"]},
        "snippet": {"type": "array", "items": {
            "type": "object", "required": ["text", "match"],
            "properties": {"text": {"type": "string"}, "match": {"type": "boolean"}}}},
    }
    article_props: dict[str, Any] = {
        "id": {"type": "integer"}, "url": {"type": "string"}, "canonical_url": {"type": "string"},
        "site": nullable_str, "site_name": nullable_str,
        "province": {"type": "object", "properties": {"before": nullable_str, "after": nullable_str}},
        "title": nullable_str, "description": nullable_str, "author": nullable_str,
        "published_at": {"type": ["string", "null"], "format": "date-time"},
        "modified_at": {"type": ["string", "null"], "format": "date-time"},
        "section": nullable_str, "tags": string_list, "language": nullable_str,
        "text": {"type": "string"}, "captions": string_list,
        "images": {"type": "array", "items": {"type": "object", "properties": {
            "url": {"type": "string"}, "caption": nullable_str}}},
        "word_count": {"type": "integer"}, "content_sha256": {"type": "string"},
        "fetched_at": {"type": ["string", "null"], "format": "date-time"},
        "date_source": nullable_str, "modified_source": nullable_str, "source_agency": nullable_str,
        "flags": string_list, "extractor_version": nullable_str,
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "baotinh archive API", "version": __version__,
                 "description": "Read-only search and retrieval over the archive of Vietnam's "
                                "provincial press. Text is Unicode NFC; dates are ISO 8601 with offset."},
        "paths": {
            "/api/search": {"get": {
                "operationId": "search",
                "summary": "Full-text search with filters, sorting, pagination and facets",
                "parameters": [
                    _param("q", {"type": "string"}, 'Words (AND), "phrases", OR, -exclusion, prefix*; '
                                                    "with or without diacritics"),
                    _param("site", string_list, "Registry site id (repeatable)"),
                    _param("province", string_list, "Province, old or new name (repeatable)"),
                    _param("from", {"type": "string", "format": "date"}, "Published on or after (YYYY-MM-DD)"),
                    _param("to", {"type": "string", "format": "date"}, "Published on or before (YYYY-MM-DD)"),
                    _param("author", {"type": "string"}, "Author"),
                    _param("section", {"type": "string"}, "Section"),
                    _param("language", {"type": "string"}, "Language code, e.g. vi"),
                    _param("no_duplicates", {"type": "string", "enum": ["0", "1"]}, "Exclude near-duplicates"),
                    _param("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "Order"),
                    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                     "default": PAGE_SIZE}, "Hits per page"),
                    _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
                                      "default": 0}, "Hits to skip"),
                    _param("facets", {"type": "string", "enum": ["0", "1"]}, "Count hits by site, province, year"),
                ],
                "responses": {
                    "200": {"description": "Hits", "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/SearchResult"}}}},
                    "400": _error_response("Malformed query (bad_query) or parameter (bad_parameter)"),
                    "500": _error_response("Server error (logged)"),
                },
            }},
            "/api/articles/{id}": {"get": {
                "operationId": "getArticle",
                "summary": "One article's record with its provenance",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {
                    "200": {"description": "The article", "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Article"}}}},
                    "404": _error_response("No article with this id (not_found)"),
                    "500": _error_response("Server error (logged)"),
                },
            }},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error", "code"], "properties": {
                "error": {"type": "string", "description": "A message for the user"},
                "code": {"type": "string", "enum": ["bad_query", "bad_parameter", "not_found",
                                                    "method_not_allowed", "server_error"]}}},
            "Hit": {"type": "object", "properties": hit_props},
            "SearchResult": {"type": "object", "required": ["total", "total_is_estimate", "hits", "facets"],
                             "properties": {
                                 "total": {"type": "integer"},
                                 "total_is_estimate": {"type": "boolean"},
                                 "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                                 "facets": {"type": "object", "additionalProperties": {
                                     "type": "array", "items": {"type": "object", "properties": {
                                         "value": {"type": "string"}, "count": {"type": "integer"}}}}}}},
            "Article": {"type": "object", "properties": article_props},
        }},
    }
