"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Built from small pieces (parameters, operations, schemas); the limits and sort orders come
from :mod:`pipeline.web.api`, so the document and the parser cannot disagree.
"""

from __future__ import annotations

from typing import Any

from pipeline import __version__
from pipeline.web.api import MAX_LIMIT, MAX_OFFSET, PAGE_SIZE, SORTS

__all__ = ["build_openapi"]

_ERROR_CODES = ["bad_query", "bad_parameter", "not_found", "method_not_allowed", "server_error"]


def _nullable_str() -> dict[str, Any]:
    return {"type": ["string", "null"]}


def _string_list() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def _date_time() -> dict[str, Any]:
    return {"type": ["string", "null"], "format": "date-time"}


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _search_parameters() -> list[dict[str, Any]]:
    """The query parameters of ``/api/search``."""
    return [
        _param("q", {"type": "string"}, 'Words (AND), "phrases", OR, -exclusion, prefix*; '
                                        "with or without diacritics"),
        _param("site", _string_list(), "Registry site id (repeatable)"),
        _param("province", _string_list(), "Province at publication: before 1 July 2025 the old "
                                            "province, e.g. Hải Dương (repeatable)"),
        _param("province_now", _string_list(), "Province of the paper today, after the 2025 merger, "
                                                "e.g. Hải Phòng (repeatable)"),
        _param("tag", {"type": "string"}, "Tag of the article (diacritics optional)"),
        _param("from", {"type": "string", "format": "date"}, "Published on or after (YYYY-MM-DD)"),
        _param("to", {"type": "string", "format": "date"}, "Published on or before (YYYY-MM-DD)"),
        _param("author", {"type": "string"}, "Author"),
        _param("section", {"type": "string"}, "Section"),
        _param("language", {"type": "string"}, "Language code, e.g. vi"),
        _param("no_duplicates", {"type": "string", "enum": ["0", "1"]}, "Exclude near-duplicates"),
        _param("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "Order"),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": PAGE_SIZE},
               "Hits per page"),
        _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
               "Hits to skip"),
        _param("facets", {"type": "string", "enum": ["0", "1"]},
               "Count hits by site, province, province_now, year, month, section, author, tag"),
    ]


def _paths() -> dict[str, Any]:
    """The two endpoints: search and one article."""
    search = {
        "operationId": "search",
        "summary": "Full-text search with filters, sorting, pagination and facets",
        "parameters": _search_parameters(),
        "responses": {
            "200": _json_response("Hits", "SearchResult"),
            "400": _error_response("Malformed query (bad_query) or parameter (bad_parameter)"),
            "500": _error_response("Server error (logged)"),
        },
    }
    article = {
        "operationId": "getArticle",
        "summary": "One article's record with its provenance",
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}],
        "responses": {
            "200": _json_response("The article", "Article"),
            "404": _error_response("No article with this id (not_found)"),
            "500": _error_response("Server error (logged)"),
        },
    }
    by_key = {
        "operationId": "getArticleByKey",
        "summary": "One article by its stable key (the same in every copy of the archive)",
        "parameters": [{"name": "key", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z2-7]{12,52}$"},
                        "description": "base32(sha256(canonical_url))[:12], lower case"}],
        "responses": {
            "200": _json_response("The article", "Article"),
            "400": _error_response("Not a key (bad_parameter)"),
            "404": _error_response("No article with this key (not_found)"),
            "500": _error_response("Server error (logged)"),
        },
    }
    export = {
        "operationId": "exportSearch",
        "summary": "Every match of a search, streamed newest first (oldest with sort=oldest), "
                   "at most BAOTINH_WEB_EXPORT_MAX articles (default 10,000); the headers "
                   "X-Baotinh-Export-Rows and X-Baotinh-Export-Capped say how many and whether the cap cut it. "
                   "Also at /export.csv and /export.jsonl; every page is also at /search.json, /search.csv, "
                   "/articles/{id}.json and /articles/{id}.csv",
        "parameters": [_param("format", {"type": "string", "enum": ["jsonl", "csv"], "default": "jsonl"},
                              "JSON lines or CSV"),
                       *[p for p in _search_parameters() if p["name"] not in ("limit", "offset", "facets")]],
        "responses": {
            "200": {"description": "The matches", "content": {"application/jsonl": {}, "text/csv": {}}},
            "400": _error_response("Malformed query (bad_query) or parameter (bad_parameter)"),
        },
    }
    return {"/api/search": {"get": search}, "/api/articles/{id}": {"get": article},
            "/api/a/{key}": {"get": by_key}, "/api/export": {"get": export}}


def _hit_properties() -> dict[str, Any]:
    """The fields of one search hit (see :func:`pipeline.web.api.hit_as_dict`)."""
    text = _nullable_str
    return {
        "id": {"type": "integer"}, "key": text(), "url": {"type": "string"}, "canonical_url": {"type": "string"},
        "site": text(), "site_name": text(), "province": text(), "province_now": text(),
        "title": text(), "description": text(), "author": text(), "section": text(),
        "published_at": _date_time(), "score": {"type": ["number", "null"]},
        "snippet": {"type": "array", "items": {
            "type": "object", "required": ["text", "match"],
            "properties": {"text": {"type": "string"}, "match": {"type": "boolean"}}}},
    }


def _article_properties() -> dict[str, Any]:
    """The fields of one article (see :func:`pipeline.web.api.article_as_dict`)."""
    text = _nullable_str
    return {
        "id": {"type": "integer"}, "url": {"type": "string"}, "canonical_url": {"type": "string"},
        "site": text(), "site_name": text(),
        "province": text(), "province_now": text(), "province_before": text(), "province_after": text(),
        "title": text(), "description": text(), "author": text(),
        "published_at": _date_time(), "modified_at": _date_time(),
        "section": text(), "tags": _string_list(), "language": text(),
        "text": {"type": "string"}, "captions": _string_list(),
        "images": {"type": "array", "items": {"type": "object", "properties": {
            "url": {"type": "string"}, "caption": text()}}},
        "word_count": {"type": "integer"}, "content_sha256": {"type": "string"},
        "fetched_at": _date_time(), "date_source": text(), "modified_source": text(),
        "source_agency": text(), "flags": _string_list(), "extractor_version": text(),
        **_citable_properties(),
    }


def _citable_properties() -> dict[str, Any]:
    """The stable key, permalink, capture, near-duplicate link and versions (issue 16)."""
    text = _nullable_str
    capture = {"type": ["object", "null"], "properties": {
        "id": {"type": "string", "description": "WARC-Record-ID"}, "warc_filename": {"type": "string"},
        "warc": {"type": "string"}, "offset": {"type": "integer"}, "length": {"type": "integer"},
        "payload_digest": {"type": "string"}, "payload_sha256": {"type": "string"},
        "fetched_at": _date_time(), "uri": {"type": "string"}, "status": {"type": "integer"},
        "type": {"type": "string", "enum": ["response", "revisit"]}, "refers_to": text(),
        "wayback": {"type": "string", "description": "/web/<YYYYMMDDhhmmss>/<url> permalink"}}}
    version = {"type": "object", "properties": {
        "version": {"type": "integer"}, "valid_from": _date_time(), "valid_to": _date_time(),
        "changed_fields": _string_list(), "title": text(), "content_sha256": text(),
        "capture_record_id": text(), "extractor_version": text(), "wayback": text()}}
    return {
        "key": text(), "permalink": {"type": "string"}, "duplicate_of": {"type": ["integer", "null"]},
        "capture": capture, "versions": {"type": "array", "items": version},
    }


def _schemas() -> dict[str, Any]:
    """The components: the error object, a hit, a search result, an article."""
    facet_values = {"type": "array", "items": {"type": "object", "properties": {
        "value": {"type": "string"}, "count": {"type": "integer"}}}}
    return {
        "Error": {"type": "object", "required": ["error", "code"], "properties": {
            "error": {"type": "string", "description": "A message for the user"},
            "code": {"type": "string", "enum": list(_ERROR_CODES)}}},
        "Hit": {"type": "object", "properties": _hit_properties()},
        "SearchResult": {"type": "object", "required": ["total", "total_is_estimate", "hits", "facets"],
                         "properties": {
                             "total": {"type": "integer"},
                             "total_is_estimate": {"type": "boolean"},
                             "parsed_query": {"type": "object", "description":
                                              "The query as understood, in words, by language (vi, en)",
                                              "additionalProperties": {"type": "string"}},
                             "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                             "facets": {"type": "object", "additionalProperties": facet_values}}},
        "Article": {"type": "object", "properties": _article_properties()},
    }


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API (served at ``/api/openapi.json``)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "baotinh archive API", "version": __version__,
                 "description": "Read-only search and retrieval over the archive of Vietnam's "
                                "provincial press. Text is Unicode NFC; dates are ISO 8601 with offset."},
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }
