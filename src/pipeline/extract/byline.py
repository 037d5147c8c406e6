"""The byline: the author line at the end of a body ("Bài, ảnh: Minh Tuấn", "NGỌC ANH (theo
TTXVN)", "HV"), the "theo …" agency, and the author from metadata when there is no byline; a
paper's own name is never an author.

>>> parse_byline("NGỌC ANH (theo TTXVN)")
Byline(author='NGỌC ANH', agency='TTXVN')
>>> parse_byline("Bài, ảnh: Minh Tuấn")
Byline(author='Minh Tuấn', agency=None)
>>> parse_byline("Theo TTXVN")
Byline(author=None, agency='TTXVN')
>>> parse_byline("Giá vé dao động từ 1,5 triệu đồng.") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml.html import HtmlElement

from pipeline.extract.markup import BYLINE
from pipeline.extract.selectors import ClassText, find_classed, has_ancestor, select_text
from pipeline.registry.load import ExtractionHints, Site
from pipeline.text.normalise import clean_inline
from pipeline.text.vi import (
    AGENCY_LINE_STARTS,
    AGENCY_WORDS,
    AND_WORD,
    ARTICLE_WORD,
    BYLINE_ROLES,
    NEWS_WORD,
    PAPER_NAME_STARTS,
    PHOTO_WORD,
    SOURCE_LINE_STARTS,
)

__all__ = ["Byline", "article_author", "byline_hint", "parse_byline", "take_byline"]

MAX_BYLINE_CHARS = 60


def alternatives(words: Iterable[str]) -> str:
    """A regex group matching any of ``words`` literally, in their order."""
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


_ROLE_ALTERNATIVES = "|".join((
    rf"{ARTICLE_WORD}(?:\s*(?:,|{AND_WORD}|\+|-)\s*{PHOTO_WORD})?",
    PHOTO_WORD,
    rf"{NEWS_WORD}(?:\s*(?:,|{AND_WORD})\s*{PHOTO_WORD})?",
    *(re.escape(r) for r in BYLINE_ROLES),
))
ROLE_PREFIX_RE = re.compile(rf"^(?:{_ROLE_ALTERNATIVES})\s*:\s*(?P<rest>.+)$", re.IGNORECASE)
AGENCY_SUFFIX_RE = re.compile(
    rf"^(?P<name>.*?)\s*[\(\[]\s*{alternatives(AGENCY_WORDS)}\s*:?\s*(?P<agency>[^()\[\]]+)[\)\]]$",
    re.IGNORECASE,
)
AGENCY_ONLY_RE = re.compile(
    rf"^[\(\[]?\s*{alternatives(AGENCY_WORDS)}\s*:?\s*(?P<agency>[^()\[\]]+?)\s*[\)\]]?$", re.IGNORECASE
)
# Shapes of a paper's own name, never an author: "Báo Hải Dương", "baohaiduong.vn", "Tòa soạn".
PAPER_NAME_RE = re.compile(
    rf"^{alternatives(PAPER_NAME_STARTS)}\b|\.(?:vn|com|net|org)\b|\bonline\b", re.IGNORECASE
)
NOT_A_NAME_RE = re.compile(r"\d|[!?;:]|\.\s*$")
NAME_SEPARATOR_RE = re.compile(rf"\s*[-,–&]\s*|\s+{AND_WORD}\s+")


@dataclass(frozen=True, slots=True)
class Byline:
    """An author line found at the end of a body: the author and the "theo …" agency."""

    author: str | None
    agency: str | None


def take_byline(lines: list[str], lead: str | None) -> tuple[list[str], Byline | None]:
    """Remove the byline lines at the end of the body and parse them."""
    author: str | None = None
    agency: str | None = None
    found = False
    while len(lines) > 1 and len(lines[-1]) <= MAX_BYLINE_CHARS:
        parsed = parse_byline(lines[-1])
        if parsed is None:
            break
        found = True
        lines = lines[:-1]
        agency = agency or parsed.agency
        if parsed.author and author is None:
            author = parsed.author
        if author is not None:
            # "Theo Thanh Xuân" / "VnEconomy": a source line just above the author line goes too.
            if len(lines) > 1 and len(lines[-1]) <= MAX_BYLINE_CHARS and AGENCY_ONLY_RE.match(lines[-1]) \
                    and lines[-1].lower().startswith(SOURCE_LINE_STARTS):
                lines = lines[:-1]
            break
    return lines, (Byline(author, agency) if found else None)


def parse_byline(line: str) -> Byline | None:
    """Parse an author line; None when the line is not one."""
    text = (clean_inline(line) or "").strip(" -–—")
    if not text or len(text) > MAX_BYLINE_CHARS:
        return None
    m = AGENCY_ONLY_RE.match(text)
    if m and text.lower().startswith(AGENCY_LINE_STARTS):
        agency = m.group("agency").strip()
        return Byline(None, agency) if looks_like_name(agency, allow_lower=True) else None
    agency = None
    m = AGENCY_SUFFIX_RE.match(text)
    if m:
        text, agency = m.group("name").strip(" -–—,"), m.group("agency").strip()
    m = ROLE_PREFIX_RE.match(text)
    if m:
        text = m.group("rest").strip()
    if not looks_like_name(text):
        return None
    return Byline(text, agency)


def looks_like_name(text: str, *, allow_lower: bool = False) -> bool:
    """One to six capitalised words, no digits, no sentence punctuation, not a paper's name."""
    if not text or PAPER_NAME_RE.search(text) and not allow_lower:
        return False
    if NOT_A_NAME_RE.search(text):
        return False
    names = NAME_SEPARATOR_RE.split(text)
    words = [w for n in names for w in n.split()]
    if not 1 <= len(words) <= 8:
        return False
    if allow_lower:
        return True
    return all(w[0].isupper() and not any(c.isdigit() for c in w) for w in words)


def byline_hint(tree: HtmlElement, hints: ExtractionHints, classes: ClassText) -> str | None:
    """The byline printed apart from the body: the hint's element, else an author-classed or
    right-aligned one."""
    if hints.byline:
        return select_text(tree, hints.byline, classes)
    return find_byline_element(tree, classes)


def find_byline_element(tree: HtmlElement, classes: ClassText) -> str | None:
    """The text of the last author-classed or right-aligned short element, when it parses as a
    byline (trafilatura drops such elements, so they are looked up in the tree)."""
    for element in reversed(find_classed(tree, BYLINE, classes)[-4:]):
        if has_ancestor(element, "li", "aside", "footer", "nav"):
            continue
        text = clean_inline(element.text_content())
        if text and len(text) <= MAX_BYLINE_CHARS and parse_byline(text) is not None:
            return text
    return None


def article_author(
    byline: Byline | None, meta_authors: Sequence[str], site: Site | None, site_name: str | None
) -> str | None:
    """The byline's author; else, unless the byline names only an agency, the first person
    among the page's metadata authors."""
    author = byline.author if byline else None
    if author is None and (byline is None or byline.agency is None):
        author = first_person_author(meta_authors, site, site_name)
    return author


def first_person_author(candidates: Sequence[str], site: Site | None, site_name: str | None) -> str | None:
    """The first author from metadata that is a person, never the paper itself."""
    paper_names = {n.casefold() for n in (site.name if site else None, site_name) if n}
    for name in candidates:
        if name.casefold() in paper_names or PAPER_NAME_RE.search(name):
            continue
        if looks_like_name(name):
            return name
    return None
