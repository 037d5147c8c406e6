"""PostgreSQL: a GIN index over the newest articles' search vectors (issue 15)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30

The archive's GIN index yields matches in no order, so the newest 2,001 matches of a word in
one article of a hundred meant reading every match (14,000 rows for "kim thanh" at 1 M
articles). This partial index (the "open tier") covers the ids from the last multiple of
200,000 on; ``pipeline.archive.recent_index`` builds the closed tiers below it, concurrently
(``baotinh db maintain``, and the crawl when due), and a search reads the newest matches from
the tiers when they hold enough. Built here in the migration's transaction: on a large archive
writers wait for the build (about 7 s at 1 M articles on 2 cores).
SQLite is unchanged. Frozen: imports nothing from ``pipeline``.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SPAN = 200_000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    top = int(bind.execute(text("SELECT coalesce(max(id), 0) FROM articles")).scalar() or 0)
    bound = top // SPAN * SPAN
    op.execute(f"CREATE INDEX ix_articles_search_recent ON articles USING gin (search_vector) WHERE id >= {bound}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_articles_search_recent")
