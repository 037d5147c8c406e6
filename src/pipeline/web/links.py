"""The UI's URLs: internal links with their query strings, and the outside links it allows.

Links to the outside are written only for http(s) URLs; anything else (``javascript:``,
relative paths) is shown as plain text.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

from pipeline.search import SearchQuery
from pipeline.web.views import LinkView

__all__ = ["back_pairs", "is_web_url", "outside_link", "params_to_pairs", "url_with"]

# Parameters of the search page a "back to results" link may carry.
_BACK_KEYS = frozenset({"q", "site", "province", "from", "to", "author", "section", "sort",
                        "no_duplicates", "page", "province_now", "tag"})


def url_with(path: str, params: Iterable[tuple[str, str]]) -> str:
    """``path?query`` from (name, value) pairs, empty values dropped.

    >>> url_with("/", [("q", "kim thanh"), ("site", "")])
    '/?q=kim+thanh'
    """
    query = urlencode([(k, v) for k, v in params if v != ""])
    return f"{path}?{query}" if query else path


def params_to_pairs(params: SearchQuery) -> list[tuple[str, str]]:
    """The query-string pairs that reproduce ``params`` on the search page (without the page)."""
    pairs = [("q", params.text)]
    pairs += [("site", s) for s in params.sites] + [("province", p) for p in params.provinces]
    pairs += [("province_now", p) for p in params.provinces_now] + [("tag", params.tag or "")]
    pairs += [("from", params.date_from.isoformat() if params.date_from else ""),
              ("to", params.date_to.isoformat() if params.date_to else ""),
              ("author", params.author or ""), ("section", params.section or ""),
              ("sort", params.sort if params.sort != "relevance" else ""),
              ("no_duplicates", "1" if params.exclude_duplicates else "")]
    return [(k, v) for k, v in pairs if v]


def back_pairs(raw: str | None) -> list[tuple[str, str]]:
    """The search-page parameters carried in an article link's ``back`` (others dropped).

    Only a query string is read, so the link always leads to this site's search page.
    """
    return [(k, v) for k, v in parse_qsl(raw or "") if k in _BACK_KEYS][:40]


def is_web_url(url: str | None) -> bool:
    """True for absolute http(s) URLs, the only ones the UI links to (never ``javascript:``)."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def outside_link(url: str | None, label: str) -> LinkView:
    """A link to another site (written without referrer or opener); plain text for any other scheme."""
    if url and is_web_url(url):
        return LinkView(href=url.strip(), label=label)
    return LinkView(href=None, label=url or label)
