"""crawl queue: jobs with leases, and the lease log

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-29

``crawl_jobs`` is the queue ``baotinh worker`` processes take sites from (one job = one site),
with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL. A taken job carries a lease (owner,
expiry) that its worker renews while it crawls; a lease left to expire is taken over by another
worker. At most one open (queued or leased) job per site: a partial unique index. Every lease
taken is logged in ``crawl_leases`` (who, when, how it ended).

Frozen: imports nothing from ``pipeline``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
OPEN_STATES = "state IN ('queued', 'leased')"


def upgrade() -> None:
    op.create_table(
        "crawl_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("enqueued_at", TS, nullable=False),
        sa.Column("lease_owner", sa.String(255)),
        sa.Column("lease_expires_at", TS),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("exit_code", sa.Integer()),
        sa.Column("message", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_jobs"),
    )
    op.create_index("ix_crawl_jobs_state_not_before", "crawl_jobs", ["state", "not_before"])
    op.create_index("uq_crawl_jobs_open_site", "crawl_jobs", ["site_id"], unique=True,
                    sqlite_where=sa.text(OPEN_STATES), postgresql_where=sa.text(OPEN_STATES))
    op.create_table(
        "crawl_leases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("renewed_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("outcome", sa.String(16)),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_leases"),
    )
    op.create_index("ix_crawl_leases_job_id", "crawl_leases", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_crawl_leases_job_id", table_name="crawl_leases")
    op.drop_table("crawl_leases")
    op.drop_index("uq_crawl_jobs_open_site", table_name="crawl_jobs")
    op.drop_index("ix_crawl_jobs_state_not_before", table_name="crawl_jobs")
    op.drop_table("crawl_jobs")
