"""The byline: the author line at the end of a body ("Bài, ảnh: Minh Tuấn", "NGỌC ANH (theo
TTXVN)", "HV"), the "theo …" agency, and the author from metadata when there is no byline; a
paper's own name is never an author.

>>> parse_byline("NGỌC ANH (theo TTXVN)")
Byline(author='NGỌC ANH', agency='TTXVN')
>>> parse_byline("Bài, ảnh: Minh Tuấn")
Byline(author='Minh Tuấn', agency=None)
>>> parse_byline("Theo TTXVN")
Byline(author=None, agency='TTXVN')
>>> parse_byline("Theo Thanh Xuân")
Byline(author='Thanh Xuân', agency=None)
>>> parse_byline("Nguyên Minh - 07/03/2026 08:47")
Byline(author='Nguyên Minh', agency=None)
>>> parse_byline("Giá vé dao động từ 1,5 triệu đồng.") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from pipeline.extract.markup import BYLINE
from pipeline.extract.selectors import ClassText, find_classed, has_ancestor, select_text
from pipeline.registry.load import ExtractionHints, Site
from pipeline.text.dates import ParsedDate, find_dates
from pipeline.text.fold import fold
from pipeline.text.normalise import clean_inline
from pipeline.text.vi import (
    AGENCY_LINE_STARTS,
    AGENCY_WORDS,
    AND_WORD,
    ARTICLE_WORD,
    BYLINE_ROLES,
    COMPILED_MARKS,
    NEWS_WORD,
    OUTLET_NAMES,
    OUTLET_STARTS,
    PAPER_NAME_STARTS,
    PHOTO_WORD,
    SOURCE_LINE_STARTS,
)

__all__ = [
    "Byline",
    "article_agency",
    "article_author",
    "byline_hint",
    "is_outlet",
    "is_person",
    "parse_byline",
    "split_dated_byline",
    "take_byline",
]

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
# "Theo Minh Nguyễn/Vcamp.vn", "Theo Sầm Hoa (Vietnamnet/Reuters)": a person, then the outlet
# that ran the story first.
SOURCE_PERSON_RE = re.compile(
    rf"^{alternatives(AGENCY_WORDS)}\s*:?\s*(?P<person>[^()/\[\]]+?)\s*"
    r"(?:/\s*(?P<outlet>[^()\[\]]+)|\(\s*(?P<bracketed>[^()\[\]]+?)\s*\))$",
    re.IGNORECASE,
)
# Shapes of a paper's own name, never an author: "Báo Hải Dương", "baohaiduong.vn", "Tòa soạn".
PAPER_NAME_RE = re.compile(
    rf"^{alternatives(PAPER_NAME_STARTS)}\b|\.(?:vn|com|net|org)\b|\bonline\b", re.IGNORECASE
)
NOT_A_NAME_RE = re.compile(r"\d|[!?;:]|\.\s*$")
# A reporter signing with initials: "H.V.", "T.H", "N.A.".
INITIALS_RE = re.compile(r"(?:[A-ZĐ]\.\s?){1,4}[A-ZĐ]?\.?")
# "Minh Anh (tổng hợp)", "PV (TH)": the compiler's mark at the end of a byline.
COMPILED_SUFFIX_RE = re.compile(rf"\s*[\(\[]\s*{alternatives(COMPILED_MARKS)}\s*[\)\]]\s*$", re.IGNORECASE)
OUTLET_START_RE = re.compile(rf"^{alternatives(OUTLET_STARTS)}\s", re.IGNORECASE)
# What is left of a date line once its date is cut out: separators, "(GMT+7)", "lúc".
DATE_LINE_FILLER_RE = re.compile(r"^[\s\-–—|,·•/:]+|[\s\-–—|,·•/:]+$")
FOLDED_OUTLETS = frozenset(fold(n) for n in OUTLET_NAMES)
NAME_SEPARATOR_RE = re.compile(rf"\s*[-,–&]\s*|\s+{AND_WORD}\s+")


@dataclass(frozen=True, slots=True)
class Byline:
    """An author line found at the end of a body: the author and the "theo …" agency."""

    author: str | None
    agency: str | None
    # The date printed with the byline ("Nguyên Minh - 07/03/2026 08:47"), when there is one.
    dated: ParsedDate | None = field(default=None, repr=False, compare=False)


def take_byline(lines: list[str], lead: str | None) -> tuple[list[str], Byline | None]:
    """Remove the byline lines at the end of the body and parse them."""
    author: str | None = None
    agency: str | None = None
    dated: ParsedDate | None = None
    found = False
    while len(lines) > 1 and len(lines[-1]) <= MAX_BYLINE_CHARS:
        parsed = parse_byline(lines[-1])
        if parsed is None:
            break
        found = True
        lines = lines[:-1]
        agency = agency or parsed.agency
        dated = dated or parsed.dated
        if parsed.author and author is None:
            author = parsed.author
        if author is not None:
            # "Theo TTXVN" / "Thu Hà": a source line just above the author line goes too.
            if len(lines) > 1 and len(lines[-1]) <= MAX_BYLINE_CHARS and AGENCY_ONLY_RE.match(lines[-1]) \
                    and lines[-1].lower().startswith(SOURCE_LINE_STARTS):
                above = parse_byline(lines[-1])
                agency = agency or (above.agency if above else None)
                lines = lines[:-1]
            break
    return lines, (Byline(author, agency, dated) if found else None)


def parse_byline(line: str) -> Byline | None:
    """Parse an author line; None when the line is not one."""
    text = (clean_inline(line) or "").strip(" -–—")
    if not text or len(text) > MAX_BYLINE_CHARS:
        return None
    text = COMPILED_SUFFIX_RE.sub("", text).strip(" -–—") or text
    m = SOURCE_PERSON_RE.match(text)
    if m and text.lower().startswith(AGENCY_LINE_STARTS) and is_person(m.group("person").strip()):
        return Byline(m.group("person").strip(), (m.group("outlet") or m.group("bracketed")).strip())
    m = AGENCY_ONLY_RE.match(text)
    if m and text.lower().startswith(AGENCY_LINE_STARTS):
        return source_byline(m.group("agency").strip())
    agency = None
    m = AGENCY_SUFFIX_RE.match(text)
    if m:
        text, agency = m.group("name").strip(" -–—,"), m.group("agency").strip()
    m = ROLE_PREFIX_RE.match(text)
    if m:
        text = COMPILED_SUFFIX_RE.sub("", m.group("rest")).strip()
    if agency is None and fold(text).strip(" .") in FOLDED_OUTLETS:
        return Byline(None, text)  # "VnEconomy" alone under the story: the source, not a person
    if INITIALS_RE.fullmatch(text) and sum(c.isupper() for c in text) >= 2:
        return Byline(text, agency)
    if not looks_like_name(text):
        return split_dated_byline(text)
    return Byline(text, agency)


def meta_source_byline(meta_authors: Sequence[str]) -> Byline | None:
    """The byline a page puts in its author meta as a source line ("Theo Sầm Hoa
    (Vietnamnet/Reuters)", 24h), when the body has none."""
    for name in meta_authors:
        if name.strip().lower().startswith(AGENCY_LINE_STARTS):
            parsed = parse_byline(name)
            if parsed is not None:
                return parsed
    return None


def source_byline(name: str) -> Byline | None:
    """The byline of a "Theo …" / "Nguồn: …" line: a person is the author, an outlet or
    agency the source."""
    if is_person(name):
        return Byline(name, None)
    return Byline(None, name) if looks_like_name(name, allow_lower=True) else None


def split_dated_byline(text: str) -> Byline | None:
    """The author of a byline printed with its date ("Nguyên Minh - 07/03/2026 08:47")."""
    if not any(c.isdigit() for c in text):
        return None
    found = find_dates(text)
    if len(found) != 1 or not found[0].has_time:  # "Hà Nội, ngày 12/3/2024" closes a decree
        return None
    rest = DATE_LINE_FILLER_RE.sub("", text.replace(found[0].text, " ")).strip()
    rest = re.sub(r"\(?\s*GMT\s*[+-]\s*\d{1,2}\s*\)?", "", rest, flags=re.IGNORECASE).strip(" -–—|,")
    if not rest or len(rest) > MAX_BYLINE_CHARS or any(c.isdigit() for c in rest):
        return None
    parsed = parse_byline(rest)
    if parsed is None or not (parsed.author or parsed.agency):
        return None
    return Byline(parsed.author, parsed.agency, found[0])


def is_outlet(name: str) -> bool:
    """True for a news outlet's or agency's name ("TTXVN", "Tuổi Trẻ", "Báo Nhân Dân")."""
    folded = fold(name).strip(" .")
    return folded in FOLDED_OUTLETS or bool(OUTLET_START_RE.match(name)) or bool(PAPER_NAME_RE.search(name))


def is_person(name: str) -> bool:
    """True for a person's name: two to five words, each capitalised as names are
    ("Thanh Xuân", "NGỌC ANH"), not an outlet's name and no CamelCase brand ("VnEconomy")."""
    words = name.split()
    if not 2 <= len(words) <= 5 or is_outlet(name) or NOT_A_NAME_RE.search(name):
        return False
    if all(w.isupper() for w in words):
        return True
    return all(w[0].isupper() and (len(w) == 1 or w[1:].islower()) for w in words)


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
    found = [e for e in find_classed(tree, BYLINE, classes)[-4:] if not has_ancestor(e, "li", "aside", "footer", "nav")]
    for i in range(len(found) - 1, -1, -1):
        text = clean_inline(found[i].text_content())
        if text and len(text) <= MAX_BYLINE_CHARS and parse_byline(text) is not None:
            above = found[i - 1] if i and found[i].getprevious() is found[i - 1] else None
            return source_line_above(above, text) or text
    return None


def source_line_above(above: HtmlElement | None, text: str) -> str | None:
    """The "Theo Minh Nguyễn/Vcamp.vn" line just above a one-word line ("Forbes") that closes
    the story: it names who wrote and where; the word under it is the original the outlet
    translated, not the author."""
    if above is None or len(text.split()) != 1:
        return None
    line = clean_inline(above.text_content())
    parsed = parse_byline(line) if line else None
    return line if parsed is not None and parsed.author and parsed.agency else None


def article_author(
    byline: Byline | None, meta_authors: Sequence[str], site: Site | None, site_name: str | None,
    url: str = "",
) -> str | None:
    """The byline's author; else, unless the byline names only an agency, the first person
    among the page's metadata authors."""
    author = byline.author if byline else None
    if author is None and (byline is None or byline.agency is None):
        author = first_person_author(meta_authors, site, site_name, url)
    return author


def first_person_author(
    candidates: Sequence[str], site: Site | None, site_name: str | None, url: str = ""
) -> str | None:
    """The first author from metadata that is a person, never the paper itself nor an outlet
    ("Dân Trí" on dantri.com.vn)."""
    paper_names = {n.casefold() for n in (site.name if site else None, site_name) if n}
    host = urlsplit(url).hostname or ""
    for name in candidates:
        if name.casefold() in paper_names or PAPER_NAME_RE.search(name) or is_outlet(name):
            continue
        if is_site_name(name, host):
            continue
        if looks_like_name(name):
            return name
    return None


def article_agency(
    byline: Byline | None, meta_authors: Sequence[str], site: Site | None, site_name: str | None,
    url: str = "",
) -> str | None:
    """The byline's "theo …" agency; else an agency named as the metadata author ("TTXVN"),
    unless it is the site itself."""
    if byline is not None and byline.agency:
        return byline.agency
    paper_names = {n.casefold() for n in (site.name if site else None, site_name) if n}
    host = urlsplit(url).hostname or ""
    for name in meta_authors:
        if fold(name).strip(" .") in FOLDED_OUTLETS and name.casefold() not in paper_names \
                and not is_site_name(name, host):
            return name
    return None


def is_site_name(name: str, host: str) -> bool:
    """True when ``name`` spells the site's host ("Dân Trí" on dantri.com.vn)."""
    key = re.sub(r"[^a-z0-9]", "", fold(name))
    labels = [re.sub(r"[^a-z0-9]", "", label) for label in host.lower().split(".")]
    return len(key) >= 4 and any(label in {key, "bao" + key} for label in labels)
