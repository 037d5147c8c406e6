"""A tiny HTML renderer: ``string.Template`` files whose every value is escaped by default.

Only :class:`Html` values — fragments this package built from escaped pieces — go into a page
unescaped; any other value (article content, query strings, translations) is passed through
:func:`html.escape`. There is deliberately no way to mark outside text as safe.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from string import Template
from types import MappingProxyType
from urllib.parse import urlencode

__all__ = ["Html", "Templates", "attrs", "escape", "join_html", "load_templates", "tag", "url_with"]


class Html(str):
    """A fragment of markup already escaped by this package."""

    __slots__ = ()


def escape(value: object) -> Html:
    """``value`` as text safe in element content and in quoted attribute values."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join_html(parts: Iterable[object], sep: str = "") -> Html:
    """Concatenate fragments, escaping any part that is not already :class:`Html`."""
    return Html(escape(sep).join(escape(p) for p in parts))


def attrs(values: Mapping[str, object]) -> Html:
    """`` name="value"`` pairs; ``None``/``False`` drop the attribute, ``True`` writes it bare."""
    out: list[str] = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        attr_name = name.rstrip("_").replace("_", "-")
        out.append(f" {attr_name}" if value is True else f' {attr_name}="{escape(value)}"')
    return Html("".join(out))


def tag(name: str, content: object = "", **attributes: object) -> Html:
    """``<name attrs>content</name>`` with the content escaped unless it is :class:`Html`.

    >>> tag("a", "<b>", href="/x?a=1&b=2")
    '<a href="/x?a=1&amp;b=2">&lt;b&gt;</a>'
    """
    return Html(f"<{name}{attrs(attributes)}>{escape(content)}</{name}>")


def url_with(path: str, params: Iterable[tuple[str, str]]) -> str:
    """``path?query`` from (name, value) pairs, empty values dropped (plain text; escape it)."""
    query = urlencode([(k, v) for k, v in params if v != ""])
    return f"{path}?{query}" if query else path


@dataclass(frozen=True, slots=True)
class Templates:
    """The page templates, read once when the application starts."""

    by_name: Mapping[str, Template]

    def render(self, name: str, **values: object) -> Html:
        """Fill template ``name``; every value is escaped unless it is :class:`Html`."""
        return Html(self.by_name[name].substitute({k: escape(v) for k, v in values.items()}))


def load_templates(package: str = "pipeline.web") -> Templates:
    """Every ``templates/*.html`` of ``package``, keyed by file name without ``.html``."""
    folder = resources.files(package) / "templates"
    found = {
        entry.name.removesuffix(".html"): Template(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".html")
    }
    return Templates(MappingProxyType(found))
