"""stable article keys: ``articles.key``, a digest of the canonical URL

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-29

An article's id is local to one database; its key is not, so citations (``/a/<key>``,
``baotinh show <key>``, the API, every export) survive copying the archive elsewhere::

    key = base32(sha256(canonical_url.encode("utf-8")))[:12].lower()

(RFC 4648 alphabet, lower case, no padding). Existing rows are backfilled here, a batch of ids
at a time; a clash of 12 characters (never seen; 60 bits) leaves the key to the lowest id and
gives the later rows 4 more characters, and so on.
The store assigns keys to new rows the same way (``pipeline.archive.keys``).

Frozen: imports nothing from ``pipeline``; the formula is written out below.
"""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

KEY_LENGTH = 12
KEY_STEP = 4
KEY_MAX = 52
BATCH = 1000


def frozen_key(canonical_url: str, length: int) -> str:
    digest = hashlib.sha256(canonical_url.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()[:length]


def _articles() -> sa.TableClause:
    return sa.table("articles", sa.column("id", sa.Integer), sa.column("canonical_url", sa.String),
                    sa.column("key", sa.String))


def backfill(bind: sa.engine.Connection) -> None:
    """Every row's 12-character key, a batch of ids at a time (memory stays flat), then clashes."""
    articles = _articles()
    stmt = articles.update().where(articles.c.id == sa.bindparam("row_id")).values(key=sa.bindparam("new_key"))
    last = 0
    while True:
        rows = bind.execute(sa.select(articles.c.id, articles.c.canonical_url).where(articles.c.id > last)
                            .order_by(articles.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(stmt, [{"row_id": i, "new_key": frozen_key(url, KEY_LENGTH)} for i, url in rows])
        last = rows[-1][0]
    resolve_clashes(bind)


def resolve_clashes(bind: sa.engine.Connection) -> None:
    """Where rows share a key, the first (lowest id) keeps it; the others get 4 more characters."""
    articles = _articles()
    while True:
        shared = bind.execute(sa.select(articles.c.key).group_by(articles.c.key)
                              .having(sa.func.count() > 1)).scalars().all()
        if not shared:
            return
        for key in shared:
            rows = bind.execute(sa.select(articles.c.id, articles.c.canonical_url)
                                .where(articles.c.key == key).order_by(articles.c.id)).all()
            for row_id, url in rows[1:]:
                longer = frozen_key(url, min(len(key) + KEY_STEP, KEY_MAX))
                bind.execute(articles.update().where(articles.c.id == row_id).values(key=longer))


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("key", sa.String(64), nullable=True))
    backfill(op.get_bind())
    op.create_index("uq_articles_key", "articles", ["key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_articles_key", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("key")
