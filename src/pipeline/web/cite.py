"""Citing an archived article: a formatted reference, CSL-JSON and BibTeX.

The reference names the article as printed (author, title, paper, date, original URL) and the
archived copy (its capture date and the ``/a/<key>`` permalink), so it survives the paper
moving domains after the 2025 merger. Plain text only: the templates escape it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.archive.models import Article, Source
from pipeline.web.i18n import translate

__all__ = ["Citation", "bibtex", "build_citation", "csl_json", "format_reference"]

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&",
                   "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\^{}"}


@dataclass(frozen=True, slots=True)
class Citation:
    """What a reference to one archived article says."""

    key: str
    title: str | None
    author: str | None
    paper: str | None
    published_at: datetime | None
    url: str
    archived_at: datetime | None
    permalink: str
    language: str | None


def build_citation(article: Article, source: Source | None, permalink: str) -> Citation:
    """The citation of ``article``; ``permalink`` is the absolute ``/a/<key>`` URL."""
    return Citation(
        key=article.key or str(article.id), title=article.title, author=article.author,
        paper=source.name if source else article.site, published_at=article.published_at,
        url=article.url, archived_at=article.fetched_at or article.first_seen_at, permalink=permalink,
        language=article.language,
    )


def _date(lang: str, moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if lang == "vi":
        return moment.strftime("%d/%m/%Y")
    return f"{moment.day} {_EN_MONTHS[moment.month - 1]} {moment.year}"


def format_reference(citation: Citation, lang: str) -> str:
    """One line, in the UI's language, e.g. (Vietnamese)::

        Minh Anh. “Kim Thành …”. Báo Hải Dương, 06/08/2019. https://… Lưu trữ ngày 02/11/2026: http://…/a/…
    """
    parts: list[str] = []
    if citation.author:
        parts.append(citation.author.rstrip(".") + ".")
    title = citation.title or translate(lang, "untitled")
    parts.append(f"“{title.rstrip('.')}”.")
    dated = ", ".join(p for p in (citation.paper, _date(lang, citation.published_at)) if p)
    if dated:
        parts.append(dated + ".")
    parts.append(citation.url + ".")
    archived = _date(lang, citation.archived_at)
    if archived:
        parts.append(translate(lang, "cite_archived", date=archived, url=citation.permalink))
    else:
        parts.append(citation.permalink)
    return " ".join(parts)


def _date_parts(moment: datetime | None) -> dict[str, Any] | None:
    return {"date-parts": [[moment.year, moment.month, moment.day]]} if moment else None


def csl_json(citation: Citation) -> str:
    """The citation as CSL-JSON (a list of one ``article-newspaper`` item), for Zotero and pandoc."""
    item: dict[str, Any] = {"id": citation.key, "type": "article-newspaper", "title": citation.title,
                            "container-title": citation.paper, "URL": citation.url,
                            "archive": "baotinh", "archive_location": citation.permalink,
                            "language": citation.language}
    if citation.author:
        item["author"] = [{"literal": citation.author}]
    for name, moment in (("issued", citation.published_at), ("accessed", citation.archived_at)):
        parts = _date_parts(moment)
        if parts:
            item[name] = parts
    clean = {k: v for k, v in item.items() if v is not None}
    return json.dumps([clean], ensure_ascii=False, indent=2) + "\n"


def _bib(value: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in " ".join(value.split()))


def bibtex(citation: Citation) -> str:
    """The citation as a biblatex ``@online`` entry (UTF-8; braces keep the Vietnamese as printed)."""
    fields: list[tuple[str, str]] = [("title", f"{{{_bib(citation.title)}}}" if citation.title else "")]
    if citation.author:  # one name as printed: braces keep biblatex from splitting it
        fields.append(("author", f"{{{_bib(citation.author)}}}"))
    fields += [("journaltitle", _bib(citation.paper or "")),
               ("date", citation.published_at.date().isoformat() if citation.published_at else ""),
               ("url", citation.url),
               ("urldate", citation.archived_at.date().isoformat() if citation.archived_at else ""),
               ("langid", "vietnamese" if (citation.language or "vi").startswith("vi") else citation.language or ""),
               ("howpublished", _bib(f"baotinh archive: {citation.permalink}"))]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@online{{{citation.key},\n{body}\n}}\n"
