"""incremental crawling: frontier, ledger, locks (issue 6)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

``frontier``: one row per URL a site has shown us, with when it was fetched, when it is due again
and the validators for a conditional GET. ``crawl_ledger``: counts per run, site and section by
metric and reason. ``run_locks``: per-site locks that work across hosts (PostgreSQL archives).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "frontier",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("url_key", sa.String(2048), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(2048)),
        sa.Column("discovered_via", sa.String(16), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_fetched_at", TS),
        sa.Column("next_due_at", TS),
        sa.Column("fetch_count", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(255)),
        sa.Column("last_modified", sa.String(64)),
        sa.Column("last_status", sa.Integer()),
        sa.Column("outcome", sa.String(32)),
        sa.Column("robots", sa.String(16)),
        sa.Column("published_at", TS),
        sa.Column("last_run_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier")),
        sa.UniqueConstraint("site_id", "url_key", name="uq_frontier_site_url_key"),
    )
    op.create_index("ix_frontier_site_due", "frontier", ["site_id", "next_due_at"])
    op.create_table(
        "crawl_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("section", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], name=op.f("fk_crawl_ledger_run_id_crawl_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_ledger")),
        sa.UniqueConstraint("run_id", "site_id", "section", "metric", "reason", name="uq_crawl_ledger_key"),
    )
    op.create_table(
        "run_locks",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("acquired_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_run_locks")),
    )


def downgrade() -> None:
    op.drop_table("run_locks")
    op.drop_table("crawl_ledger")
    op.drop_index("ix_frontier_site_due", table_name="frontier")
    op.drop_table("frontier")
