"""incremental crawling: frontier, ledger, locks (issue 6)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

In development: the engineer who owns this revision fills in upgrade/downgrade and renames the file.
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
