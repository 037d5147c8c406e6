"""Discovery: what a paper the registry does not know publishes, and a registry entry for it.

Pure functions over strings and bytes (no network, no Scrapy): the spider fetches, these decide.

- ``feeds``: feeds and sitemaps, where they are (page links, robots.txt, common paths) and what
  they say (RSS/Atom items, sitemap entries).
- ``classify``: article, listing or other, from the URL shape and the page structure; CMS family
  fingerprints.
- ``draft``: the article URL pattern and the ``[[sites]]`` TOML block drafted from what was found.
- ``suggest``: ``baotinh sites suggest URL``, the few polite requests that feed the above
  (network; import :func:`pipeline.discover.suggest.suggest_site` where it is needed).
"""

from __future__ import annotations

from pipeline.discover.classify import PageKind, UrlKind, classify_page, classify_url
from pipeline.discover.draft import draft_site_entry, infer_article_pattern
from pipeline.discover.feeds import (
    COMMON_FEED_PATHS,
    COMMON_SITEMAP_PATHS,
    FeedEntry,
    Sitemap,
    SitemapEntry,
    find_feed_links,
    parse_feed,
    parse_robots_sitemaps,
    parse_sitemap,
)

__all__ = [
    "COMMON_FEED_PATHS",
    "COMMON_SITEMAP_PATHS",
    "FeedEntry",
    "PageKind",
    "Sitemap",
    "SitemapEntry",
    "UrlKind",
    "classify_page",
    "classify_url",
    "draft_site_entry",
    "find_feed_links",
    "infer_article_pattern",
    "parse_feed",
    "parse_robots_sitemaps",
    "parse_sitemap",
]
