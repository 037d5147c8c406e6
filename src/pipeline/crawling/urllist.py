"""The URL list of ``baotinh crawl --urls FILE``: one URL a line, ``#`` comments, blank lines."""

from __future__ import annotations

from pipeline.errors import InputError
from pipeline.text.urls import host_port

__all__ = ["read_url_list"]


def read_url_list(text: str, *, source: str = "-") -> tuple[str, ...]:
    """The URLs of a list, in order and without repeats; :class:`InputError` names the first bad line.

    >>> read_url_list("# a list\\nhttp://x.vn/a-1.html  # the first\\n\\nhttp://x.vn/a-1.html\\n")
    ('http://x.vn/a-1.html',)
    """
    urls: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        url = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not url:
            continue
        if host_port(url) is None:
            raise InputError(f"{source}:{number}: not an http(s) URL: {url!r}")
        urls.setdefault(url, None)
    if not urls:
        raise InputError(f"{source}: no URL in the list")
    return tuple(urls)
