"""stable article keys: ``articles.key``, a digest of the canonical URL

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-29

An article's id is local to one database; its key is not, so citations (``/a/<key>``,
``baotinh show <key>``, the API, every export) survive copying the archive elsewhere::

    key = base32(sha256(canonical_url.encode("utf-8")))[:12].lower()

(RFC 4648 alphabet, lower case, no padding). Existing rows are backfilled here, in id order;
a clash of 12 characters (never seen; 60 bits) gives the later row 4 more characters, and so on.
The store assigns keys to new rows the same way (``pipeline.archive.keys``).

Frozen: imports nothing from ``pipeline``; the formula is written out below.
"""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

KEY_LENGTH = 12
KEY_STEP = 4
KEY_MAX = 52
BATCH = 1000


def frozen_key(canonical_url: str, length: int) -> str:
    digest = hashlib.sha256(canonical_url.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()[:length]


def backfill(bind: sa.engine.Connection) -> None:
    articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("canonical_url", sa.String),
                        sa.column("key", sa.String))
    rows = bind.execute(sa.select(articles.c.id, articles.c.canonical_url).order_by(articles.c.id)).all()
    holders: dict[str, str] = {}
    updates: list[dict[str, object]] = []
    for article_id, url in rows:
        length = KEY_LENGTH
        key = frozen_key(url, length)
        while key in holders and holders[key] != url and length < KEY_MAX:
            length += KEY_STEP
            key = frozen_key(url, length)
        holders[key] = url
        updates.append({"row_id": article_id, "new_key": key})
    stmt = articles.update().where(articles.c.id == sa.bindparam("row_id")).values(key=sa.bindparam("new_key"))
    for start in range(0, len(updates), BATCH):
        bind.execute(stmt, updates[start:start + BATCH])


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("key", sa.String(64), nullable=True))
    backfill(op.get_bind())
    op.create_index("uq_articles_key", "articles", ["key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_articles_key", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("key")
