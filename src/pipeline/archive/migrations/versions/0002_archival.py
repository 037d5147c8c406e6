"""archival fidelity: captures, versions, near-duplicates (issue 5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Adds the capture pointer, provenance, withdrawal, version and near-duplicate columns of
``articles``, and the tables ``captures`` (the payload-digest index of WARC records),
``article_versions`` (superseded versions) and ``simhash_bands`` (near-duplicate lookup).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

ARTICLE_COLUMNS = (
    ("capture_warc", sa.String(1024)),
    ("capture_offset", sa.BigInteger()),
    ("capture_length", sa.BigInteger()),
    ("capture_record_id", sa.String(64)),
    ("capture_digest", sa.String(64)),
    ("registry_sha256", sa.String(64)),
    ("version_since", TS),
    ("withdrawn_at", TS),
    ("withdrawn_status", sa.Integer()),
    ("simhash", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        for name, type_ in ARTICLE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_articles_duplicate_of_articles"), "articles", ["duplicate_of"], ["id"])
        batch.create_index(op.f("ix_articles_duplicate_of"), ["duplicate_of"])
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("uri", sa.String(2048), nullable=False),
        sa.Column("date", TS, nullable=False),
        sa.Column("warc", sa.String(1024), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("rec_type", sa.String(16), nullable=False),
        sa.Column("refers_to", sa.String(64)),
        sa.Column("crawl_run_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
        sa.UniqueConstraint("record_id", name=op.f("uq_captures_record_id")),
    )
    op.create_index(op.f("ix_captures_payload_digest"), "captures", ["payload_digest"])
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", TS),
        sa.Column("valid_to", TS, nullable=False),
        sa.Column("changed_fields", JSON, nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(64)),
        sa.Column("data", JSON, nullable=False),
        sa.Column("capture_warc", sa.String(1024)),
        sa.Column("capture_offset", sa.BigInteger()),
        sa.Column("capture_length", sa.BigInteger()),
        sa.Column("capture_record_id", sa.String(64)),
        sa.Column("capture_digest", sa.String(64)),
        sa.Column("extractor_version", sa.String(32)),
        sa.Column("registry_sha256", sa.String(64)),
        sa.Column("crawl_run_id", sa.Integer()),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name=op.f("fk_article_versions_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),
    )
    op.create_index(op.f("ix_article_versions_article_id"), "article_versions", ["article_id"])
    op.create_table(
        "simhash_bands",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_simhash_bands_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", "band", name=op.f("pk_simhash_bands")),
    )
    op.create_index("ix_simhash_bands_band_key", "simhash_bands", ["band", "key"])


def downgrade() -> None:
    op.drop_index("ix_simhash_bands_band_key", table_name="simhash_bands")
    op.drop_table("simhash_bands")
    op.drop_index(op.f("ix_article_versions_article_id"), table_name="article_versions")
    op.drop_table("article_versions")
    op.drop_index(op.f("ix_captures_payload_digest"), table_name="captures")
    op.drop_table("captures")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index(op.f("ix_articles_duplicate_of"))
        batch.drop_constraint(op.f("fk_articles_duplicate_of_articles"), type_="foreignkey")
        batch.drop_column("duplicate_of")
        batch.drop_column("version")
        for name, _type in reversed(ARTICLE_COLUMNS):
            batch.drop_column(name)
