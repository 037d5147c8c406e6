"""Initial schema: sources, crawl_runs, articles.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("province_before", sa.String(100)),
        sa.Column("province_after", sa.String(100)),
        sa.Column("family", sa.String(64)),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("registry_sha256", sa.String(64)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(64)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("articles_new", sa.Integer(), nullable=False),
        sa.Column("articles_updated", sa.Integer(), nullable=False),
        sa.Column("articles_unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("args", JSON, nullable=False),
        sa.Column("software_version", sa.String(32)),
        sa.Column("pid", sa.Integer()),
        sa.Column("hostname", sa.String(255)),
        sa.Column("message", sa.Text()),
        sa.ForeignKeyConstraint(["site_id"], ["sources.id"], name=op.f("fk_crawl_runs_site_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_index(op.f("ix_crawl_runs_site_id"), "crawl_runs", ["site_id"])
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("canonical_url", sa.String(2048), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("site", sa.String(64)),
        sa.Column("title", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("author", sa.String(500)),
        sa.Column("published_at", TS),
        sa.Column("modified_at", TS),
        sa.Column("section", sa.String(200)),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("captions", JSON, nullable=False),
        sa.Column("images", JSON, nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("fetched_at", TS),
        sa.Column("date_source", sa.String(32)),
        sa.Column("modified_source", sa.String(32)),
        sa.Column("source_agency", sa.String(200)),
        sa.Column("flags", JSON, nullable=False),
        sa.Column("extractor_version", sa.String(32)),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("crawl_run_id", sa.Integer()),
        sa.ForeignKeyConstraint(["crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_articles_crawl_run_id_crawl_runs")),
        sa.ForeignKeyConstraint(["site"], ["sources.id"], name=op.f("fk_articles_site_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("canonical_url", name=op.f("uq_articles_canonical_url")),
    )
    op.create_index("ix_articles_site_published", "articles", ["site", "published_at"])
    op.create_index("ix_articles_published_at", "articles", ["published_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_published_at", table_name="articles")
    op.drop_index("ix_articles_site_published", table_name="articles")
    op.drop_table("articles")
    op.drop_index(op.f("ix_crawl_runs_site_id"), table_name="crawl_runs")
    op.drop_table("crawl_runs")
    op.drop_table("sources")
