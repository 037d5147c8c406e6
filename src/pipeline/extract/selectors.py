"""Finding elements fast: compiled XPaths, class-word lookups that skip pages without the
words, and the registry's CSS hints turned into XPath.

>>> from lxml.html import document_fromstring
>>> tree = document_fromstring('<div class="box detail-content"><p>x</p></div>')
>>> [e.tag for e in select_all(tree, "div.detail-content p, .missing", ClassText(tree))]
['p']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import lxml.etree
from cssselect import GenericTranslator, SelectorError
from cssselect import parse as parse_css
from cssselect.parser import Class, CombinedSelector, Hash
from lxml.html import HtmlElement

from pipeline.text.normalise import clean_inline

__all__ = [
    "ClassText",
    "ClassedXPath",
    "any_class",
    "compiled_xpath",
    "css_xpath",
    "find_classed",
    "has_ancestor",
    "select_all",
    "select_text",
]

CLASS_ID_VALUES = lxml.etree.XPath(".//@class | .//@id", smart_strings=False)


def any_class(words: Iterable[str]) -> str:
    """An XPath predicate: the element's class or id contains one of ``words``.

    Plain ``contains`` on the raw attributes: a ``translate()`` to lower case made these
    lookups the slowest part of extraction on 100 KB pages, and CMS class names are lower case
    (the few camel-case ones are listed as they are spelt).
    """
    return " or ".join(f"contains(@class, '{w}') or contains(@id, '{w}')" for w in words)


@dataclass(frozen=True, slots=True)
class ClassedXPath:
    """An XPath whose ``any_class(words)`` predicate can only hold on a page where some class or
    id value contains one of ``words``; ``otherwise`` is what the XPath selects on any other
    page (its branches without that predicate; "" for nothing).

    ``contains()`` tested on every element made these whole-page lookups the slowest part of
    extraction, while most pages hold none of the words: one read of all class and id values
    (:class:`ClassText`) tells, and the answer is the same.
    """

    xpath: str
    words: tuple[str, ...]
    otherwise: str = ""

    def scoped(self) -> ClassedXPath:
        """The same lookup below the context node (``//`` made ``.//``, as for a container)."""
        return ClassedXPath(relative_xpath(self.xpath), self.words, relative_xpath(self.otherwise))


def relative_xpath(xpath: str) -> str:
    """An absolute ``//…`` XPath (and each ``//`` in it) made relative to the context node."""
    return xpath.replace("//", ".//") if xpath.startswith("//") else xpath


@lru_cache(maxsize=512)
def compiled_xpath(xpath: str) -> lxml.etree.XPath:
    """An XPath compiled once (``element.xpath(text)`` compiles it on every call; the long
    class lookups cost as much to compile as to run on a body container)."""
    return lxml.etree.XPath(xpath)


class ClassText:
    """Every class and id value of an element and of its descendants, for :class:`ClassedXPath`.

    Valid for that element and anything below it as long as no class or id is added or changed
    (extraction only reads them, and removes elements).
    """

    __slots__ = ("text",)

    def __init__(self, element: HtmlElement) -> None:
        self.text: str = "\n".join(CLASS_ID_VALUES(element))

    def has_all(self, names: Iterable[str]) -> bool:
        return all(n in self.text for n in names)

    def xpath_for(self, lookup: ClassedXPath) -> str:
        """The XPath that selects what ``lookup`` selects here ("" for nothing).

        Exact: ``contains(@class, w)`` or ``contains(@id, w)`` holds only on an element whose
        value contains ``w``, and then ``self.text`` contains ``w`` too.
        """
        return lookup.xpath if any(w in self.text for w in lookup.words) else lookup.otherwise


def find_classed(element: HtmlElement, lookup: ClassedXPath, classes: ClassText) -> list[Any]:
    """What ``element.xpath(lookup.xpath)`` gives, for ``classes`` read from ``element`` or an
    ancestor of it."""
    xpath = classes.xpath_for(lookup)
    return list(compiled_xpath(xpath)(element)) if xpath else []


def has_ancestor(element: HtmlElement, *tags: str) -> bool:
    """True when an ancestor of ``element`` is one of ``tags``: ``ancestor::a | ancestor::b``
    without the cost of one XPath call per element (HTML trees have no namespaces)."""
    return next(element.iterancestors(*tags), None) is not None


@lru_cache(maxsize=512)
def css_xpath(selector: str) -> str | None:
    """The XPath of a CSS selector from the registry (cached: registries repeat selectors)."""
    try:
        return str(GenericTranslator().css_to_xpath(selector))
    except SelectorError:
        return None


@dataclass(frozen=True, slots=True)
class CssPart:
    """One selector of a CSS group: its XPath, and the class names and ids it needs to exist."""

    xpath: str
    names: tuple[str, ...]


@lru_cache(maxsize=512)
def css_parts(selector: str) -> tuple[CssPart, ...]:
    """The selectors of a valid group one by one: ``css_xpath`` joins the same XPaths with "|"."""
    translator = GenericTranslator()
    return tuple(
        CssPart(translator.selector_to_xpath(s, translate_pseudo_elements=True),
                required_names(s.parsed_tree))
        for s in parse_css(selector)
    )


def required_names(node: Any) -> tuple[str, ...]:
    """The class names (``.x``) and ids (``#x``) a parsed selector requires of the elements it
    matches or of their ancestors and siblings: none of them in a page's class and id values,
    and the selector matches nothing there. Only the parts every match goes through are read
    (each node's own ``selector``, both sides of a combinator), never a ``:not()`` argument."""
    if isinstance(node, CombinedSelector):
        return required_names(node.selector) + required_names(node.subselector)
    own: tuple[str, ...] = ()
    if isinstance(node, Class):
        own = (node.class_name,)
    elif isinstance(node, Hash):
        own = (node.id,)
    base = getattr(node, "selector", None)
    return own + (required_names(base) if base is not None else ())


def select_all(element: HtmlElement, selector: str | None, classes: ClassText) -> list[HtmlElement]:
    """Elements matching a CSS selector group, in document order; [] for a bad selector.

    ``classes`` (of ``element`` or an ancestor) drops the selectors whose class names or ids
    the page lacks: each is one more walk over the tree, and the union of the others is the
    same node-set.
    """
    if not selector or css_xpath(selector) is None:
        return []
    xpath = " | ".join(p.xpath for p in css_parts(selector) if classes.has_all(p.names))
    if not xpath:
        return []
    return [e for e in compiled_xpath(xpath)(element) if isinstance(e, HtmlElement)]


def select_text(tree: HtmlElement, selector: str | None, classes: ClassText) -> str | None:
    """The text of the first element matching ``selector`` that has any."""
    for element in select_all(tree, selector, classes):
        text = clean_inline(element.text_content())
        if text:
            return text
    return None
