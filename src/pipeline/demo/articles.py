"""The demo paper's article data: one TOML file per article, loaded into frozen records.

The files live in ``pipeline/demo/articles/``; any other directory with the same layout works,
which is how tests add an article to a copy of the paper.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.errors import InputError

SECTIONS: tuple[tuple[str, str], ...] = (
    ("chinh-tri", "Chính trị"),
    ("kinh-te", "Kinh tế"),
    ("xa-hoi", "Xã hội"),
    ("van-hoa", "Văn hóa"),
)

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class DemoImage:
    """A photo of an article, placed after paragraph ``after_paragraph`` (0 = after the lead)."""

    src: str
    caption: str | None
    after_paragraph: int


@dataclass(frozen=True, slots=True)
class DemoExpected:
    """What an extractor should archive for the article (the golden values for tests)."""

    author: str | None
    source_agency: str | None


@dataclass(frozen=True, slots=True)
class DemoArticle:
    """One article of the demo paper, as written in its TOML file (text in NFC)."""

    id: int
    section: str
    slug: str
    title: str
    published: datetime
    modified: datetime | None
    lead: str | None
    paragraphs: tuple[str, ...]
    images: tuple[DemoImage, ...]
    byline: str | None
    tags: tuple[str, ...]
    nfd: bool
    expected: DemoExpected

    @property
    def path(self) -> str:
        """The article's URL path, e.g. ``/chinh-tri/huyen-uy-kim-thanh-...-105123.html``."""
        return f"/{self.section}/{self.slug}-{self.id}.html"

    @property
    def section_name(self) -> str:
        """The section's Vietnamese name, e.g. ``Chính trị``."""
        return dict(SECTIONS)[self.section]


def fold_slug(text: str) -> str:
    """Fold Vietnamese text into an ASCII URL slug.

    >>> fold_slug("Huyện ủy Kim Thành: 4 công việc")
    'huyen-uy-kim-thanh-4-cong-viec'
    """
    # đ/Đ have no decomposition, so they are mapped by hand before the marks are stripped.
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def default_articles_dir() -> Path:
    """The packaged directory of demo articles."""
    return Path(__file__).resolve().parent / "articles"


def load_demo_articles(articles_dir: Path | None = None) -> tuple[DemoArticle, ...]:
    """Load every ``*.toml`` article of ``articles_dir`` (default: the packaged paper).

    Returns the articles newest first. Raises ``InputError`` naming the file on bad data or a
    duplicate id.
    """
    directory = articles_dir or default_articles_dir()
    if not directory.is_dir():
        raise InputError(f"demo articles directory not found: {directory}")
    articles = [read_article(path) for path in sorted(directory.glob("*.toml"))]
    seen: dict[int, str] = {}
    for article in articles:
        if article.id in seen:
            raise InputError(f"duplicate demo article id {article.id}: {seen[article.id]} and {article.slug}")
        seen[article.id] = article.slug
    return tuple(sorted(articles, key=lambda a: (a.published, a.id), reverse=True))


def read_article(path: Path) -> DemoArticle:
    """Parse and validate one article file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return build_article(data)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"bad demo article {path.name}: {exc}; fix the file or remove it") from exc


def build_article(data: dict[str, Any]) -> DemoArticle:
    """Build a ``DemoArticle`` from the parsed TOML table, checking each field."""
    section = str(data["section"])
    if section not in dict(SECTIONS):
        raise ValueError(f"unknown section {section!r}")
    slug = str(data["slug"])
    if not _SLUG_RE.match(slug):
        raise ValueError(f"slug {slug!r} is not lower-case ASCII with hyphens")
    published = parse_local_datetime(str(data["published"]))
    modified = parse_local_datetime(str(data["modified"])) if data.get("modified") else None
    paragraphs = tuple(nfc(str(p)) for p in data["paragraphs"])
    if not paragraphs:
        raise ValueError("an article needs at least one paragraph")
    expected = data.get("expected", {})
    return DemoArticle(
        id=int(data["id"]),
        section=section,
        slug=slug,
        title=nfc(str(data["title"])),
        published=published,
        modified=modified,
        lead=nfc(str(data["lead"])) if data.get("lead") else None,
        paragraphs=paragraphs,
        images=tuple(build_image(item, len(paragraphs)) for item in data.get("images", [])),
        byline=nfc(str(data["byline"])) if data.get("byline") else None,
        tags=tuple(nfc(str(t)) for t in data.get("tags", [])),
        nfd=bool(data.get("nfd", False)),
        expected=DemoExpected(
            author=nfc(str(expected["author"])) if expected.get("author") else None,
            source_agency=str(expected["source_agency"]) if expected.get("source_agency") else None,
        ),
    )


def build_image(data: dict[str, Any], paragraph_count: int) -> DemoImage:
    """Build one ``DemoImage``; its position must fall inside the article."""
    after = int(data.get("after_paragraph", 0))
    if not 0 <= after <= paragraph_count:
        raise ValueError(f"image after_paragraph {after} outside 0..{paragraph_count}")
    caption = data.get("caption")
    return DemoImage(src=str(data["src"]), caption=nfc(str(caption)) if caption else None, after_paragraph=after)


def parse_local_datetime(value: str) -> datetime:
    """Parse an ISO 8601 datetime that must carry the Vietnamese offset +07:00."""
    parsed = datetime.fromisoformat(value)
    offset = parsed.utcoffset()
    if offset is None or offset.total_seconds() != 7 * 3600:
        raise ValueError(f"datetime {value!r} must carry the offset +07:00")
    return parsed


def nfc(text: str) -> str:
    """Normalise authoring text to NFC (the TOML files are written in NFC; NFD is a render choice)."""
    return unicodedata.normalize("NFC", text.strip())
