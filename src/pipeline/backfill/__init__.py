"""The past: WARC import and backfill from the web's archives (Wayback Machine, Common Crawl)."""
