"""The relevance set of the search: a handwritten corpus and judged queries (issue 16)."""
