"""Version history of articles: superseded versions, withdrawal, readable diffs.

The ``articles`` row always holds the current version. When a re-fetch (or a re-extraction)
changes the normalised content, the old values go to ``article_versions`` with the list of
changed fields, the period they were current and the capture they came from. A page that now
answers 404/410 or redirects to the home page is marked withdrawn, never deleted.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, ArticleVersion

__all__ = [
    "CONTENT_COLUMNS",
    "VersionView",
    "WithdrawnPage",
    "archive_version",
    "capture_values",
    "changed_fields",
    "diff_words",
    "format_history",
    "is_home_redirect",
    "list_versions",
    "mark_withdrawn",
]

# The columns whose change makes a new version (the store compares the same ones).
CONTENT_COLUMNS = (
    "title", "description", "author", "published_at", "modified_at", "section", "tags",
    "text", "captions", "images", "source_agency",
)
CAPTURE_COLUMNS = ("capture_warc", "capture_offset", "capture_length", "capture_record_id", "capture_digest")


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The content columns whose values differ between two versions."""
    return [c for c in CONTENT_COLUMNS if jsonable(old.get(c)) != jsonable(new.get(c))]


def capture_values(capture: Any) -> dict[str, Any]:
    """Article columns pointing at a :class:`~pipeline.archive.captures.CaptureRef` (empty for None)."""
    if capture is None:
        return {}
    return {
        "capture_warc": capture.warc, "capture_offset": capture.offset,
        "capture_length": capture.length, "capture_record_id": capture.record_id,
        "capture_digest": capture.digest,
    }


def archive_version(session: Session, article: Article, changed: list[str], *, now: datetime,
                    run_id: int | None = None) -> ArticleVersion:
    """Copy the current values of ``article`` into ``article_versions`` before they change.

    The caller then writes the new values and calls nothing else: this bumps
    ``article.version`` and ``article.version_since``.
    """
    version = ArticleVersion(
        article_id=article.id, version=article.version or 1,
        valid_from=article.version_since or article.first_seen_at, valid_to=now,
        changed_fields=list(changed), title=article.title, text=article.text or "",
        content_sha256=article.content_sha256,
        data={c: jsonable(getattr(article, c)) for c in CONTENT_COLUMNS},
        extractor_version=article.extractor_version, registry_sha256=article.registry_sha256,
        crawl_run_id=article.crawl_run_id,
        **{c: getattr(article, c) for c in CAPTURE_COLUMNS},
    )
    session.add(version)
    article.version = (article.version or 1) + 1
    article.version_since = now
    return version


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawnPage:
    """A known article URL that now answers 404/410 or redirects to the home page."""

    url: str
    canonical_url: str
    status: int
    at: datetime


def is_home_redirect(final_url: str, first_url: str) -> bool:
    """True when a request for an article page ended on a site's home page.

    >>> is_home_redirect("https://baohaiduong.vn/", "https://baohaiduong.vn/a-1.html")
    True
    """
    from urllib.parse import urlsplit

    final, first = urlsplit(final_url), urlsplit(first_url)
    return final.path in ("", "/") and not final.query and first.path not in ("", "/")


def mark_withdrawn(session: Session, canonical_url: str, *, status: int, at: datetime) -> bool:
    """Mark a known article withdrawn (404/410, or redirected home); False if unknown."""
    article = session.scalars(select(Article).where(Article.canonical_url == canonical_url)).first()
    if article is None:
        return False
    if article.withdrawn_at is None:
        article.withdrawn_at = at
    article.withdrawn_status = status
    session.flush()
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionView:
    """One version as ``baotinh history`` shows it."""

    version: int
    valid_from: datetime | None
    valid_to: datetime | None  # None: current
    changed_fields: tuple[str, ...]
    title: str | None
    text: str
    capture_record_id: str | None
    extractor_version: str | None


def list_versions(session: Session, article: Article) -> list[VersionView]:
    """Every version of an article, oldest first, the current one last."""
    rows = session.scalars(
        select(ArticleVersion).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.version)
    ).all()
    views = [VersionView(
        version=r.version, valid_from=r.valid_from, valid_to=r.valid_to,
        changed_fields=tuple(r.changed_fields or ()), title=r.title, text=r.text,
        capture_record_id=r.capture_record_id, extractor_version=r.extractor_version,
    ) for r in rows]
    changed = tuple(rows[-1].changed_fields or ()) if rows else ()
    views.append(VersionView(
        version=article.version or len(rows) + 1,
        valid_from=article.version_since or article.first_seen_at, valid_to=None,
        changed_fields=changed, title=article.title, text=article.text or "",
        capture_record_id=article.capture_record_id, extractor_version=article.extractor_version,
    ))
    return views


def diff_words(old: str, new: str) -> str:
    """A word-level diff: ``[-removed-]`` and ``{+added+}``, unchanged paragraphs left out.

    Vietnamese words are syllables separated by spaces, so a word diff shows an edit of one
    syllable as exactly that.

    >>> diff_words("Sáng 6.8, huyện Kim Thành", "Sáng 7.8, huyện Kim Thành")
    'Sáng [-6.8,-]{+7.8,+} huyện Kim Thành'
    """
    old_paras, new_paras = old.split("\n"), new.split("\n")
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_paras, b=new_paras, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            out.extend(_diff_paragraph(a, b) for a, b in zip(old_paras[i1:i2], new_paras[j1:j2], strict=True))
            continue
        out.extend(f"[-{p}-]" for p in old_paras[i1:i2])
        out.extend(f"{{+{p}+}}" for p in new_paras[j1:j2])
    return "\n".join(out)


def _diff_paragraph(old: str, new: str) -> str:
    a, b = old.split(), new.split()
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(" ".join(a[i1:i2]))
            continue
        removed, added = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        parts.append((f"[-{removed}-]" if removed else "") + (f"{{+{added}+}}" if added else ""))
    return " ".join(parts)


def format_history(article: Article, views: list[VersionView]) -> str:
    """The text ``baotinh history`` prints: one block per version, diffs between them."""
    lines = [f"article {article.id}: {article.canonical_url}"]
    if article.withdrawn_at is not None:
        lines.append(f"withdrawn since {article.withdrawn_at.isoformat()} (HTTP {article.withdrawn_status})")
    if article.duplicate_of is not None:
        lines.append(f"near-duplicate of article {article.duplicate_of}")
    previous: VersionView | None = None
    for v in views:
        until = v.valid_to.isoformat() if v.valid_to else "now"
        since = v.valid_from.isoformat() if v.valid_from else "?"
        lines.append("")
        lines.append(f"version {v.version}: {since} → {until}  (extractor {v.extractor_version or '?'}, "
                     f"capture {v.capture_record_id or '-'})")
        if previous is None:
            lines.append(f"  title: {v.title}")
        else:
            lines.append(f"  changed: {', '.join(previous_changes(previous, v)) or '(metadata only)'}")
            if previous.title != v.title:
                lines.append(f"  title: {diff_words(previous.title or '', v.title or '')}")
            text_diff = diff_words(previous.text, v.text)
            if text_diff:
                lines.append("  text:")
                lines.extend("    " + line for line in text_diff.split("\n"))
        previous = v
    return "\n".join(lines)


def previous_changes(previous: VersionView, current: VersionView) -> list[str]:
    """The fields that changed when ``previous`` was superseded."""
    return list(previous.changed_fields)


def history_json(article: Article, views: list[VersionView]) -> str:
    """The history as JSON (``baotinh history --json``)."""
    return json.dumps({
        "id": article.id, "canonical_url": article.canonical_url,
        "withdrawn_at": jsonable(article.withdrawn_at), "withdrawn_status": article.withdrawn_status,
        "duplicate_of": article.duplicate_of,
        "versions": [{
            "version": v.version, "valid_from": jsonable(v.valid_from), "valid_to": jsonable(v.valid_to),
            "changed_fields": list(v.changed_fields), "title": v.title, "text": v.text,
            "capture_record_id": v.capture_record_id, "extractor_version": v.extractor_version,
        } for v in views],
    }, ensure_ascii=False, indent=2)
