"""The article body: the hint's or a known CMS container when it holds enough words, else
trafilatura on the page with boilerplate and captions pruned; then cleaned line by line.

>>> clean_lines(["Tiêu đề", "Ảnh: Minh Tuấn", "Xem thêm", "Một câu."], "Tiêu đề", ())
['Một câu.']
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import trafilatura
from lxml.html import HtmlElement

from pipeline.extract.captions import PHOTO_CREDIT_RE, container_images, harvest_captions
from pipeline.extract.markup import (
    BLOCK_TAGS,
    BOILERPLATE_XPATH,
    CAPTION_XPATH,
    CONTAINER_REMOVALS,
    GENERIC_BODY,
)
from pipeline.extract.selectors import ClassText, css_xpath, find_classed, has_ancestor, select_all
from pipeline.record import Image
from pipeline.registry.load import ExtractionHints
from pipeline.text.normalise import normalise_text, repair_mojibake
from pipeline.text.vi import BOILERPLATE_LINE_STARTS

__all__ = ["Body", "clean_lines", "extract_body", "has_mojibake", "place_lead"]

# A hint's container with fewer words than this missed: trafilatura reads the page instead.
MIN_HINT_WORDS = 25
# Lines that are never article text when they stand alone at the edge of a body.
BOILERPLATE_LINE_RE = re.compile(
    rf"^(?:{'|'.join(map(re.escape, BOILERPLATE_LINE_STARTS))})\b", re.IGNORECASE
)


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
    """The body lines: from the hint's container when it hits, else from trafilatura."""
    captions, images = harvest_captions(tree, url, hints, classes)
    removals = [s for s in (*hints.remove, hints.caption) if s and css_xpath(s)]
    for containers in body_containers(tree, hints, classes):
        if not containers:
            continue
        container = containers[0]
        lines = container_lines(container, removals)
        if len(" ".join(lines).split()) >= MIN_HINT_WORDS:
            extra = container_images(container, url, images)
            return Body(tuple(clean_lines(lines, title, captions, date_lines)), captions, images + extra, True,
                        lines_had_mojibake(lines))
    prune = [BOILERPLATE_XPATH, CAPTION_XPATH, *(str(css_xpath(s)) for s in removals)]
    lines = trafilatura_lines(tree, url, prune)
    return Body(tuple(clean_lines(lines, title, captions, date_lines)), captions, images, False,
                lines_had_mojibake(lines))


def body_containers(
    tree: HtmlElement, hints: ExtractionHints, classes: ClassText
) -> Iterator[list[HtmlElement]]:
    """Candidate body containers: the hint's, then the generic ones (looked up only when the
    hint's are missing or too short)."""
    yield select_all(tree, hints.body, classes)
    yield find_classed(tree, GENERIC_BODY, classes)


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
    lines: list[str] = []
    for element in scratch.iter(*BLOCK_TAGS):
        if has_ancestor(element, *BLOCK_TAGS):
            continue
        lines.append(element.text_content())
    if not lines:
        lines = scratch.text_content().split("\n")
    return lines


def trafilatura_lines(tree: HtmlElement, url: str, remove_xpaths: Sequence[str]) -> list[str]:
    """Body lines from trafilatura, boilerplate and captions pruned beforehand."""
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=False, include_comments=False, include_tables=True,
        include_images=False, prune_xpath=list(remove_xpaths),
    )
    text = getattr(document, "text", None) if document is not None else None
    return text.split("\n") if text else []


def clean_lines(
    lines: Iterable[str], title: str | None, captions: Sequence[str], date_lines: Sequence[str] = ()
) -> list[str]:
    """Normalised non-empty lines without title, date line, captions, credits and boilerplate."""
    caption_set = {c.casefold() for c in (*captions, *date_lines)}
    out: list[str] = []
    for raw in lines:
        line = normalise_text(raw).replace("\n", " ")
        if not line:
            continue
        folded = line.casefold()
        if title and folded == title.casefold():
            continue
        if folded in caption_set or PHOTO_CREDIT_RE.match(line):
            continue
        if len(line) < 40 and BOILERPLATE_LINE_RE.match(line):
            continue
        out.append(line)
    return out


def place_lead(lines: list[str], lead: str | None) -> list[str]:
    """The lead as the first line (moved there when the body already holds it)."""
    if not lead:
        return lines
    folded = lead.casefold()
    rest = [line for i, line in enumerate(lines) if not (i < 4 and line.casefold() == folded)]
    return [lead] + rest
