"""Photo captions and images: kept apart from the article text, each caption with its image.

>>> from lxml.html import fragment_fromstring
>>> caption_text(fragment_fromstring('<div><p>Cầu mới. (Ảnh: TTXVN)</p></div>'))
'Cầu mới.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin

import lxml.etree
from lxml.html import HtmlElement

from pipeline.extract.markup import CAPTION
from pipeline.extract.selectors import ClassText, find_classed, has_ancestor, select_all
from pipeline.record import Image
from pipeline.registry.load import ExtractionHints
from pipeline.text.normalise import normalise_text
from pipeline.text.vi import CREDIT_LABELS, PHOTO_CREDIT_LABELS

__all__ = ["PHOTO_CREDIT_RE", "caption_text", "container_images", "harvest_captions"]

# A photo credit standing alone: "Ảnh: Minh Tuấn", "(Đồ họa: Hà Anh)".
PHOTO_CREDIT_RE = re.compile(
    rf"^\(?\s*(?:{'|'.join(map(re.escape, PHOTO_CREDIT_LABELS))})\s*:\s*[^.]{{1,60}}\)?\.?$", re.IGNORECASE
)
# An image's caption line starting with its credit label ("Ảnh: Công nhân lắp dầm cầu").
PHOTO_LINE_RE = re.compile(rf"^\(?\s*(?:{'|'.join(map(re.escape, PHOTO_CREDIT_LABELS))})\s*:", re.IGNORECASE)
IMAGES_XPATH = lxml.etree.XPath("//img")
# Images looked at for captions with no class (a photo story has dozens; its captions are classed).
MAX_SHAPED_IMAGES = 80
# An image this small in its width or height attribute is a corner, a spacer or an icon.
MIN_PHOTO_SIDE = 50
MAX_CAPTION_CHARS = 300
CAPTION_LINE_TAGS = frozenset({"p", "div", "em", "i", "span", "center"})
# A credit in brackets at the end of a caption: "… (Ảnh: TTXVN)".
TRAILING_CREDIT_RE = re.compile(
    rf"\s*\(\s*(?:{'|'.join(map(re.escape, CREDIT_LABELS))})\s*:[^()]{{1,60}}\)\s*\.?$", re.IGNORECASE
)


def harvest_captions(
    tree: HtmlElement, url: str, hints: ExtractionHints, classes: ClassText
) -> tuple[tuple[str, ...], tuple[Image, ...]]:
    """Photo captions of the page (photo credits removed) with the URL of their image.

    Captions known only by their shape (:func:`shaped_captions`) are taken out of the tree once
    read, so that no body reader keeps them as text."""
    elements = select_all(tree, hints.caption, classes) if hints.caption else []
    if not elements:
        elements = [e for e in find_classed(tree, CAPTION, classes) if isinstance(e, HtmlElement)]
    captions: list[str] = []
    images: list[Image] = []
    seen: set[int] = set()
    shaped = [e for e in shaped_captions(tree) if e not in elements] if not hints.caption else []
    elements = elements + shaped
    for element in elements:
        if any(id(a) in seen for a in element.iterancestors()):
            continue
        seen.add(id(element))
        if has_ancestor(element, "aside", "nav", "footer", "li") or is_link_text(element):
            continue
        text = caption_text(element)
        if not text or ("<" in text and "://" in text):  # an iframe's fallback markup, no caption
            continue
        captions.append(text)
        src = image_near(element)
        if src:
            images.append(Image(url=urljoin(url, src), caption=text))
    for element in shaped:
        # No class marks these for the body's pruning: they leave the tree once read.
        if element.getparent() is not None:
            element.drop_tree()
    return tuple(dict.fromkeys(captions)), tuple(images)


def is_decoration(img: HtmlElement) -> bool:
    """True for an image whose width or height attribute is tiny (a box's corner, a spacer)."""
    sides = [img.get("width", ""), img.get("height", "")]
    return any(side.isdigit() and int(side) < MIN_PHOTO_SIDE for side in sides)


def is_link_text(element: HtmlElement) -> bool:
    """True when all of an element's text is a link's: a box header ("Pháp luật") or the title of
    another story under its thumbnail, no caption."""
    text = "".join(element.text_content().split())
    linked = "".join("".join(a.text_content().split()) for a in element.iter("a"))
    return bool(text) and len(linked) >= len(text)


def shaped_captions(tree: HtmlElement) -> list[HtmlElement]:
    """Captions that no class names, known by their shape: the text cell of a table holding an
    image, and a short centred or italic line (or an "Ảnh: …" line) just under an image."""
    found: list[HtmlElement] = []
    for img in IMAGES_XPATH(tree)[:MAX_SHAPED_IMAGES]:
        if is_decoration(img):
            continue
        block = img.getparent()
        if block is not None and is_centred_image_block(block):
            found.append(block)
            continue
        holder = image_holder(img)
        if holder is None:
            continue
        if holder.tag == "table":
            found += [td for td in holder.iter("td") if is_caption_cell(td)]
            continue
        if holder_is_caption(holder):
            found.append(holder)
            continue
        after = holder.getnext()
        if after is not None and after.tag in CAPTION_LINE_TAGS and is_caption_line(after):
            found.append(after)
    return found


def is_centred_image_block(block: HtmlElement) -> bool:
    """True for a centred paragraph holding one image and a caption-length text
    (``<p style="text-align:center"><img><br><span>Caption</span></p>``, old Thanh Niên)."""
    if block.tag not in {"p", "div", "center"} or len(block.findall(".//img")) != 1:
        return False
    style = (block.get("style") or "").replace(" ", "").lower()
    if block.tag != "center" and "text-align:center" not in style and (block.get("align") or "").lower() != "center":
        return False
    text = normalise_text(block.text_content()).replace("\n", " ")
    return 0 < len(text) <= MAX_CAPTION_CHARS and "<" not in text and "://" not in text  # not an ad's code


def holder_is_caption(holder: HtmlElement) -> bool:
    """True when the image's own block also holds its caption, all in italics
    (``<p><img><br><em>Caption</em></p>``)."""
    text = normalise_text(holder.text_content()).replace("\n", " ")
    emphasis = " ".join(e.text_content() for e in holder.iter("em", "i"))
    return bool(text) and normalise_text(emphasis).replace("\n", " ") == text


def image_holder(img: HtmlElement) -> HtmlElement | None:
    """The block an inline image stands in: its caption table, or its paragraph or div (None
    for an image inside a figure or a list, which have their own captions or none)."""
    node = img.getparent()
    for _ in range(4):
        if node is None or node.tag in {"figure", "figcaption", "li"}:
            return None
        if node.tag == "table":
            return node
        if node.tag in {"p", "div", "center"}:
            table = table_of(node)
            if table is not None:
                return table
            return node if len(node.text_content()) <= MAX_CAPTION_CHARS else None
        node = node.getparent()
    return None


def table_of(node: HtmlElement) -> HtmlElement | None:
    """The table a cell's block is in, when it is close (a caption table), else None."""
    for ancestor in node.iterancestors():
        if ancestor.tag == "table":
            return ancestor if len(ancestor.findall(".//img")) == 1 else None
        if ancestor.tag in {"div", "article", "section", "body"}:
            return None
    return None


def is_caption_cell(td: HtmlElement) -> bool:
    """A table cell without an image holding a caption-length text."""
    if td.find(".//img") is not None:
        return False
    text = normalise_text(td.text_content())
    return 0 < len(text) <= MAX_CAPTION_CHARS


def is_caption_line(element: HtmlElement, *, italic: bool = False) -> bool:
    """A short line written as a caption: centred, all italic, or an "Ảnh: …" credit."""
    text = normalise_text(element.text_content()).replace("\n", " ")
    if not text or len(text) > MAX_CAPTION_CHARS or element.find(".//img") is not None:
        return False
    if italic or PHOTO_LINE_RE.match(text):
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    if "text-align:center" in style or (element.get("align") or "").lower() == "center":
        return True
    emphasis = "".join(e.text_content() for e in element.iter("em", "i") if e is not element)
    return normalise_text(emphasis).replace("\n", " ") == text


def caption_text(element: HtmlElement) -> str | None:
    """A caption without its photo credit ("Ảnh: …" line or trailing "(Ảnh: …)")."""
    parts = [p.text_content() for p in element.iter("p")] or [element.text_content()]
    kept = [p for p in (normalise_text(x).replace("\n", " ") for x in parts) if p and not PHOTO_CREDIT_RE.match(p)]
    text = " ".join(kept)
    text = TRAILING_CREDIT_RE.sub("", text).strip()
    return text or None


def image_near(element: HtmlElement) -> str | None:
    """The image a caption belongs to: inside it, or inside its figure/table/parent block."""
    node: HtmlElement | None = element
    for _ in range(4):
        if node is None:
            break
        for img in node.iter("img"):
            src: str | None = img.get("data-original") or img.get("data-src") or img.get("src")
            return src
        node = node.getparent()
    return None


def container_images(container: HtmlElement, url: str, captioned: Sequence[Image]) -> tuple[Image, ...]:
    """Images of the body container that have no caption."""
    known = {i.url for i in captioned}
    out: list[Image] = []
    for img in container.iter("img"):
        src = img.get("data-original") or img.get("data-src") or img.get("src")
        if src and urljoin(url, src) not in known:
            known.add(urljoin(url, src))
            out.append(Image(url=urljoin(url, src)))
    return tuple(out)
