"""PostgreSQL: keep ``search_vector`` in the article's row, compressed with lz4 (issue 15)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

A search reads the vectors of up to 2,001 newest matches (the match check of a key walk, the
ranking of the candidates). A vector averages ~1.6 KB, so with the default ``EXTENDED``
storage nearly every one lived out of line in the TOAST table: each read was a TOAST index
probe plus a chunk fetch, ~3 µs an article (a 37,700-row walk for "và của được" at 1 M
articles: 108 ms). ``STORAGE MAIN`` keeps the vector in the row (the long text moves out
first), compressed only when the row is still too long; lz4, where the server has it,
decompresses several times faster than pglz (the same walk: 39 ms; pglz 59 ms).

Only rows written from now on take the new storage: existing vectors stay where they are until
their row is rewritten (``pipeline.search.rebuild_index``, ``VACUUM FULL articles``, a
``baotinh db copy`` into a new archive).
SQLite is unchanged. Frozen: imports nothing from ``pipeline``.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _has_lz4() -> bool:
    bind = op.get_bind()
    return bool(bind.execute(text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar())


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE articles ALTER COLUMN search_vector SET STORAGE MAIN")
    if _has_lz4():
        op.execute("ALTER TABLE articles ALTER COLUMN search_vector SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE articles ALTER COLUMN search_vector SET STORAGE EXTENDED")
    if _has_lz4():
        op.execute("ALTER TABLE articles ALTER COLUMN search_vector SET COMPRESSION default")
