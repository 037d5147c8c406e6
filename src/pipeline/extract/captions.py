"""Photo captions and images: kept apart from the article text, each caption with its image.

>>> from lxml.html import fragment_fromstring
>>> caption_text(fragment_fromstring('<div><p>Cầu mới. (Ảnh: TTXVN)</p></div>'))
'Cầu mới.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin

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
# A credit in brackets at the end of a caption: "… (Ảnh: TTXVN)".
TRAILING_CREDIT_RE = re.compile(
    rf"\s*\(\s*(?:{'|'.join(map(re.escape, CREDIT_LABELS))})\s*:[^()]{{1,60}}\)\s*\.?$", re.IGNORECASE
)


def harvest_captions(
    tree: HtmlElement, url: str, hints: ExtractionHints, classes: ClassText
) -> tuple[tuple[str, ...], tuple[Image, ...]]:
    """Photo captions of the page (photo credits removed) with the URL of their image."""
    elements = select_all(tree, hints.caption, classes) if hints.caption else []
    if not elements:
        elements = [e for e in find_classed(tree, CAPTION, classes) if isinstance(e, HtmlElement)]
    captions: list[str] = []
    images: list[Image] = []
    seen: set[int] = set()
    for element in elements:
        if any(id(a) in seen for a in element.iterancestors()):
            continue
        seen.add(id(element))
        if has_ancestor(element, "aside", "nav", "footer", "li"):
            continue
        text = caption_text(element)
        if not text:
            continue
        captions.append(text)
        src = image_near(element)
        if src:
            images.append(Image(url=urljoin(url, src), caption=text))
    return tuple(dict.fromkeys(captions)), tuple(images)


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
