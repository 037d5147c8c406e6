"""The golden-set evaluation: how well :func:`pipeline.extract.core.extract_article` does, field by
field, and how its body compares with trafilatura alone on the same pages.

A golden set is a folder with ``pages/<name>.html`` and ``expected/<name>.json``. An expectation
holds ``url``, ``site`` (registry id or null), optional ``fetched_at``, ``title``,
``published_at`` (ISO with offset, null for a page without a date, the key left out when the
page's date is not gold), ``author`` (same convention), ``source_agency`` (same convention),
``description`` (the sapo, same convention), ``captions`` (scored as a set), ``first_sentence``,
``last_sentence``, ``must_not_contain`` and ``body`` (the clean body text).

Body precision, recall and F1 are computed on token 4-grams (lower-cased word tokens, NFC), as
the article-extraction benchmarks do, per page and then averaged over the pages.

>>> body_scores("một hai ba bốn năm", "một hai ba bốn").recall
1.0
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import trafilatura

from pipeline.errors import BaotinhError, InputError
from pipeline.extract.core import extract_article
from pipeline.record import ArticleRecord
from pipeline.registry.load import Registry, load_registry

__all__ = [
    "BodyScore",
    "EvalReport",
    "PageResult",
    "below_floor",
    "body_scores",
    "evaluate_golden",
    "format_report",
    "load_baseline",
]

NGRAM = 4
TOKEN_RE = re.compile(r"\w+")
# The figures of a report, in the order of the table; "baotinh"/"trafilatura" columns.
FIELD_FIGURES = ("title", "published_at", "author", "source_agency", "description", "captions", "first_sentence",
                 "last_sentence", "clean")
# The fields scored only on the pages whose expectation holds them.
GOLD_FIELDS = frozenset({"title", "published_at", "author", "source_agency", "description", "captions"})
BODY_FIGURES = ("body_precision", "body_recall", "body_f1")


@dataclass(frozen=True, slots=True)
class BodyScore:
    """Token 4-gram precision, recall and F1 of one extracted body against the expected one."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True, slots=True)
class PageResult:
    """The outcome on one golden page; a field check is None where the field is not gold."""

    name: str
    family: str | None
    title: bool | None
    published_at: bool | None
    author: bool | None
    source_agency: bool | None
    first_sentence: bool
    last_sentence: bool
    violations: tuple[str, ...]
    body: BodyScore
    trafilatura_body: BodyScore | None
    ms: float
    trafilatura_ms: float | None
    error: str | None = None
    misses: tuple[str, ...] = ()
    description: bool | None = None
    captions: bool | None = None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Per-page results and the aggregate figures of one golden-set run."""

    pages: tuple[PageResult, ...]

    def accuracy(self, name: str) -> float:
        """Share of pages where the field is right, among the pages where it is gold."""
        values = [getattr(p, name) for p in self.pages if getattr(p, name) is not None]
        return sum(values) / len(values) if values else 1.0

    def gold_count(self, name: str) -> int:
        return sum(1 for p in self.pages if getattr(p, name) is not None)

    def clean_share(self) -> float:
        """Share of pages whose text holds none of its must-not-contain strings."""
        return sum(1 for p in self.pages if not p.violations) / len(self.pages) if self.pages else 1.0

    def body_mean(self, which: str, *, trafilatura_alone: bool = False) -> float | None:
        scores = [p.trafilatura_body if trafilatura_alone else p.body for p in self.pages]
        present = [getattr(s, which) for s in scores if s is not None]
        return statistics.fmean(present) if present else None

    def figures(self) -> dict[str, float]:
        """The gated figures by name (the keys of ``baseline.json``'s floors)."""
        out = {name: self.accuracy(name) for name in FIELD_FIGURES if name != "clean"}
        out["clean"] = self.clean_share()
        for name in BODY_FIGURES:
            out[name] = self.body_mean(name.removeprefix("body_")) or 0.0
        traf = self.body_mean("f1", trafilatura_alone=True)
        if traf is not None:
            out["body_f1_minus_trafilatura"] = out["body_f1"] - traf
        return out

    def median_ms(self, *, trafilatura_alone: bool = False) -> float | None:
        values = [p.trafilatura_ms if trafilatura_alone else p.ms for p in self.pages]
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(unicodedata.normalize("NFC", text).casefold())


def ngrams(text: str) -> Counter[tuple[str, ...]]:
    words = tokens(text)
    if len(words) < NGRAM:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i:i + NGRAM]) for i in range(len(words) - NGRAM + 1))


def body_scores(extracted: str, expected: str) -> BodyScore:
    """Precision, recall and F1 of ``extracted`` against ``expected`` over token 4-grams."""
    got, gold = ngrams(extracted), ngrams(expected)
    overlap = sum((got & gold).values())
    precision = overlap / sum(got.values()) if got else (1.0 if not gold else 0.0)
    recall = overlap / sum(gold.values()) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BodyScore(precision, recall, f1)


def evaluate_golden(golden_dir: Path, *, compare_trafilatura: bool = True,
                    registry: Registry | None = None) -> EvalReport:
    """Run the extractor (and trafilatura alone) over a golden set and score every page."""
    pages_dir, expected_dir = golden_dir / "pages", golden_dir / "expected"
    if not expected_dir.is_dir():
        raise InputError(f"{golden_dir} is not a golden set (no expected/ folder)")
    reg = registry or load_registry()
    results = [
        evaluate_page(path.stem, pages_dir / f"{path.stem}.html", read_expectation(path), reg, compare_trafilatura)
        for path in sorted(expected_dir.glob("*.json"))
    ]
    if not results:
        raise InputError(f"{golden_dir} holds no expectations")
    return EvalReport(tuple(results))


def read_expectation(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read expectation {path}: {exc}") from None
    if not isinstance(data, dict) or "url" not in data or "body" not in data:
        raise InputError(f"expectation {path} needs at least 'url' and 'body'")
    return data


def evaluate_page(name: str, page_path: Path, expected: Mapping[str, Any], registry: Registry,
                  compare_trafilatura: bool) -> PageResult:
    """Score one page; an extraction error scores zero on every gold field, never raises."""
    page = page_path.read_bytes()
    site = registry.find(expected["site"]) if expected.get("site") else None
    fetched_at = datetime.fromisoformat(expected["fetched_at"]) if expected.get("fetched_at") else None
    started = time.perf_counter()
    record: ArticleRecord | None
    try:
        record = extract_article(page, expected["url"], site=site, fetched_at=fetched_at)
        error = None
    except BaotinhError as exc:
        record, error = None, str(exc)
    ms = (time.perf_counter() - started) * 1000
    traf_score, traf_ms = (trafilatura_alone(page, expected) if compare_trafilatura else (None, None))
    return score_page(name, expected, record, error, ms, traf_score, traf_ms)


def trafilatura_alone(page: bytes, expected: Mapping[str, Any]) -> tuple[BodyScore, float]:
    """trafilatura.extract with its default settings on the same bytes, scored the same way."""
    started = time.perf_counter()
    text = trafilatura.extract(page, url=expected["url"]) or ""
    ms = (time.perf_counter() - started) * 1000
    return body_scores(text, expected["body"]), ms


def score_page(name: str, expected: Mapping[str, Any], record: ArticleRecord | None, error: str | None,
               ms: float, traf: BodyScore | None, traf_ms: float | None) -> PageResult:
    text = record.text if record else ""
    misses: list[str] = []

    def check(key: str, got: str | None) -> bool | None:
        if key not in expected:
            return None
        ok: bool = got == expected[key]
        if not ok:
            misses.append(f"{key}: got {got!r}, expected {expected[key]!r}")
        return ok

    published = record.published_at.isoformat() if record and record.published_at else None
    first = bool(text) and text.startswith(str(expected.get("first_sentence", "")))
    last = bool(text) and text.endswith(str(expected.get("last_sentence", "")))
    if not first:
        misses.append(f"first_sentence: text begins {text[:60]!r}")
    if not last:
        misses.append(f"last_sentence: text ends {text[-60:]!r}")
    captions = None
    if "captions" in expected:
        captions = set(record.captions if record else ()) == set(expected["captions"])
        if not captions:
            got = sorted(set(record.captions if record else ()) ^ set(expected["captions"]))
            misses.append(f"captions: differ on {[c[:40] for c in got][:4]}")
    violations = tuple(s for s in expected.get("must_not_contain", []) if s and s in text)
    misses += [f"must_not_contain: {v[:60]!r}" for v in violations]
    if error:
        misses.append(f"error: {error}")
    return PageResult(
        name=name,
        family=expected.get("family"),
        title=check("title", record.title if record else None),
        published_at=check("published_at", published),
        author=check("author", record.author if record else None),
        source_agency=check("source_agency", record.source_agency if record else None),
        description=check("description", record.description if record else None),
        captions=captions,
        first_sentence=first,
        last_sentence=last,
        violations=violations,
        body=body_scores(text, str(expected["body"])),
        trafilatura_body=traf,
        ms=ms,
        trafilatura_ms=traf_ms,
        error=error,
        misses=tuple(misses),
    )


def load_baseline(path: Path) -> dict[str, float]:
    """The pinned floors of ``baseline.json`` (``{"floors": {figure: value}}``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    floors = data.get("floors", {})
    return {str(k): float(v) for k, v in floors.items()}


def format_report(report: EvalReport, *, baseline: Mapping[str, float] | None = None,
                  details: bool = True) -> str:
    """The evaluation table (baotinh and trafilatura alone side by side), then the misses."""
    floors = baseline or {}
    rows: list[tuple[str, str, str, str, str]] = [("figure", "pages", "baotinh", "trafilatura", "floor")]

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    labels = {"title": "title exact", "published_at": "published_at exact", "author": "author exact",
              "source_agency": "source_agency exact", "description": "description exact",
              "captions": "captions (as a set)", "first_sentence": "first sentence",
              "last_sentence": "last sentence", "clean": "no must-not-contain"}
    figures = report.figures()
    for name in FIELD_FIGURES:
        count = report.gold_count(name) if name in GOLD_FIELDS else len(report.pages)
        rows.append((labels[name], str(count), fmt(figures[name]), "-", fmt(floors.get(name))))
    for name in BODY_FIGURES:
        which = name.removeprefix("body_")
        rows.append((f"body {which} (4-gram)", str(len(report.pages)), fmt(figures[name]),
                     fmt(report.body_mean(which, trafilatura_alone=True)), fmt(floors.get(name))))
    ours, theirs = report.median_ms(), report.median_ms(trafilatura_alone=True)
    rows.append(("median ms/page", str(len(report.pages)), f"{ours:.2f}" if ours is not None else "-",
                 f"{theirs:.2f}" if theirs is not None else "-", "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    errors = [p for p in report.pages if p.error]
    lines.append(f"{len(report.pages)} pages, {len({p.family for p in report.pages})} families, "
                 f"{len(errors)} extraction errors")
    if details:
        for page in report.pages:
            for miss in page.misses:
                lines.append(f"  {page.name}: {miss}")
    return "\n".join(lines)


def below_floor(report: EvalReport, floors: Mapping[str, float]) -> list[str]:
    """The figures of ``report`` under their floor, as readable lines ([] when all pass)."""
    figures = report.figures()
    return [f"{name} = {figures.get(name, 0.0):.4f} < floor {floor:.4f}"
            for name, floor in sorted(floors.items()) if figures.get(name, 0.0) < floor]
