"""near-copy lookups without reading article rows: each SimHash band row carries the hash

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Finding an article's near-copies compares its SimHash with every article sharing one of its six
band keys. Reading those hashes from ``articles`` meant reading each candidate's row (in SQLite
the hash sits behind the long text, in overflow pages); ``simhash_bands.simhash`` keeps a copy
next to the key, so the lookup reads the band index and its small rows only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("simhash_bands") as batch:
        batch.add_column(sa.Column("simhash", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE simhash_bands SET simhash = "
        "(SELECT articles.simhash FROM articles WHERE articles.id = simhash_bands.article_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("simhash_bands") as batch:
        batch.drop_column("simhash")
