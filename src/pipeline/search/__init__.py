"""Search: the query language and Vietnamese full-text search over the archive (SQLite FTS5, PostgreSQL tsvector)."""
