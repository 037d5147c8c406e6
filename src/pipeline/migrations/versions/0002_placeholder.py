"""archival fidelity: captures, versions, near-duplicates (issue 5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

In development: the engineer who owns this revision fills in upgrade/downgrade and renames the file.
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
