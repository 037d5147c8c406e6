"""Stable article keys: a citation that survives copying the archive to another database.

An article's row id belongs to one database; its key does not. The key is computed from the
canonical URL alone, so anyone can recompute it from an export::

    key = base32(sha256(canonical_url.encode("utf-8")))[:12].lower()

(RFC 4648 base32, alphabet ``a-z2-7``; 12 characters are 60 bits). The archive keeps keys
unique: should a new URL's 12 characters ever equal a key already taken by another URL, it gets
the next 4 characters as well (16, then 20 …). Once stored, a key never changes, even when a
later normalisation rule would give the article another canonical URL.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable

__all__ = ["KEY_LENGTH", "KEY_PATTERN", "article_key", "assign_keys", "is_article_key"]

KEY_LENGTH = 12
KEY_STEP = 4
KEY_MAX = 52  # a SHA-256 in base32 (without padding)
KEY_PATTERN = re.compile(r"[a-z2-7]{12}(?:[a-z2-7]{4}){0,10}")


def article_key(canonical_url: str, length: int = KEY_LENGTH) -> str:
    """The key of a canonical URL (its first ``length`` base32 characters).

    >>> article_key("https://baohaiduong.vn/chinh-tri/x-105123.html")
    'vfnaiouwfekh'
    """
    digest = hashlib.sha256(canonical_url.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()[:length]


def is_article_key(value: str) -> bool:
    """True when ``value`` has the shape of a key (``/a/<key>`` accepts nothing else)."""
    return KEY_PATTERN.fullmatch(value) is not None


def assign_keys(urls: Iterable[str], taken: Callable[[str], str | None]) -> dict[str, str]:
    """Keys for new canonical URLs, longer only where the 12 characters clash.

    ``taken(key)`` answers the canonical URL that already holds ``key`` (``None`` when free);
    URLs of one batch are checked against each other as well.
    """
    out: dict[str, str] = {}
    holders: dict[str, str] = {}
    for url in urls:
        length = KEY_LENGTH
        while True:
            key = article_key(url, length)
            holder = holders.get(key) or taken(key)
            if holder is None or holder == url or length >= KEY_MAX:
                break
            length += KEY_STEP
        out[url] = key
        holders[key] = url
    return out
