"""Drafting a registry entry (``[[sites]]`` TOML) from what discovery found.

Pure functions (no network): the article URL pattern inferred from example URLs, the CMS
family from markup fingerprints, the name from the home page, and the feeds, sitemaps and
start pages of the site itself. :mod:`pipeline.discover.suggest` fetches; this drafts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.discover.classify import ID_TAIL_RE, guess_family
from pipeline.discover.markup import parse_html

__all__ = ["draft_site_entry", "infer_article_pattern"]


@dataclass(frozen=True, slots=True)
class _Shape:
    """The generalisable parts of one article URL."""

    dirs: tuple[str, ...]  # "w" for a word folder, "d<n>" for an all-digit folder of n digits
    prefix: str  # letters between the slug and the id: "", "a", "post", "postid"
    id_len: int
    ext: str  # "" or ".html" …
    slash: bool
    upper: bool


def infer_article_pattern(article_urls: list[str]) -> str | None:
    """A regex that generalises the given article URLs (slug + id shapes), or None.

    URLs are grouped by their id prefix and folder layout; each group becomes one alternative,
    and groups holding under a fifth of the URLs are dropped as noise.

    >>> infer_article_pattern(["https://x.vn/a/b-c-d-12345.html", "https://x.vn/e/f-g-123456.html"])
    '^https?://[^/]+/(?:[a-z0-9-]+/){1}[a-z0-9-]+-\\\\d{5,}\\\\.html$'
    """
    shapes = [s for s in (_shape_of(u) for u in article_urls) if s is not None]
    if not shapes:
        return None
    groups: dict[tuple[str, tuple[str, ...]], list[_Shape]] = {}
    for shape in shapes:
        layout = tuple("w" if d == "w" else d for d in shape.dirs)
        key = (shape.prefix, tuple(d for d in layout if d != "w"))
        groups.setdefault(key, []).append(shape)
    keep = [g for g in groups.values() if len(g) * 5 >= len(shapes)]
    alternatives = sorted({_group_regex(g) for g in keep})
    if not alternatives:
        return None
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return r"^https?://[^/]+/" + body + "$"


def _shape_of(url: str) -> _Shape | None:
    parts = urlsplit(url.strip())
    path = parts.path
    segments = [s for s in path.split("/") if s]
    if not segments:
        return None
    match = ID_TAIL_RE.match(segments[-1])
    if match is None:
        return None
    dirs = tuple(f"d{len(s)}" if s.isdigit() else "w" for s in segments[:-1])
    return _Shape(
        dirs=dirs,
        prefix=match.group("prefix").lower(),
        id_len=len(match.group("id")),
        ext=(match.group("ext") or "").lower(),
        slash=path.endswith("/"),
        upper=any(c.isupper() for c in path),
    )


def _group_regex(group: list[_Shape]) -> str:
    word = "[A-Za-z0-9_-]+" if any(s.upper for s in group) else "[a-z0-9-]+"
    folders = _folders_regex(group, word)
    id_len = min(s.id_len for s in group)
    exts = sorted({s.ext for s in group})
    ext_part = _alternation([re.escape(e) for e in exts if e], optional="" in exts)
    slash = "/?" if any(s.slash for s in group) else ""
    return f"{folders}{word}-{re.escape(group[0].prefix)}\\d{{{id_len},}}{ext_part}{slash}"


def _folders_regex(group: list[_Shape], word: str) -> str:
    if all(all(d == "w" for d in s.dirs) for s in group):
        counts = sorted({len(s.dirs) for s in group})
        lo, hi = counts[0], counts[-1]
        if hi == 0:
            return ""
        rep = f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
        return f"(?:{word}/){rep}"
    # Date-like folders (yyyymm, yyyy/mm): keep the layout of the most common shape.
    layout = Counter(s.dirs for s in group).most_common(1)[0][0]
    return "".join(f"{word}/" if d == "w" else f"\\d{{{d[1:]}}}/" for d in layout)


def _alternation(options: list[str], *, optional: bool) -> str:
    if not options:
        return ""
    inner = options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
    if optional:
        return f"(?:{inner})?" if len(options) == 1 else inner + "?"
    return inner


def draft_site_entry(
    base_url: str,
    *,
    feeds: list[str],
    sitemaps: list[str],
    article_urls: list[str],
    listing_urls: list[str],
    page_html: str | None,
) -> str:
    """A ``[[sites]]`` TOML block for the registry, drafted from what discovery found.

    Fields discovery cannot know (provinces, founding date) are left as comments to fill in;
    ``baotinh sites check`` reports them until they are.
    """
    parts = urlsplit(base_url if "://" in base_url else "https://" + base_url)
    host = (parts.hostname or "").lower()
    bare = host.removeprefix("www.")
    scheme = parts.scheme or "https"
    origin = f"{scheme}://{host}"
    pattern = infer_article_pattern(article_urls)
    family = guess_family(page_html or "", article_urls)
    lines = [
        "[[sites]]",
        f"id = {_toml_str(_site_id(bare))}",
        f"name = {_toml_str(_site_name(page_html, bare))}",
        "# province_before = \"\"  # one of the 63 pre-merger provinces",
        "# province_after = \"\"   # one of the 34 post-merger provinces",
    ]
    lines.append(f"family = {_toml_str(family)}" if family else "# family = \"\"  # no known CMS fingerprint")
    lines.append(f"domains = {_toml_list([bare])}")
    if scheme != "https":
        lines.append(f"scheme = {_toml_str(scheme)}")
    starts = ["/"] + [_relative(origin, u) for u in listing_urls if _same_site(u, bare)]
    lines.append(f"start_urls = {_toml_list(list(dict.fromkeys(starts))[:8])}")
    own_feeds = [_relative(origin, u) for u in feeds if _same_site(u, bare)]
    if own_feeds:
        lines.append(f"feeds = {_toml_list(list(dict.fromkeys(own_feeds)))}")
    own_maps = [_relative(origin, u) for u in sitemaps if _same_site(u, bare)]
    if own_maps:
        lines.append(f"sitemaps = {_toml_list(list(dict.fromkeys(own_maps)))}")
    if pattern:
        lines.append(f"article_pattern = {_toml_str(pattern)}")
    lines.append(f"notes = {_toml_str(_draft_notes(len(article_urls), pattern, family))}")
    return "\n".join(lines) + "\n"


def _site_id(host: str) -> str:
    label = host.split(".")[0] if host else "site"
    cleaned = re.sub(r"[^a-z0-9]+", "", label.lower())
    return cleaned or "site"


def _site_name(page_html: str | None, host: str) -> str:
    tree = parse_html(page_html) if page_html else None
    if tree is not None:
        for meta in tree.iter("meta"):
            if (meta.get("property") or "").lower() == "og:site_name" and meta.get("content"):
                return " ".join((meta.get("content") or "").split())
        title = tree.find(".//title")
        if title is not None and (title.text_content() or "").strip():
            text = " ".join(title.text_content().split())
            return re.split(r"\s+[|\-–—]\s+", text)[0]
    return host


def _draft_notes(n_articles: int, pattern: str | None, family: str | None) -> str:
    found = f"Drafted by `baotinh sites suggest` from {n_articles} article URL(s)"
    if pattern is None:
        found += "; no article pattern could be inferred"
    if family is None:
        found += "; CMS family unknown"
    return found + ". Verify before adding to the registry."


def _same_site(url: str, bare_host: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return host == bare_host


def _relative(origin: str, url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _toml_str(value: str) -> str:
    # Literal strings keep regex backslashes readable; fall back to an escaped basic string.
    if "'" not in value and "\n" not in value and not any(ord(c) < 32 for c in value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"
