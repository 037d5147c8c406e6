"""the store writes the search rows of the articles it inserts (SQLite)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Until now an ``AFTER INSERT`` trigger folded each new article into ``articles_fts`` with
``baotinh_fold``, folding again a text the crawler's extraction worker had folded already.
``pipeline.archive.store`` now writes the index row of every article it inserts, with the
worker's fold; this revision drops the insert trigger. The update and delete triggers stay: an
edit or a deletion of an article, whoever makes it, still re-indexes it. Rows indexed before
this revision stay as they are. PostgreSQL (a generated ``tsvector``) is unchanged.

Frozen: imports nothing from ``pipeline``.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INSERT_TRIGGER = "articles_fts_ai"
# The trigger as revision 0004 made it (baotinh_fold is registered on every archive connection).
INSERT_TRIGGER_SQL = (
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, description, text, author) VALUES (new.id, "
    "baotinh_fold(new.title), baotinh_fold(new.description), baotinh_fold(new.text), "
    "baotinh_fold(new.author)); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(INSERT_TRIGGER_SQL)
