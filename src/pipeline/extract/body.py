"""The article body: the hint's or a known CMS container when it holds enough words, else
trafilatura on the page with boilerplate and captions pruned; then cleaned line by line.

>>> clean_lines(["Tiêu đề", "Ảnh: Minh Tuấn", "Xem thêm", "Một câu."], "Tiêu đề", ())
['Một câu.']
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import lxml.etree
import trafilatura
from lxml.html import HtmlElement

from pipeline.extract.captions import PHOTO_CREDIT_RE, container_images, harvest_captions
from pipeline.extract.markup import (
    BLOCK_TAGS,
    BOILERPLATE_WORDS,
    CAPTION_WORDS,
    CONTAINER_REMOVALS,
    GENERIC_BODY,
)
from pipeline.extract.selectors import ClassText, css_xpath, find_classed, has_ancestor, select_all
from pipeline.record import Image
from pipeline.registry.load import ExtractionHints
from pipeline.text.normalise import normalise_text, repair_mojibake
from pipeline.text.vi import (
    ARTICLE_END_HEADERS,
    ARTICLE_END_PHRASES,
    BOILERPLATE_LINE_STARTS,
    LINK_LABELS,
    READING_TIME_LABELS,
)

__all__ = ["Body", "clean_lines", "extract_body", "has_mojibake", "place_lead"]

# A hint's container with fewer words than this missed: trafilatura reads the page instead.
MIN_HINT_WORDS = 25
# An element holding this share of the page's paragraph text is never pruned as boilerplate.
KEEP_SHARE = 0.25
# A known CMS container sharing this share of trafilatura's word 4-grams is the body.
AGREEMENT = 0.7
# The tags of the BOILERPLATE and CAPTION lookups (markup.py), for :func:`classed_furniture`.
BOILERPLATE_TAGS = frozenset({"div", "ul", "section", "aside", "nav", "footer"})
CAPTION_TAGS = frozenset({"p", "td", "div", "span", "em", "table"})
ALWAYS_FURNITURE = frozenset({"footer", "nav", "aside", "form", "figcaption"})
FURNITURE_TAGS = tuple(BOILERPLATE_TAGS | CAPTION_TAGS | ALWAYS_FURNITURE)
# Blocks of a container with this share of link text, and this many words, are related links.
LINK_HEAVY = 0.6
LINK_BLOCK_MIN_WORDS = 4
LINK_BLOCK_MAX_WORDS = 40
LINK_BLOCK_TAGS = ("p", "li", "h2", "h3", "h4", "h5", "ul", "ol", "div")
# The same, on the whole page before trafilatura reads it: lists and headings of links, not the
# paragraphs (one wholly linked sentence of an article, "Follow us on …" the gold keeps).
PAGE_LINK_BLOCK_TAGS = ("li", "h2", "h3", "h4", "h5", "ul", "ol")
WORD_RE = re.compile(r"\w+")
# A div written as a paragraph: text of its own with line breaks, or bare text right after a <p>
# (old Dân trí set one paragraph of a story in a <div> between <p>s); and what else such a div may
# hold. A wider rule (any text div beside a <p>) broke CNN's split body on the AEB pages.
TEXT_DIV_XPATH = lxml.etree.XPath(
    "//div[br or (not(*) and preceding-sibling::*[1][self::p])][text()[normalize-space()]]"
)
INLINE_TAGS = frozenset({"br", "a", "b", "strong", "i", "em", "u", "span", "font", "sup", "sub", "small", "img"})
# Lines that are never article text when they stand alone at the edge of a body.
BOILERPLATE_LINE_RE = re.compile(
    rf"^(?:{'|'.join(map(re.escape, BOILERPLATE_LINE_STARTS))})\b", re.IGNORECASE
)
ARTICLE_END_RE = re.compile(rf"^(?:{'|'.join(map(re.escape, ARTICLE_END_HEADERS))})\s*:?$")
# A short "Theo Thanh Niên" / "Nguồn: TTXVN" line, and how short the story titles listed under it are.
SOURCE_LINE_RE = re.compile(r"^\(?(?:theo|nguồn)\b\s*:?\s*\S.{0,60}$", re.IGNORECASE)
RELATED_LINE_CHARS = 120
WEEKDAY_ROW_RE = re.compile(r"^(?:(?:CN|T[2-7])\W*){7}$")
# Lines that are never article text at any length: a machine timestamp, an image's address, embed
# code or script, a reading-time estimate, a link to another story labelled before ("READ MORE: …",
# "Related: …") or after ("… [VIDEO]", "… [INSIGHT]"). Three patterns, so that each line costs one
# anchored match and one search for four literal-led fragments (one pattern with every alternative
# tried at every position was a tenth of the extraction time).
_NOISE_START_RE = re.compile(
    r"\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?$"
    r"|(?:https?:)?//\S+\.(?:jpe?g|png|gif|webp|svg)(?:\?\S*)?$"
    r"|(?:var|let|const)\s+\w+\s*=|/\*"
    rf"|(?:{'|'.join(map(re.escape, READING_TIME_LABELS))})\s*:?\s*\d+\s*\w*\.?$"
    r"|\d+\s*min(?:ute)?s?\s+read$"
    rf"|(?:{'|'.join(map(re.escape, LINK_LABELS))})\s*:\s*\S",
    re.IGNORECASE,
)
_NOISE_ANYWHERE_RE = re.compile(r"<script\b|&(?:amp;)?lt;\w|\bfunction\s*\(|\bdocument\.\w+\(", re.IGNORECASE)
_NOISE_ANYWHERE_PARTS = ("<script", "lt;", "function", "document.")
_NOISE_LABEL_AFTER_RE = re.compile(r"^.{0,160}\s\[[A-Z][A-Za-z]{2,}\]\|?$", re.IGNORECASE)


def is_noise_line(line: str) -> bool:
    """True when ``line`` is never article text (see the patterns above).

    >>> is_noise_line("2019-08-06T19:05:01+07:00"), is_noise_line("Đọc thêm: Kim Thành"), is_noise_line("Kim Thành")
    (True, True, False)
    """
    if _NOISE_START_RE.match(line):
        return True
    if line.endswith(("]", "]|")) and _NOISE_LABEL_AFTER_RE.match(line):
        return True
    # The search is costly on long lines: only where one of its literals stands (casefold, as
    # re.IGNORECASE matches "ſ" for "s").
    folded = line.casefold()
    return any(part in folded for part in _NOISE_ANYWHERE_PARTS) and bool(_NOISE_ANYWHERE_RE.search(line))


# A line of nothing but these words and numbers, with a year or a time of day, is a date line
# ("Updated: 18 Nov 2019, 19:11", "segunda-feira, 22 de janeiro de 2018 às 0:13"); the Vietnamese
# ones are the page's visible date lines, taken out apart.
DATE_LINE_WORDS = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "updated", "published", "posted",
    "last", "modified", "on", "at", "am", "pm", "gmt", "utc", "est", "edt", "bst", "cet", "janeiro",
    "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
    "novembro", "dezembro", "segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo",
    "feira", "de", "às",
))
DATE_LINE_MAX_WORDS = 12
YEAR_OR_TIME_RE = re.compile(r"\b\d{4}\b|\b\d\d?:\d\d\b")
# A line of this many words seen before in the body is a repeat (a second copy of the article;
# shorter lines repeat in articles: an interview's questions, a product list's features).
REPEAT_MIN_WORDS = 25


@dataclass(frozen=True, slots=True)
class Body:
    """The body's paragraphs plus what was taken out of it."""

    lines: tuple[str, ...]
    captions: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    via_hint: bool = False
    mojibake: bool = False  # some raw line needed a mojibake repair


def extract_body(
    tree: HtmlElement, url: str, hints: ExtractionHints, title: str | None, date_lines: Sequence[str],
    classes: ClassText,
) -> Body:
    """The body lines: from the hint's container when it hits, else the better of a known CMS
    container and trafilatura's text (:func:`prefer_container`)."""
    captions, images = harvest_captions(tree, url, hints, classes)
    removals = [s for s in (*hints.remove, hints.caption) if s and css_xpath(s)]
    hinted = select_all(tree, hints.body, classes)
    if hinted:
        lines = container_lines(hinted[0], removals)
        if word_count(lines) >= MIN_HINT_WORDS:
            return container_body(hinted[0], lines, url, title, captions, images, date_lines)
    candidates = find_classed(tree, GENERIC_BODY, classes)
    container = best_container(candidates)
    found = [line for part in body_parts(container, candidates) for line in container_lines(part, removals)]
    if word_count(found) < MIN_HINT_WORDS:
        container, found = None, []
    prune = prune_targets(tree, classes, removals, container)
    lines = trafilatura_lines(tree, url, prune)
    if container is not None and prefer_container(found, lines):
        return container_body(container, found, url, title, captions, images, date_lines)
    return Body(tuple(clean_lines(lines, title, captions, date_lines)), captions, images, False,
                lines_had_mojibake(lines))


def container_body(
    container: HtmlElement, lines: list[str], url: str, title: str | None, captions: tuple[str, ...],
    images: tuple[Image, ...], date_lines: Sequence[str],
) -> Body:
    """The body read from a container (the hint's or a known CMS one), its images added."""
    extra = container_images(container, url, images)
    return Body(tuple(clean_lines(lines, title, captions, date_lines)), captions, images + extra, True,
                lines_had_mojibake(lines))


def word_count(lines: Sequence[str]) -> int:
    """The words of ``lines``."""
    return sum(len(line.split()) for line in lines)


def paragraph_chars(element: HtmlElement) -> int:
    """Characters of text in the paragraphs under ``element``."""
    return sum(len(p.text_content()) for p in element.iter("p"))


def best_container(candidates: Sequence[HtmlElement]) -> HtmlElement | None:
    """The known CMS container holding the most paragraph text (the first of equals: an outer
    wrapper before the inner one)."""
    best, most = None, -1
    for element in candidates:
        chars = paragraph_chars(element)
        if chars > most:
            best, most = element, chars
    return best


def body_parts(best: HtmlElement | None, candidates: Sequence[HtmlElement]) -> list[HtmlElement]:
    """The parts of a body split into several containers of the same class (a CMS that breaks
    the article around an advert), in page order: those of ``best``'s class outside one another."""
    if best is None:
        return []
    name = best.get("class")
    if not name:
        return [best]
    same = [e for e in candidates if e.get("class") == name]
    return [e for e in same if not any(o is not e and o in e.iterancestors() for o in same)]


def prune_targets(
    tree: HtmlElement, classes: ClassText, removals: Sequence[str], keep: HtmlElement | None
) -> list[HtmlElement]:
    """The boilerplate and captions to prune before trafilatura reads the page, without the
    elements that hold the article: the chosen container and its ancestors, and any element
    with a large share of the page's paragraph text (a wrapper whose class says "sidebar")."""
    found = classed_furniture(tree) + link_blocks(tree, PAGE_LINK_BLOCK_TAGS)
    for selector in removals:
        found.extend(select_all(tree, selector, classes))
    protected = {id(e) for e in keep.iterancestors()} | {id(keep)} if keep is not None else set()
    total = paragraph_chars(tree) or 1
    return [e for e in dict.fromkeys(e for e in found if isinstance(e, HtmlElement))
            if id(e) not in protected and paragraph_chars(e) < KEEP_SHARE * total]


def classed_furniture(tree: HtmlElement) -> list[HtmlElement]:
    """What the BOILERPLATE and CAPTION lookups select, in one walk over the tree: their
    ``contains()`` XPaths cost 8 ms on a large English page full of class names."""
    found = []
    for element in tree.iter(*FURNITURE_TAGS):
        tag = element.tag
        if tag in ALWAYS_FURNITURE:
            found.append(element)
            continue
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if (tag in BOILERPLATE_TAGS and any(w in names for w in BOILERPLATE_WORDS)) or (
                tag in CAPTION_TAGS and any(w in names for w in CAPTION_WORDS)):
            found.append(element)
    return found


def prefer_container(container: Sequence[str], extracted: Sequence[str]) -> bool:
    """True when a known CMS container's lines are the better body than trafilatura's.

    The container wins when it holds most of trafilatura's text from the first passage they
    share on (what trafilatura reads above it is the title, lead and date line, placed apart):
    it is then the more precise of the two, bounded by the CMS itself. Trafilatura wins when the
    container misses much of that text or the two disagree."""
    if not extracted:
        return True
    ours, theirs = shingle_set(container), shingle_list(extracted)
    start = next((i for i, s in enumerate(theirs) if s in ours), len(theirs))
    rest = set(theirs[start:])
    return not rest or len(ours & rest) >= AGREEMENT * len(rest)


def shingle_list(lines: Sequence[str]) -> list[tuple[str, ...]]:
    """The word 4-grams of ``lines`` (lower-cased) in order, to tell how much two bodies share."""
    words = WORD_RE.findall(" ".join(lines).casefold())
    return [tuple(words[i:i + 4]) for i in range(len(words) - 3)]


def shingle_set(lines: Sequence[str]) -> set[tuple[str, ...]]:
    """The word 4-grams of ``lines``, as a set."""
    return set(shingle_list(lines))


def lines_had_mojibake(lines: Sequence[str]) -> bool:
    """True when some of ``lines`` needed a mojibake repair."""
    joined = "\n".join(lines)
    return repair_mojibake(joined) != joined


def has_mojibake(tree: HtmlElement) -> bool:
    """True when the page's title or h1 needed a mojibake repair (the body is checked apart)."""
    heads = [tree.findtext(".//title") or ""] + [h.text_content() for h in tree.xpath("//h1")[:3]]
    return lines_had_mojibake(heads)


def container_lines(container: HtmlElement, removals: Sequence[str]) -> list[str]:
    """Text blocks of a body container with boilerplate, captions and the elements matching the
    ``removals`` CSS selectors dropped."""
    scratch = copy.deepcopy(container)  # the tree stays whole for the other readers
    classes = ClassText(scratch)
    # Each lookup runs after the drops of the one before it (lazily), as a list of XPaths would.
    doomed = itertools.chain(
        (find_classed(scratch, lookup, classes) for lookup in CONTAINER_REMOVALS),
        (select_all(scratch, selector, classes) for selector in removals),
    )
    for group in doomed:
        for element in group:
            if element is not scratch and element.getparent() is not None:
                element.drop_tree()
    drop_link_blocks(scratch)
    lines: list[str] = []
    for element in scratch.iter(*BLOCK_TAGS):
        if has_ancestor(element, *BLOCK_TAGS):
            continue
        lines.append(element.text_content())
    if not lines:
        lines = scratch.text_content().split("\n")
    return lines


def drop_link_blocks(container: HtmlElement) -> None:
    """Drop the blocks of a container that are mostly link text: related-story lines ("On
    HoustonChronicle.com: …", "You may also like"), tag lists, "Xem thêm" links. A block of a
    few words (an author's linked name) stays for the byline."""
    for element in link_blocks(container):
        if element.getparent() is not None:
            element.drop_tree()


def link_blocks(container: HtmlElement, tags: Sequence[str] = LINK_BLOCK_TAGS) -> list[HtmlElement]:
    """The ``tags`` blocks of ``container`` that are mostly link text (see :func:`drop_link_blocks`)."""
    doomed = []
    for element in container.iter(*tags):
        text = element.text_content()
        words = len(text.split())
        if not LINK_BLOCK_MIN_WORDS <= words <= LINK_BLOCK_MAX_WORDS:
            continue
        linked = sum(len(a.text_content()) for a in element.iter("a"))
        if linked >= LINK_HEAVY * len(text.strip()):
            doomed.append(element)
    return doomed


def trafilatura_lines(tree: HtmlElement, url: str, prune: Sequence[HtmlElement]) -> list[str]:
    """Body lines from trafilatura, the ``prune`` elements taken out of the tree beforehand (their
    tail text kept). HTML comments go too: trafilatura loses the text after a comment inside a
    paragraph (its own parser drops them; the page's tree keeps them). A div written as a
    paragraph (:data:`TEXT_DIV_XPATH`) is read as one: as a div, trafilatura loses its text, or
    the line before its first ``<br>`` (old GenK's bullet summary)."""
    for element in [*prune, *tree.iter(lxml.etree.Comment)]:
        if element.getparent() is not None:
            element.drop_tree()
    for div in TEXT_DIV_XPATH(tree):
        if all(child.tag in INLINE_TAGS for child in div):
            div.tag = "p"
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=False, include_comments=False, include_tables=True,
        include_images=False,
    )
    text = getattr(document, "text", None) if document is not None else None
    return text.split("\n") if text else []


def clean_lines(
    lines: Iterable[str], title: str | None, captions: Sequence[str], date_lines: Sequence[str] = ()
) -> list[str]:
    """Normalised non-empty lines without title, date line, captions, credits and boilerplate."""
    caption_set = {c.casefold() for c in (*captions, *date_lines)}
    out: list[str] = []
    seen: set[str] = set()
    for raw in lines:
        line = normalise_text(raw).replace("\n", " ").strip(" |")  # a table row's cell marks
        if not line or is_noise_line(line) or is_date_line(line) or is_repeat(line, seen):
            continue
        folded = line.casefold()
        if title and is_title_line(folded, title.casefold(), caption_set):
            continue
        if folded in caption_set or PHOTO_CREDIT_RE.match(line):
            continue
        if len(line) < 40 and BOILERPLATE_LINE_RE.match(line.strip("[]() ")):
            continue
        if (len(line) <= 2 and not line.isdigit()) or WEEKDAY_ROW_RE.match(line):
            continue  # a close button's "X", a stray mark, a calendar widget's "CN | T2 | … | T7"
        if line.startswith(">>") and len(line) < RELATED_LINE_CHARS:
            continue  # ">> Xem tiếp: …", ">> Công chức được nghỉ 9 ngày": a link to another story
        out.append(line)
    return cut_at_article_end(out)


def cut_at_article_end(lines: list[str]) -> list[str]:
    """The lines up to where the article ends: a comment box's notice or a "Tin liên quan" header
    (never among the first lines), or a "Theo …" source line followed by nothing but short lines
    (the other stories listed under it: "Viết chữ đẹp đã lỗi thời? Ngày 26/11/2012")."""
    for i, line in enumerate(lines[2:], start=2):
        folded = line.casefold()
        if ARTICLE_END_RE.match(folded) or any(p in folded for p in ARTICLE_END_PHRASES):
            return lines[:i]
    for i in range(len(lines) - 3, 1, -1):
        if SOURCE_LINE_RE.match(lines[i]) and all(len(rest) < RELATED_LINE_CHARS for rest in lines[i + 1:]):
            return lines[: i + 1]
    return lines


def is_title_line(folded: str, title: str, date_lines: set[str]) -> bool:
    """True when a (casefolded) line is the title, alone or after the page's date line (old
    VnExpress printed "Thứ năm, 20/12/2012, 10:18 GMT+7" in the headline's block)."""
    if not folded.endswith(title):
        return False
    head = folded[: len(folded) - len(title)].strip()
    return not head or head in date_lines or is_date_line(head)


def is_date_line(line: str) -> bool:
    """True when ``line`` is only a date (and time), with its label and weekday.

    >>> is_date_line("Updated: 18 Nov 2019, 19:11"), is_date_line("On 18 Nov 2019 he left.")
    (True, False)
    """
    words = WORD_RE.findall(line.casefold())
    if not words or len(words) > DATE_LINE_MAX_WORDS or not YEAR_OR_TIME_RE.search(line):
        return False
    return all(w.isdigit() or w in DATE_LINE_WORDS for w in words)


def is_repeat(line: str, seen: set[str]) -> bool:
    """True when a long ``line`` was met before (``seen`` collects them): pages that carry the
    article twice (a hidden copy for an app or a print view) would count its words twice."""
    if len(line.split()) < REPEAT_MIN_WORDS:
        return False
    folded = line.casefold()
    if folded in seen:
        return True
    seen.add(folded)
    return False


def place_lead(lines: list[str], lead: str | None, title: str | None = None) -> list[str]:
    """The lead as the first line (moved there when the body already holds it); a lead that is
    no text (a player's embed code, a script) is left out. A line of the first ones that starts
    with the title and holds the lead is the page's header flattened into one line (title, date
    line, lead, byline, rating): it goes."""
    if not lead or is_noise_line(lead):
        return lines
    folded = lead.casefold()
    header = title.casefold() if title else None
    if "\n" in folded and [line.casefold() for line in lines[: folded.count("\n") + 1]] == folded.split("\n"):
        return [lead, *lines[folded.count("\n") + 1:]]  # a lead of several lines, the body's first
    rest = [line for i, line in enumerate(lines) if not (i < 4 and (
        line.casefold() == folded or (header and line.casefold().startswith(header) and folded in line.casefold())))]
    return [lead] + rest
