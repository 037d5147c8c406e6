"""The public article-extraction benchmark (scrapinghub's AEB): its metric, its folder layout, and
a report of baotinh's generic path beside trafilatura alone, both from the same run.

A benchmark folder holds ``html/<id>.html.gz`` and ``ground-truth.json`` (``{id: {"url": …,
"articleBody": …}}``). The metric is the benchmark's own: per page, the 4-token shingles (runs of
``\\w+`` tokens, counted) of the prediction and of the gold body give TP, FP and FN, divided by
their sum so every page weighs the same; precision is the mean over pages with output, recall the
mean over pages with a gold body, F1 the harmonic mean of the two means.

>>> s = shingle_match("one two three four five", "one two three four")
>>> round(s.tp, 3), round(s.fp, 3), s.fn
(0.5, 0.0, 0.5)
>>> round(summarise([s]).f1, 3)
0.667
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from pipeline.errors import BaotinhError, InputError
from pipeline.extract.core import extract_article

__all__ = [
    "AebPage",
    "AebReport",
    "Match",
    "Scores",
    "evaluate_aeb",
    "format_aeb_report",
    "load_aeb",
    "shingle_match",
    "summarise",
]

NGRAM = 4
TOKEN_RE = re.compile(r"\w+")
# A page where trafilatura scores this well is one baotinh must get too.
STRONG_F1 = 0.8


@dataclass(frozen=True, slots=True)
class AebPage:
    """One benchmark page: its id, URL, raw HTML bytes and gold article body."""

    id: str
    url: str
    html: bytes
    gold: str


@dataclass(frozen=True, slots=True)
class Match:
    """A page's shingle TP, FP and FN, each divided by their sum."""

    tp: float
    fp: float
    fn: float

    @property
    def f1(self) -> float:
        """The page's own F1 (0 for a page with nothing shared)."""
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1 over a set of pages."""

    precision: float
    recall: float
    f1: float


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """The 4-token shingles of ``text``, counted (one shorter shingle for a text under 4 tokens)."""
    tokens = TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i:i + NGRAM]) for i in range(max(1, len(tokens) - NGRAM + 1)) if tokens)


def shingle_match(gold: str, predicted: str) -> Match:
    """TP, FP and FN of ``predicted`` against ``gold``, normalised by their sum."""
    true, pred = shingles(gold), shingles(predicted)
    tp = float(sum((true & pred).values()))
    fp = float(sum((pred - true).values()))
    fn = float(sum((true - pred).values()))
    total = tp + fp + fn
    return Match(tp / total, fp / total, fn / total) if total else Match(0.0, 0.0, 0.0)


def page_precision(m: Match) -> float:
    """The benchmark's per-page precision (1 for two empty texts)."""
    return 1.0 if m.fp == m.fn == 0 else m.tp / (m.tp + m.fp) if m.tp + m.fp else 0.0


def page_recall(m: Match) -> float:
    """The benchmark's per-page recall (1 for two empty texts)."""
    return 1.0 if m.fp == m.fn == 0 else m.tp / (m.tp + m.fn) if m.tp + m.fn else 0.0


def summarise(matches: Sequence[Match]) -> Scores:
    """Mean precision over pages with output, mean recall over pages with a gold body, F1."""
    precisions = [page_precision(m) for m in matches if m.tp + m.fp > 0]
    recalls = [page_recall(m) for m in matches if m.tp + m.fn > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    return Scores(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def load_aeb(folder: Path) -> list[AebPage]:
    """The pages of a benchmark folder, by id; an :class:`InputError` when it is not one."""
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file() or not (folder / "html").is_dir():
        raise InputError(f"no benchmark at {folder} (expected ground-truth.json and html/<id>.html.gz)")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = folder / "html" / f"{page_id}.html.gz"
        if path.is_file():
            gold = truth[page_id]
            pages.append(AebPage(page_id, gold.get("url", ""), gzip.decompress(path.read_bytes()),
                                 gold.get("articleBody", "")))
    return pages


def baotinh_text(page: AebPage) -> str:
    """baotinh's article text of a benchmark page ("" where it finds none)."""
    try:
        return extract_article(page.html, page.url).text
    except BaotinhError:
        return ""


def trafilatura_text(page: AebPage) -> str:
    """trafilatura's text of a benchmark page, called as the benchmark's figures were made."""
    html = page.html.decode("utf-8", errors="replace")
    return trafilatura.extract(html, url=page.url, include_comments=False) or ""


@dataclass(frozen=True, slots=True)
class AebReport:
    """Both extractors' per-page matches, summaries and CPU seconds, from one run."""

    ids: tuple[str, ...]
    baotinh: tuple[Match, ...]
    trafilatura: tuple[Match, ...]
    baotinh_cpu: float
    trafilatura_cpu: float

    def scores(self) -> tuple[Scores, Scores]:
        """(baotinh's, trafilatura's) scores."""
        return summarise(self.baotinh), summarise(self.trafilatura)

    def weak_pages(self) -> list[str]:
        """Pages where trafilatura scores ≥ 0.8 and baotinh is empty or under half of it."""
        return [i for i, b, t in zip(self.ids, self.baotinh, self.trafilatura, strict=True)
                if t.f1 >= STRONG_F1 and (b.tp + b.fp == 0 or b.f1 < t.f1 / 2)]


def timed_matches(pages: Iterable[AebPage], extract: Callable[[AebPage], str]) -> tuple[list[Match], float]:
    """Each page's match for ``extract`` and the CPU seconds the extraction took."""
    matches, cpu = [], 0.0
    for page in pages:
        start = time.process_time()
        text = extract(page)
        cpu += time.process_time() - start
        matches.append(shingle_match(page.gold, text))
    return matches, cpu


def evaluate_aeb(folder: Path, compare_trafilatura: bool = True) -> AebReport:
    """baotinh (and trafilatura alone) scored on every page of a benchmark folder."""
    pages = load_aeb(folder)
    ours, our_cpu = timed_matches(pages, baotinh_text)
    theirs, their_cpu = timed_matches(pages, trafilatura_text) if compare_trafilatura else ([], 0.0)
    return AebReport(tuple(p.id for p in pages), tuple(ours), tuple(theirs), our_cpu, their_cpu)


def format_aeb_report(report: AebReport, details: bool = True) -> str:
    """The report as a table: P, R, F1 and CPU ms/page per extractor, then the weak pages."""
    n = max(1, len(report.ids))
    ours, theirs = report.scores()
    lines = [f"AEB: {len(report.ids)} pages", f"{'':<12} {'P':>6} {'R':>6} {'F1':>6} {'CPU ms/page':>12}"]
    rows = [("baotinh", ours, report.baotinh_cpu)]
    if report.trafilatura:
        rows.append(("trafilatura", theirs, report.trafilatura_cpu))
    for name, s, cpu in rows:
        lines.append(f"{name:<12} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {cpu * 1000 / n:12.1f}")
    if report.trafilatura and report.trafilatura_cpu:
        lines.append(f"CPU ratio baotinh/trafilatura: {report.baotinh_cpu / report.trafilatura_cpu:.2f}")
    if details and report.trafilatura:
        for page_id, b, t in zip(report.ids, report.baotinh, report.trafilatura, strict=True):
            if b.f1 < t.f1 - 0.05:
                lines.append(f"  {page_id}: baotinh F1 {b.f1:.3f} < trafilatura {t.f1:.3f}")
        weak = report.weak_pages()
        lines.append(f"weak pages (empty or < half of trafilatura's ≥ {STRONG_F1}): {len(weak)}")
    return "\n".join(lines)
