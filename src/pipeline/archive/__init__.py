"""Archive: the SQL schema, its migrations, writes (upserts, versions, near-duplicates), WARC captures, fixity,
re-extraction."""
