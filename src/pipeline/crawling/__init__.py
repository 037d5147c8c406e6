"""Crawling: the library side of a crawl: launching the crawler child, extraction workers, the archive writer,
frontier, ledger, locks, health."""
