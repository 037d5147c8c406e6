"""imported captures: where each came from (file or memento, record id, offset)

Revision ID: 0011
Revises: 0006
Create Date: 2026-11-29

``baotinh import warc`` (and the web-archive backfill through it) copies each article's
response record into the archive's own captures; ``import_provenance`` says where the record came
from: the source file or URL, the source record's WARC-Record-ID, offset and payload digest, free
provenance text (a memento URL), the copy's record id and what became of it. ``source_key``
(the memento URL when the record names one, else the source record's id) is unique: importing
the same capture twice adds nothing.

Frozen: imports nothing from ``pipeline``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_provenance",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source_key", sa.String(2048), nullable=False),
        sa.Column("source", sa.String(2048), nullable=False),
        sa.Column("source_record_id", sa.String(128), nullable=True),
        sa.Column("source_offset", sa.BigInteger(), nullable=True),
        sa.Column("source_digest", sa.String(80), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("uri", sa.String(2048), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("canonical_url", sa.String(2048), nullable=True),
        sa.Column("capture_record_id", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_provenance"),
        sa.UniqueConstraint("source_key", name="uq_import_provenance_source_key"),
    )
    op.create_index("ix_import_provenance_canonical_url", "import_provenance", ["canonical_url"])
    op.create_index("ix_import_provenance_capture_record_id", "import_provenance", ["capture_record_id"])


def downgrade() -> None:
    op.drop_index("ix_import_provenance_capture_record_id", table_name="import_provenance")
    op.drop_index("ix_import_provenance_canonical_url", table_name="import_provenance")
    op.drop_table("import_provenance")
