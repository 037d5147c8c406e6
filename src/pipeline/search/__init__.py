"""Search: the query language and Vietnamese full-text search over the archive (SQLite FTS5, PostgreSQL tsvector).

The public API; the rooms inside: :mod:`.query` (the query language), :mod:`.model` (the
records), :mod:`.filters`, :mod:`.backends` (one per database), :mod:`.candidates`,
:mod:`.matching` (where terms stand in a text), :mod:`.ranking`, :mod:`.date_sort`, :mod:`.snippets`,
:mod:`.facets`, :mod:`.province` (the province at publication and today, in SQL) and :mod:`.engine`.
"""

from __future__ import annotations

from pipeline.search.candidates import CANDIDATE_CAP
from pipeline.search.engine import filtered_articles, rebuild_index, search
from pipeline.search.model import MAX_LIMIT, SORTS, SearchHit, SearchQuery, SearchResult, Snippet
from pipeline.search.query import ParsedQuery, QueryError, Term, parse_query
from pipeline.search.snippets import make_snippet

__all__ = [
    "CANDIDATE_CAP", "MAX_LIMIT", "ParsedQuery", "QueryError", "SORTS", "SearchHit", "SearchQuery",
    "SearchResult", "Snippet", "Term", "filtered_articles", "make_snippet", "parse_query",
    "rebuild_index", "search",
]
