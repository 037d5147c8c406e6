"""Scrapy settings: polite by default, tuned for many weak servers crawled at once.

Per-domain concurrency stays low (each paper's server is small) while global concurrency is
high, so a crawl of many papers is not serialised behind one slow site.
"""

from __future__ import annotations

from pipeline.config import load_settings

BOT_NAME = "baotinh"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = load_settings().user_agent
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# Scrapy 2.19 processes items far faster with a small CONCURRENT_ITEMS (an upstream issue);
# extraction runs in worker processes anyway.
CONCURRENT_ITEMS = 8

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
HTTPERROR_ALLOWED_CODES: list[int] = []
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# A skipped page is one line in the log, not the page (crawler.skip.SkipLogFormatter).
LOG_FORMATTER = "crawler.skip.SkipLogFormatter"
DNS_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# Politeness and incremental fetching (issue 6): pause a host on 429/503 for its Retry-After,
# send conditional GETs for known pages.
DOWNLOADER_MIDDLEWARES = {
    # Scope (issue 14): every request and redirect hop stays on the paper's hosts (and port),
    # checked before Scrapy's robots.txt middleware (100) could fetch an off-site robots.txt.
    "crawler.middlewares.ScopeMiddleware": 50,
    # robots.txt (issue 14): an unreachable one is the last good copy kept, else "disallow all".
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.KeptRobotsTxtMiddleware": 100,
    "crawler.middlewares.RetryAfterMiddleware": 545,
    "crawler.middlewares.ConditionalGetMiddleware": 560,
    # Scrapy's meta refresh, checking the bytes before decoding the page (same place, 580).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefreshMiddleware": 580,
    # Raw captures (issue 5): next to the downloader, so it sees the bytes as received.
    "crawler.capture.CaptureMiddleware": 950,
}
# WARC captures of every response (issue 5), in <archive>/captures, rotated at this size.
BAOTINH_CAPTURES = True
BAOTINH_CAPTURES_MAX_BYTES = 1024 ** 3
# Back-off when a 429/503 gives no Retry-After: base × 2^retries seconds; never wait longer than max.
BAOTINH_BACKOFF_BASE = 1.0
# A longer Retry-After is cut to BAOTINH_RETRY_AFTER_MAX, logged, and counted in the ledger.
BAOTINH_RETRY_AFTER_MAX = 300.0
# An unreachable robots.txt (timeout, 5xx, 429) is replaced by the last good copy an earlier run
# kept, if it is at most this many days old; else the site is not crawled (RFC 9309).
BAOTINH_ROBOTS_KEPT_DAYS = 30
# Discovery budgets per run (issue 14), each hit a ledger row (metric "budget"): sitemaps read
# and how deep sitemap indexes nest; listing pages read and how many links deep from a start URL.
BAOTINH_MAX_SITEMAPS = 2000
BAOTINH_SITEMAP_MAX_DEPTH = 4
BAOTINH_MAX_LISTING_PAGES = 400
BAOTINH_LISTING_MAX_DEPTH = 100

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 300,
    "crawler.pipelines.StorePipeline": 800,
}

# How many records the store writes per transaction, and how often at the latest (a timer
# flushes a waiting batch even when no further page arrives).
BAOTINH_STORE_BATCH = 50
BAOTINH_STORE_INTERVAL = 2.0
# Bytes kept free in the archive's folder while crawling, given back when the disk fills so that
# the run can still be closed with its counts (pipeline.crawling.diskspace).
BAOTINH_DISK_RESERVE = 1024 * 1024
# Extraction worker processes (None: one per core but one; 0: one thread in the crawler process).
BAOTINH_EXTRACT_WORKERS: int | None = None
# BAOTINH_RESOURCES (the process's shared pool and writers) is set by `python -m crawler`
# (crawler/resources.py), never here: a module-level object would be state shared by accident.

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
