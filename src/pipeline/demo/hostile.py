"""Hostile pages for the demo paper's traps (issue 14): what a months-long crawl of the open web
meets, each built here once and served by :class:`~pipeline.demo.misbehaviour.MisbehavingSite`.

Each kind of :data:`TRAP_KINDS` is one page: a slow trickle, a 50 MB page, a gzip bomb, a PDF
and a JPEG sent as HTML, a truncated response, 100,000 nested ``<div>``, a permanent 500, an RSS
feed with external entities (XXE) and entity expansion, a malformed sitemap. A
:class:`StreamedPage` is sent by the server in pieces (a trickle) or shorter than it announces
(a truncated response).
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass

from pipeline.demo.site import Page

__all__ = ["FEED_KINDS", "SITEMAP_KINDS", "TRAP_KINDS", "StreamedPage", "hostile_page"]

HTML_TYPE = "text/html; charset=utf-8"
# The kinds of hostile page; a trap of an article kind is linked from the home page, a feed
# kind is served at a feed path of the registry, a sitemap kind is named in robots.txt.
ARTICLE_KINDS = ("trickle", "huge", "gzip_bomb", "pdf", "jpeg", "truncated", "nested_divs", "http_500")
FEED_KINDS = ("xxe_feed",)
SITEMAP_KINDS = ("malformed_sitemap",)
TRAP_KINDS = ARTICLE_KINDS + FEED_KINDS + SITEMAP_KINDS
HUGE_BYTES = 50 * 1024 * 1024  # the 50 MB page
BOMB_BYTES = 256 * 1024 * 1024  # what the gzip bomb expands to (it is ~250 KB on the wire)
NESTED_DIVS = 100_000


@dataclass(frozen=True, slots=True)
class StreamedPage(Page):
    """A page sent ``chunk`` bytes at a time, ``pause`` seconds apart; ``announced`` is the
    Content-Length given when it is not the body's (a response cut short: the server closes the
    connection after the body)."""

    chunk: int = 0
    pause: float = 0.0
    announced: int | None = None


def _html(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"</head><body><h1 class=\"detail-title\">{title}</h1>"
            f"<div class=\"detail-content\">{body}</div></body></html>").encode()


_PARAGRAPH = ("<p>Sáng nay, Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác năm, đánh giá kết"
              " quả thực hiện các chỉ tiêu kinh tế – xã hội và bàn giải pháp cho năm tới.</p>")


@functools.cache
def _huge() -> bytes:
    """A 50 MB HTML page (made once per process)."""
    head = _html("Trang rất lớn", _PARAGRAPH)
    filler = b"<p>" + b"x" * 1020 + b"</p>"
    return head.replace(b"</div>", filler * ((HUGE_BYTES - len(head)) // len(filler) + 1) + b"</div>", 1)


@functools.cache
def _gzip_bomb() -> bytes:
    """``BOMB_BYTES`` of zeros after an HTML head, gzipped (made once per process)."""
    block = b"\x00" * (16 * 1024 * 1024)
    out = gzip.compress(_html("Bom gzip", _PARAGRAPH) + block, compresslevel=9, mtime=0)
    member = gzip.compress(block, compresslevel=9, mtime=0)
    # a gzip stream may hold many members, read one after the other
    return out + member * (BOMB_BYTES // len(block) - 1)


@functools.cache
def _nested_divs() -> bytes:
    """An article whose body sits under 100,000 nested ``<div>`` (a parser's recursion trap)."""
    opened, closed = "<div>" * NESTED_DIVS, "</div>" * NESTED_DIVS
    return _html("Một trăm nghìn thẻ div lồng nhau", opened + _PARAGRAPH * 3 + closed)


# A PDF and a JPEG (their first bytes; enough for a reader to tell what they are).
_PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
_JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00"
         + bytes(range(64)) + b"\xff\xd9")


def _xxe_feed(base: str, elsewhere: str) -> bytes:
    """An RSS feed declaring an external file entity, an external HTTP entity (``elsewhere``: a
    server that must never be asked) and an entity expansion (billion laughs), used in its items."""
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE rss [<!ENTITY file SYSTEM "file:///etc/passwd">'
        f'<!ENTITY remote SYSTEM "{elsewhere}/xxe-leak"><!ENTITY lol0 "lol">{laughs}]>\n'
        '<rss version="2.0"><channel><title>Tin mới &file;</title>'
        f"<link>{base}/</link><description>&lol9;</description>"
        f"<item><title>&file; &remote;</title><link>{base}/xa-hoi/bai-xxe-&remote;-990001.html</link>"
        "<description>&lol9;</description></item></channel></rss>"
    ).encode()


def _malformed_sitemap(base: str) -> bytes:
    """A sitemap cut off in the middle of a tag, garbage and a NUL byte after it."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9"><url><loc>{base}/xa-hoi/khong-co-that-990002.html</loc><lastmod>2025-13-45'
            "</lastmod></url><url><loc").encode() + b"\x00\xff\xfe<<<>>>&&&"


def hostile_page(kind: str, *, base: str, elsewhere: str = "", trickle_seconds: float = 5.0) -> Page:
    """The hostile page of ``kind`` (one of :data:`TRAP_KINDS`) as served from ``base``."""
    if kind == "trickle":
        body = _html("Trang nhỏ giọt", _PARAGRAPH * 4)
        pieces = max(len(body) // 64, 1)
        return StreamedPage(200, HTML_TYPE, body, chunk=64, pause=trickle_seconds / pieces)
    if kind == "truncated":
        body = _html("Trang bị cắt cụt", _PARAGRAPH * 8)
        return StreamedPage(200, HTML_TYPE, body[: len(body) // 2], announced=len(body))
    if kind == "huge":
        return Page(200, HTML_TYPE, _huge())
    if kind == "gzip_bomb":
        return Page(200, HTML_TYPE, _gzip_bomb(), (("Content-Encoding", "gzip"),))
    if kind == "pdf":
        return Page(200, HTML_TYPE, _PDF)
    if kind == "jpeg":
        return Page(200, HTML_TYPE, _JPEG)
    if kind == "nested_divs":
        return Page(200, HTML_TYPE, _nested_divs())
    if kind == "http_500":
        return Page(500, "text/plain; charset=utf-8", b"internal server error\n")
    if kind == "xxe_feed":
        return Page(200, "application/rss+xml; charset=utf-8", _xxe_feed(base, elsewhere))
    if kind == "malformed_sitemap":
        return Page(200, "application/xml; charset=utf-8", _malformed_sitemap(base))
    raise ValueError(f"unknown trap kind {kind!r}; one of {', '.join(TRAP_KINDS)}")
