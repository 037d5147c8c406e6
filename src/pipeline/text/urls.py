"""Canonical article URLs: the archive's identity of a page.

Pure functions, no I/O: scheme and host lower-cased, IDNA, default ports, ``www.``/``m.``/``amp.``
host prefixes and ``/amp`` paths dropped, tracking parameters dropped, the query sorted, escapes
normalised, and the legacy domains (aliases) of a paper mapped to its current host.

Example:
    >>> canonicalise_url("HTTPS://www.BaoHaiDuong.vn/chinh-tri/abc.html?utm_source=fb#top")
    'https://baohaiduong.vn/chinh-tri/abc.html'
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = ["canonicalise_url"]

DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "zarsrc", "gidzl",
     "_ga", "_gl", "mc_cid", "mc_eid", "ref", "ref_src", "igshid", "_hsenc", "_hsmi", "mkt_tok",
     "spm", "cmpid", "trk", "at_medium", "at_campaign", "at_source"}
)
TRACKING_PREFIXES = ("utm_", "zl_")
# Parameters that are tracking only with these values ("source=rss", "amp=1").
TRACKING_VALUES = MappingProxyType(
    {"source": frozenset({"rss", "feed"}), "from": frozenset({"rss", "feed"}),
     "amp": frozenset({"", "1", "true"})}
)
MOBILE_PREFIXES = ("m.", "amp.")
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def normalise_percent(part: str, safe: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape raw characters."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else "%" + match.group(1).upper()

    part = PERCENT_RE.sub(fix, part)
    # A "%" not starting an escape is itself escaped so that the result stays well-formed.
    part = re.sub(r"%(?![0-9A-F]{2})", "%25", part)
    return quote(part, safe=safe)


def strip_host_prefix(host: str) -> str:
    """Drop "www." and mobile/AMP host prefixes ("m.", "amp.") when a real domain remains."""
    changed = True
    while changed:
        changed = False
        for prefix in ("www.", *MOBILE_PREFIXES):
            rest = host[len(prefix):]
            if host.startswith(prefix) and "." in rest:
                host, changed = rest, True
    return host


def encode_host(host: str) -> str:
    """Lower-case a host name and IDNA-encode non-ASCII labels (unchanged if it cannot be)."""
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def split_netloc(netloc: str) -> tuple[str, str, str]:
    """Split a netloc into (userinfo@, host, port) without raising on odd ports."""
    userinfo, _, hostport = netloc.rpartition("@")
    userinfo = userinfo + "@" if userinfo else ""
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        return userinfo, hostport[: end + 1], hostport[end + 2:] if end >= 0 else ""
    host, _, port = hostport.partition(":")
    return userinfo, host, port


def canonical_path(path: str) -> str:
    """Normalise a URL path: escapes, dot segments, duplicate and trailing slashes, /amp."""
    path = normalise_percent(path, PATH_SAFE)
    path = re.sub(r"/{2,}", "/", path) or "/"
    if not path.startswith("/"):
        path = "/" + path
    trailing = path.endswith("/")
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = path[1:]
    if trailing and path != "/":
        path += "/"
    path = re.sub(r"/amp/?$", "", path) or "/"
    if path != "/":
        path = path.rstrip("/") or "/"
    return path


def is_tracking(key: str, value: str) -> bool:
    """True for query parameters that only track the visitor."""
    key = key.lower()
    if key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES):
        return True
    allowed = TRACKING_VALUES.get(key)
    return allowed is not None and value.lower() in allowed


def canonical_query(query: str) -> str:
    """Tracking parameters dropped, the others sorted and uniformly escaped."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking(k, v)]
    pairs.sort()
    return "&".join(
        quote(k, safe="-._~") + ("=" + quote(v, safe="-._~") if v or "=" in query else "")
        for k, v in pairs
    )


def canonicalise_url(
    url: str,
    *,
    primary_host: str | None = None,
    alias_hosts: Iterable[str] = (),
    scheme: str | None = None,
) -> str:
    """The canonical form of an article URL, used as the archive's identity of a page.

    Scheme and host lower-cased, IDNA, default port, ``www.``/``m.``/``amp.`` and ``/amp``
    dropped, fragment and tracking parameters dropped, query sorted, escapes normalised,
    duplicate and trailing slashes removed (the root keeps its slash). When ``primary_host`` is
    given and the host is one of ``alias_hosts`` (or the primary host itself), the host becomes
    ``primary_host`` and, if ``scheme`` is given, the scheme becomes ``scheme``. A URL that is
    not http(s) comes back stripped of surrounding spaces.

    >>> canonicalise_url("HTTPS://www.BaoHaiDuong.vn/chinh-tri/abc.html?utm_source=fb#top")
    'https://baohaiduong.vn/chinh-tri/abc.html'
    """
    url = unicodedata.normalize("NFC", url.strip())
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    url_scheme = parts.scheme.lower()
    if url_scheme not in DEFAULT_PORTS or not parts.netloc:
        return url
    userinfo, raw_host, port = split_netloc(parts.netloc)
    host = strip_host_prefix(encode_host(raw_host))
    if port == str(DEFAULT_PORTS[url_scheme]) or port == "":
        port = ""
    if primary_host:
        primary = strip_host_prefix(encode_host(primary_host))
        aliases = {strip_host_prefix(encode_host(h)) for h in alias_hosts}
        if host in aliases or host == primary:
            host = primary
            if scheme:
                url_scheme = scheme.lower()
                port = ""
    netloc = userinfo + host + (":" + port if port else "")
    query = canonical_query(parts.query)
    return urlunsplit((url_scheme, netloc, canonical_path(parts.path), query, ""))

