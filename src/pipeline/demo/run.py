"""``baotinh demo``: serve the bundled demo paper locally and crawl it into the archive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from pipeline.archive import db, store
from pipeline.archive.models import Article
from pipeline.config import Settings
from pipeline.crawling.launch import CrawlResult, run_crawl
from pipeline.crawling.protocol import CrawlRequest
from pipeline.demo import DemoSite, serve_site
from pipeline.record import ArticleRecord

DEMO_SITE_ID = "demo"
# The seed article of the project, shown as the sample record.
SAMPLE_URL_PART = "huyen-uy-kim-thanh-4-cong-viec-dot-pha"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSummary:
    served: int  # articles the demo paper serves
    archived: int  # demo articles in the archive after the crawl
    result: CrawlResult
    sample: ArticleRecord | None
    database: str

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": [s.site for s in self.result.sites],
            "articles_served": self.served,
            "articles_archived": self.archived,
            "new": self.result.new,
            "seconds": round(self.result.seconds, 2),
            "database": self.database,
            "log": str(self.result.log_file),
            "sample": self.sample.as_dict() if self.sample else None,
        }

    def format(self) -> str:
        lines = [
            f"sites: {', '.join(s.site for s in self.result.sites) or '-'}",
            f"articles archived: {self.archived} of {self.served} served "
            f"({self.result.new} new this run)",
            f"seconds: {self.result.seconds:.1f}",
            f"database: {self.database}",
        ]
        err = self.result.error_line()
        if err:
            lines.append(f"problem: {err}")
        if self.sample is not None:
            sample = self.sample.as_dict()
            text = sample["text"]
            sample["text"] = text[:300] + ("…" if len(text) > 300 else "")
            lines += ["", "sample record:", json.dumps(sample, ensure_ascii=False, indent=2)]
        return "\n".join(lines)


def run_demo(settings: Settings, *, workers: int | None = None) -> DemoSummary:
    """Serve the demo paper on 127.0.0.1 (ephemeral port), crawl it, summarise the archive."""
    site = DemoSite()
    served = len(site.articles())
    with serve_site(site) as server:
        request = CrawlRequest(sites=(DEMO_SITE_ID,), origin=server.base_url, workers=workers,
                               local_server=True)
        result = run_crawl(settings, request)
    engine = db.make_engine(settings.database_url)
    try:
        with db.make_sessionmaker(engine)() as session:
            archived = session.scalar(
                select(func.count()).select_from(Article).where(Article.site == DEMO_SITE_ID)
            ) or 0
            row = session.scalars(
                select(Article).where(Article.site == DEMO_SITE_ID,
                                      Article.canonical_url.contains(SAMPLE_URL_PART)).limit(1)
            ).first() or session.scalars(
                select(Article).where(Article.site == DEMO_SITE_ID).order_by(Article.published_at.desc()).limit(1)
            ).first()
            sample = store.article_to_record(row) if row is not None else None
    finally:
        engine.dispose()
    return DemoSummary(served=served, archived=archived, result=result, sample=sample,
                       database=engine.url.render_as_string(hide_password=True))
