"""The record's URLs on the site's current domain: the canonical article URL and its images.

>>> canonical_for("https://baohaiduong.vn/a-1.html?utm_source=x", None)
'https://baohaiduong.vn/a-1.html'
"""

from __future__ import annotations

from pipeline.registry.load import Site, host_of
from pipeline.text.urls import canonicalise_url

__all__ = ["canonical_for", "site_asset_url"]


def canonical_for(url: str, site: Site | None) -> str:
    """The canonical URL of ``url``, on the site's primary host and scheme when it is known."""
    if site is None:
        return canonicalise_url(url)
    return canonicalise_url(url, primary_host=site.domain, alias_hosts=site.aliases, scheme=site.scheme)


def site_asset_url(url: str, site: Site | None) -> str:
    """An image URL on the site's own hosts (or a mirror of it) moved to its current domain.

    Without this, the same page crawled from a legacy domain or a local mirror would differ in
    its image URLs alone and count as a new version.
    """
    if site is None or not site.owns_host(host_of(url)):
        return url
    return canonical_for(url, site)
