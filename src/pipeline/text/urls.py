"""Canonical article URLs: the archive's identity of a page.

Pure functions, no I/O: scheme and host lower-cased, IDNA, default ports, ``www.``/``m.``/``amp.``
host prefixes and ``/amp`` paths dropped, tracking parameters, session ids and cache-busters
dropped, the query sorted, escapes normalised, and the legacy domains (aliases) of a paper mapped
to its current host. A port that is not the scheme's default is kept, unless the host is mapped.

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
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit, urlunsplit

__all__ = ["canonicalise_url", "host_port", "strip_session_ids"]

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
# Session ids and cache-busters: a new value on every link or visit, never a different page. Dropped
# before de-duplication, so that 400 links with 400 session ids make one article.
SESSION_PARAMS = frozenset(
    {"sid", "jsessionid", "phpsessid", "sessionid", "session_id", "sessid", "sess", "cfid", "cftoken",
     "zenid", "oscsid", "_", "nocache", "cachebuster", "cache_buster", "_t", "_ts"}
)
SESSION_PREFIXES = ("aspsessionid",)  # ASP appends letters of its own: ASPSESSIONIDQAQDSRTB
# A session id carried as a path parameter: /a-123.html;jsessionid=0A1B…
SESSION_PATH_PARAM_RE = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#;]*", re.IGNORECASE)
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
    """Normalise a URL path: session path parameters, escapes, dot segments, duplicate and
    trailing slashes, /amp."""
    path = normalise_percent(SESSION_PATH_PARAM_RE.sub("", path), PATH_SAFE)
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


def is_session_param(key: str) -> bool:
    """True for a session id or cache-buster parameter (``sid``, ``PHPSESSID``, ``_``, …).

    >>> is_session_param("PHPSESSID"), is_session_param("ASPSESSIONIDQAQDSRTB"), is_session_param("page")
    (True, True, False)
    """
    key = key.lower()
    return key in SESSION_PARAMS or key.startswith(SESSION_PREFIXES)


def is_tracking(key: str, value: str) -> bool:
    """True for query parameters that only track the visitor (session ids and cache-busters too)."""
    key = key.lower()
    if key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES) or is_session_param(key):
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


def _host_and_port(netloc: str) -> tuple[str, str]:
    """A registry host ("www.BaoX.vn", "127.0.0.1:8123") as (canonical host, port or "")."""
    _, host, port = split_netloc(netloc)
    return strip_host_prefix(encode_host(host)), port


def _matches(host: str, port: str, named: tuple[str, str]) -> bool:
    """Whether a URL's host and explicit port are the host ``named``.

    A host named with a port is that port alone; one named without a port stands for the site on
    whichever port it was fetched from (a mirror, a local fixture server).
    """
    return host == named[0] and (not named[1] or named[1] == port)


def canonicalise_url(
    url: str,
    *,
    primary_host: str | None = None,
    alias_hosts: Iterable[str] = (),
    scheme: str | None = None,
) -> str:
    """The canonical form of an article URL, used as the archive's identity of a page.

    Scheme and host lower-cased, IDNA, default port, ``www.``/``m.``/``amp.`` and ``/amp``
    dropped, fragment, tracking parameters, session ids and cache-busters dropped, query sorted,
    escapes normalised, duplicate and trailing slashes removed (the root keeps its slash). A port
    that is not the scheme's default is kept. When ``primary_host`` is given and the host is one
    of ``alias_hosts`` (or the primary host itself; a host given as ``host:port`` matches that
    port only), the host becomes ``primary_host`` (with its port, if it has one) and, if
    ``scheme`` is given, the scheme becomes ``scheme``. A URL that is not http(s) comes back
    stripped of surrounding spaces.

    >>> canonicalise_url("HTTPS://www.BaoHaiDuong.vn/chinh-tri/abc.html?utm_source=fb#top")
    'https://baohaiduong.vn/chinh-tri/abc.html'
    >>> canonicalise_url("http://127.0.0.1:8124/a-1.html", primary_host="baohaiduong.vn",
    ...                  alias_hosts=["127.0.0.1:8123"], scheme="https")
    'http://127.0.0.1:8124/a-1.html'
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
    if port == str(DEFAULT_PORTS[url_scheme]):
        port = ""
    if primary_host:
        primary = _host_and_port(primary_host)
        named = [primary, *(_host_and_port(h) for h in alias_hosts)]
        if any(_matches(host, port or str(DEFAULT_PORTS[url_scheme]), n) for n in named):
            host = primary[0]
            if scheme:
                url_scheme = scheme.lower()
                port = ""
            port = primary[1] or port
            if port == str(DEFAULT_PORTS.get(url_scheme, "")):
                port = ""
    netloc = userinfo + host + (":" + port if port else "")
    query = canonical_query(parts.query)
    return urlunsplit((url_scheme, netloc, canonical_path(parts.path), query, ""))


def strip_session_ids(url: str) -> str:
    """``url`` without session ids and cache-busters (query and path parameters); otherwise as is.

    What the crawler requests and de-duplicates by: the link's other parameters and their order
    are left alone.

    >>> strip_session_ids("http://a.vn/x-1.html;jsessionid=0A1B?page=2&PHPSESSID=9f&_=1716")
    'http://a.vn/x-1.html?page=2'
    >>> strip_session_ids("http://a.vn/x-1.html?v=2")
    'http://a.vn/x-1.html?v=2'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = SESSION_PATH_PARAM_RE.sub("", parts.path)
    if path == parts.path and not parts.query:
        return url
    kept = [p for p in parts.query.split("&") if p and not is_session_param(unquote_plus(p.split("=", 1)[0]))]
    return urlunsplit((parts.scheme, parts.netloc, path, "&".join(kept), parts.fragment))


def host_port(url: str) -> tuple[str, int] | None:
    """The canonical host (``www.`` and mobile prefixes kept) and the port of an http(s) URL,
    the scheme's default port made explicit; None for anything else or a malformed URL.

    >>> host_port("HTTP://Demo.Test/a"), host_port("https://127.0.0.1:8123/"), host_port("http://[::1")
    (('demo.test', 80), ('127.0.0.1', 8123), None)
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return encode_host(parts.hostname), port if port is not None else DEFAULT_PORTS[scheme]
